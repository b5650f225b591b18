// Synthetic corruption for denoising: the noise specs users type (`gaussian:0.5`, `gaussian255:25`, `salt-pepper:0.2`,
// `speckle:0.3`, `mask:0.3`), their parsing, and applying them to image tensors reproducibly from a seed; for
// training, fresh noise every batch or one noisy copy of the training set made once (the Keras blog's way).

import * as tf from '@tensorflow/tfjs'
import type { ImageSplit } from './datasets'
import { parseDecimal } from './decimal'
import { BottleneckError } from './errors'
import type { ImageData } from './image-io'
import { deriveSeed, tfjsSeed } from './random'
import type { InputNoise } from './train'

/**
 * How training draws the noise: `fresh` corrupts every batch anew (an image never looks the same twice, the
 * stronger regulariser); `fixed` corrupts the training set once and reuses it every epoch, as the Keras blog does.
 */
export type NoiseMode = 'fresh' | 'fixed'
export const NOISE_MODES: readonly NoiseMode[] = ['fresh', 'fixed']

/** A kind of noise and its strength; `mode` matters only to training and is absent when fresh (the default). */
export type NoiseSpec = NoiseKind & { mode?: 'fixed' }

type NoiseKind =
  | { kind: 'none' }
  /** Additive N(0, σ²), σ in the [0, 1] intensity scale (`gaussian255:25` parses to σ = 25/255). */
  | { kind: 'gaussian'; sigma: number }
  /** A fraction `amount` of pixels set to black or white, half each (all channels of a pixel together). */
  | { kind: 'salt-pepper'; amount: number }
  /** Multiplicative x + x·n, n ~ N(0, σ²): noise grows with brightness, like coherent imaging (ultrasound, SAR). */
  | { kind: 'speckle'; sigma: number }
  /** A fraction `amount` of pixels set to 0: the "masking noise" of Vincent et al.'s denoising autoencoders. */
  | { kind: 'mask'; amount: number }

export const NOISE_SPEC_HELP =
  'Use gaussian:σ (σ from 0 to 1), gaussian255:σ (σ from 0 to 255), salt-pepper:fraction, speckle:σ, mask:fraction or none' +
  ' (add ",fixed" to corrupt the training set once instead of every batch).'

function invalid(text: string, why: string): BottleneckError {
  return new BottleneckError('INVALID_INPUT', `Noise "${text}" is not valid: ${why} ${NOISE_SPEC_HELP}`)
}

/**
 * Parses a noise spec as typed on the command line or stored in model metadata. A `,fixed` suffix (how metadata
 * keeps the training mode) sets `mode`; `,fresh` is the default and leaves it out.
 */
export function parseNoiseSpec(text: string): NoiseSpec {
  const [body, ...modes] = text.trim().toLowerCase().split(',')
  if (modes.length > 1) throw invalid(text, 'give at most one mode after the comma.')
  const mode = modes[0]?.trim()
  if (mode !== undefined && mode !== 'fixed' && mode !== 'fresh') {
    throw invalid(text, `"${mode}" is not a noise mode (fresh or fixed).`)
  }
  const kind = parseNoiseKind(text, body!.trim())
  if (mode === 'fixed' && kind.kind === 'none') throw invalid(text, 'there is no noise to fix.')
  return mode === 'fixed' ? { ...kind, mode } : kind
}

function parseNoiseKind(text: string, trimmed: string): NoiseKind {
  if (trimmed === 'none' || trimmed === '') return { kind: 'none' }
  const match = /^([a-z0-9-]+):(.+)$/.exec(trimmed)
  if (!match) throw invalid(text, 'expected KIND:AMOUNT.')
  const kind = match[1]!
  const valueText = match[2]!.trim()
  const value = parseDecimal(valueText)
  if (valueText === '' || !Number.isFinite(value)) throw invalid(text, `"${valueText}" is not a number.`)
  const fraction = (name: string) => {
    if (value < 0 || value > 1) throw invalid(text, `the ${name} must be between 0 and 1.`)
    return value
  }
  switch (kind) {
    case 'gaussian':
      if (value < 0 || value > 1)
        throw invalid(text, 'σ must be between 0 and 1 (use gaussian255 for the 0–255 scale).')
      return { kind: 'gaussian', sigma: value }
    case 'gaussian255':
      if (value < 0 || value > 255) throw invalid(text, 'σ must be between 0 and 255.')
      return { kind: 'gaussian', sigma: value / 255 }
    case 'salt-pepper':
    case 'saltpepper':
    case 's&p':
      return { kind: 'salt-pepper', amount: fraction('fraction of pixels') }
    case 'speckle':
      if (value < 0 || value > 2) throw invalid(text, 'σ must be between 0 and 2.')
      return { kind: 'speckle', sigma: value }
    case 'mask':
    case 'masking':
      return { kind: 'mask', amount: fraction('fraction of pixels') }
    default:
      throw invalid(text, `"${kind}" is not a kind of noise this app knows.`)
  }
}

/** The canonical text of a spec (what `parseNoiseSpec` reads back to the same spec). */
export function formatNoiseSpec(spec: NoiseSpec): string {
  const text = formatNoiseKind(spec)
  return spec.mode === 'fixed' && spec.kind !== 'none' ? `${text},fixed` : text
}

/** `spec` with its training mode set: fixed keeps `mode`, fresh (the default) drops it. */
export function withNoiseMode(spec: NoiseSpec, mode: NoiseMode): NoiseSpec {
  const { mode: _previous, ...kind } = spec
  return mode === 'fixed' && kind.kind !== 'none' ? { ...kind, mode } : kind
}

