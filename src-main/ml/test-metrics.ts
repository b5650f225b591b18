// The scores a finished model keeps in its metadata, whoever trained it (CLI or app): reconstruction metrics over
// the whole test split, and for models with a code, how many code units fire.
import type { Autoencoder } from './architectures/index'
import { meanCodeActivation } from './architectures/sparse'
import type { ImageSplit } from './datasets'
import { evaluateReconstructions } from './metrics'

export function finalTestMetrics(
  autoencoder: Autoencoder,
  test: ImageSplit,
  shape: readonly [number, number, number],
): Record<string, number> {
  if (test.count === 0) return {}
  const scores = evaluateReconstructions(autoencoder.model, test, shape).mean
  const metrics = Object.fromEntries(Object.entries(scores).filter(([, v]) => Number.isFinite(v))) as Record<
    string,
    number
  >
  // How many code units fire: the sparse autoencoder's point (Keras blog: sparse 3.33, dense 7.30).
  if (autoencoder.encoder) metrics.meanCodeActivation = meanCodeActivation(autoencoder, test)
  return metrics
}
