// Service tests that drive a real trainer process: a service forked like the app's, and its events collected or
// awaited (the trainer tests start, cancel, kill and resume runs and assert on what the service says).
import { calls, type CallName, type CallOutput, type EventMessage } from '../../../src-main/contract/index'
import { createService } from '../../../src-main/service/index'
import { forkTrainer } from '../../../src-main/trainer/transport'

export type TestService = ReturnType<typeof createService>

/**
 * A service on `storeRoot` with a forked trainer, quiet: its logs are not the tests' output. `trainerEnv` is added to
 * the trainer's environment (BOTTLENECK_BACKEND=wasm, say); `autoResumeLimit` and `watchModelsEveryMs` as the service
 * takes them.
 */
export function createTestService(
  storeRoot: string,
  options: {
    trainerEnv?: Record<string, string>
    autoResumeLimit?: number
    watchModelsEveryMs?: number
  } = {},
): TestService {
  return createService({
    storeRoot,
    spawn: forkTrainer({ log: () => undefined, ...(options.trainerEnv ? { env: options.trainerEnv } : {}) }),
    shell: 'test',
    log: () => undefined,
    ...(options.autoResumeLimit === undefined ? {} : { autoResumeLimit: options.autoResumeLimit }),
    ...(options.watchModelsEveryMs === undefined ? {} : { watchModelsEveryMs: options.watchModelsEveryMs }),
  })
}

/** Calls `name` and returns its result, which must match the schema the UI was promised; a refusal throws. */
export async function callService<N extends CallName>(
  service: TestService,
  name: N,
  payload: unknown = {},
): Promise<CallOutput<N>> {
  const envelope = await service.handle(name, payload)
  if (!envelope.ok) throw new Error(`${name} failed: ${envelope.error.code} ${envelope.error.message}`)
  return calls[name].output.parse(envelope.value) as CallOutput<N>
}

/** Every event the service sends from now on, in order. */
export function recordEvents(service: TestService): EventMessage[] {
  const seen: EventMessage[] = []
  service.onEvent((message) => seen.push(message))
  return seen
}

/** The next event that `predicate` accepts; rejects after `timeoutMs`. */
export function waitForEvent(
  service: TestService,
  predicate: (message: EventMessage) => boolean,
  timeoutMs = 120_000,
): Promise<EventMessage> {
  return new Promise<EventMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('event did not arrive')), timeoutMs)
    const stop = service.onEvent((message) => {
      if (!predicate(message)) return
      clearTimeout(timer)
      stop()
      resolve(message)
    })
  })
}

/** A run's end: done (completed or cancelled) or failed. */
export const runEnded = (message: EventMessage): boolean =>
  message.name === 'training.onDone' || message.name === 'training.onError'

/**
 * A small dense run on MNIST whose epochs are long enough (hundreds of batches of 4) to act in their middle: kill
 * the trainer, ask for the status, cancel.
 */
export const LONG_EPOCH_RUN = {
  architecture: 'dense',
  datasetId: 'mnist',
  codeSize: 8,
  epochs: 3,
  batchSize: 4,
  learningRate: 0.01,
  trainLimit: 1500,
  testLimit: 100,
}
