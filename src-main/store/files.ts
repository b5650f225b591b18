// Durable file-system primitives for the store: write-then-fsync, atomic pointer replacement, directory fsync.
// Everything the store writes goes through here so "a crash leaves the old version" holds in one place.
import { open, rename, rm, mkdir, stat } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'

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

/** Replaces `path` with `data` atomically: temp file in the same folder, fsync, rename over, fsync the folder. */
export async function replaceFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = join(dirname(path), `.${randomSuffix()}.tmp`)
  try {
    await writeDurable(temp, data)
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
  await syncDirectory(dirname(path))
}

/**
 * `mkdir -p`, one level at a time. Node's recursive mkdir reports ENOENT ("does not exist") when the real reason
 * is a read-only disk (EROFS) or a full one (ENOSPC) (nodejs/node#47098, #42808); each plain mkdir reports its own.
 */
export async function ensureDirectory(path: string): Promise<void> {
  try {
    await mkdir(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST' && (await isDirectory(path))) return
    if (code !== 'ENOENT' || dirname(path) === path) throw error
    await ensureDirectory(dirname(path))
    try {
      await mkdir(path)
    } catch (retryError) {
      // Another process may have created it in between.
      if ((retryError as NodeJS.ErrnoException).code === 'EEXIST' && (await isDirectory(path))) return
      throw retryError
    }
  }
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

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false
}

export function randomSuffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`
}
