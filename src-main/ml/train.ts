// The training loop (Keras' `fit`, written out): shuffled mini-batches gathered from one resident tensor, Adam,
// validation after every epoch, progress callbacks, cancellation between batches, seeds for reproducible runs.
import * as tf from '@tensorflow/tfjs'
import { reconstructionMetric, type Autoencoder } from './architectures/index'
import type { ImageSplit } from './datasets'
import { createCompiledTrainer } from './compiled/dense-trainer'
import { BottleneckError } from './errors'
import { evaluateReconstructions } from './metrics'
import { createRandom, deriveSeed, shuffledIndices } from './random'

export interface TrainingData {
  train: ImageSplit
  /** Scored after every epoch (val_loss); Keras' validation_data. */
  validation?: ImageSplit
}

/**
 * Corrupts a batch of clean inputs (denoising); targets stay clean. Called inside tf.tidy. `indices` are the
 * batch's positions in the training split (so noise can be fixed per image); validation batches come without them.
 */
export type InputNoise = (clean: tf.Tensor4D, seed: number, indices?: tf.Tensor1D) => tf.Tensor4D

export interface BatchProgress {
  /** 0-based epoch index, as in Keras. */
  epoch: number
  epochs: number
  /** 0-based batch index within the epoch. */
  batch: number
  batches: number
  /** Loss of this batch; read back only when a report is due, so it is set on reported batches. */
  loss: number
  samplesPerSecond: number
  /** Seconds left in this epoch, then in the whole run. */
  epochEtaSeconds: number
  etaSeconds: number
}

export interface EpochLogs {
  /** 0-based epoch index. */
  epoch: number
  loss: number
  val_loss?: number
  seconds: number
  samplesPerSecond: number
}

export interface FitOptions {
  /** Index of the last epoch + 1, as in Keras (with initialEpoch 3 and epochs 5, epochs 3 and 4 run). */
  epochs: number
  batchSize?: number
  initialEpoch?: number
  shuffle?: boolean
  seed?: number
  signal?: AbortSignal
  noise?: InputNoise
  /** Reuse an optimizer (e.g. restored for resume); otherwise Adam with the config's learning rate is created. */
  optimizer?: tf.Optimizer
  /** Minimum time between onBatchEnd calls; each call costs one read-back of the batch loss. Default 200 ms. */
  batchReportIntervalMs?: number
  onBatchEnd?: (progress: BatchProgress) => void
  /** Awaited before the next epoch starts, so a checkpoint written here is complete before training goes on. */
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>
  /**
   * Dense chains (dense, sparse, deep) on native TensorFlow run each step as one compiled graph (ml/compiled): the
   * same results as the eager step, several times faster; other models and backends stay eager. Default true;
   * false forces the eager step (the compiled graph has the architecture's loss built in and never calls
   * `autoencoder.loss`, so code that swaps that function needs the eager step).
   */
  compiledSteps?: boolean
}

export interface History {
  epochs: EpochLogs[]
  /** True when the signal stopped training; `epochs` then holds the epochs that finished. */
  cancelled: boolean
}

/** Keras' Adam defaults (β1 0.9, β2 0.999, ε 1e-7). */
export function createAdam(learningRate: number): tf.Optimizer {
  return tf.train.adam(learningRate, 0.9, 0.999, 1e-7)
}

/**
 * The learning rate for one step: the config's rate, or with `learningRateDecay: 'cosine'` (an architecture option)
 * that rate decayed along a half cosine to 0 over the whole run (`epochs`), so a resumed run continues the same curve.
 */
export function scheduledLearningRate(config: Autoencoder['config'], epoch: number, epochs: number, batchFraction: number): number {
  if (config.learningRateDecay === undefined || config.learningRateDecay === 'none') return config.learningRate
  if (config.learningRateDecay !== 'cosine') {
    throw new BottleneckError('INVALID_INPUT', `The learning-rate decay must be "cosine" or "none" (got ${String(config.learningRateDecay)}).`)
  }
  const progress = Math.min(1, (epoch + batchFraction) / Math.max(epochs, 1))
  return config.learningRate * 0.5 * (1 + Math.cos(Math.PI * progress))
}

