// Scores denoising the way `eval --noise SPEC --baselines` reports it: the test images corrupted once with a fixed
// seed, then PSNR/SSIM against the clean originals for the noisy input itself, the model, and the classical baselines
// run on exactly the same noisy images — so every row of the table is measured on the same inputs. Images smaller
// than SSIM's window are scored with PSNR alone.
import * as tf from '@tensorflow/tfjs'
import { gaussianBlur, medianFilter, nonLocalMeans } from './baselines'
import type { ImageSplit } from './datasets'
import { BottleneckError } from './errors'
import { hasSsim, peakSignalToNoiseRatio, structuralSimilarity } from './metrics'
import { applyNoise, type NoiseSpec } from './noise'

export interface DenoiseScore {
  psnr: number
  /** Absent for images smaller than SSIM's window (see hasSsim). */
  ssim?: number
}

/** `median` is 3×3, `median5` the 5×5 filter the MNIST anchors quote, `gaussian` a blur of σ 1 px, `nlm` non-local means. */
export type DenoiseBaseline = 'median' | 'median5' | 'gaussian' | 'nlm'
export const DENOISE_BASELINES: readonly DenoiseBaseline[] = ['median', 'median5', 'gaussian', 'nlm']

export interface DenoiseEvaluation {
  count: number
  noisy: DenoiseScore
  model?: DenoiseScore
  baselines: Partial<Record<DenoiseBaseline, DenoiseScore>>
}

export interface DenoiseEvaluationOptions {
  /** The noise is drawn from this seed, batch by batch, so a rerun sees the same noisy images. Default 1234. */
  seed?: number
  baselines?: readonly DenoiseBaseline[]
  batchSize?: number
}

type Shape = readonly [number, number, number]

/** Corrupts every image of `split` with `spec` (seeded per batch), returning the noisy pixels in the same layout. */
export function corruptSplit(split: ImageSplit, shape: Shape, spec: NoiseSpec, seed = 1234, batchSize = 1000): Float32Array {
  const imageSize = shape[0] * shape[1] * shape[2]
  const noisy = new Float32Array(split.count * imageSize)
  for (let start = 0; start < split.count; start += batchSize) {
    const size = Math.min(batchSize, split.count - start)
    const values = tf.tidy(() => {
      const clean = tf.tensor4d(split.images.subarray(start * imageSize, (start + size) * imageSize), [size, ...shape])
      return applyNoise(clean, spec, seed + start).dataSync() as Float32Array
    })
    noisy.set(values, start * imageSize)
  }
  return noisy
}

/** Mean PSNR and SSIM (when the images are large enough for it) of `restored` against `clean` (both `count` images of `shape`). */
export function scoreRestorations(clean: Float32Array, restored: Float32Array, count: number, shape: Shape, batchSize = 1000): DenoiseScore {
  const imageSize = shape[0] * shape[1] * shape[2]
  if (clean.length !== count * imageSize || restored.length !== clean.length) {
    throw new BottleneckError('INVALID_INPUT', 'The restored images do not match the clean images in number or size.')
  }
  const withSsim = hasSsim(shape)
  let psnr = 0
  let ssim = 0
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start)
    const [psnrSum, ssimSum] = tf.tidy(() => {
      const slice = (data: Float32Array) => tf.tensor4d(data.subarray(start * imageSize, (start + size) * imageSize), [size, ...shape])
      const a = slice(clean)
      const b = slice(restored)
      // A perfect restoration has infinite PSNR; cap at 100 dB so one such image does not make the mean infinite.
      return [tf.sum(tf.minimum(peakSignalToNoiseRatio(a, b), 100)).dataSync()[0]!, withSsim ? tf.sum(structuralSimilarity(a, b)).dataSync()[0]! : 0]
    })
    psnr += psnrSum
    ssim += ssimSum
  }
  return withSsim ? { psnr: psnr / count, ssim: ssim / count } : { psnr: psnr / count }
}

/** Runs `model` over the noisy images in batches and returns its outputs as one array. */
export function predictAll(model: tf.LayersModel, images: Float32Array, count: number, shape: Shape, batchSize = 500): Float32Array {
  const imageSize = shape[0] * shape[1] * shape[2]
  const out = new Float32Array(count * imageSize)
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start)
    const values = tf.tidy(() => {
      const input = tf.tensor4d(images.subarray(start * imageSize, (start + size) * imageSize), [size, ...shape])
      return (model.predict(input) as tf.Tensor).dataSync() as Float32Array
    })
    out.set(values, start * imageSize)
  }
  return out
}

/**
 * `count` noisy images of `shape`, one after another, restored by a classical filter. Non-local means estimates the
 * noise of each image rather than taking the nominal σ: noise clipped to [0, 1] is not that Gaussian any more. At
 * σ = 0.5 on MNIST the nominal σ made it average every patch alike (10.35 dB, SSIM 0.026 on 200 test digits, below the
 * noisy input's 9.44 dB / 0.397 in SSIM); the estimate (0.27 on average) gives 12.64 dB / 0.353. For photo noise
 * (σ = 25/255) clipping hardly matters, and bench/photos.ts reports both ways.
 */
export function restoreWithBaseline(name: DenoiseBaseline, noisy: Float32Array, count: number, shape: Shape): Float32Array {
  const [height, width, channels] = shape
  const imageSize = height * width * channels
  const out = new Float32Array(count * imageSize)
  for (let i = 0; i < count; i++) {
    const image = { data: noisy.subarray(i * imageSize, (i + 1) * imageSize), height, width, channels }
    const restored =
      name === 'median'
        ? medianFilter(image, 3)
        : name === 'median5'
          ? medianFilter(image, 5)
          : name === 'gaussian'
            ? gaussianBlur(image, 1)
            : nonLocalMeans(image)
    out.set(restored.data, i * imageSize)
  }
  return out
}

/**
 * The whole comparison: noisy input, optionally a model, and the requested baselines, all on the same noisy split.
 * `model` maps noisy NHWC batches to restored ones (any autoencoder's `model`).
 */
export function evaluateDenoising(
  model: tf.LayersModel | null,
  split: ImageSplit,
  shape: Shape,
  spec: NoiseSpec,
  options: DenoiseEvaluationOptions = {},
): DenoiseEvaluation {
  if (split.count < 1) throw new BottleneckError('INVALID_INPUT', 'There are no test images to evaluate on.')
  const noisy = corruptSplit(split, shape, spec, options.seed ?? 1234, options.batchSize)
  const clean = split.images.subarray(0, noisy.length)
  const result: DenoiseEvaluation = {
    count: split.count,
    noisy: scoreRestorations(clean, noisy, split.count, shape, options.batchSize),
    baselines: {},
  }
  if (model) {
    result.model = scoreRestorations(clean, predictAll(model, noisy, split.count, shape), split.count, shape, options.batchSize)
  }
  for (const name of options.baselines ?? []) {
    result.baselines[name] = scoreRestorations(clean, restoreWithBaseline(name, noisy, split.count, shape), split.count, shape, options.batchSize)
  }
  return result
}
