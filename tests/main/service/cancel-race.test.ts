// A cancel whose answer arrives after the run has already ended (its last epoch finished while the request was on
// its way): the service must end idle, not stay "cancelling" with no run, which refused every later start as busy
// until the app restarted. A scripted trainer in this process orders the messages exactly so.
import { describe, expect, it } from 'vitest'
import { createService } from '../../../src-main/service/index'
import type { TrainerTransport } from '../../../src-main/trainer/transport'
import { scratchDir } from '../support/scratch'
import { scriptedTrainer } from '../support/scripted-trainer'

const MODEL_ID = 'abcdefabcdef'

/** A trainer that starts runs at once and, asked to cancel, first reports the run done, then answers. */
function cancelRacingTrainer(): TrainerTransport {
  let runId = ''
  return scriptedTrainer((request, reply, refuse) => {
    if (request.method === 'startTraining') {
      runId = (request.params as { runId: string }).runId
      reply({ type: 'response', id: request.id, ok: true, value: { modelId: MODEL_ID } })
    } else if (request.method === 'cancelTraining') {
      reply({
        type: 'event',
        name: 'training.onDone',
        payload: { runId, modelId: MODEL_ID, status: 'completed', epochs: 2, history: [] },
      })
      reply({ type: 'response', id: request.id, ok: true, value: { cancelled: true } })
    } else refuse()
  })
}

describe('a cancel that arrives after the run ended', () => {
  it('leaves the service idle, so the next training starts', async () => {
    const service = createService({
      storeRoot: scratchDir('cancel-race'),
      spawn: () => cancelRacingTrainer(),
      shell: 'test',
      log: () => undefined,
    })
    try {
      const start = {
        datasetId: 'mnist',
        architecture: 'dense',
        codeSize: 2,
        epochs: 2,
        batchSize: 16,
        learningRate: 0.01,
      }
      const started = await service.handle('training.start', start)
      expect(started.ok).toBe(true)
      const cancelled = await service.handle('training.cancel', {})
      expect(cancelled).toEqual({ ok: true, value: { cancelled: true } })
      const status = await service.handle('training.status', {})
      expect(status.ok && (status.value as { state: string }).state).toBe('idle')
      const again = await service.handle('training.start', start)
      expect(again.ok, JSON.stringify(again)).toBe(true)
    } finally {
      await service.close()
    }
  })
})
