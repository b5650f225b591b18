// The Keras blog's sparse autoencoder: the seed dense model with an L1 activity penalty on the code, so fewer code
// units fire per image. `meanCodeActivation` is the figure the blog compares (sparse ≈ 3.3 vs dense ≈ 7.3).
import * as tf from '@tensorflow/tfjs'
import type { ImageSplit } from '../datasets'
import { BottleneckError } from '../errors'
import { positiveNumberOption, wrapChain } from './chain'
import { denseAutoencoderModel } from './dense'
import type { ArchitectureDefinition, Autoencoder, ModelConfig } from './index'

/**
 * Keras' `regularizers.l1(10e-5)` from the blog, i.e. 1e-4. Applied per image and averaged over the batch
 * (tf.keras semantics), so the strength does not change with the batch size; Keras 1 summed over the batch instead.
 */
export const DEFAULT_ACTIVITY_L1 = 1e-4

function wrap(config: ModelConfig, model: tf.LayersModel): Autoencoder {
  const l1 = positiveNumberOption(config, 'activityL1', DEFAULT_ACTIVITY_L1)
  return wrapChain(config, model, {
    codePenalty: (code) => tf.mul(l1, tf.mean(tf.sum(tf.abs(code), -1))) as tf.Scalar,
  })
}

export const sparse: ArchitectureDefinition = {
  name: 'sparse',
  description: 'The dense model with an L1 activity penalty (1e-4) on the code: sparser codes.',
  defaults: { codeSize: 32, activityL1: DEFAULT_ACTIVITY_L1 },
  build: (config) => wrap(config, denseAutoencoderModel(config)),
  restore: wrap,
}

/**
 * Mean activation of the code over a split (all images, all code units): how sparse the codes are. Works for any
 * autoencoder with an encoder; runs in batches so memory stays bounded.
 */
export function meanCodeActivation(autoencoder: Autoencoder, split: ImageSplit, batchSize = 1000): number {
  const encoder = autoencoder.encoder
  if (!encoder) {
    throw new BottleneckError('INVALID_INPUT', `A ${autoencoder.config.architecture} model has no separate encoder, so it has no code to measure.`)
  }
  if (split.count < 1) throw new BottleneckError('INVALID_INPUT', 'There are no images to encode.')
  const shape = autoencoder.config.inputShape
  const imageSize = shape[0] * shape[1] * shape[2]
  let sum = 0
  let values = 0
  for (let start = 0; start < split.count; start += batchSize) {
    const size = Math.min(batchSize, split.count - start)
    const [batchSum, batchValues] = tf.tidy(() => {
      const images = tf.tensor4d(split.images.subarray(start * imageSize, (start + size) * imageSize), [size, ...shape])
      const code = encoder.predict(images) as tf.Tensor
      return [tf.sum(code).dataSync()[0]!, code.size]
    })
    sum += batchSum
    values += batchValues
  }
  return sum / values
}
