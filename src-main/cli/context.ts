// What every command starts with: the backend (initialised and announced), the store, and output helpers that
// respect --json (results on stdout as JSON, everything for people on stderr; the rule is written out in main.ts).
import { statSync } from 'node:fs'
import { initBackend, type BackendInfo } from '../ml/backend'
import { openStore, type Store } from '../store/index'
import { UsageError, type Parsed } from './args'

export interface CommandContext {
  backend: BackendInfo
  store: Store
  json: boolean
  /** Human-readable output: stdout normally, stderr in --json mode so stdout stays parseable. */
  say(line: string): void
  /** Prints the command's result: JSON in --json mode, else the given human text. */
  result(value: unknown, text?: string): void
}

export function describeBackend(backend: BackendInfo): string {
  const threads = backend.threads ? `, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}` : ''
  const fallback = backend.fallbackReason ? ` — fallback: ${backend.fallbackReason}` : ''
  return `backend: ${backend.name} (tfjs ${backend.tfjsVersion}${threads})${fallback}`
}

/**
 * The backend as --json results give it: the name (as `models --json` stores it) and, when a better backend did not
 * load, why — what the backend line on stderr says.
 */
export function backendFields(backend: BackendInfo): { backend: string; backendFallbackReason?: string } {
  return backend.fallbackReason
    ? { backend: backend.name, backendFallbackReason: backend.fallbackReason }
    : { backend: backend.name }
}

export async function createContext(parsed: Parsed): Promise<CommandContext> {
  const json = parsed.values.json === true
  const say = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`)
  const storeOption = parsed.values.store
  const store = openStore(typeof storeOption === 'string' ? storeOption : undefined)
  assertNotAFile(store.root)
  const backend = await initBackend()
  say(describeBackend(backend))
  return {
    backend,
    store,
    json,
    say,
    result(value, text) {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
      else if (text !== undefined) process.stdout.write(`${text}\n`)
    },
  }
}

/**
 * A store that does not exist yet is created on the first save; a file in its place would read as an empty store.
 * A usage error (exit 2), as any other option value the command cannot take.
 */
function assertNotAFile(root: string): void {
  let problem: string | undefined
  try {
    if (!statSync(root).isDirectory()) problem = 'is a file, not a folder'
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOTDIR') problem = 'cannot be a folder: part of its path is a file'
  }
  if (problem) {
    throw new UsageError(`The store ${root} ${problem}; point --store (or BOTTLENECK_HOME) at a folder.`)
  }
}
