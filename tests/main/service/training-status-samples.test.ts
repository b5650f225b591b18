// A page loaded while a run goes (a reload, a second window) missed the epoch-end events sent before it: the
// training status carries the last finished epoch's samples instead, while that run goes on, and not after it.
import { afterEach, describe, expect, it } from 'vitest'
import { calls, type EventMessage, type TrainingStatus } from '../../../src-main/contract/index'
import { scratchDir } from '../support/scratch'
import {
  LONG_EPOCH_RUN,
  createTestService,
  runEnded,
  waitForEvent,
  type TestService,
} from '../support/service-events'

const config = LONG_EPOCH_RUN

async function status(service: TestService): Promise<TrainingStatus> {
  const envelope = await service.handle('training.status', {})
  if (!envelope.ok) throw new Error(envelope.error.message)
  // What the page receives must parse as the contract promises.
  return calls['training.status'].output.parse(envelope.value)
}

function samplesOf(message: EventMessage) {
  if (message.name !== 'training.onEpochEnd') throw new Error(`expected an epoch end, got ${message.name}`)
  return message.payload.samples
}

const epochEnd = (epoch: number) => (message: EventMessage) =>
  message.name === 'training.onEpochEnd' && message.payload.epoch === epoch

describe('training status samples', () => {
  let service: TestService | undefined
  afterEach(async () => {
    await service?.close()
    service = undefined
  })

  // Generous timeouts: the training process runs at lower priority, and the machine may be busy.
  it(
    'has the last finished epoch’s samples while the run goes, and none once it ended',
    { timeout: 300_000 },
    async () => {
      const running = createTestService(scratchDir('status-samples'))
      service = running
      const firstBatch = waitForEvent(running, (message) => message.name === 'training.onBatchProgress')
      const firstEpoch = waitForEvent(running, epochEnd(1))
      const started = await running.handle('training.start', config)
      if (!started.ok) throw new Error(started.error.message)
      const { runId } = started.value as { runId: string }

      await firstBatch
      const beforeAnyEpoch = await status(running)
      expect(beforeAnyEpoch.run).toMatchObject({ runId, epoch: 1 })
      expect(beforeAnyEpoch.run?.samples).toBeUndefined()

      const samples = samplesOf(await firstEpoch)
      expect(samples.length).toBeGreaterThan(0)
      const afterFirstEpoch = await status(running)
      expect(afterFirstEpoch.state).toBe('running')
      expect(afterFirstEpoch.run?.samples).toEqual(samples)

      const ended = waitForEvent(running, runEnded)
      expect(await running.handle('training.cancel', {})).toMatchObject({
        ok: true,
        value: { cancelled: true },
      })
      expect((await ended).name).toBe('training.onDone')
      const afterEnd = await status(running)
      expect(afterEnd.state).toBe('idle')
      expect(afterEnd.run).toBeUndefined()
      expect(JSON.stringify(afterEnd)).not.toContain('reconstruction')
    },
  )

  it(
    'keeps them while the run resumes by itself after a crash of the training process',
    { timeout: 300_000 },
    async () => {
      const crashing = createTestService(scratchDir('status-samples'))
      service = crashing
      const firstEpoch = waitForEvent(crashing, epochEnd(1))
      const secondEpochGoing = waitForEvent(
        crashing,
        (message) => message.name === 'training.onBatchProgress' && message.payload.epoch === 2,
      )
      const started = await crashing.handle('training.start', config)
      if (!started.ok) throw new Error(started.error.message)
      const { runId } = started.value as { runId: string }
      const samples = samplesOf(await firstEpoch)
      await secondEpochGoing

      const crash = waitForEvent(crashing, (message) => message.name === 'training.onError')
      crashing.hosts.training.killForTest()
      expect((await crash).payload).toMatchObject({ runId, trainerRestarted: true })
      const resuming = await status(crashing)
      expect(resuming).toMatchObject({ state: 'starting', run: { runId } })
      expect(resuming.run?.samples).toEqual(samples)
    },
  )
})
