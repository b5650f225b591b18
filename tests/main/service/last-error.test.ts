// training.status's lastError is the last run's error: a page that asks after a later run has started must not be
// told of the old failure as if it were current. A scripted trainer in this process fails the first run only.
import { describe, expect, it } from 'vitest'
import { createService } from '../../../src-main/service/index'
import type { ChildMessage, ParentMessage } from '../../../src-main/trainer/protocol'
import type { TrainerTransport } from '../../../src-main/trainer/transport'
import { scratchDir } from '../support/scratch'

const MODEL_ID = 'abcdefabcdef'
const FAILURE = { code: 'DISK_FULL', message: 'The disk is full.' }

/** Starts every run; the first one then fails, the next ones keep running. */
function failingOnceTrainer(): TrainerTransport {
  let listener: (message: unknown) => void = () => undefined
  let exited: (code: number | null, signal: string | null) => void = () => undefined
  const reply = (message: ChildMessage) => setImmediate(() => listener(message))
  let starts = 0
  return {
    pid: 1,
    send(message: ParentMessage) {
      if (message.type === 'shutdown') return setImmediate(() => exited(0, null))
      if (message.method === 'startTraining') {
        const { runId } = message.params as { runId: string }
        reply({ type: 'response', id: message.id, ok: true, value: { modelId: MODEL_ID } })
        if (++starts === 1)
          reply({
            type: 'event',
            name: 'training.failed',
            payload: { runId, modelId: MODEL_ID, error: FAILURE },
          })
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