/**
 * Ends a run whose epoch left a loss that is not a number, before its onEpochEnd saves it. The last step of an epoch
 * can blow the weights up after every batch loss was finite; only val_loss, scored after it, shows that.
 */
export function assertConverging(logs: EpochLogs): void {
  const diverged = (
    [
      ['loss', logs.loss],
      ['val_loss', logs.val_loss],
    ] as const
  ).find(([, value]) => value !== undefined && !Number.isFinite(value))
  if (diverged) {
    throw new BottleneckError(
      'TRAINING_DIVERGED',
      `Training diverged in epoch ${logs.epoch + 1} (${diverged[0]} is ${diverged[1]}); try a smaller learning rate.`,
    )
  }
}

/** How often to give the event loop a turn, so signals (Ctrl-C) and I/O get through during a long epoch. */
const YIELD_INTERVAL_MS = 50

/**
 * Refuses, in a sentence, a model the current backend cannot train: tfjs' WASM backend has no convolution
 * gradient kernels, and without this check the user would meet tfjs' internal "kernel not registered" error
 * after the first batch.
 */
export function assertTrainableHere(autoencoder: Autoencoder): void {
  const backend = tf.getBackend()
  const convolutional = autoencoder.model.layers.some((layer) => /^Conv\dD/.test(layer.getClassName()))
  if (convolutional && !tf.getKernel('Conv2DBackpropFilter', backend)) {
    throw new BottleneckError(
      'BACKEND_UNAVAILABLE',
      `The ${autoencoder.config.architecture} model is convolutional, and the ${backend} backend cannot train ` +
        'convolutions. Run `npm run setup:native` for native TensorFlow (or set BOTTLENECK_BACKEND=cpu, which is slow).',
    )
  }
}

