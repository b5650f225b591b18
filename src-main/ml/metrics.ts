// Reconstruction quality: binary cross-entropy (Keras' definition), MSE, PSNR and SSIM (Gaussian window like
// skimage / tf.image.ssim), per image and as a mean over a set. Tensor functions are for losses inside tf.tidy;
// `evaluateReconstructions` runs a model over a whole split in batches and returns plain numbers.
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from './errors'
import type { ImageSplit } from './datasets'

export type MetricName = 'bce' | 'mse' | 'psnr' | 'ssim'
export const METRIC_NAMES: readonly MetricName[] = ['bce', 'mse', 'psnr', 'ssim']

/** Keras' backend epsilon: predictions are clipped to [ε, 1-ε] before the logarithms. */
export const EPSILON = 1e-7

function perImageMean(values: tf.Tensor): tf.Tensor1D {
  const axes = values.shape.map((_, axis) => axis).slice(1)
  return tf.mean(values, axes) as tf.Tensor1D
}

/** Binary cross-entropy per image: mean over pixels of −(y·log p + (1−y)·log(1−p)), p clipped like Keras. */
export function binaryCrossEntropy(targets: tf.Tensor, predictions: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const p = tf.clipByValue(predictions, EPSILON, 1 - EPSILON)
    const terms = tf.add(tf.mul(targets, tf.log(p)), tf.mul(tf.sub(1, targets), tf.log(tf.sub(1, p))))
    return tf.neg(perImageMean(terms)) as tf.Tensor1D
  })
}

/** The training loss: BCE averaged over the batch (what Keras calls `loss` for `binary_crossentropy`). */
export function binaryCrossEntropyLoss(targets: tf.Tensor, predictions: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(binaryCrossEntropy(targets, predictions)) as tf.Scalar)
}

/**
 * The same loss for a sigmoid output, taken from the logits z (p = σ(z)): the value is Keras' clipped BCE, the
 * gradient is (σ(z) − y)/n — the cancellation tf.keras also exploits — which spares the backward pass of the clip,
 * logarithms and sigmoid (about a third of a training step for the dense seed model).
 */
export function binaryCrossEntropyFromLogitsLoss(targets: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, save] = args as [tf.Tensor, tf.GradSaveFunc]
    const p = tf.sigmoid(z)
    save([p])
    const value = binaryCrossEntropyLoss(tf.reshape(targets, p.shape), p)
    return {
      value,
      gradFunc: (dy, saved) => tf.mul(dy, tf.div(tf.sub(saved[0]!, tf.reshape(targets, p.shape)), p.size)),
    }
  })
  return loss(logits) as tf.Scalar
}

export function meanSquaredError(targets: tf.Tensor, predictions: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => perImageMean(tf.squaredDifference(targets, predictions)))
}

/** PSNR in dB for images in [0, 1] (data range 1); a perfect reconstruction gives Infinity, as in skimage. */
export function peakSignalToNoiseRatio(targets: tf.Tensor, predictions: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => tf.mul(-10 / Math.LN10, tf.log(meanSquaredError(targets, predictions))) as tf.Tensor1D)
}

/** SSIM's Gaussian window (Wang et al.; skimage's `gaussian_weights=True`): 11 taps, σ 1.5. */
export const SSIM_WINDOW = 11

/** SSIM compares 11×11 windows, so it has no value for smaller images; their scores leave it out instead of failing. */
export function hasSsim(shape: readonly number[]): boolean {
  return shape[0]! >= SSIM_WINDOW && shape[1]! >= SSIM_WINDOW
}

const SSIM_SIGMA = 1.5
export const SSIM_C1 = (0.01 * 1) ** 2
export const SSIM_C2 = (0.03 * 1) ** 2

/** The window's 1-D weights, summing to 1; SSIM filters rows and columns with them (the 2-D window is separable). */
export function ssimWindowWeights(): number[] {
  const half = (SSIM_WINDOW - 1) / 2
  const weights = Array.from({ length: SSIM_WINDOW }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * SSIM_SIGMA ** 2)))
  const total = weights.reduce((a, b) => a + b, 0)
  return weights.map((weight) => weight / total)
}

/** The 1-D Gaussian as a [size, size − window + 1] matrix whose column j is the window placed at j ('valid'). */
function gaussianBand(size: number): tf.Tensor2D {
  const weights = ssimWindowWeights()
  const outputs = size - SSIM_WINDOW + 1
  const band = new Float32Array(size * outputs)
  for (let j = 0; j < outputs; j++)
    for (let i = 0; i < SSIM_WINDOW; i++) band[(j + i) * outputs + j] = weights[i]!
  return tf.tensor2d(band, [size, outputs])
}

