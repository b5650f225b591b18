// The process that owns TensorFlow.js. Started by the service as an Electron utilityProcess (app) or a forked
// Node process (CLI, tests, web shell); the same file serves both roles: `training` (one fit at a time, checkpoint
// every epoch) and `inference` (encode/decode/reconstruct/denoise, dataset previews). The main process never runs
// TensorFlow, so a long batch here can never freeze a window.
import * as tf from '@tensorflow/tfjs'
import type { Image, Metrics } from '../contract/index'
import {
  buildAutoencoder,
  createModelConfig,
  getArchitecture,
  restoreAutoencoder,
  type Autoencoder,
  type ModelConfig,
} from '../ml/architectures/index'
import { initBackend, type BackendName } from '../ml/backend'
import { loadDataset, type ImageDataset } from '../ml/datasets'
import { BottleneckError, isBottleneckError } from '../ml/errors'
import { meanSquaredError, peakSignalToNoiseRatio, structuralSimilarity } from '../ml/metrics'
import { applyNoise, type NoiseSpec } from '../ml/noise'
import { fit } from '../ml/train'
import { floatToImage, stackImages, toNoiseSpec } from './images'
import { ModelRepository, type ModelRecord } from './model-repository'
import {
  isParentMessage,
  type ChildMessage,
  type DatasetRef,
  type ParentMessage,
  type StartTrainingParams,
  type TrainerMethod,
  type TrainerMethods,
} from './protocol'

// ---------------------------------------------------------------------------------------------------------------
// Messaging: utilityProcess has process.parentPort, a forked process has process.send.
// ---------------------------------------------------------------------------------------------------------------

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  postMessage(message: unknown): void
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort

function post(message: ChildMessage): void {
  if (parentPort) parentPort.postMessage(message)
  else if (process.send) process.send(message)
}

function onParentMessage(listener: (message: ParentMessage) => void): void {
  const accept = (value: unknown) => {
    if (isParentMessage(value)) listener(value)
  }
  if (parentPort) parentPort.on('message', (event) => accept(event.data))
  else process.on('message', accept)
}

const role = process.env.BOTTLENECK_TRAINER_ROLE ?? 'training'
function log(level: 'info' | 'warn' | 'error', message: string): void {
  post({ type: 'log', level, message })
}

function toErrorShape(error: unknown): { code: string; message: string } {
  if (isBottleneckError(error)) return { code: error.code, message: error.message }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error)
  log('error', `unexpected failure: ${detail}`)
  return { code: 'INTERNAL', message: 'Something went wrong in the trainer; the log has the details.' }
}

// ---------------------------------------------------------------------------------------------------------------
// Caches: a model loaded for inference is kept until its checkpoint changes; datasets are kept one at a time.
// ---------------------------------------------------------------------------------------------------------------

const repositories = new Map<string, ModelRepository>()
function repository(root: string): ModelRepository {
  let found = repositories.get(root)
  if (!found) repositories.set(root, (found = new ModelRepository(root)))
  return found
}

const loadedModels = new Map<string, { updatedAt: string; autoencoder: Autoencoder; record: ModelRecord }>()

async function loadForInference(
  storeRoot: string,
  modelId: string,
): Promise<{ autoencoder: Autoencoder; record: ModelRecord }> {
  const store = repository(storeRoot)
  const record = await store.get(modelId)
  const cached = loadedModels.get(modelId)
  if (cached && cached.updatedAt === record.updatedAt) return cached
  const { model } = await store.loadModel(modelId)
  const autoencoder = restoreAutoencoder(record.config, model)
  cached?.autoencoder.dispose()
  const entry = { updatedAt: record.updatedAt, autoencoder, record }
  loadedModels.set(modelId, entry)
  return entry
}

let cachedDataset: { key: string; dataset: ImageDataset } | undefined

