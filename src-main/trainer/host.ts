// The service's handle on one trainer process: spawns it, matches requests to responses, forwards its events,
// notices when it dies (pending requests fail with TRAINER_CRASHED, the process is restarted), and shuts it down
// politely first and by force after a timeout.
import { BottleneckError } from '../ml/errors'
import type { BackendInfo } from '../contract/index'
import {
  isChildMessage,
  type ChildMessage,
  type TrainerEvent,
  type TrainerMethod,
  type TrainerParams,
  type TrainerResult,
} from './protocol'
import type { SpawnTrainer, TrainerRole, TrainerTransport } from './transport'

export type Logger = (level: 'info' | 'warn' | 'error', message: string) => void

export interface TrainerHostOptions {
  role: TrainerRole
  spawn: SpawnTrainer
  log?: Logger
  /** Loading TensorFlow (native or wasm) can take seconds on a busy machine. */
  readyTimeoutMs?: number
  requestTimeoutMs?: number
  shutdownTimeoutMs?: number
  /** Crashes within `crashWindowMs` after which the host stops restarting eagerly (a crash loop). */
  maxCrashes?: number
  crashWindowMs?: number
}

export interface CrashInfo {
  role: TrainerRole
  pid: number | undefined
  code: number | null
  signal: string | null
  /** False when crashes came too fast and the host gave up restarting by itself. */
  restarting: boolean
}

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  timer: ReturnType<typeof setTimeout>
  method: TrainerMethod
}

export class TrainerHost {
  readonly role: TrainerRole
  private readonly options: Required<Omit<TrainerHostOptions, 'log'>> & { log: Logger }
  private transport: TrainerTransport | null = null
  private ready: Promise<BackendInfo> | null = null
  private pending = new Map<number, Pending>()
  private nextId = 1
  private crashTimes: number[] = []
  private stopping = false
  private eventListeners = new Set<(event: TrainerEvent) => void>()
  private crashListeners = new Set<(info: CrashInfo) => void>()
  private backendInfo: BackendInfo | undefined
  restarts = 0

  constructor(options: TrainerHostOptions) {
    this.role = options.role
    this.options = {
      readyTimeoutMs: 120_000,
      requestTimeoutMs: 300_000,
      shutdownTimeoutMs: 5_000,
      maxCrashes: 5,
      crashWindowMs: 60_000,
      log: (level, message) => console[level === 'info' ? 'log' : level](message),
      ...options,
    }
  }

  get pid(): number | undefined {
    return this.transport?.pid
  }

  get alive(): boolean {
    return this.transport !== null
  }

  get backend(): BackendInfo | undefined {
    return this.backendInfo
  }

  onEvent(listener: (event: TrainerEvent) => void): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  onCrash(listener: (info: CrashInfo) => void): () => void {
    this.crashListeners.add(listener)
    return () => this.crashListeners.delete(listener)
  }

  /** Starts the process if it is not running; resolves with its backend once it reports ready. */
  start(): Promise<BackendInfo> {
    if (this.stopping) return Promise.reject(unavailable('Bottleneck is shutting down.'))
    this.ready ??= this.spawnProcess()
    return this.ready
  }

  async request<M extends TrainerMethod>(
    method: M,
    params: TrainerParams<M>,
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<TrainerResult<M>> {
    await this.start()
    const transport = this.transport
    if (!transport) throw crashed(this.role)
    const id = this.nextId++
    return new Promise<TrainerResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(
          new BottleneckError(
            'TIMEOUT',
            `The trainer did not answer "${method}" within ${Math.round(timeoutMs / 1000)} s.`,
          ),
        )
      }, timeoutMs)
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer, method })
      transport.send({ type: 'request', id, method, params })
    })
  }

  /** Asks the process to exit; kills it when it has not exited after the timeout. Idempotent. */
  async shutdown(): Promise<void> {
    this.stopping = true
    const transport = this.transport
    if (!transport) return
    const exited = new Promise<void>((resolve) => transport.onExit(() => resolve()))
    transport.send({ type: 'shutdown' })
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), this.options.shutdownTimeoutMs)),
    )
    if ((await Promise.race([exited, timedOut])) === 'timeout') {
      this.options.log(
        'warn',
        `${this.tag(transport.pid)} did not exit within ${this.options.shutdownTimeoutMs} ms; killing it`,
      )
      transport.kill()
      await exited
    }
    clearTimeout(timer)
  }

  /** Test and recovery hook: kills the process as a crash would. */
  killForTest(): void {
    this.transport?.kill()
  }

  private tag(pid: number | undefined): string {
    return `[trainer:${this.role} pid=${pid ?? '?'}]`
  }

  private spawnProcess(): Promise<BackendInfo> {
    const transport = this.options.spawn(this.role)
    this.transport = transport
    const tag = this.tag(transport.pid)
    this.options.log('info', `${tag} started`)
    return new Promise<BackendInfo>((resolve, reject) => {
      let isReady = false
      const readyTimer = setTimeout(() => {
        if (isReady) return
        this.options.log(
          'error',
          `${tag} did not become ready within ${this.options.readyTimeoutMs} ms; killing it`,
        )
        transport.kill()
      }, this.options.readyTimeoutMs)
      transport.onMessage((raw) => {
        if (!isChildMessage(raw)) return
        const message = raw as ChildMessage
        switch (message.type) {
          case 'ready':
            isReady = true
            clearTimeout(readyTimer)
            this.backendInfo = message.backend
            this.options.log('info', `${tag} ready on backend ${message.backend.name}`)
            resolve(message.backend)
            break
          case 'response': {
            const entry = this.pending.get(message.id)
            if (!entry) return
            this.pending.delete(message.id)
            clearTimeout(entry.timer)
            if (message.ok) entry.resolve(message.value)
            else entry.reject(new BottleneckError(message.error.code, message.error.message))
            break
          }
          case 'event':
            for (const listener of this.eventListeners) listener(message as TrainerEvent)
            break
          case 'log':
            this.options.log(message.level, `${tag} ${message.message}`)
            break
        }
      })
      transport.onExit((code, signal) => {
        clearTimeout(readyTimer)
        if (this.transport !== transport) return
        this.transport = null
        this.ready = null
        for (const [id, entry] of this.pending) {
          clearTimeout(entry.timer)
          entry.reject(crashed(this.role))
          this.pending.delete(id)
        }
        if (!isReady)
          reject(
            unavailable(`The trainer process exited before it was ready (code ${code}, signal ${signal}).`),
          )
        if (this.stopping) {
          this.options.log('info', `${tag} exited (code ${code}, signal ${signal})`)
          return
        }
        const now = Date.now()
        this.crashTimes = [...this.crashTimes.filter((time) => now - time < this.options.crashWindowMs), now]
        const restarting = this.crashTimes.length <= this.options.maxCrashes
        this.options.log(
          'error',
          `${tag} died (code ${code}, signal ${signal})${restarting ? '; restarting' : '; too many crashes, not restarting'}`,
        )
        for (const listener of this.crashListeners)
          listener({ role: this.role, pid: transport.pid, code, signal, restarting })
        if (restarting) {
          this.restarts++
          // Errors surface on the next request; the eager restart only keeps the backend warm.
          this.start().catch(() => undefined)
        }
      })
    })
  }
}

function crashed(role: TrainerRole): BottleneckError {
  return new BottleneckError(
    'TRAINER_CRASHED',
    `The ${role} process stopped unexpectedly and is being restarted. Your saved models are safe; try again.`,
  )
}

function unavailable(message: string): BottleneckError {
  return new BottleneckError('TRAINER_UNAVAILABLE', message)
}