/**
 * SSIM per image over NHWC batches with data range 1: Gaussian window 11, σ 1.5, K1 0.01, K2 0.03, statistics over
 * the 'valid' region only and averaged over channels — the same numbers as tf.image.ssim and skimage's
 * structural_similarity(gaussian_weights=True, use_sample_covariance=False, data_range=1).
 */
export function structuralSimilarity(targets: tf.Tensor4D, predictions: tf.Tensor4D): tf.Tensor1D {
  const [count, height, width, channels] = targets.shape
  if (height < SSIM_WINDOW || width < SSIM_WINDOW) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `SSIM needs images of at least ${SSIM_WINDOW}×${SSIM_WINDOW} pixels (these are ${height}×${width}).`,
    )
  }
  return tf.tidy(() => {
    const rows = gaussianBand(height)
    const columns = gaussianBand(width)
    const outHeight = height - SSIM_WINDOW + 1
    const outWidth = width - SSIM_WINDOW + 1
    const planes = count * channels
    // Channels become extra planes so one filter handles them all.
    const asPlanes = (images: tf.Tensor4D) => tf.transpose(images, [0, 3, 1, 2])
    // The Gaussian is separable, so the 2-D filter is two matrix products (rows, then columns) — far faster than an
    // 11×11 convolution on every backend. The result is the filtered plane transposed, which the mean ignores.
    const filter = (plane: tf.Tensor) => {
      const alongRows = tf.matMul(tf.reshape(plane, [planes * height, width]), columns)
      const turned = tf.transpose(tf.reshape(alongRows, [planes, height, outWidth]), [0, 2, 1])
      return tf.reshape(tf.matMul(tf.reshape(turned, [planes * outWidth, height]), rows), [
        planes,
        outWidth,
        outHeight,
      ])
    }
    const map = ssimMap(asPlanes(targets), asPlanes(predictions), filter)
    return tf.mean(tf.reshape(map, [count, -1]), 1) as tf.Tensor1D
  })
}

/**
 * SSIM at every window position of `x` against `y`, given `filter`, the Gaussian window applied over the 'valid'
 * region (however the caller lays the planes out). Call inside tf.tidy: it leaves its intermediates to it.
 */
export function ssimMap<T extends tf.Tensor>(x: T, y: T, filter: (plane: T) => tf.Tensor): tf.Tensor {
  const muX = filter(x)
  const muY = filter(y)
  const muXX = tf.mul(muX, muX)
  const muYY = tf.mul(muY, muY)
  const muXY = tf.mul(muX, muY)
  const sigmaXX = tf.sub(filter(tf.mul(x, x)), muXX)
  const sigmaYY = tf.sub(filter(tf.mul(y, y)), muYY)
  const sigmaXY = tf.sub(filter(tf.mul(x, y)), muXY)
  const numerator = tf.mul(tf.add(tf.mul(2, muXY), SSIM_C1), tf.add(tf.mul(2, sigmaXY), SSIM_C2))
  const denominator = tf.mul(tf.add(tf.add(muXX, muYY), SSIM_C1), tf.add(tf.add(sigmaXX, sigmaYY), SSIM_C2))
  return tf.div(numerator, denominator)
}

/** SSIM of each image of two NHWC batches, or undefined when the images are too small for it (see hasSsim). */
export function ssimOrUndefined(targets: tf.Tensor4D, predictions: tf.Tensor4D): tf.Tensor1D | undefined {
  const [, height, width, channels] = targets.shape
  return hasSsim([height, width, channels]) ? structuralSimilarity(targets, predictions) : undefined
}

/**
 * MSE, PSNR and SSIM of one image against its reference, in plain JavaScript: the same definitions as the tensor
 * functions above (SSIM: Gaussian window 11, σ 1.5, 'valid' region, averaged over channels), for the interactive
 * paths (Draw, Compare) where a handful of small images makes a dozen TensorFlow calls cost more than the arithmetic.
 * Pixels are HWC, data range 1.
 */
