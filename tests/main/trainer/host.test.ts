// The host's process bookkeeping with a scripted fake process: requests are matched to responses, a death fails
// pending requests with TRAINER_CRASHED and triggers a restart, crash loops stop restarting, and shutdown asks
// first and kills only when the process does not exit in time.
import { describe, expect, it, vi } from 'vitest'
import { TrainerHost } from '../../../src-main/trainer/host'
import type { ParentMessage } from '../../../src-main/trainer/protocol'
import type { TrainerTransport } from '../../../src-main/trainer/transport'

interface FakeProcess extends TrainerTransport {
  sent: ParentMessage[]
  reply(message: unknown): void
  exit(code: number | null, signal: string | null): void
  killed: boolean
}

const backend = { name: 'cpu', requested: 'auto', tfjsVersion: '4.22.0' }

function fakeSpawner(options: { exitOnShutdown?: boolean; autoReady?: boolean } = {}) {
  const processes: FakeProcess[] = []
  let nextPid = 1000
  const spawn = () => {
    const messageListeners: ((message: unknown) => void)[] = []
    const exitListeners: ((code: number | null, signal: string | null) => void)[] = []
    const pid = nextPid++
    let exited = false
    const fake: FakeProcess = {
      pid,
      sent: [],
      killed: false,
      send(message) {
        fake.sent.push(message)
        if (message.type === 'shutdown' && options.exitOnShutdown) queueMicrotask(() => fake.exit(0, null))
      },
      onMessage: (listener) => messageListeners.push(listener),
      onExit: (listener) => exitListeners.push(listener),
      kill() {
        fake.killed = true
        queueMicrotask(() => fake.exit(null, 'SIGKILL'))
      },
      reply: (message) => messageListeners.forEach((listener) => listener(message)),
      exit(code, signal) {
        if (exited) return
        exited = true
        exitListeners.forEach((listener) => listener(code, signal))
      },
    }
    processes.push(fake)
    if (options.autoReady !== false) queueMicrotask(() => fake.reply({ type: 'ready', pid, backend }))
    return fake
  }
  return { spawn, processes }
}

describe('TrainerHost', () => {
  it('matches responses to requests by id and forwards events', async () => {
    const { spawn, processes } = fakeSpawner()
    const host = new TrainerHost({ role: 'inference', spawn, log: () => undefined })
    const events: unknown[] = []
    host.onEvent((event) => events.push(event))
    const first = host.request('memory', {})
    const second = host.request('cancelTraining', {})
    await vi.waitFor(() => expect(processes[0]!.sent).toHaveLength(2))
    const [a, b] = processes[0]!.sent as { id: number }[]
    processes[0]!.reply({ type: 'response', id: b!.id, ok: true, value: { cancelled: false } })
    processes[0]!.reply({
      type: 'response',
      id: a!.id,
      ok: false,
      error: { code: 'MODEL_NOT_FOUND', message: 'gone' },
    })
    await expect(second).resolves.toEqual({ cancelled: false })
    await expect(first).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: 'gone' })
    processes[0]!.reply({ type: 'event', name: 'training.onDone', payload: { runId: 'r' } })
    expect(events).toEqual([{ type: 'event', name: 'training.onDone', payload: { runId: 'r' } }])
  })

  it('fails pending requests with TRAINER_CRASHED when the process dies, then restarts it', async () => {
    const { spawn, processes } = fakeSpawner()
    const host = new TrainerHost({ role: 'training', spawn, log: () => undefined })
    const crashes: unknown[] = []
    host.onCrash((crash) => crashes.push(crash))
    const pending = host.request('memory', {})
    await vi.waitFor(() => expect(processes[0]!.sent).toHaveLength(1))
    processes[0]!.exit(null, 'SIGKILL')
    await expect(pending).rejects.toMatchObject({ code: 'TRAINER_CRASHED' })
    expect(crashes).toEqual([
      { role: 'training', pid: 1000, code: null, signal: 'SIGKILL', restarting: true },
    ])
    await vi.waitFor(() => expect(processes).toHaveLength(2))
    expect(host.restarts).toBe(1)
    await host.start()
    expect(host.pid).toBe(1001)
  })

  it('stops restarting by itself in a crash loop', async () => {
    const { spawn, processes } = fakeSpawner()
    const host = new TrainerHost({ role: 'training', spawn, log: () => undefined, maxCrashes: 2 })
    const crashes: { restarting: boolean }[] = []
    host.onCrash((crash) => crashes.push(crash))
    await host.start()
    for (let i = 0; i < 3; i++) {
      await host.start()
      processes.at(-1)!.exit(1, null)
    }
    expect(crashes.map((crash) => crash.restarting)).toEqual([true, true, false])
    expect(processes).toHaveLength(3)
  })

  it('asks the process to shut down and kills it only after the timeout', async () => {
    const polite = fakeSpawner({ exitOnShutdown: true })
    const host = new TrainerHost({
      role: 'inference',
      spawn: polite.spawn,
      log: () => undefined,
      shutdownTimeoutMs: 200,
    })
    await host.start()
    await host.shutdown()
    expect(polite.processes[0]!.sent.at(-1)).toEqual({ type: 'shutdown' })
    expect(polite.processes[0]!.killed).toBe(false)

    const stubborn = fakeSpawner({ exitOnShutdown: false })
    const other = new TrainerHost({
      role: 'training',
      spawn: stubborn.spawn,
      log: () => undefined,
      shutdownTimeoutMs: 100,
    })
    await other.start()
    const started = performance.now()
    await other.shutdown()
    expect(stubborn.processes[0]!.killed).toBe(true)
    expect(performance.now() - started).toBeGreaterThanOrEqual(90)
    await expect(other.request('memory', {})).rejects.toMatchObject({ code: 'TRAINER_UNAVAILABLE' })
  })

  it('kills a process that never becomes ready', async () => {
    const { spawn, processes } = fakeSpawner({ autoReady: false })
    const host = new TrainerHost({
      role: 'inference',
      spawn,
      log: () => undefined,
      readyTimeoutMs: 50,
      maxCrashes: 0,
    })
    await expect(host.start()).rejects.toMatchObject({ code: 'TRAINER_UNAVAILABLE' })
    expect(processes[0]!.killed).toBe(true)
  })
})
