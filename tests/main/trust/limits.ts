// Shared knobs for the trust tests, tunable from the environment so CI can run more (or a laptop fewer) cases.
import { createHash } from 'node:crypto'
import { lstat, readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'

function positiveInteger(name: string, fallback: number): number {
  const value = Number(process.env[name])
  return Number.isInteger(value) && value > 0 ? value : fallback
}

/** Generated cases per fuzz target (BOTTLENECK_FUZZ_RUNS, default 1000). */
export const FUZZ_RUNS = positiveInteger('BOTTLENECK_FUZZ_RUNS', 1000)
/**
 * fast-check seed (BOTTLENECK_FUZZ_SEED), printed on failure so a failing run can be replayed. Fixed by default so
 * CI is reproducible; set BOTTLENECK_FUZZ_SEED=random to explore new cases.
 */
export const FUZZ_SEED =
  process.env.BOTTLENECK_FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : positiveInteger('BOTTLENECK_FUZZ_SEED', 20_261_127)
/** Longest any single case may take before it counts as a hang. */
export const CASE_TIMEOUT_MS = positiveInteger('BOTTLENECK_FUZZ_CASE_TIMEOUT_MS', 10_000)
/** SIGKILLs during model saves (BOTTLENECK_CRASH_ITERATIONS, default 100). */
export const CRASH_ITERATIONS = positiveInteger('BOTTLENECK_CRASH_ITERATIONS', 100)

/** Resolves with the promise's value, or rejects with a "hang" error after `ms` (an async hang, not a busy loop). */
export async function withinTime<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`HANG: ${what} did not settle within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A digest of everything under `root`: every path, its type, file bytes and symlink targets. Equal digests before
 * and after an operation mean the operation left the folder exactly as it was.
 */
export async function hashTree(root: string): Promise<string> {
  const hash = createHash('sha256')
  async function walk(relative: string): Promise<void> {
    const path = join(root, relative)
    let info
    try {
      info = await lstat(path)
    } catch {
      hash.update(`missing ${relative}\n`)
      return
    }
    if (info.isSymbolicLink()) hash.update(`link ${relative} -> ${await readlink(path)}\n`)
    else if (info.isDirectory()) {
      hash.update(`dir ${relative}\n`)
      for (const name of (await readdir(path)).sort()) await walk(join(relative, name))
    } else {
      hash.update(`file ${relative} ${info.size}\n`)
      hash.update(await readFile(path))
    }
  }
  await walk('.')
  return hash.digest('hex')
}
