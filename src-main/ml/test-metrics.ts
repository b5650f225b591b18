// The scores a finished model keeps in its metadata, whoever trained it (CLI or app): reconstruction metrics over
// the whole test split, for models with a code how many code units fire, and for a denoising autoencoder its scores
// as it is used, noisy → clean, the numbers `bottleneck eval --noise` prints for the same noise.
import type { Autoencoder } from './architectures/index'
import { meanCodeActivation } from './architectures/sparse'
import type { ImageSplit } from './datasets'
import { evaluateDenoising } from './denoise-eval'
import { evaluateReconstructions } from './metrics'
import type { NoiseSpec } from './noise'

export function finalTestMetrics(
  autoencoder: Autoencoder,
  test: ImageSplit,
  shape: readonly [number, number, number],
  /** The noise the model was trained to remove, if any. */
  noise?: NoiseSpec,
): Record<string, number> {
  if (test.count === 0) return {}
  const scores = evaluateReconstructions(autoencoder.model, test, shape).mean
  const metrics = Object.fromEntries(Object.entries(scores).filter(([, v]) => Number.isFinite(v))) as Record<
    string,
    number
  >
  // How many code units fire: the sparse autoencoder's point (Keras blog: sparse 3.33, dense 7.30).
  if (autoencoder.encoder) metrics.meanCodeActivation = meanCodeActivation(autoencoder, test)
  if (noise && noise.kind !== 'none') {
    const denoising = evaluateDenoising(autoencoder.model, test, shape, noise)
    metrics.denoisingPsnr = denoising.model!.psnr
    metrics.denoisingSsim = denoising.model!.ssim
    metrics.noisyInputPsnr = denoising.noisy.psnr
    metrics.noisyInputSsim = denoising.noisy.ssim
  }
  return metrics
}
