// Durable file-system primitives for the store: write-then-fsync, atomic pointer replacement, directory fsync.
// Everything the store writes goes through here so "a crash leaves the old version" holds in one place.
import { open, rename, rm } from 'node:fs/promises'
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

// Folder creation that keeps the file system's true reason lives with the other file-system helpers of the ML core,
// which the CLI's outputs use too; the store takes it from there.
export { ensureDirectory, fileInTheWay } from '../ml/file-system'

export function randomSuffix(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`
}
