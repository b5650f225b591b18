// File-system failures in sentences a person can act on (disk full, read-only disk, permissions, a file where a
// folder must be) instead of errno text, folder creation that reports the true reason, and the durable writes
// (write-then-fsync, atomic replacement) that the store and the CLI's outputs share, so "a crash leaves the old file"
// holds in one place. The wording matches the store's, so the CLI says the same thing whichever part was writing.
import { randomBytes } from 'node:crypto'
import { statSync, type Stats } from 'node:fs'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { BottleneckError } from './errors'

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

/** True when the disk (or the user's quota) is full: every further write will fail the same way. */
function isDiskFull(error: unknown): boolean {
  const code = errnoCode(error)
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/**
 * The reasons that are about the folder, whatever was being written in it: a full or read-only disk, no permission.
 * The store words its failures with these too, so the CLI says the same whichever part of Bottleneck was writing.
 */
export function folderFailureReason(error: unknown, folder: string): string | undefined {
  switch (errnoCode(error)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk is full (no space left in ${folder}); free some space and try again`
    case 'EROFS':
      return `${folder} is on a read-only disk; choose another folder`
    case 'EACCES':
    case 'EPERM':
      return `Bottleneck may not write to ${folder} (permission denied); check its permissions or choose another folder`
    default:
      return undefined
  }
}

/** Why reading a file or folder failed when it was for want of permission, as the end of a sentence; else undefined. */
export function readPermissionReason(error: unknown): string | undefined {
  const code = errnoCode(error)
  return code === 'EACCES' || code === 'EPERM'
    ? 'Bottleneck may not read it (permission denied); check its permissions'
    : undefined
}

/**
 * For a write that failed with ENOENT in `folder`: a folder that exists yet takes no new files answers so too (/proc,
 * some virtual file systems), and only a folder that is really missing may be called missing. The reason when
 * `folder` exists, else undefined. The store words its own failures with it too.
 */
export function noNewFilesReason(folder: string): string | undefined {
  let isFolder = false
  try {
    isFolder = statSync(folder, { throwIfNoEntry: false })?.isDirectory() ?? false
  } catch {
    // It cannot even be looked at: not known to exist, so nothing is claimed about it here.
  }
  return isFolder ? `${folder} does not accept new files; choose another folder` : undefined
}

/** Why creating or writing `path` failed, as the end of a sentence that names `path` already. */
export function writeFailureReason(error: unknown, path: string): string {
  const folder = dirname(path)
  const aboutFolder = folderFailureReason(error, folder)
  if (aboutFolder) return aboutFolder
  const code = errnoCode(error)
  switch (code) {
    case 'EISDIR':
      return `${path} is a folder; give a file name`
    case 'EEXIST':
      return `${path} already exists and is not a folder`
    case 'ENOENT':
      return noNewFilesReason(folder) ?? `the folder ${folder} does not exist`
    case 'ENOTDIR':
      return `part of ${folder} is a file, not a folder`
    case 'ENAMETOOLONG':
      return 'the name is too long for the file system'
    default:
      return `the file system refused (${code ?? (error instanceof Error ? error.message : String(error))})`
  }
}

/**
 * A failed write as a BottleneckError: code DISK_FULL when no space is left (callers stop a batch on it), else
 * WRITE_FAILED. `action` completes "Could not …" and defaults to "write PATH"; the original error stays as the cause.
 */
export function writeFailure(error: unknown, path: string, action = `write ${path}`): BottleneckError {
  const failure = new BottleneckError(
    isDiskFull(error) ? 'DISK_FULL' : 'WRITE_FAILED',
    `Could not ${action}: ${writeFailureReason(error, path)}.`,
    error,
  )
  failure.cause = error
  return failure
}

/**
 * `mkdir -p`, one level at a time. Node's recursive mkdir reports ENOENT ("does not exist") when the real reason
 * is a read-only disk (EROFS) or a full one (ENOSPC) (nodejs/node#47098, #42808); each plain mkdir reports its own.
 * Throws the file system's error, its `path` the folder that could not be made: `createFolder` turns it into a
 * sentence, the store into its own.
 */
export async function ensureDirectory(folder: string): Promise<void> {
  const missing: string[] = []
  let existing = folder
  let found: Stats | undefined
  while (!(found = await statUnlessMissing(existing))) {
    const parent = dirname(existing)
    // Only a missing drive (Windows) runs out of parents.
    if (parent === existing) throw fileSystemError('ENOENT', existing, 'does not exist')
    missing.unshift(existing)
    existing = parent
  }
  if (!found.isDirectory()) throw fileSystemError('ENOTDIR', existing, 'is a file, not a folder')
  for (const path of missing) {
    try {
      await mkdir(path)
    } catch (error) {
      // Made meanwhile by someone else: what matters is that it is there now.
      if (errnoCode(error) === 'EEXIST' && (await isDirectory(path))) continue
      throw Object.assign(error as NodeJS.ErrnoException, { path })
    }
  }
}

async function statUnlessMissing(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined
    throw error
  }
}

function fileSystemError(code: string, path: string, what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${path} ${what}`), { code, path, syscall: 'mkdir' })
}

/**
 * The path that stopped a write because it is a file, not a folder (after ENOTDIR or EEXIST at `path`): `path`
 * itself or its nearest existing ancestor; undefined when that one is a folder after all.
 */
export async function fileInTheWay(path: string): Promise<string | undefined> {
  for (let candidate = path; ; candidate = dirname(candidate)) {
    const found = await stat(candidate).catch(() => undefined)
    if (found) return found.isDirectory() ? undefined : candidate
    if (dirname(candidate) === candidate) return undefined
  }
}

/** Whether `path` is a folder; false when it is missing or cannot be looked at. */
export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false
}

/** Creates `folder` and its missing parents, or says in a sentence why it cannot. */
export async function createFolder(folder: string): Promise<void> {
  const action = `create the folder ${folder}`
  try {
    await ensureDirectory(folder)
  } catch (error) {
    const code = errnoCode(error)
    const file = code === 'ENOTDIR' || code === 'EEXIST' ? await fileInTheWay(folder) : undefined
    if (file) {
      const what = file === folder ? 'a file of that name is there' : `${file} is a file, not a folder`
      throw new BottleneckError('WRITE_FAILED', `Could not ${action}: ${what}.`, error)
    }
    throw writeFailure(error, (error as NodeJS.ErrnoException).path ?? folder, action)
  }
}

/** A suffix that keeps temporary names of this process apart from another's and from each other. */
export function randomSuffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`
}

/** Writes a new file and fsyncs it, so its bytes are on disk before anything points at it. */
export async function writeDurable(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** fsync a directory so the names created or renamed in it survive a power cut (a no-op where unsupported). */
export async function syncDirectory(path: string): Promise<void> {
  let handle
  try {
    handle = await open(path, 'r')
    await handle.sync()
  } catch {
    // Some platforms (Windows) cannot open or fsync directories; rename is still atomic there.
  } finally {
    await handle?.close()
  }
}

/**
 * Replaces `path` with `data` atomically: temp file in the same folder, fsync, rename over, fsync the folder. A crash
 * leaves the old file or the new one, never half of one; a failure removes the temp file and throws the file
 * system's error (`writeFailure` words it).
 */
export async function replaceFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = join(dirname(path), `.${randomSuffix()}.tmp`)
  try {
    await writeDurable(temp, data)
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined)
    throw error
  }
  await syncDirectory(dirname(path))
}
