// The scores a finished model keeps in its metadata, whoever trained it (CLI or app): reconstruction metrics over
// the whole test split, for models with a code how many code units fire, and for a denoising autoencoder its scores
// as it is used, noisy → clean, the numbers `bottleneck eval --noise` prints for the same noise.
import type { Autoencoder } from './architectures/index'
import { meanCodeActivation } from './architectures/sparse'
import type { ImageSplit } from './datasets'
import { evaluateDenoising } from './denoise-eval'
import { evaluateReconstructions, hasSsim, METRIC_NAMES, SSIM_WINDOW, type MetricName } from './metrics'
import type { NoiseSpec } from './noise'

type Shape = readonly [number, number, number]

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
    // Images too small for SSIM get PSNR alone.
    const denoising = evaluateDenoising(autoencoder.model, test, shape, noise)
    metrics.denoisingPsnr = denoising.model!.psnr
    if (denoising.model!.ssim !== undefined) metrics.denoisingSsim = denoising.model!.ssim
    metrics.noisyInputPsnr = denoising.noisy.psnr
    if (denoising.noisy.ssim !== undefined) metrics.noisyInputSsim = denoising.noisy.ssim
  }
  return metrics
}
