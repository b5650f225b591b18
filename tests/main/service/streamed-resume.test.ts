// A model `bottleneck train` trained on patches streamed from a folder (self-supervised, say) is continued by the CLI
// only: the app's trainer holds patches in memory and would train it as a plain autoencoder. The service says so.
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { openStore } from '../../../src-main/store/index'
import { scratchDir } from '../support/scratch'
import { createTestService, type TestService } from '../support/service-events'

describe('resuming a model trained on patches streamed from a folder', () => {
  const storeRoot = scratchDir('streamed-resume')
  let service: TestService
  let modelId = ''

  beforeAll(async () => {
    await initBackend('cpu')
    const autoencoder = buildAutoencoder(createModelConfig('unet', [16, 16, 1], { seed: 3, filters: 4 }))
    try {
      const record = await openStore(storeRoot).save({
        metadata: {
          name: 'street photos n2v',
          config: { ...autoencoder.config, training: { mode: 'noise2void', patchSize: 16, stepsPerEpoch: 10 } },
          dataset: { spec: 'folder:/photos/street', name: 'street', trainCount: 8, testCount: 64 },
          backend: { name: tf.getBackend(), tfjsVersion: tf.version.tfjs },
          epochs: 1,
          targetEpochs: 1,
          batchSize: 4,
          history: [{ epoch: 0, loss: 0.3, val_loss: 0.31 }],
        },
        model: autoencoder.model,
      })
      modelId = record.id
    } finally {
      autoencoder.dispose()
    }
    service = createTestService(storeRoot)
  })

  afterAll(async () => {
    await service.close()
  })

  it('is refused with the CLI command that continues it, and leaves the training slot free', async () => {
    expect(await service.handle('training.resume', { id: modelId, epochs: 3 })).toEqual({
      ok: false,
      error: {
        code: 'NOT_SUPPORTED',
        message: `"street photos n2v" was trained by \`bottleneck train\` on patches streamed from street; resume it there: npx bottleneck train --resume ${modelId} --epochs 3`,
      },
    })
    expect(await service.handle('training.status', {})).toMatchObject({ ok: true, value: { state: 'idle' } })
  })
})
