// models.get names the listed dataset a model was trained on (datasetId), so the detail page can show its test images:
// MNIST, or a folder the CLI trained on once the same folder is added in the app, however its path was typed.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { openStore } from '../../../src-main/store/index'
import { scratchDir } from '../support/scratch'
import { callService, createTestService, type TestService } from '../support/service-events'

describe('the dataset models.get names for a model', () => {
  const storeRoot = scratchDir('model-dataset-store')
  const photos = join(scratchDir('model-dataset-photos'), 'photos')
  let service: TestService

  /** A tiny model saved as `bottleneck train` saves one, trained on `spec`. */
  async function saveModel(name: string, spec: string, datasetName: string): Promise<string> {
    const autoencoder = buildAutoencoder(createModelConfig('unet', [16, 16, 1], { seed: 3, filters: 4 }))
    try {
      const record = await openStore(storeRoot).save({
        metadata: {
          name,
          config: { ...autoencoder.config },
          dataset: { spec, name: datasetName, trainCount: 8, testCount: 64 },
          backend: { name: tf.getBackend(), tfjsVersion: tf.version.tfjs },
          epochs: 1,
          targetEpochs: 1,
          batchSize: 4,
          history: [{ epoch: 0, loss: 0.3, val_loss: 0.31 }],
        },
        model: autoencoder.model,
      })
      return record.id
    } finally {
      autoencoder.dispose()
    }
  }

  beforeAll(async () => {
    await initBackend('cpu')
    mkdirSync(photos)
    const pixels = Buffer.alloc(80 * 80).map((_, i) => (i * 13) % 256)
    await sharp(pixels, { raw: { width: 80, height: 80, channels: 1 } })
      .png()
      .toFile(join(photos, 'photo.png'))
    service = createTestService(storeRoot)
  })

  afterAll(async () => {
    await service.close()
  })

  it('names MNIST for a model trained on it', async () => {
    const id = await saveModel('digits', 'mnist', 'MNIST')
    expect((await callService(service, 'models.get', { id })).datasetId).toBe('mnist')
  })

  it('names a folder the CLI trained on (typed with a trailing slash) once that folder is added, not before', async () => {
    const id = await saveModel('photos', `folder:${photos}/`, `${photos} (supervised denoising)`)
    expect(await callService(service, 'models.get', { id })).not.toHaveProperty('datasetId')
    const added = await callService(service, 'datasets.addImageFolder', { path: photos })
    expect((await callService(service, 'models.get', { id })).datasetId).toBe(added!.id)
  })
})
