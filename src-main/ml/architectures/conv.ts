// The Keras blog's convolutional autoencoder: Conv 16 → 8 → 8 (3×3, relu, 'same'), each followed by 2×2 max-pooling,
// down to a 4×4×8 code for MNIST; the decoder mirrors it with up-sampling, and one 'valid' convolution (16 → 14)
// makes 4 → 8 → 16 → 14 → 28 land exactly on 28×28. Other image sizes are cropped back after the last up-sampling.
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from '../errors'
import { seededGlorot, sigmoidImage, unitsOption, wrapChain } from './chain'
import type { ArchitectureDefinition, ModelConfig } from './index'

/** Side of the code after three 2×2 'same' poolings (7 → 4 rounds up). */
function pooledSize(size: number): number {
  return Math.ceil(Math.ceil(Math.ceil(size / 2) / 2) / 2)
}

/** [first, second] encoder filters plus the code's depth, which follows from codeSize (128 = 4×4×8 on MNIST). */
function encoderFilters(config: ModelConfig): [number, number, number] {
  const [first, second] = unitsOption(config, 'filters', [16, 8])
  const [height, width] = config.inputShape
  const cells = pooledSize(height) * pooledSize(width)
  if (config.codeSize % cells !== 0) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `For a conv model on ${height}×${width} images the code is ${pooledSize(height)}×${pooledSize(width)}×depth, so the code size must be a multiple of ${cells} (got ${config.codeSize}).`,
    )
  }
  return [first!, second ?? first!, config.codeSize / cells]
}

export const conv: ArchitectureDefinition = {
  name: 'conv',
  description: 'Conv 16 → 8 → 8 with max-pooling to a 4×4×8 code, mirrored with up-sampling: the Keras blog conv autoencoder.',
  defaults: { filters: [16, 8] },
  // The blog's 8-deep code on whatever grid the poolings leave: 4×4×8 = 128 on MNIST, 4×3×8 = 96 on 32×20 images.
  defaultCodeSize: ([height, width]) => pooledSize(height) * pooledSize(width) * 8,
  build(config) {
    const [height, width, channels] = config.inputShape
    const [f1, f2, codeDepth] = encoderFilters(config)
    let layerIndex = 0
    const convLayer = (filters: number, name: string, padding: 'same' | 'valid' = 'same', activation: 'relu' | 'linear' = 'relu') =>
      tf.layers.conv2d({ filters, kernelSize: 3, padding, activation, name, kernelInitializer: seededGlorot(config, layerIndex++) })
    const pool = (name: string) => tf.layers.maxPooling2d({ poolSize: 2, padding: 'same', name })
    const up = (name: string) => tf.layers.upSampling2d({ size: [2, 2], name })
    const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor) => layer.apply(x) as tf.SymbolicTensor

    const input = tf.input({ shape: config.inputShape, name: 'image' })
    let x = apply(convLayer(f1, 'encoder_conv_1'), input)
    x = apply(pool('encoder_pool_1'), x)
    x = apply(convLayer(f2, 'encoder_conv_2'), x)
    x = apply(pool('encoder_pool_2'), x)
    x = apply(convLayer(codeDepth, 'encoder_conv_3'), x)
    x = apply(pool('code'), x)

    x = apply(convLayer(codeDepth, 'decoder_conv_1'), x)
    x = apply(up('decoder_up_1'), x)
    x = apply(convLayer(f2, 'decoder_conv_2'), x)
    x = apply(up('decoder_up_2'), x)
    // Keras' 'valid' trick: 16 → 14 so that the last doubling gives 28; where it does not fit, crop instead.
    const codeHeight = pooledSize(height)
    const codeWidth = pooledSize(width)
    const valid = 8 * codeHeight - 4 >= height && 8 * codeWidth - 4 >= width
    x = apply(convLayer(f1, 'decoder_conv_3', valid ? 'valid' : 'same'), x)
    x = apply(up('decoder_up_3'), x)
    const outHeight = valid ? 8 * codeHeight - 4 : 8 * codeHeight
    const outWidth = valid ? 8 * codeWidth - 4 : 8 * codeWidth
    if (outHeight !== height || outWidth !== width) {
      const top = Math.floor((outHeight - height) / 2)
      const left = Math.floor((outWidth - width) / 2)
      x = apply(
        tf.layers.cropping2D({ cropping: [[top, outHeight - height - top], [left, outWidth - width - left]], name: 'decoder_crop' }),
        x,
      )
    }
    const logits = apply(convLayer(channels, 'logits', 'same', 'linear'), x)
    const model = tf.model({ inputs: input, outputs: sigmoidImage(logits, config.inputShape), name: 'autoencoder' })
    return wrapChain(config, model)
  },
  restore: (config, model) => wrapChain(config, model),
}
