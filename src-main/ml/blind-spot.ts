// Noise2Void (Krull, Buchholz & Jug 2019): self-supervised denoising from noisy images alone. A few pixels of each
// patch are replaced by a random neighbour, the network must predict the original noisy value there, and the loss is
// taken on those pixels only; since pixel noise is independent, the best prediction is the clean signal.

import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from './errors'

export interface BlindSpotOptions {
  /** Fraction of pixels masked per patch, default 0.01 (N2V used about 0.2–2%). */
  fraction?: number
  /** Side of the square neighbourhood the replacement is drawn from (odd, centre excluded), default 5. */
  window?: number
}

export interface BlindSpotArrays {
  /** The batch with the masked pixels replaced by neighbours. */
  inputs: Float32Array
  /** 1 where a pixel was masked (all its channels), else 0; same shape as the batch. */
  mask: Float32Array
  /** Masked pixels per patch. */
  perPatch: number
}

/** Mirrors an index into [0, n) the way the patch edge is reflected (…2 1 0 1 2…). */
export function reflect(index: number, n: number): number {
  if (n === 1) return 0
  const period = 2 * (n - 1)
  let i = index % period
  if (i < 0) i += period
  return i < n ? i : period - i
}

/**
 * Blind-spot masking of a batch [n, h, w, c] held as a Float32Array. Chooses round(fraction·h·w) distinct pixels
 * per patch uniformly, and replaces each with the pixel at a uniformly drawn offset in the window (never itself;
 * mirrored at the patch edge).
 */
export function blindSpotArrays(
  batch: Float32Array,
  shape: readonly [number, number, number, number],
  random: () => number,
  options: BlindSpotOptions = {},
): BlindSpotArrays {
  const [count, height, width, channels] = shape
  if (batch.length !== count * height * width * channels) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The batch holds ${batch.length} values, not ${shape.join('×')}.`,
    )
  }
  const fraction = options.fraction ?? 0.01
  const window = options.window ?? 5
  if (!(fraction > 0 && fraction <= 0.25)) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The blind-spot fraction must be above 0 and at most 0.25 (got ${fraction}).`,
    )
  }
  if (!Number.isInteger(window) || window < 3 || window % 2 === 0) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The blind-spot window must be an odd number ≥ 3 (got ${window}).`,
    )
  }
  if (height * width < 2)
    throw new BottleneckError('INVALID_INPUT', 'Blind-spot masking needs patches of 2 pixels or more.')
  const radius = window >> 1
  const pixels = height * width
  const perPatch = Math.max(1, Math.round(fraction * pixels))
  const inputs = Float32Array.from(batch)
  const mask = new Float32Array(batch.length)
  const chosen = new Set<number>()
  for (let n = 0; n < count; n++) {
    chosen.clear()
    const patchBase = n * pixels
    while (chosen.size < perPatch) chosen.add(Math.floor(random() * pixels))
    for (const pixel of chosen) {
      const row = Math.floor(pixel / width)
      const col = pixel - row * width
      // Mirroring at the edge can fold an offset back onto the pixel itself (row 1, dy = -2); draw again then.
      let neighbour = pixel
      while (neighbour === pixel) {
        const dy = Math.floor(random() * window) - radius
        const dx = Math.floor(random() * window) - radius
        neighbour = reflect(row + dy, height) * width + reflect(col + dx, width)
      }
      const source = (patchBase + neighbour) * channels
      const target = (patchBase + pixel) * channels
      for (let k = 0; k < channels; k++) {
        // Read from the original batch, so a replacement never copies another replacement.
        inputs[target + k] = batch[source + k]!
        mask[target + k] = 1
      }
    }
  }
  return { inputs, mask, perPatch }
}

/** `blindSpotArrays` returning tensors; the caller disposes `inputs` and `mask`. */
export function blindSpotTensors(
  batch: Float32Array,
  shape: readonly [number, number, number, number],
  random: () => number,
  options: BlindSpotOptions = {},
): { inputs: tf.Tensor4D; mask: tf.Tensor4D } {
  const arrays = blindSpotArrays(batch, shape, random, options)
  return { inputs: tf.tensor4d(arrays.inputs, [...shape]), mask: tf.tensor4d(arrays.mask, [...shape]) }
}

/** Mean squared error over masked values only (the N2V loss); a mask of all ones gives the plain MSE. */
export function maskedMeanSquaredError(
  predictions: tf.Tensor,
  targets: tf.Tensor,
  mask: tf.Tensor,
): tf.Scalar {
  return tf.tidy(() => {
    const squared = predictions.sub(targets).square().mul(mask)
    return squared.sum().div(mask.sum().maximum(1)) as tf.Scalar
  })
}
