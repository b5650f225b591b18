// Temporary folders for a test file, removed once the file's tests (and their own afterAll hooks, which close
// services and stores) have finished, so `npm test` leaves nothing behind in the system's temp folder.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

const created: string[] = []

// Registered when a test file first imports this module, so it belongs to that file's top-level suite and runs
// after every describe block's own afterAll.
afterAll(() => {
  for (const folder of created.splice(0)) rmSync(folder, { recursive: true, force: true })
})

/** A new empty folder `<tmp>/bottleneck-<name>-XXXXXX`, removed after the calling test file. */
export function scratchDir(name: string): string {
  const folder = mkdtempSync(join(tmpdir(), `bottleneck-${name}-`))
  created.push(folder)
  return folder
}
