// The parent side of store-worker.ts: sends one request at a time and SIGKILLs the worker when a request takes longer
// than its time limit (reported as a hang), starting a fresh worker for the next request.
import { fork, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import type { StoreReply, StoreRequest } from './store-worker'

export type Outcome = StoreReply | { outcome: 'hang'; message: string }

export class StoreWorker {
  private child: ChildProcess | undefined
  private ready: Promise<void> | undefined
  private seq = 0
  restarts = 0

  private start(): Promise<void> {
    const child = fork(resolve(__dirname, 'store-worker.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    this.child = child
    return new Promise((resolvePromise, reject) => {
      let stderr = ''
      child.stderr?.on('data', (chunk) => (stderr += chunk))
      child.once('message', () => resolvePromise())
      child.once('exit', (code) =>
        reject(new Error(`store worker exited (${code}) before it was ready: ${stderr}`)),
      )
    })
  }

  async run(request: Omit<StoreRequest, 'seq'>, timeoutMs: number): Promise<Outcome> {
    this.ready ??= this.start()
    await this.ready
    const child = this.child!
    const seq = ++this.seq
    return new Promise((resolvePromise) => {
      const timer = setTimeout(() => {
        child.removeListener('message', onMessage)
        child.kill('SIGKILL')
        this.child = undefined
        this.ready = undefined
        this.restarts++
        resolvePromise({
          outcome: 'hang',
          message: `${request.op} ${request.ref} did not finish in ${timeoutMs} ms`,
        })
      }, timeoutMs)
      const onMessage = (reply: StoreReply) => {
        if (reply.seq !== seq) return
        clearTimeout(timer)
        child.removeListener('message', onMessage)
        resolvePromise(reply)
      }
      child.on('message', onMessage)
      child.send({ ...request, seq })
    })
  }

  stop(): void {
    this.child?.kill('SIGKILL')
    this.child = undefined
    this.ready = undefined
  }
}
