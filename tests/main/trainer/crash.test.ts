// The trainer process dying mid-epoch must cost at most the unfinished epoch: the service reports it (an error
// event), the process comes back, the store still holds the last checkpoint, and training resumes from it.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Envelope } from '../../../src-main/contract/index'
import { scratchDir } from '../support/scratch'
import {
  LONG_EPOCH_RUN,
  createTestService,
  recordEvents,
  waitForEvent,
  type TestService,
} from '../support/service-events'

const config = LONG_EPOCH_RUN

/** Waits until epoch 1 is saved and epoch 2 is under way, then kills the training process like a crash would. */
async function killMidSecondEpoch(service: TestService) {
  await waitForEvent(
    service,
    (message) => message.name === 'training.onEpochEnd' && message.payload.epoch === 1,
  )
  await waitForEvent(
    service,
    (message) => message.name === 'training.onBatchProgress' && message.payload.epoch === 2,
  )
  const pid = service.hosts.training.pid
  service.hosts.training.killForTest()
  return pid
}

describe('trainer crash', () => {
  let service: TestService | undefined
  afterEach(async () => {
    await service?.close()
    service = undefined
  })

  // Generous timeouts: the training process runs at lower priority, and the machine may be busy.
  it(
    'reports the crash, restarts the process, keeps the last epoch, and resume finishes the run',
    { timeout: 300_000 },
    async () => {
      service = createTestService(scratchDir('crash'), { autoResumeLimit: 0 })
      const events = recordEvents(service)
      const started = await service.handle('training.start', config)
      if (!started.ok) throw new Error(started.error.message)
      const { modelId } = started.value as { modelId: string; runId: string }

      const errorEvent = waitForEvent(service, (message) => message.name === 'training.onError')
      const killedPid = await killMidSecondEpoch(service)
      const crash = await errorEvent
      expect(crash.payload).toMatchObject({
        modelId,
        trainerRestarted: true,
        error: { code: 'TRAINER_CRASHED' },
      })
      if (crash.name === 'training.onError')
        expect(crash.payload.error.message).toContain('last finished epoch is saved')

      // The store holds the epoch-1 checkpoint, loadable for inference while nothing trains.
      const detail = await service.handle('models.get', { id: modelId })
      expect(detail).toMatchObject({ ok: true, value: { targetEpochs: 3 } })
      // Epoch 1 is saved; epoch 2 was under way (on a very fast machine it may just have been saved too).
      const savedEpochs = detail.ok ? (detail.value as { epochs: number }).epochs : 0
      expect(savedEpochs).toBeGreaterThanOrEqual(1)
      expect(savedEpochs).toBeLessThan(3)
      const image = { width: 28, height: 28, channels: 1, data: new Array(784).fill(0) }
      expect(await service.handle('inference.reconstruct', { id: modelId, images: [image] })).toMatchObject({
        ok: true,
      })

      const status = await service.handle('training.status', {})
      expect(status).toMatchObject({
        ok: true,
        value: { state: 'idle', lastError: { code: 'TRAINER_CRASHED' } },
      })

      const done = waitForEvent(service, (message) => message.name === 'training.onDone')
      const resumed = await service.handle('training.resume', { id: modelId })
      expect(resumed).toMatchObject({ ok: true, value: { modelId } })
      const finished = await done
      expect(finished.payload).toMatchObject({ modelId, status: 'completed', epochs: 3 })
      if (finished.name === 'training.onDone')
        expect(finished.payload.history.map((entry) => entry.epoch)).toEqual([1, 2, 3])

      // A new process did the work.
      expect(service.hosts.training.pid).not.toBe(killedPid)
      expect(service.hosts.training.restarts).toBe(1)
      const resumedEpochs = events
        .filter((message) => message.name === 'training.onEpochEnd')
        .map((m) => m.payload)
      expect(resumedEpochs.map((payload) => (payload as { epoch: number }).epoch).slice(-1)).toEqual([3])
    },
  )

  it('resumes by itself after a crash, under the same run id', { timeout: 300_000 }, async () => {
    const running = createTestService(scratchDir('crash'))
    service = running
    const started = await running.handle('training.start', config)
    if (!started.ok) throw new Error(started.error.message)
    const { modelId, runId } = started.value as { modelId: string; runId: string }
    // What a page that hears of the crash finds when it asks (the process takes seconds to come back): the run
    // going on, and no room for another.
    const answersAtCrash = new Promise<Envelope<unknown>[]>((resolve) => {
      const stop = running.onEvent((message) => {
        if (message.name !== 'training.onError') return
        stop()
        resolve(
          Promise.all([running.handle('training.status', {}), running.handle('training.start', config)]),
        )
      })
    })
    const errorEvent = waitForEvent(running, (message) => message.name === 'training.onError')
    const done = waitForEvent(running, (message) => message.name === 'training.onDone')
    await killMidSecondEpoch(running)
    expect((await errorEvent).payload).toMatchObject({ runId, trainerRestarted: true })
    const [status, secondStart] = await answersAtCrash
    expect(status).toMatchObject({ ok: true, value: { state: 'starting', run: { runId, modelId } } })
    expect(secondStart).toMatchObject({ ok: false, error: { code: 'TRAINING_BUSY' } })
    const finished = await done
    expect(finished.payload).toMatchObject({ runId, modelId, status: 'completed', epochs: 3 })
  })

  it(
    'says a run that crashed while it was starting has to be started again',
    { timeout: 120_000 },
    async () => {
      const starting = createTestService(scratchDir('crash'))
      service = starting
      const events = recordEvents(starting)
      const started = starting.handle('training.start', config)
      // The first request spawns the training process, which takes seconds to load TensorFlow: it dies before that.
      await vi.waitFor(() => expect(starting.hosts.training.pid).toBeDefined(), {
        timeout: 10_000,
        interval: 5,
      })
      starting.hosts.training.killForTest()
      expect(await started).toMatchObject({ ok: false })
      const crash = events.find((message) => message.name === 'training.onError')
      expect(crash?.payload).toMatchObject({ trainerRestarted: true, error: { code: 'TRAINER_CRASHED' } })
      const message = crash?.name === 'training.onError' ? crash.payload.error.message : ''
      expect(message).toContain('while the run was starting; start it again')
      expect(message).not.toContain('epoch is saved')
      expect(await starting.handle('training.status', {})).toMatchObject({
        ok: true,
        value: { state: 'idle' },
      })
    },
  )
})