async function datasetFor(ref: DatasetRef, limit?: number, testLimit?: number): Promise<ImageDataset> {
  const key = `${ref.spec}|${limit ?? ''}|${testLimit ?? ''}`
  if (cachedDataset?.key === key) return cachedDataset.dataset
  cachedDataset = undefined
  const dataset = await loadDataset(ref.spec, { limit, testLimit })
  cachedDataset = { key, dataset }
  return dataset
}

// ---------------------------------------------------------------------------------------------------------------
// Inference
// ---------------------------------------------------------------------------------------------------------------

function checkShapes(images: Image[], config: ModelConfig): void {
  const [height, width, channels] = config.inputShape
  images.forEach((image, index) => {
    if (image.height !== height || image.width !== width || image.channels !== channels) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `Image ${index + 1} is ${image.width}×${image.height} with ${image.channels} channel(s), but this model takes ${width}×${height} with ${channels}; resize it first.`,
      )
    }
  })
}

function batchTensor(images: Image[], config: ModelConfig): tf.Tensor4D {
  const [height, width, channels] = config.inputShape
  return tf.tensor4d(stackImages(images), [images.length, height, width, channels])
}

function tensorToImages(tensor: tf.Tensor): Image[] {
  const [count, height, width, channels] = tensor.shape as [number, number, number, number]
  const data = tensor.dataSync() as Float32Array
  const size = height * width * channels
  return Array.from({ length: count }, (_, i) =>
    floatToImage(data.subarray(i * size, (i + 1) * size), height, width, channels),
  )
}

function metricsOf(clean: tf.Tensor4D, output: tf.Tensor4D): Metrics[] {
  const [mse, psnr, ssim] = tf.tidy(() => [
    meanSquaredError(clean, output).dataSync(),
    peakSignalToNoiseRatio(clean, output).dataSync(),
    structuralSimilarity(clean, output).dataSync(),
  ])
  return Array.from(mse!, (value, i) => ({ mse: value, psnr: psnr![i]!, ssim: ssim![i]! }))
}

type Handler<M extends TrainerMethod> = (
  params: TrainerMethods[M]['params'],
) => Promise<TrainerMethods[M]['result']>

const encode: Handler<'encode'> = async ({ storeRoot, modelId, images }) => {
  const { autoencoder } = await loadForInference(storeRoot, modelId)
  checkShapes(images, autoencoder.config)
  if (!autoencoder.encoder) throw new BottleneckError('NOT_SUPPORTED', 'This model has no separate encoder.')
  const encoder = autoencoder.encoder
  const codes = tf.tidy(() => {
    const output = encoder.predict(batchTensor(images, autoencoder.config)) as tf.Tensor | tf.Tensor[]
    // Variational encoders return [mean, logVar, sample]; the mean is the code a person wants to see.
    const code = Array.isArray(output) ? output[0]! : output
    return code.reshape([images.length, -1]).arraySync() as number[][]
  })
  return { codes }
}

const decode: Handler<'decode'> = async ({ storeRoot, modelId, codes }) => {
  const { autoencoder } = await loadForInference(storeRoot, modelId)
  if (!autoencoder.decoder) throw new BottleneckError('NOT_SUPPORTED', 'This model has no separate decoder.')
  const decoder = autoencoder.decoder
  const codeShape = (decoder.inputs[0]!.shape as (number | null)[]).slice(1) as number[]
  const codeSize = codeShape.reduce((a, b) => a * b, 1)
  codes.forEach((code, index) => {
    if (code.length !== codeSize) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `Code ${index + 1} has ${code.length} values; this model's code has ${codeSize}.`,
      )
    }
  })
  const images = tf.tidy(() => {
    const input = tf.tensor(codes.flat(), [codes.length, ...codeShape])
    return tensorToImages(decoder.predict(input) as tf.Tensor)
  })
  return { images }
}

