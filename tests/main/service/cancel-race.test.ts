// A cancel whose answer arrives after the run has already ended (its last epoch finished while the request was on
// its way): the service must end idle, not stay "cancelling" with no run, which refused every later start as busy
// until the app restarted. A scripted trainer in this process orders the messages exactly so.
import { describe, expect, it } from 'vitest'
import { createService } from '../../../src-main/service/index'
import type { ChildMessage, ParentMessage } from '../../../src-main/trainer/protocol'
import type { TrainerTransport } from '../../../src-main/trainer/transport'
import { scratchDir } from '../support/scratch'

const MODEL_ID = 'abcdefabcdef'

/** A trainer that starts runs at once and, asked to cancel, first reports the run done, then answers. */
function scriptedTrainer(): TrainerTransport {
  let listener: (message: unknown) => void = () => undefined
  let exited: (code: number | null, signal: string | null) => void = () => undefined
  const reply = (message: ChildMessage) => setImmediate(() => listener(message))
  let runId = ''
  return {
    pid: 1,
    send(message: ParentMessage) {
      if (message.type === 'shutdown') return setImmediate(() => exited(0, null))
      if (message.method === 'startTraining') {
        runId = (message.params as { runId: string }).runId
        reply({ type: 'response', id: message.id, ok: true, value: { modelId: MODEL_ID } })
      } else if (message.method === 'cancelTraining') {
        reply({
          type: 'event',
          name: 'training.onDone',
          payload: { runId, modelId: MODEL_ID, status: 'completed', epochs: 2, history: [] },
        })
        reply({ type: 'response', id: message.id, ok: true, value: { cancelled: true } })
      } else {
        reply({
          type: 'response',
          id: message.id,
          ok: false,
          error: { code: 'NOT_SUPPORTED', message: 'scripted' },
        })
      }
    },
    onMessage(next) {
      listener = next
      reply({ type: 'ready', pid: 1, backend: { name: 'cpu', requested: 'cpu', tfjsVersion: 'test' } })
    },
    onExit(next) {
      exited = next
    },
    kill() {
      setImmediate(() => exited(null, 'SIGKILL'))
    },
  }
}

describe('a cancel that arrives after the run ended', () => {
  it('leaves the service idle, so the next training starts', async () => {
    const service = createService({
      storeRoot: scratchDir('cancel-race'),
      spawn: () => scriptedTrainer(),
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
