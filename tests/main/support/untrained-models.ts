// Small fixtures the image and CLI tests share: an untrained model saved into a store (these tests check what a
// command or the service does with files and shapes, not how well a model denoises, so none pays for a training),
// and IDX image files of any size.
import * as tf from '@tensorflow/tfjs'
import {
  buildAutoencoder,
  createModelConfig,
  type ModelConfig,
} from '../../../src-main/ml/architectures/index'
import { openStore, type ModelMetadata, type SaveRequest } from '../../../src-main/store/index'

export interface UntrainedModel {
  architecture: string
  shape: [number, number, number]
  name: string
  /** Model options (seed, filters, code size); a seeded 4-filter model unless given. */
  options?: Partial<ModelConfig>
  dataset?: ModelMetadata['dataset']
  batchSize?: number
}

/**
 * What the store tests save with a model: one finished epoch of a 3-epoch MNIST run on the CPU backend (the store
 * checks and keeps it; no test here trains).
 */
export function oneEpochMetadata(
  autoencoder: { config: ModelConfig },
  name = 'digits',
): SaveRequest['metadata'] {
  return {
    name,
    config: autoencoder.config,
    dataset: { spec: 'mnist', name: 'MNIST', trainCount: 60000, testCount: 10000 },
    backend: { name: 'cpu', tfjsVersion: tf.version.tfjs },
    epochs: 1,
    targetEpochs: 3,
    batchSize: 256,
    history: [{ epoch: 0, loss: 0.3 }],
  }
}

/** Builds the model, saves it as epoch 0 into the store at `storeRoot` and returns its id. */
export async function saveUntrainedModel(storeRoot: string, model: UntrainedModel): Promise<string> {
  const autoencoder = buildAutoencoder(
    createModelConfig(model.architecture, model.shape, model.options ?? { seed: 3, filters: 4 }),
  )
  try {
    const record = await openStore(storeRoot).save({
      metadata: {
        name: model.name,
        config: autoencoder.config,
        dataset: model.dataset ?? { spec: 'folder:test', name: 'test', trainCount: 0, testCount: 0 },
        backend: { name: tf.getBackend(), tfjsVersion: tf.version.tfjs },
        epochs: 0,
        targetEpochs: 0,
        batchSize: model.batchSize ?? 1,
        history: [],
      },
      model: autoencoder.model,
    })
    return record.id
  } finally {
    autoencoder.dispose()
  }
}

/** An IDX file of `count` greyscale images of height × width, with a fixed pattern of pixel values. */
export function idxImages(count: number, height: number, width = height): Buffer {
  const header = Buffer.alloc(16)
  header.writeUInt32BE(0x0803, 0)
  header.writeUInt32BE(count, 4)
  header.writeUInt32BE(height, 8)
  header.writeUInt32BE(width, 12)
  return Buffer.concat([
    header,
    Buffer.from(Array.from({ length: count * height * width }, (_, i) => (i * 53) % 256)),
  ])
}
