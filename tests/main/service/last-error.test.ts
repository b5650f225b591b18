// training.status's lastError is the last run's error: a page that asks after a later run has started must not be
// told of the old failure as if it were current. A scripted trainer in this process fails the first run only.
import { describe, expect, it } from 'vitest'
import { createService } from '../../../src-main/service/index'
import type { TrainerTransport } from '../../../src-main/trainer/transport'
import { scratchDir } from '../support/scratch'
import { scriptedTrainer } from '../support/scripted-trainer'

const MODEL_ID = 'abcdefabcdef'
const FAILURE = { code: 'DISK_FULL', message: 'The disk is full.' }

/** Starts every run; the first one then fails, the next ones keep running. */
function failingOnceTrainer(): TrainerTransport {
  let starts = 0
  return scriptedTrainer((request, reply, refuse) => {
    if (request.method !== 'startTraining') return refuse()
    const { runId } = request.params as { runId: string }
    reply({ type: 'response', id: request.id, ok: true, value: { modelId: MODEL_ID } })
    if (++starts === 1)
      reply({ type: 'event', name: 'training.failed', payload: { runId, modelId: MODEL_ID, error: FAILURE } })
  })
}

describe('training.status after a failed run', () => {
  it('reports the failure until the next run starts, then no longer', async () => {
    const service = createService({
      storeRoot: scratchDir('last-error'),
      spawn: () => failingOnceTrainer(),
      shell: 'test',
      log: () => undefined,
    })
    const status = async () => {
      const answer = await service.handle('training.status', {})
      if (!answer.ok) throw new Error(JSON.stringify(answer))
      return answer.value as { state: string; lastError?: unknown }
    }
    try {
      const start = {
        datasetId: 'mnist',
        architecture: 'dense',
        codeSize: 2,
        epochs: 2,
        batchSize: 16,
        learningRate: 0.01,
      }
      expect((await service.handle('training.start', start)).ok).toBe(true)
      await expect.poll(async () => (await status()).state).toBe('idle')
      expect((await status()).lastError).toEqual(FAILURE)

      expect((await service.handle('training.start', start)).ok).toBe(true)
      const running = await status()
      expect(running.state).not.toBe('idle')
      expect(running.lastError).toBeUndefined()
    } finally {
      await service.close()
    }
  })
})
