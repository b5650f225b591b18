// The MNIST denoising preset's model: a small U-Net (two 2×2 poolings, skip connections that concatenate the encoder
// features at each scale into the decoder). Skips carry the stroke positions past the bottleneck, so the decoder only
// has to decide what is ink and what is noise — why it beats the Keras blog's plain conv denoiser. It has no single
// code layer, so `encoder` and `decoder` are null; it is for denoising, not for the latent space.
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from '../errors'
import { binaryCrossEntropyFromLogitsLoss } from '../metrics'
import { positiveIntegerOption, seededGlorot } from './chain'
import { disposeSharedWeights, type ArchitectureDefinition, type Autoencoder, type ModelConfig } from './index'

function wrap(config: ModelConfig, model: tf.LayersModel): Autoencoder {
  const logitsModel = tf.model({ inputs: model.inputs, outputs: model.getLayer('logits').getOutputAt(0) as tf.SymbolicTensor })
  let disposed = false
  return {
    config,
    model,
    encoder: null,
    decoder: null,
    loss: (inputs, targets) =>
      binaryCrossEntropyFromLogitsLoss(targets, logitsModel.apply(inputs, { training: true }) as tf.Tensor),
    dispose() {
      if (!disposed) disposeSharedWeights([model, logitsModel])
      disposed = true
    },
  }
}

export const denoiser: ArchitectureDefinition = {
  name: 'denoiser',
  description: 'Small U-Net (two scales, skip connections) for denoising: the mnist-denoise preset model.',
  // codeSize is not used by this model (no single code); kept for the common config.
  defaults: { codeSize: 32, filters: 16 },
  build(config) {
    const [height, width, channels] = config.inputShape
    if (height % 4 !== 0 || width % 4 !== 0) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `The denoiser pools twice by 2, so the image height and width must be multiples of 4 (got ${height}×${width}).`,
      )
    }
    const f = positiveIntegerOption(config, 'filters', 16)
    let layerIndex = 0
    const conv = (filters: number, name: string, x: tf.SymbolicTensor, kernelSize = 3, activation: 'relu' | 'linear' = 'relu') =>
      tf.layers
        .conv2d({ filters, kernelSize, padding: 'same', activation, name, kernelInitializer: seededGlorot(config, layerIndex++) })
        .apply(x) as tf.SymbolicTensor
    const pool = (name: string, x: tf.SymbolicTensor) => tf.layers.maxPooling2d({ poolSize: 2, name }).apply(x) as tf.SymbolicTensor
    const up = (name: string, x: tf.SymbolicTensor) => tf.layers.upSampling2d({ size: [2, 2], name }).apply(x) as tf.SymbolicTensor
    const concat = (name: string, a: tf.SymbolicTensor, b: tf.SymbolicTensor) =>
      tf.layers.concatenate({ name }).apply([a, b]) as tf.SymbolicTensor

    const input = tf.input({ shape: config.inputShape, name: 'image' })
    const e1 = conv(f, 'encoder_1b', conv(f, 'encoder_1a', input))
    const e2 = conv(2 * f, 'encoder_2b', conv(2 * f, 'encoder_2a', pool('pool_1', e1)))
    const bottom = conv(2 * f, 'bottom_b', conv(2 * f, 'bottom_a', pool('pool_2', e2)))
    const d2 = conv(2 * f, 'decoder_2b', conv(2 * f, 'decoder_2a', concat('skip_2', up('up_2', bottom), e2)))
    const d1 = conv(f, 'decoder_1b', conv(f, 'decoder_1a', concat('skip_1', up('up_1', d2), e1)))
    const logits = conv(channels, 'logits', d1, 1, 'linear')
    const pixels = tf.layers.activation({ activation: 'sigmoid', name: 'reconstruction' }).apply(logits) as tf.SymbolicTensor
    return wrap(config, tf.model({ inputs: input, outputs: pixels, name: 'denoiser' }))
  },
  restore: wrap,
}
