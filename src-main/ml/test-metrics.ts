// The scores a finished model keeps in its metadata, whoever trained it (CLI or app): reconstruction metrics over
// the whole test split, for models with a code how many code units fire, and for a denoising autoencoder its scores
// as it is used, noisy → clean, the numbers `bottleneck eval --noise` prints for the same noise.
import * as tf from '@tensorflow/tfjs'
import type { Autoencoder } from './architectures/index'
import { meanCodeActivation } from './architectures/sparse'
import type { ImageSplit } from './datasets'
import { corruptSplit, evaluateDenoising, predictAll } from './denoise-eval'
import {
  evaluateReconstructions,
  METRIC_NAMES,
  peakSignalToNoiseRatio,
  SSIM_WINDOW,
  type MetricName,
} from './metrics'
import type { NoiseSpec } from './noise'

type Shape = readonly [number, number, number]

/** SSIM compares 11×11 windows, so it has no value for smaller images; their scores leave it out instead of failing. */
export function hasSsim(shape: Shape): boolean {
  return shape[0] >= SSIM_WINDOW && shape[1] >= SSIM_WINDOW
}

export const NO_SSIM_NOTE = `SSIM is not defined for images smaller than ${SSIM_WINDOW}×${SSIM_WINDOW} pixels, so it is left out.`

/** The reconstruction metrics that have a value for images of `shape`. */
export function metricNamesFor(shape: Shape): MetricName[] {
  return METRIC_NAMES.filter((name) => name !== 'ssim' || hasSsim(shape))
}

export function finalTestMetrics(
  autoencoder: Autoencoder,
  test: ImageSplit,
  shape: Shape,
  /** The noise the model was trained to remove, if any. */
  noise?: NoiseSpec,
): Record<string, number> {
  if (test.count === 0) return {}
  const scores = evaluateReconstructions(autoencoder.model, test, shape, {
    metrics: metricNamesFor(shape),
  }).mean
  const metrics = Object.fromEntries(Object.entries(scores).filter(([, v]) => Number.isFinite(v))) as Record<
    string,
    number
  >
  // How many code units fire: the sparse autoencoder's point (Keras blog: sparse 3.33, dense 7.30).
  if (autoencoder.encoder) metrics.meanCodeActivation = meanCodeActivation(autoencoder, test)
  if (noise && noise.kind !== 'none') {
    if (hasSsim(shape)) {
      const denoising = evaluateDenoising(autoencoder.model, test, shape, noise)
      metrics.denoisingPsnr = denoising.model!.psnr
      metrics.denoisingSsim = denoising.model!.ssim
      metrics.noisyInputPsnr = denoising.noisy.psnr
      metrics.noisyInputSsim = denoising.noisy.ssim
    } else {
      // The same noisy images evaluateDenoising scores (its default seed), PSNR only.
      const noisy = corruptSplit(test, shape, noise)
      const clean = test.images.subarray(0, noisy.length)
      metrics.denoisingPsnr = meanPsnr(
        clean,
        predictAll(autoencoder.model, noisy, test.count, shape),
        test.count,
        shape,
      )
      metrics.noisyInputPsnr = meanPsnr(clean, noisy, test.count, shape)
    }
  }
  return metrics
}

/** Mean PSNR of small images, capped at 100 dB per image as evaluateDenoising does, so one exact copy stays finite. */
function meanPsnr(clean: Float32Array, restored: Float32Array, count: number, shape: Shape): number {
  return tf.tidy(() => {
    const psnr = peakSignalToNoiseRatio(
      tf.tensor4d(clean, [count, ...shape]),
      tf.tensor4d(restored, [count, ...shape]),
    )
    return tf.mean(tf.minimum(psnr, 100)).dataSync()[0]!
  })
}
