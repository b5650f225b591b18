// Resuming a model whose saved optimizer state is damaged: the run goes on with fresh Adam moments, and the app is
// told why with the store's own sentence (the CLI prints the same one), so the Train view can show it by the run.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../../src-main/store/index'
import { saveUntrainedModel } from '../support/untrained-models'
import { scratchDir } from '../support/scratch'
import { createTestService, recordEvents, waitForEvent, type TestService } from '../support/service-events'

/** Resumes `modelId` up to `epochs` and waits for the run to end; two batches of 8 MNIST digits per epoch. */
async function resumeAndFinish(service: TestService, modelId: string, epochs: number) {
  const ended = waitForEvent(
    service,
    (message) => message.name === 'training.onDone' || message.name === 'training.onError',
  )
  const resumed = await service.handle('training.resume', { id: modelId, epochs })
  if (!resumed.ok) throw new Error(resumed.error.message)
  const { runId } = resumed.value as { runId: string }
  expect(await ended).toMatchObject({
    name: 'training.onDone',
    payload: { runId, status: 'completed', epochs },
  })
  return runId
}

describe('resuming a model whose saved optimizer state is damaged', () => {
  let service: TestService
  let storeRoot: string
  beforeAll(() => {
    storeRoot = scratchDir('damaged-optimizer')
    service = createTestService(storeRoot)
  })
  afterAll(async () => {
    await service?.close()
  })

  it('trains on and sends a warning with the store’s sentence; the next checkpoint’s state needs none', async () => {
    const modelId = await saveUntrainedModel(storeRoot, {
      architecture: 'dense',
      shape: [28, 28, 1],
      name: 'digits',
      options: { seed: 3, codeSize: 8 },
      dataset: { spec: 'mnist', name: 'MNIST', trainCount: 16, testCount: 8 },
      batchSize: 8,
    })
    // A state cut short while it was written: both files are there, optimizer.json is not JSON.
    const { versionFolder } = await openStore(storeRoot).get(modelId)
    writeFileSync(join(versionFolder, 'optimizer.json'), '{"optimizer":"Adam","weig')
    writeFileSync(join(versionFolder, 'optimizer.bin'), new Uint8Array(8))

    const events = recordEvents(service)
    const runId = await resumeAndFinish(service, modelId, 1)
    const warnings = events.filter((message) => message.name === 'training.onWarning')
    expect(warnings).toEqual([
      {
        name: 'training.onWarning',
        payload: {
          runId,
          modelId,
          message:
            'The optimizer state saved with "digits" is damaged (optimizer.json is not valid JSON); the model\'s ' +
            'weights are fine, so training resumes with fresh Adam moment estimates (the next checkpoint saves a ' +
            'new optimizer state).',
        },
      },
    ])
    // Told before the first batch, so it stands by the run from its start.
    expect(events.findIndex((message) => message.name === 'training.onWarning')).toBeLessThan(
      events.findIndex((message) => message.name === 'training.onBatchProgress'),
    )

    // Epoch 1 saved a sound state: resuming again restores it without a word.
    const later = recordEvents(service)
    await resumeAndFinish(service, modelId, 2)
    expect(later.filter((message) => message.name === 'training.onWarning')).toEqual([])
  })
})
