// The Latent view's map of a model trained on an image folder: the test patches are cut at the model's own size and
// are as many as training validated on, not the 10,000 an MNIST map shows (which a handful of photos cannot give).
import { describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import type { ImageDataset, LoadDatasetOptions } from '../../../src-main/ml/datasets'
import type { ModelMetadata } from '../../../src-main/store/index'
import { STREAMED_VALIDATION_PATCHES } from '../../../src-main/store/metadata'
import {
  createLatentHandlers,
  LATENT_FOLDER_PATCHES,
  LATENT_TEST_IMAGES,
} from '../../../src-main/trainer/latent'

function dataset(count: number, side: number, channels: number): ImageDataset {
  const split = { images: new Float32Array(count * side * side * channels).fill(0.5), count }
  return { id: 'photos', name: 'photos', height: side, width: side, channels, train: split, test: split }
}

async function mapOf(spec: string, inputShape: [number, number, number], testCount: number) {
  const autoencoder = buildAutoencoder(createModelConfig('dense', inputShape, { codeSize: 4, seed: 1 }))
  const asked: { testLimit: number; input: Pick<LoadDatasetOptions, 'patchSize' | 'channels'> }[] = []
  const handlers = createLatentHandlers({
    loadModel: async () => ({ autoencoder }),
    readMetadata: async () =>
      ({ dataset: { spec, name: 'photos', trainCount: 512, testCount } }) as ModelMetadata,
    loadDataset: async (_ref, _limit, testLimit, input) => {
      asked.push({ testLimit, input })
      return dataset(Math.min(testLimit, 600), input.patchSize ?? 28, input.channels ?? 1)
    },
  })
  try {
    const map = await handlers.latentMap({ storeRoot: '/store', modelId: 'm', limit: 2000 })
    return { map, asked }
  } finally {
    autoencoder.dispose()
  }
}

describe('the latent map of a model trained on an image folder', () => {
  it('cuts test patches at the model size, as many as training validated on', async () => {
    const { map, asked } = await mapOf('folder:/photos', [16, 16, 3], 512)
    expect(asked).toEqual([{ testLimit: 512, input: { patchSize: 16, channels: 3 } }])
    expect(map.testCount).toBe(512)
    expect(map.count).toBe(512)
  })

  it('maps as many patches as `bottleneck latent` for a CLI-trained model, which validated on fewer', async () => {
    const { map, asked } = await mapOf('folder:/photos', [16, 16, 3], STREAMED_VALIDATION_PATCHES)
    expect(asked[0]!.testLimit).toBe(LATENT_FOLDER_PATCHES)
    expect(map.count).toBe(LATENT_FOLDER_PATCHES)
    expect(map.method).toBe('pca')
  })

  it('leaves MNIST-style datasets at the full test split', async () => {
    const { asked } = await mapOf('mnist', [28, 28, 1], 10_000)
    expect(asked[0]!.testLimit).toBe(LATENT_TEST_IMAGES)
  })
})