export function imageQuality(
  reference: Float32Array,
  image: Float32Array,
  height: number,
  width: number,
  channels: number,
): { mse: number; psnr: number; ssim: number } {
  const size = height * width * channels
  if (reference.length !== size || image.length !== size) {
    throw new BottleneckError('INVALID_INPUT', `Both images must hold ${height}×${width}×${channels} values.`)
  }
  if (height < SSIM_WINDOW || width < SSIM_WINDOW) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `SSIM needs images of at least ${SSIM_WINDOW}×${SSIM_WINDOW} pixels (this one is ${height}×${width}).`,
    )
  }
  let squared = 0
  for (let i = 0; i < size; i++) squared += (reference[i]! - image[i]!) ** 2
  const mse = squared / size
  const weights = ssimWindowWeights()
  const outHeight = height - SSIM_WINDOW + 1
  const outWidth = width - SSIM_WINDOW + 1
  // The five local statistics of one channel, filtered along rows into `rows`, then along columns.
  const rows = Array.from({ length: 5 }, () => new Float64Array(height * outWidth))
  let ssimSum = 0
  for (let channel = 0; channel < channels; channel++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < outWidth; x++) {
        let mx = 0,
          my = 0,
          mxx = 0,
          myy = 0,
          mxy = 0
        for (let k = 0; k < SSIM_WINDOW; k++) {
          const at = (y * width + x + k) * channels + channel
          const a = reference[at]!
          const b = image[at]!
          const w = weights[k]!
          mx += w * a
          my += w * b
          mxx += w * a * a
          myy += w * b * b
          mxy += w * a * b
        }
        const out = y * outWidth + x
        rows[0]![out] = mx
        rows[1]![out] = my
        rows[2]![out] = mxx
        rows[3]![out] = myy
        rows[4]![out] = mxy
      }
    }
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        let mx = 0,
          my = 0,
          mxx = 0,
          myy = 0,
          mxy = 0
        for (let k = 0; k < SSIM_WINDOW; k++) {
          const at = (y + k) * outWidth + x
          const w = weights[k]!
          mx += w * rows[0]![at]!
          my += w * rows[1]![at]!
          mxx += w * rows[2]![at]!
          myy += w * rows[3]![at]!
          mxy += w * rows[4]![at]!
        }
        const sigmaXX = mxx - mx * mx
        const sigmaYY = myy - my * my
        const sigmaXY = mxy - mx * my
        ssimSum +=
          ((2 * mx * my + SSIM_C1) * (2 * sigmaXY + SSIM_C2)) /
          ((mx * mx + my * my + SSIM_C1) * (sigmaXX + sigmaYY + SSIM_C2))
      }
    }
  }
  return { mse, psnr: -10 * Math.log10(mse), ssim: ssimSum / (outHeight * outWidth * channels) }
}

export interface MetricResult {
  /** Mean over all evaluated images. */
  mean: Partial<Record<MetricName, number>>
  /** One value per image, in split order (only when asked for, they can be large). */
  perImage?: Partial<Record<MetricName, Float32Array>>
  count: number
}

export interface EvaluateOptions {
  metrics?: readonly MetricName[]
  batchSize?: number
  perImage?: boolean
  /** Inputs are transformed (e.g. noised) before the model sees them; targets stay clean. */
  transformInputs?: (clean: tf.Tensor4D, batchStart: number) => tf.Tensor4D
}

/**
 * Runs `model` over every image of `split` and scores the reconstructions against the originals. The batch loop is
 * synchronous per batch (one read-back each), so memory stays bounded whatever the split size.
 */
export function evaluateReconstructions(
  model: tf.LayersModel,
  split: ImageSplit,
  shape: readonly [number, number, number],
  options: EvaluateOptions = {},
): MetricResult {
  const metrics = options.metrics ?? METRIC_NAMES
  const batchSize = options.batchSize ?? 1000
  const imageSize = shape[0] * shape[1] * shape[2]
  const sums: Partial<Record<MetricName, number>> = {}
  const perImage: Partial<Record<MetricName, Float32Array>> = {}
  for (const name of metrics) {
    sums[name] = 0
    if (options.perImage) perImage[name] = new Float32Array(split.count)
  }
  for (let start = 0; start < split.count; start += batchSize) {
    const size = Math.min(batchSize, split.count - start)
    const values = tf.tidy(() => {
      const clean = tf.tensor4d(split.images.subarray(start * imageSize, (start + size) * imageSize), [
        size,
        ...shape,
      ])
      const inputs = options.transformInputs ? options.transformInputs(clean, start) : clean
      const predictions = model.apply(inputs, { training: false }) as tf.Tensor4D
      return metrics.map((name) => scoreBatch(name, clean, predictions).dataSync() as Float32Array)
    })
    metrics.forEach((name, index) => {
      const batchValues = values[index]!
      let sum = 0
      for (const value of batchValues) sum += value
      sums[name]! += sum
      perImage[name]?.set(batchValues, start)
    })
  }
  const mean: Partial<Record<MetricName, number>> = {}
  for (const name of metrics) mean[name] = split.count > 0 ? sums[name]! / split.count : Number.NaN
  return options.perImage ? { mean, perImage, count: split.count } : { mean, count: split.count }
}

function scoreBatch(name: MetricName, targets: tf.Tensor4D, predictions: tf.Tensor4D): tf.Tensor1D {
  switch (name) {
    case 'bce':
      return binaryCrossEntropy(targets, predictions)
    case 'mse':
      return meanSquaredError(targets, predictions)
    case 'psnr':
      return peakSignalToNoiseRatio(targets, predictions)
    case 'ssim':
      return structuralSimilarity(targets, predictions)
  }
}
