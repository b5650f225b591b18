// Starts `npm run serve -- --port 0` (the real service and trainer) on a throw-away store and reads its URL.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export interface RunningServer {
  url: string
  store: string
  output: () => string
  /** Stops the server and its trainers; the store is deleted unless `keepStore` (to start again on it). */
  stop: (options?: { keepStore?: boolean }) => Promise<void>
}

const repoRoot = resolve(__dirname, '../../..')

export async function startServer(
  timeoutMs = 120_000,
  options: { store?: string } = {},
): Promise<RunningServer> {
  const store = options.store ?? mkdtempSync(join(tmpdir(), 'bottleneck-e2e-'))
  const child: ChildProcess = spawn(
    process.execPath,
    ['bin/serve.js', '--port', '0', '--store', store, '--no-build'],
    {
      cwd: repoRoot,
      env: { ...process.env, BOTTLENECK_HOME: store },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  )
  let log = ''
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()))

  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve printed no URL within ${timeoutMs} ms:\n${log}`)),
      timeoutMs,
    )
    const check = () => {
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(log)
      if (match) {
        clearTimeout(timer)
        resolveUrl(match[0])
      }
    }
    child.stdout!.on('data', check)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code} before printing a URL:\n${log}`))
    })
  })

  return {
    url,
    store,
    output: () => log,
    async stop({ keepStore = false } = {}) {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once('exit', r))
        // The server forks trainers; signalling the process group (ours alone, detached) ends them too.
        process.kill(-child.pid, 'SIGTERM')
        const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 5_000)
        await exited
        clearTimeout(timer)
      }
      if (!keepStore) rmSync(store, { recursive: true, force: true })
    },
  }
}