const reconstruct: Handler<'reconstruct'> = async ({ storeRoot, modelId, images }) => {
  const { autoencoder } = await loadForInference(storeRoot, modelId)
  checkShapes(images, autoencoder.config)
  return tf.tidy(() => {
    const clean = batchTensor(images, autoencoder.config)
    const output = autoencoder.model.predict(clean) as tf.Tensor4D
    return { images: tensorToImages(output), metrics: metricsOf(clean, output) }
  })
}

const denoise: Handler<'denoise'> = async ({ storeRoot, modelId, images, noise, seed }) => {
  const { autoencoder } = await loadForInference(storeRoot, modelId)
  checkShapes(images, autoencoder.config)
  const spec = toNoiseSpec(noise)
  return tf.tidy(() => {
    const clean = batchTensor(images, autoencoder.config)
    const noisy = spec.kind === 'none' ? clean : (applyNoise(clean, spec, seed ?? 1) as tf.Tensor4D)
    const output = autoencoder.model.predict(noisy) as tf.Tensor4D
    if (spec.kind === 'none') return { images: tensorToImages(output) }
    return { images: tensorToImages(output), noisy: tensorToImages(noisy), metrics: metricsOf(clean, output) }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------------------------------------------

const inspectDataset: Handler<'inspectDataset'> = async ({ dataset: ref }) => {
  // Loads the whole set once to count it; the service remembers the answer.
  const dataset = await loadDataset(ref.spec)
  return {
    id: ref.id,
    name: ref.name,
    height: dataset.height,
    width: dataset.width,
    channels: dataset.channels,
    trainCount: dataset.train.count,
    testCount: dataset.test.count,
  }
}

const previewSamples: Handler<'previewSamples'> = async ({ dataset: ref, split, count, offset }) => {
  const dataset = await loadDataset(ref.spec, { limit: offset + count, testLimit: offset + count })
  const part = dataset[split]
  const size = dataset.height * dataset.width * dataset.channels
  const images: Image[] = []
  const labels: number[] = []
  for (let i = offset; i < Math.min(part.count, offset + count); i++) {
    images.push(
      floatToImage(
        part.images.subarray(i * size, (i + 1) * size),
        dataset.height,
        dataset.width,
        dataset.channels,
      ),
    )
    if (part.labels) labels.push(part.labels[i]!)
  }
  return part.labels ? { images, labels } : { images }
}

// ---------------------------------------------------------------------------------------------------------------
// Training
// ---------------------------------------------------------------------------------------------------------------

/** Test images shown after every epoch; fixed so the UI can watch the same digits improve. */
const SAMPLE_COUNT = 8

let activeRun: { runId: string; modelId: string; controller: AbortController } | undefined
let backendName = 'unknown'

async function runTraining(params: StartTrainingParams, controller: AbortController): Promise<void> {
  const store = repository(params.storeRoot)
  let record: ModelRecord
  let autoencoder: Autoencoder
  let targetEpochs: number
  if (params.config) {
    const config = params.config
    const dataset = await datasetFor(params.dataset, config.trainLimit, config.testLimit)
    const modelConfig = createModelConfig(
      config.architecture,
      [dataset.height, dataset.width, dataset.channels],
      {
        ...config.options,
        codeSize: config.codeSize,
        learningRate: config.learningRate,
        seed: config.seed,
      },
    )
    autoencoder = buildAutoencoder(modelConfig)
    const now = new Date().toISOString()
    targetEpochs = config.epochs
    record = {
      id: params.modelId,
      name: config.name ?? `${config.architecture} on ${params.dataset.name}`,
      config: modelConfig,
      dataset: params.dataset,
      noise: config.noise,
      backend: backendName,
      createdAt: now,
      updatedAt: now,
      targetEpochs,
      batchSize: config.batchSize,
      trainLimit: config.trainLimit,
      testLimit: config.testLimit,
      history: [],
    }
    // Saved before the first batch so the model is listed (and resumable) from the start.
    await store.save(record, autoencoder.model)
  } else {
    const loaded = await store.loadModel(params.modelId)
    record = loaded.record
    autoencoder = restoreAutoencoder(record.config, loaded.model)
    targetEpochs = params.epochs ?? record.targetEpochs
    record = { ...record, targetEpochs }
  }

  try {
    const dataset = await datasetFor(record.dataset, record.trainLimit, record.testLimit)
    const [height, width, channels] = record.config.inputShape
    if (dataset.height !== height || dataset.width !== width || dataset.channels !== channels) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `The dataset's images are not ${width}×${height}×${channels} like the model's.`,
      )
    }
    const noiseSpec = toNoiseSpec(record.noise)
    const imageSize = height * width * channels
    const sampleCount = Math.min(SAMPLE_COUNT, dataset.test.count)
    const sampleData = dataset.test.images.subarray(0, sampleCount * imageSize)
    const initialEpoch = record.history.length
    const started = Date.now()

    const history = await fit(
      autoencoder,
      { train: dataset.train, validation: dataset.test },
      {
        epochs: targetEpochs,
        initialEpoch,
        batchSize: record.batchSize,
        seed: record.config.seed,
        signal: controller.signal,
        noise:
          noiseSpec.kind === 'none'
            ? undefined
            : (clean, seed) => applyNoise(clean, noiseSpec, seed) as tf.Tensor4D,
        onBatchEnd(progress) {
          post({
            type: 'event',
            name: 'training.onBatchProgress',
            payload: {
              runId: params.runId,
              modelId: record.id,
              epoch: progress.epoch + 1,
              epochs: progress.epochs,
              batch: progress.batch + 1,
              batches: progress.batches,
              loss: progress.loss,
              samplesPerSecond: progress.samplesPerSecond,
              etaSeconds: progress.etaSeconds,
            },
          })
        },
        async onEpochEnd(logs) {
          record = {
            ...record,
            updatedAt: new Date().toISOString(),
            backend: backendName,
            history: [
              ...record.history,
              {
                epoch: logs.epoch + 1,
                loss: logs.loss,
                valLoss: logs.val_loss,
                durationMs: Math.round(logs.seconds * 1000),
              },
            ],
          }
          await store.save(record, autoencoder.model)
          const samples =
            sampleCount === 0
              ? []
              : sampleImages(autoencoder, sampleData, sampleCount, [height, width, channels], noiseSpec)
          post({
            type: 'event',
            name: 'training.onEpochEnd',
            payload: {
              runId: params.runId,
              modelId: record.id,
              epoch: logs.epoch + 1,
              epochs: targetEpochs,
              loss: logs.loss,
              valLoss: logs.val_loss,
              durationMs: Math.round(logs.seconds * 1000),
              samples,
            },
          })
        },
      },
    )
    log(
      'info',
      `run ${params.runId} ${history.cancelled ? 'cancelled' : 'finished'} after ${Math.round((Date.now() - started) / 1000)} s`,
    )
    post({
      type: 'event',
      name: 'training.onDone',
      payload: {
        runId: params.runId,
        modelId: record.id,
        status: history.cancelled ? 'cancelled' : 'completed',
        epochs: record.history.length,
        history: record.history,
      },
    })
  } finally {
    autoencoder.dispose()
    // The inference cache may hold an older copy of this model; it reloads by updatedAt anyway.
  }
}

function sampleImages(
  autoencoder: Autoencoder,
  data: Float32Array,
  count: number,
  shape: [number, number, number],
  noise: NoiseSpec,
): { original: Image; input?: Image; reconstruction: Image }[] {
  return tf.tidy(() => {
    const clean = tf.tensor4d(data, [count, ...shape])
    // A fixed seed: the same noisy digits every epoch, so only the model's change is visible.
    const input = noise.kind === 'none' ? clean : (applyNoise(clean, noise, 12345) as tf.Tensor4D)
    const output = autoencoder.model.predict(input) as tf.Tensor4D
    const originals = tensorToImages(clean)
    const inputs = noise.kind === 'none' ? undefined : tensorToImages(input)
    const reconstructions = tensorToImages(output)
    return originals.map((original, i) => ({
      original,
      ...(inputs ? { input: inputs[i]! } : {}),
      reconstruction: reconstructions[i]!,
    }))
  })
}

const startTraining: Handler<'startTraining'> = async (params) => {
  if (activeRun)
    throw new BottleneckError(
      'TRAINING_BUSY',
      'A training is already running; cancel it or wait until it ends.',
    )
  // Fails now (as the call's answer) rather than later as an event when the architecture does not exist.
  if (params.config) getArchitecture(params.config.architecture)
  const controller = new AbortController()
  activeRun = { runId: params.runId, modelId: params.modelId, controller }
  runTraining(params, controller)
    .catch((error: unknown) => {
      post({
        type: 'event',
        name: 'training.failed',
        payload: { runId: params.runId, modelId: params.modelId, error: toErrorShape(error) },
      })
    })
    .finally(() => {
      activeRun = undefined
    })
  return { started: true }
}

const cancelTraining: Handler<'cancelTraining'> = async () => {
  if (!activeRun) return { cancelled: false }
  activeRun.controller.abort()
  return { cancelled: true }
}

// ---------------------------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------------------------

const handlers: { [M in TrainerMethod]: Handler<M> } = {
  backend: async () => {
    const info = await initBackend()
    return { ...info }
  },
  startTraining,
  cancelTraining,
  encode,
  decode,
  reconstruct,
  denoise,
  inspectDataset,
  previewSamples,
  forgetModel: async ({ modelId }) => {
    const cached = loadedModels.get(modelId)
    cached?.autoencoder.dispose()
    return { forgotten: loadedModels.delete(modelId) }
  },
  busyWait: async ({ ms }) => {
    if (process.env.BOTTLENECK_TEST_HOOKS !== '1')
      throw new BottleneckError('NOT_SUPPORTED', 'Test hooks are off.')
    const start = performance.now()
    while (performance.now() - start < ms) {
      // Deliberately blocks the event loop: simulates one long batch.
    }
    return { waited: performance.now() - start }
  },
}

async function handle(message: Extract<ParentMessage, { type: 'request' }>): Promise<void> {
  const handler = handlers[message.method] as Handler<TrainerMethod> | undefined
  if (!handler) {
    post({
      type: 'response',
      id: message.id,
      ok: false,
      error: { code: 'UNKNOWN_CALL', message: `No trainer method "${message.method}".` },
    })
    return
  }
  try {
    const value = await handler(message.params as never)
    post({ type: 'response', id: message.id, ok: true, value })
  } catch (error) {
    post({ type: 'response', id: message.id, ok: false, error: toErrorShape(error) })
  }
}

async function shutdown(): Promise<void> {
  activeRun?.controller.abort()
  for (const entry of loadedModels.values()) entry.autoencoder.dispose()
  loadedModels.clear()
  process.exit(0)
}

async function main(): Promise<void> {
  onParentMessage((message) => {
    if (message.type === 'request') void handle(message)
    else if (message.type === 'shutdown') void shutdown()
  })
  // A lost parent must not leave an orphan burning CPU.
  process.on('disconnect', () => process.exit(0))
  const preferred = process.env.BOTTLENECK_BACKEND as BackendName | undefined
  try {
    const info = await initBackend(preferred || undefined)
    backendName = info.name
    post({ type: 'ready', pid: process.pid, backend: { ...info } })
    log(
      'info',
      `${role} trainer on ${info.name}${info.fallbackReason ? ` (fallback: ${info.fallbackReason})` : ''}`,
    )
  } catch (error) {
    const shape = toErrorShape(error)
    log('error', shape.message)
    process.exit(3)
  }
}

void main()
