// A small U-Net denoiser (Ronneberger et al. 2015, residual form as in DnCNN): fully convolutional, so one model
// denoises images of any size (height and width multiples of 2^depth, which the tiler guarantees). It predicts the
// noise and subtracts it: output = clip(x + residual, 0, 1).

import * as tf from '@tensorflow/tfjs'
import { maskedMeanSquaredError } from '../blind-spot'
import { BottleneckError } from '../errors'
import { deriveSeed } from '../random'
import {
  disposeSharedWeights,
  type ArchitectureDefinition,
  type Autoencoder,
  type ModelConfig,
} from './index'

/** clip(x, 0, 1) as a layer, so the saved model.json carries it; registered for loading under this class name. */
class ClipToUnit extends tf.layers.Layer {
  static className = 'BottleneckClipToUnit'
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.clipByValue(Array.isArray(inputs) ? inputs[0]! : inputs, 0, 1))
  }
}
tf.serialization.registerClass(ClipToUnit)

const DEFAULT_FILTERS = 8

export interface UnetOptions {
  /**
   * Filters of the first level; doubled at each level down. Default 8: cost grows with its square (~7k multiply-adds
   * per pixel at 8, ~28k at 16, ~110k at 32), and on real photos at σ = 25 the 16-filter U-Net was only 0.07 dB
   * better after the same training (bench/photos.ts), a poor return for 4× the time.
   */
  filters: number
  /** Number of 2× poolings; tiles must be multiples of 2^depth. Default 2. */
  depth: number
}

function options(config: ModelConfig): UnetOptions {
  const filters = (config.filters as number | undefined) ?? DEFAULT_FILTERS
  const depth = (config.depth as number | undefined) ?? 2
  if (!Number.isInteger(filters) || filters < 1 || filters > 256) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `U-Net filters must be a whole number from 1 to 256 (got ${filters}).`,
    )
  }
  if (!Number.isInteger(depth) || depth < 1 || depth > 4) {
    throw new BottleneckError('INVALID_INPUT', `U-Net depth must be 1, 2, 3 or 4 (got ${depth}).`)
  }
  const channels = config.inputShape[2]
  if (channels !== 1 && channels !== 3) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The U-Net denoises greyscale or RGB images, not ${channels} channels.`,
    )
  }
  return { filters, depth }
}

/** Height and width a U-Net input must be a multiple of. */
export function unetMultiple(config: ModelConfig): number {
  return 2 ** options(config).depth
}

/**
 * Pixels of context each output pixel depends on (one side), an upper bound: what tiling's overlap should be at
 * least. At level l (scale 2^l) the two 3×3 convolutions add 2·2^l going down and again coming up, the pooling
 * 2^l, and the bottom's two convolutions 2·2^depth; one more 2^depth covers pooling/upsampling alignment.
 */
export function unetReceptiveRadius(config: ModelConfig): number {
  const { depth } = options(config)
  let radius = 3 * 2 ** depth
  for (let level = 0; level < depth; level++) radius += 5 * 2 ** level
  return radius
}

/** An Autoencoder whose loss can be restricted to masked pixels (Noise2Void); the U-Net is one. */
export interface MaskableAutoencoder extends Autoencoder {
  loss(inputs: tf.Tensor, targets: tf.Tensor, mask?: tf.Tensor): tf.Scalar
}

/** Whether `loss` takes a mask: a plain check, not a type guard, since any Autoencoder fits the wider signature. */
export function isMaskable(autoencoder: Autoencoder): boolean {
  return autoencoder.config.architecture === 'unet'
}

function wrap(config: ModelConfig, model: tf.LayersModel): MaskableAutoencoder {
  let unclipped: tf.SymbolicTensor
  try {
    unclipped = model.getLayer('unclipped').getOutputAt(0) as tf.SymbolicTensor
  } catch (error) {
    throw new BottleneckError(
      'MODEL_CORRUPT',
      'This U-Net model has no layer named "unclipped"; it was not made here.',
      error,
    )
  }
  // Loss on the sum before clipping: clipping has zero gradient outside [0, 1], which would freeze saturated pixels.
  const trainingModel = tf.model({ inputs: model.inputs, outputs: unclipped })
  let disposed = false
  return {
    config,
    model,
    encoder: null,
    decoder: null,
    loss(inputs: tf.Tensor, targets: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
      return tf.tidy(() => {
        const predictions = trainingModel.apply(inputs, { training: true }) as tf.Tensor
        return mask
          ? maskedMeanSquaredError(predictions, targets, mask)
          : tf.losses.meanSquaredError(targets, predictions)
      }) as tf.Scalar
    },
    dispose() {
      if (!disposed) disposeSharedWeights([model])
      disposed = true
    },
  }
}

export function buildUnet(config: ModelConfig): MaskableAutoencoder {
  const { filters, depth } = options(config)
  const channels = config.inputShape[2]
  let layerIndex = 0
  const conv = (units: number, name: string, kernelSize = 3, activation: 'relu' | 'linear' = 'relu') =>
    tf.layers.conv2d({
      filters: units,
      kernelSize,
      padding: 'same',
      activation,
      name,
      kernelInitializer: tf.initializers.heNormal(
        config.seed === undefined ? {} : { seed: deriveSeed(config.seed, layerIndex++) },
      ),
    })

  // Spatial size left open: the same weights run on 64×64 training patches and 256×256 inference tiles.
  const input = tf.input({ shape: [null, null, channels], name: 'image' })
  const skips: tf.SymbolicTensor[] = []
  let x: tf.SymbolicTensor = input
  for (let level = 0; level < depth; level++) {
    const units = filters * 2 ** level
    x = conv(units, `down${level}_a`).apply(x) as tf.SymbolicTensor
    x = conv(units, `down${level}_b`).apply(x) as tf.SymbolicTensor
    skips.push(x)
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `pool${level}` }).apply(x) as tf.SymbolicTensor
  }
  x = conv(filters * 2 ** depth, 'bottom_a').apply(x) as tf.SymbolicTensor
  x = conv(filters * 2 ** depth, 'bottom_b').apply(x) as tf.SymbolicTensor
  for (let level = depth - 1; level >= 0; level--) {
    const units = filters * 2 ** level
    x = tf.layers.upSampling2d({ size: [2, 2], name: `up${level}` }).apply(x) as tf.SymbolicTensor
    x = tf.layers.concatenate({ name: `skip${level}` }).apply([x, skips[level]!]) as tf.SymbolicTensor
    x = conv(units, `up${level}_a`).apply(x) as tf.SymbolicTensor
    x = conv(units, `up${level}_b`).apply(x) as tf.SymbolicTensor
  }
  const residual = conv(channels, 'residual', 1, 'linear').apply(x) as tf.SymbolicTensor
  const sum = tf.layers.add({ name: 'unclipped' }).apply([input, residual]) as tf.SymbolicTensor
  const output = new ClipToUnit({ name: 'denoised' }).apply(sum) as tf.SymbolicTensor
  return wrap(config, tf.model({ inputs: input, outputs: output, name: 'unet' }))
}

export function restoreUnet(config: ModelConfig, model: tf.LayersModel): MaskableAutoencoder {
  options(config)
  return wrap(config, model)
}

export const unet: ArchitectureDefinition = {
  name: 'unet',
  description:
    'Fully convolutional U-Net denoiser (residual, any image size): for photos; train on patches, infer in tiles.',
  defaults: { filters: DEFAULT_FILTERS, depth: 2 },
  build: buildUnet,
  restore: restoreUnet,
}
