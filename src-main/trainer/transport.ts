// How the service reaches a trainer process, whatever started it: Electron's utilityProcess in the app (see
// shell/electron), or child_process.fork running the TypeScript entry through tsx (CLI, tests, web shell).
import { fork, spawnSync } from 'node:child_process'
import { setPriority } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { ParentMessage } from './protocol'

/** Two trainer processes run side by side: one trains, one answers inference, so neither waits on the other. */
export type TrainerRole = 'training' | 'inference'

export interface TrainerTransport {
  readonly pid: number | undefined
  send(message: ParentMessage): void
  onMessage(listener: (message: unknown) => void): void
  onExit(listener: (code: number | null, signal: string | null) => void): void
  /** Forceful end (SIGKILL); graceful shutdown goes through a `shutdown` message first. */
  kill(): void
}

export type SpawnTrainer = (role: TrainerRole) => TrainerTransport

/** Niceness of the training process: below the UI's and inference's, so a long fit never starves them of CPU. */
export const TRAINING_NICENESS = 10

/** Lowers the training process's scheduling priority; harmless where the OS refuses (training just competes). */
export function deprioritize(pid: number | undefined, log: (line: string) => void): void {
  if (pid === undefined) return
  try {
    setPriority(pid, TRAINING_NICENESS)
  } catch (error) {
    log(`[trainer pid=${pid}] could not lower its priority: ${(error as Error).message}`)
  }
  // On Linux, SCHED_IDLE: the training threads run only on CPU time nothing else wants, so drawing stays quick
  // while a model trains on every core. Threads TensorFlow starts later inherit the policy.
  if (process.platform === 'linux') {
    const result = spawnSync('chrt', ['--idle', '--all-tasks', '--pid', '0', String(pid)], { stdio: 'ignore', timeout: 2000 })
    if (result.status !== 0) log(`[trainer pid=${pid}] could not set the idle scheduling class (chrt unavailable)`)
  }
}

export interface ForkOptions {
  /** The trainer entry; defaults to trainer-process.ts next to this file (run through tsx). */
  entry?: string
  env?: NodeJS.ProcessEnv
  /** Where the child's stdout/stderr lines go, already tagged with role and pid. */
  log?: (line: string) => void
}

export function defaultTrainerEntry(): string {
  return fileURLToPath(new URL('./trainer-process.ts', import.meta.url))
}

/** child_process.fork transport: structured-clone messages (`serialization: 'advanced'`) so typed arrays pass. */
export function forkTrainer(options: ForkOptions = {}): SpawnTrainer {
  return (role) => {
    const entry = options.entry ?? defaultTrainerEntry()
    const child = fork(entry, [], {
      execArgv: entry.endsWith('.ts') ? ['--import', 'tsx'] : [],
      serialization: 'advanced',
      env: { ...process.env, ...options.env, BOTTLENECK_TRAINER_ROLE: role },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
    const tag = `[trainer:${role} pid=${child.pid}]`
    if (role === 'training') deprioritize(child.pid, log)
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = ''
      stream?.setEncoding('utf8')
      stream?.on('data', (chunk: string) => {
        buffered += chunk
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) if (line.trim()) log(`${tag} ${line}`)
      })
    }
    // A send racing the child's death must not crash the service; the exit handler reports the death.
    child.on('error', (error) => log(`${tag} process error: ${error.message}`))
    return {
      get pid() {
        return child.pid
      },
      send(message) {
        if (child.connected) child.send(message)
      },
      onMessage(listener) {
        child.on('message', listener)
      },
      onExit(listener) {
        child.on('exit', (code, signal) => listener(code, signal))
      },
      kill() {
        child.kill('SIGKILL')
      },
    }
  }
}
