// What every command starts with: the backend (initialised and announced), the store, and output helpers that
// respect --json (results on stdout as JSON, everything for people on stderr).
import { initBackend, type BackendInfo } from '../ml/backend'
import { openStore, type Store } from '../store/index'
import type { Parsed } from './args'

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

export async function createContext(parsed: Parsed): Promise<CommandContext> {
  const json = parsed.values.json === true
  const say = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`)
  const backend = await initBackend()
  say(describeBackend(backend))
  const storeOption = parsed.values.store
  const store = openStore(typeof storeOption === 'string' ? storeOption : undefined)
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
