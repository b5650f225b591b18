// The MNIST denoising preset's model: a small U-Net (2×2 poolings, skip connections that concatenate the encoder
// features at each scale into the decoder). Skips carry the stroke positions past the bottleneck, so the decoder only
// has to decide what is ink and what is noise — why it beats the Keras blog's plain conv denoiser. It has no single
// code layer, so `encoder` and `decoder` are null; it is for denoising, not for the latent space.
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from '../errors'
import { binaryCrossEntropyFromLogitsLoss, meanSquaredError } from '../metrics'
import { positiveIntegerOption, seededGlorot, unitsOption } from './chain'
import { disposeSharedWeights, type ArchitectureDefinition, type Autoencoder, type ModelConfig } from './index'

/**
 * `bce`: Keras' binary cross-entropy (the default); `mse`: the error PSNR measures; `psnr`: mean log MSE per image
 * (the metric itself). Through the sigmoid, the squared-error losses' gradients vanish where the output saturates,
 * so from scratch both stall on all-black outputs: `psnr` at 10.2 dB after one epoch of 6,000 digits (bce: 17.6),
 * `mse` at 10.15 dB after one epoch of all 60,000 (bce: 20.91). They are for fine-tuning a bce-trained model.
 */
export type DenoiserLoss = 'bce' | 'mse' | 'psnr'
const LOSSES: readonly DenoiserLoss[] = ['bce', 'mse', 'psnr']

function lossOption(config: ModelConfig): DenoiserLoss {
  const value = config.loss ?? 'bce'
  if (!LOSSES.includes(value as DenoiserLoss)) {
    throw new BottleneckError('INVALID_INPUT', `The denoiser loss must be one of ${LOSSES.join(', ')} (got ${String(value)}).`)
  }
  return value as DenoiserLoss
}

/** Training loss from the logits; all three are minimised by the clean image's conditional mean. */
function denoiserLoss(kind: DenoiserLoss, targets: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  if (kind === 'bce') return binaryCrossEntropyFromLogitsLoss(targets, logits)
  return tf.tidy(() => {
    const perImage = meanSquaredError(tf.reshape(targets, logits.shape), tf.sigmoid(logits))
    // The mean PSNR weighs every image alike, so an error costs more on a clean, easy digit; 1e-4 (40 dB) keeps
    // an almost perfect image from dominating the gradient.
    return (kind === 'mse' ? tf.mean(perImage) : tf.mean(tf.log(tf.add(perImage, 1e-4)))) as tf.Scalar
  })
}

/**
 * The noisy image with two more channels per channel: 1 where the pixel is exactly 0, 1 where it is exactly 1. Noise
 * clipped to [0, 1] leaves those values far more often than its continuous part explains (a clean 0 reads exactly 0
 * under σ = 0.5 half the time, a clean 1 only 2 % of the time), and a ReLU network cannot tell 0 from 0.001 without
 * very large weights. A layer without weights, registered so a saved model.json names it.
 */
class ClipIndicators extends tf.layers.Layer {
  static className = 'BottleneckClipIndicators'
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape
    return [...shape.slice(0, -1), shape[shape.length - 1]! * 3]
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs
      return tf.concat([x, tf.cast(tf.lessEqual(x, 0), 'float32'), tf.cast(tf.greaterEqual(x, 1), 'float32')], -1)
    })
  }
}
tf.serialization.registerClass(ClipIndicators)

function clipIndicatorsOption(config: ModelConfig): boolean {
  const value = config.clipIndicators ?? false
  if (typeof value !== 'boolean') {
    throw new BottleneckError('INVALID_INPUT', `clipIndicators must be true or false (got ${JSON.stringify(value)}).`)
  }
  return value
}

/**
 * Filters per scale, the full-size scale first and the bottom last, so the network pools `length − 1` times. Models
 * saved before `levelFilters` existed name `filters` (doubled at every pooling) and `depth` instead, and still build.
 */
function levelWidths(config: ModelConfig): number[] {
  if (config.levelFilters === undefined) {
    const filters = positiveIntegerOption(config, 'filters', 16)
    const depth = positiveIntegerOption(config, 'depth', 3)
    return Array.from({ length: depth + 1 }, (_, level) => filters * 2 ** level)
  }
  if (config.filters !== undefined || config.depth !== undefined) {
    throw new BottleneckError('INVALID_INPUT', 'Give the denoiser either levelFilters or filters and depth, not both.')
  }
  const widths = unitsOption(config, 'levelFilters', [])
  if (widths.length < 2) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `levelFilters needs at least two numbers, the full-size scale's filters and the bottom's (got ${widths.length}).`,
    )
  }
  return widths
}

