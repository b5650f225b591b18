// Training denoisers on image folders: the `fit` loop for data that does not fit in memory. Each step draws a fresh
// batch of patches from disk (supervised: clean + synthetic noise → clean; Noise2Void: masked noisy → noisy, loss on
// the masked pixels only), with the same callbacks, cancellation and History as `fit`.

import * as tf from '@tensorflow/tfjs'
import { reconstructionMetric, type Autoencoder } from './architectures/index'
import { isMaskable, type MaskableAutoencoder } from './architectures/unet'
import { BottleneckError } from './errors'
import { makeBatch, type BatchMode, type ImageFolder, type PatchBatch } from './folder-dataset'
import { binaryCrossEntropy, meanSquaredError } from './metrics'
import { createRandom } from './random'
import {
  assertConverging,
  assertTrainableHere,
  createAdam,
  type BatchProgress,
  type EpochLogs,
  type History,
} from './train'

export interface PatchFitOptions {
  /** Index of the last epoch + 1, as in Keras. */
  epochs: number
  /** Batches per epoch (an "epoch" of random patches has no natural end). Default 100. */
  stepsPerEpoch?: number
  batchSize?: number
  initialEpoch?: number
  mode: BatchMode
  /**
   * Validation patches scored after each epoch (fixed, from the validation files); 0 to skip. No default: the count
   * is recorded as the model's testCount, so the caller that records it chooses it.
   */
  validationPatches: number
  /** Seeds the validation noise and masks, so val_loss is comparable between epochs and runs. */
  seed?: number
  signal?: AbortSignal
  optimizer?: tf.Optimizer
  onBatchEnd?: (progress: BatchProgress) => void
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>
  /** Minimum time between onBatchEnd calls, default 200 ms. */
  batchReportIntervalMs?: number
}

type PatchSource = Pick<ImageFolder, 'nextBatch' | 'validationPatches' | 'patchSize' | 'channels'>

function stepLoss(autoencoder: Autoencoder, batch: PatchBatch): tf.Scalar {
  if (batch.mask) {
    if (!isMaskable(autoencoder)) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `Noise2Void training needs a model whose loss can be masked (unet), not ${autoencoder.config.architecture}.`,
      )
    }
    return (autoencoder as MaskableAutoencoder).loss(batch.inputs, batch.targets, batch.mask)
  }
  return autoencoder.loss(batch.inputs, batch.targets)
}

/**
 * val_loss on the fixed validation patches: the per-pixel reconstruction error `fit` reports too
 * (`reconstructionMetric`). Noise2Void has no clean patches to compare with, so there it is its own training loss,
 * the squared error at the masked pixels of the noisy patches (the U-Net has no dropout or batch norm, so training
 * mode changes nothing).
 */
function validationLoss(autoencoder: Autoencoder, validation: PatchBatch): number {
  return tf.tidy(() => {
    if (validation.mask) return stepLoss(autoencoder, validation).dataSync()[0]!
    const predictions = autoencoder.model.apply(validation.inputs, { training: false }) as tf.Tensor
    const perImage =
      reconstructionMetric(autoencoder.config) === 'mse'
        ? meanSquaredError(validation.targets, predictions)
        : binaryCrossEntropy(validation.targets, predictions)
    return tf.mean(perImage).dataSync()[0]!
  })
}

/** The same validation batch every epoch: fixed patches, fixed noise seed, fixed blind-spot masks. */
async function validationBatch(
  source: PatchSource,
  count: number,
  mode: BatchMode,
  seed: number,
): Promise<PatchBatch> {
  const clean = await source.validationPatches(count)
  const shape = [count, source.patchSize, source.patchSize, source.channels] as const
  return makeBatch(clean, shape, mode, seed, createRandom(seed))
}

function disposeBatch(batch: PatchBatch): void {
  tf.dispose([batch.inputs, batch.targets, ...(batch.mask ? [batch.mask] : [])])
}

export async function fitPatches(
  autoencoder: Autoencoder,
  source: PatchSource,
  options: PatchFitOptions,
): Promise<History> {
  assertTrainableHere(autoencoder)
  const batchSize = options.batchSize ?? 16
  const steps = options.stepsPerEpoch ?? 100
  const initialEpoch = options.initialEpoch ?? 0
  const reportInterval = options.batchReportIntervalMs ?? 200
  for (const [label, value] of [
    ['batch size', batchSize],
    ['steps per epoch', steps],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new BottleneckError('INVALID_INPUT', `The ${label} must be a positive integer (got ${value}).`)
    }
  }
  const optimizer = options.optimizer ?? createAdam(autoencoder.config.learningRate)
  const variables = autoencoder.model.trainableWeights.map((weight) => weight.read() as tf.Variable)
  const validationCount = options.validationPatches
  const validation =
    validationCount > 0
      ? await validationBatch(source, validationCount, options.mode, options.seed ?? 1234)
      : undefined
  const history: History = { epochs: [], cancelled: false }
  let secondsPerEpoch: number | undefined
  try {
    for (let epoch = initialEpoch; epoch < options.epochs; epoch++) {
      const started = performance.now()
      let lastReport = started
      let lossSum = 0
      for (let step = 0; step < steps; step++) {
        if (options.signal?.aborted) {
          history.cancelled = true
          return history
        }
        // Reading patches from disk is async, which also gives the event loop its turn every step.
        const batch = await source.nextBatch(batchSize, options.mode)
        let batchLoss: tf.Scalar
        try {
          batchLoss = optimizer.minimize(() => stepLoss(autoencoder, batch), true, variables) as tf.Scalar
        } finally {
          disposeBatch(batch)
        }
        const loss = (await batchLoss.data())[0]!
        batchLoss.dispose()
        lossSum += loss
        const now = performance.now()
        if (options.onBatchEnd && (now - lastReport >= reportInterval || step === steps - 1)) {
          lastReport = now
          const elapsed = (now - started) / 1000
          const epochEta = (elapsed / (step + 1)) * (steps - step - 1)
          const epochSeconds = secondsPerEpoch ?? (elapsed / (step + 1)) * steps
          options.onBatchEnd({
            epoch,
            epochs: options.epochs,
            batch: step,
            batches: steps,
            loss,
            samplesPerSecond: ((step + 1) * batchSize) / Math.max(elapsed, 1e-9),
            epochEtaSeconds: epochEta,
            etaSeconds: epochEta + epochSeconds * (options.epochs - epoch - 1),
          })
        }
      }
      const loss = lossSum / steps
      const seconds = (performance.now() - started) / 1000
      const logs: EpochLogs = {
        epoch,
        loss,
        seconds,
        samplesPerSecond: (steps * batchSize) / Math.max(seconds, 1e-9),
      }
      if (validation) logs.val_loss = validationLoss(autoencoder, validation)
      assertConverging(logs)
      secondsPerEpoch = seconds
      history.epochs.push(logs)
      await options.onEpochEnd?.(logs)
    }
    return history
  } finally {
    if (validation) disposeBatch(validation)
    if (!options.optimizer) optimizer.dispose()
  }
}