export async function fit(
  autoencoder: Autoencoder,
  data: TrainingData,
  options: FitOptions,
): Promise<History> {
  assertTrainableHere(autoencoder)
  const [height, width, channels] = autoencoder.config.inputShape
  const imageSize = height * width * channels
  const { train, validation } = data
  const batchSize = options.batchSize ?? 256
  const initialEpoch = options.initialEpoch ?? 0
  const reportInterval = options.batchReportIntervalMs ?? 200
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The batch size must be a positive integer (got ${batchSize}).`,
    )
  }
  if (train.count < 1) throw new BottleneckError('INVALID_INPUT', 'There are no training images.')
  if (train.images.length !== train.count * imageSize) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The training images do not match the model's input of ${height}×${width}×${channels}.`,
    )
  }
  const seed = options.seed ?? autoencoder.config.seed
  // Seeded per starting epoch, so a resumed run sees the same shuffles a continuous run would have.
  const random = createRandom(seed === undefined ? undefined : deriveSeed(seed, 1000 + initialEpoch))
  const noiseRandom = createRandom(seed === undefined ? undefined : deriveSeed(seed, 2000 + initialEpoch))
  const validationSeed = deriveSeed(seed ?? 0, 3000)
  const optimizer = options.optimizer ?? createAdam(autoencoder.config.learningRate)
  scheduledLearningRate(autoencoder.config, 0, 1, 0) // refuses an unknown decay before any work
  const decays = autoencoder.config.learningRateDecay !== undefined && autoencoder.config.learningRateDecay !== 'none'
  const variables = autoencoder.model.trainableWeights.map((weight) => weight.read() as tf.Variable)
  const compiled = options.compiledSteps === false ? undefined : await createCompiledTrainer(autoencoder, optimizer)
  const images = tf.tensor4d(train.images, [train.count, height, width, channels])
  const batches = Math.ceil(train.count / batchSize)
  const history: History = { epochs: [], cancelled: false }
  let secondsPerEpoch: number | undefined

  try {
    for (let epoch = initialEpoch; epoch < options.epochs; epoch++) {
      const started = performance.now()
      let lastYield = started
      let lastReport = started
      const order = tf.tensor1d(
        options.shuffle === false
          ? Int32Array.from({ length: train.count }, (_, i) => i)
          : shuffledIndices(train.count, random),
        'int32',
      )
      // Weighted loss sum stays on the backend; it is read once per epoch, not once per batch.
      let lossSum: tf.Scalar = tf.scalar(0)
      try {
        for (let batch = 0; batch < batches; batch++) {
          if (options.signal?.aborted) {
            history.cancelled = true
            return history
          }
          const start = batch * batchSize
          const size = Math.min(batchSize, train.count - start)
          const noiseSeed = options.noise ? Math.floor(noiseRandom() * 0x7fff_ffff) : 0
          if (decays) {
            // tfjs' optimizers read their (TypeScript-protected) learningRate field at every step.
            ;(optimizer as unknown as { learningRate: number }).learningRate = scheduledLearningRate(
              autoencoder.config, epoch, options.epochs, batch / batches)
          }
          const batchLoss = tf.tidy(() => {
            const learningRate = (optimizer as unknown as { learningRate: number }).learningRate
            // Without a noise hook the compiled graph gathers the batch itself (no eager ops per batch).
            if (compiled && !options.noise) return compiled.stepIndexed(images, order, start, size, learningRate)
            const indices = order.slice(start, size)
            const clean = tf.gather(images, indices) as tf.Tensor4D
            const inputs = options.noise ? options.noise(clean, noiseSeed, indices) : clean
            if (compiled) return compiled.step(inputs, clean, learningRate)
            return optimizer.minimize(() => autoencoder.loss(inputs, clean), true, variables) as tf.Scalar
          })
          const previous = lossSum
          lossSum = tf.tidy(() => tf.add(previous, tf.mul(batchLoss, size)))
          previous.dispose()

          const now = performance.now()
          const isLast = batch === batches - 1
          if (options.onBatchEnd && (now - lastReport >= reportInterval || isLast)) {
            lastReport = now
            compiled?.syncBack()
            const elapsed = (now - started) / 1000
            const samples = start + size
            const epochEta = (elapsed / (batch + 1)) * (batches - batch - 1)
            const epochSeconds = secondsPerEpoch ?? (elapsed / (batch + 1)) * batches
            options.onBatchEnd({
              epoch,
              epochs: options.epochs,
              batch,
              batches,
              loss: (await batchLoss.data())[0]!,
              samplesPerSecond: samples / Math.max(elapsed, 1e-9),
              epochEtaSeconds: epochEta,
              etaSeconds: epochEta + epochSeconds * (options.epochs - epoch - 1),
            })
          }
          batchLoss.dispose()
          if (now - lastYield >= YIELD_INTERVAL_MS) {
            // Whatever runs during the yield (inference, a save) sees the weights an eager step would have left.
            compiled?.syncBack()
            await new Promise<void>((resolve) => setImmediate(resolve))
            lastYield = performance.now()
          }
        }
        compiled?.syncBack()
        const loss = (await lossSum.data())[0]! / train.count
        const trainSeconds = (performance.now() - started) / 1000
        const logs: EpochLogs = {
          epoch,
          loss,
          seconds: trainSeconds,
          samplesPerSecond: train.count / Math.max(trainSeconds, 1e-9),
        }
        if (validation && validation.count > 0) {
          // A denoiser is scored as it is used, noisy → clean, on the same noisy images every epoch.
          const noise = options.noise
          const metric = reconstructionMetric(autoencoder.config)
          logs.val_loss = evaluateReconstructions(autoencoder.model, validation, [height, width, channels], {
            metrics: [metric],
            transformInputs: noise && ((clean, at) => noise(clean, Math.floor(deriveSeed(validationSeed, at)))),
          }).mean[metric]
        }
        assertConverging(logs)
        secondsPerEpoch = (performance.now() - started) / 1000
        history.epochs.push(logs)
        await options.onEpochEnd?.(logs)
      } finally {
        order.dispose()
        lossSum.dispose()
      }
    }
    return history
  } finally {
    try {
      compiled?.syncBack()
    } finally {
      compiled?.dispose()
      images.dispose()
      if (!options.optimizer) optimizer.dispose()
    }
  }
}