function wrap(config: ModelConfig, model: tf.LayersModel): Autoencoder {
  const kind = lossOption(config)
  const logitsModel = tf.model({ inputs: model.inputs, outputs: model.getLayer('logits').getOutputAt(0) as tf.SymbolicTensor })
  let disposed = false
  return {
    config,
    model,
    encoder: null,
    decoder: null,
    loss: (inputs, targets) => denoiserLoss(kind, targets, logitsModel.apply(inputs, { training: true }) as tf.Tensor),
    dispose() {
      if (!disposed) disposeSharedWeights([model, logitsModel])
      disposed = true
    },
  }
}

export const denoiser: ArchitectureDefinition = {
  name: 'denoiser',
  description: 'Small U-Net (three poolings, skip connections) for denoising: the mnist-denoise preset model.',
  // codeSize is not used by this model (no single code); kept for the common config. These defaults are the
  // mnist-denoise recipe (train --preset can only pass code size and learning rate, so the rest lives here);
  // learningRateDecay is read by fit. Filters 32, 64, 64, 128: the full-size and half-size scales, where strokes are
  // placed and cleaned, got twice the filters of the previous recipe (16, 32, 64, 128), the bottom the same.
  // clipIndicators: new models see where the noise was clipped; configs saved without the key build without them.
  defaults: { codeSize: 32, levelFilters: [32, 64, 64, 128], clipIndicators: true, loss: 'bce', learningRateDecay: 'cosine' },
  build(config) {
    const [height, width, channels] = config.inputShape
    const widths = levelWidths(config)
    const depth = widths.length - 1
    lossOption(config)
    if (height >> depth < 1 || width >> depth < 1) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `The denoiser pools ${depth} times by 2, so the image must be at least ${2 ** depth} pixels wide and high (got ${height}×${width}).`,
      )
    }
    let layerIndex = 0
    const conv = (filters: number, name: string, x: tf.SymbolicTensor, kernelSize = 3, activation: 'relu' | 'linear' = 'relu') =>
      tf.layers
        .conv2d({ filters, kernelSize, padding: 'same', activation, name, kernelInitializer: seededGlorot(config, layerIndex++) })
        .apply(x) as tf.SymbolicTensor
    const block = (filters: number, name: string, x: tf.SymbolicTensor) => conv(filters, `${name}b`, conv(filters, `${name}a`, x))

    const input = tf.input({ shape: config.inputShape, name: 'image' })
    const skips: tf.SymbolicTensor[] = []
    let x = clipIndicatorsOption(config) ? (new ClipIndicators({ name: 'clip_indicators' }).apply(input) as tf.SymbolicTensor) : input
    for (let level = 1; level <= depth; level++) {
      x = block(widths[level - 1]!, `encoder_${level}`, x)
      skips.push(x)
      // 'same' pooling rounds odd sizes up (MNIST's 7 → 4), so any image size works; the decoder crops back.
      x = tf.layers.maxPooling2d({ poolSize: 2, padding: 'same', name: `pool_${level}` }).apply(x) as tf.SymbolicTensor
    }
    x = block(widths[depth]!, 'bottom_', x)
    for (let level = depth; level >= 1; level--) {
      const skip = skips[level - 1]!
      x = tf.layers.upSampling2d({ size: [2, 2], name: `up_${level}` }).apply(x) as tf.SymbolicTensor
      const [, upHeight, upWidth] = x.shape as number[]
      const [, skipHeight, skipWidth] = skip.shape as number[]
      if (upHeight !== skipHeight || upWidth !== skipWidth) {
        x = tf.layers
          .cropping2D({ cropping: [[0, upHeight! - skipHeight!], [0, upWidth! - skipWidth!]], name: `crop_${level}` })
          .apply(x) as tf.SymbolicTensor
      }
      x = tf.layers.concatenate({ name: `skip_${level}` }).apply([x, skip]) as tf.SymbolicTensor
      x = block(widths[level - 1]!, `decoder_${level}`, x)
    }
    const logits = conv(channels, 'logits', x, 1, 'linear')
    const pixels = tf.layers.activation({ activation: 'sigmoid', name: 'reconstruction' }).apply(logits) as tf.SymbolicTensor
    return wrap(config, tf.model({ inputs: input, outputs: pixels, name: 'denoiser' }))
  },
  restore: wrap,
}