/** The noise alone, without the training mode: the text `--noise` takes to corrupt test inputs. */
export function formatNoiseKind(spec: NoiseKind): string {
  switch (spec.kind) {
    case 'none':
      return 'none'
    case 'gaussian': {
      // Show the 0–255 scale when that is how it was most likely given, so "gaussian255:25" survives a round trip.
      const on255 = spec.sigma * 255
      return Math.abs(on255 - Math.round(on255)) < 1e-6 && on255 >= 1
        ? `gaussian255:${Math.round(on255)}`
        : `gaussian:${spec.sigma}`
    }
    case 'salt-pepper':
      return `salt-pepper:${spec.amount}`
    case 'speckle':
      return `speckle:${spec.sigma}`
    case 'mask':
      return `mask:${spec.amount}`
  }
}

/**
 * For images [n, h, w, c] draw one decision per pixel (shape [n, h, w, 1]) so a corrupted pixel is corrupted in all
 * channels, as a dead sensor pixel is; for anything else (e.g. flattened [n, features]) one per value.
 */
function perPixelShape(shape: number[]): number[] {
  return shape.length === 4 ? [shape[0]!, shape[1]!, shape[2]!, 1] : shape
}

/**
 * Returns a new tensor: `images` (values in [0, 1]) corrupted by `spec`, clipped to [0, 1]. The input is not disposed.
 * The same seed gives the same noise on every backend (tfjs draws seeded random numbers in JavaScript).
 */
export function applyNoise(images: tf.Tensor, spec: NoiseSpec, seed?: number): tf.Tensor {
  const tfSeed = tfjsSeed(seed)
  return tf.tidy(() => {
    const x = images.toFloat()
    switch (spec.kind) {
      case 'none':
        return x.clone()
      case 'gaussian':
        return x.add(tf.randomNormal(x.shape, 0, spec.sigma, 'float32', tfSeed)).clipByValue(0, 1)
      case 'speckle':
        return x.add(x.mul(tf.randomNormal(x.shape, 0, spec.sigma, 'float32', tfSeed))).clipByValue(0, 1)
      case 'salt-pepper': {
        const draw = tf.randomUniform(perPixelShape(x.shape), 0, 1, 'float32', tfSeed)
        const salt = draw.less(spec.amount / 2)
        const pepper = draw.less(spec.amount).logicalAnd(salt.logicalNot())
        // where() needs equal shapes, so broadcast the per-pixel decisions through arithmetic instead.
        const keep = tf.onesLike(draw).sub(salt.toFloat()).sub(pepper.toFloat())
        return x.mul(keep).add(salt.toFloat())
      }
      case 'mask': {
        const keep = tf.randomUniform(perPixelShape(x.shape), 0, 1, 'float32', tfSeed).greaterEqual(spec.amount)
        return x.mul(keep.toFloat())
      }
    }
  })
}

/** `applyNoise` for one image held as a Float32Array (baselines, benchmarks, the denoise command). */
export function applyNoiseToImage(image: ImageData, spec: NoiseSpec, seed?: number): ImageData {
  const { height, width, channels } = image
  const noisy = tf.tidy(() => applyNoise(tf.tensor4d(image.data, [1, height, width, channels]), spec, seed))
  const data = noisy.dataSync() as Float32Array
  noisy.dispose()
  return { data: Float32Array.from(data), height, width, channels }
}

/** How many images are corrupted per step when the fixed copy is made: bounds the temporary memory. */
const FIXED_NOISE_CHUNK = 4096

export interface TrainingNoise {
  /** For `fit`'s `noise` option; undefined when the spec is `none`. */
  noise: InputNoise | undefined
  /** Frees the fixed noisy copy (nothing to free in fresh mode). */
  dispose(): void
}

/**
 * The input noise `fit` applies while training on `train`. Fresh: new noise every batch from fit's seed. Fixed: one
 * noisy copy of the whole split, made here from `seed` and looked up by image index every epoch, so an image looks
 * the same each time (it costs a second copy of the split in memory, as the blog's `x_train_noisy` does). Batches
 * without indices (validation) get noise drawn from the seed fit gives, in both modes.
 */
export function createTrainingNoise(
  spec: NoiseSpec,
  train: ImageSplit,
  shape: readonly [number, number, number],
  seed = 0,
): TrainingNoise {
  if (spec.kind === 'none') return { noise: undefined, dispose: () => {} }
  const fresh: InputNoise = (clean, batchSeed) => applyNoise(clean, spec, batchSeed) as tf.Tensor4D
  if (spec.mode !== 'fixed') return { noise: fresh, dispose: () => {} }
  const imageSize = shape[0] * shape[1] * shape[2]
  if (train.images.length !== train.count * imageSize) {
    throw new BottleneckError('INVALID_INPUT', `The training images do not match the model's input of ${shape.join('×')}.`)
  }
  const fixedSeed = Math.floor(deriveSeed(seed, 3000))
  const chunks: tf.Tensor[] = []
  for (let start = 0, chunk = 0; start < train.count; start += FIXED_NOISE_CHUNK, chunk++) {
    const size = Math.min(FIXED_NOISE_CHUNK, train.count - start)
    chunks.push(
      tf.tidy(() => {
        const clean = tf.tensor4d(train.images.subarray(start * imageSize, (start + size) * imageSize), [size, ...shape])
        return applyNoise(clean, spec, Math.floor(deriveSeed(fixedSeed, chunk)))
      }),
    )
  }
  const noisy = chunks.length === 1 ? chunks[0]! : tf.concat(chunks)
  if (chunks.length > 1) tf.dispose(chunks)
  return {
    noise: (clean, batchSeed, indices) => (indices ? (tf.gather(noisy, indices) as tf.Tensor4D) : fresh(clean, batchSeed)),
    dispose: () => noisy.dispose(),
  }
}
