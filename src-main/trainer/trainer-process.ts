// The process that owns TensorFlow.js. Started by the service as an Electron utilityProcess (app) or a forked
// Node process (CLI, tests, web shell); the same file serves both roles: `training` (one fit at a time, checkpoint
// every epoch) and `inference` (encode/decode/reconstruct/denoise, dataset previews). The main process never runs
// TensorFlow, so a long batch here can never freeze a window.
import { basename } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { automaticModelName, type DatasetSummary, type Image, type Metrics } from '../contract/index'
import {
  buildAutoencoder,
  createModelConfig,
  getArchitecture,
  type Autoencoder,
  type ModelConfig,
} from '../ml/architectures/index'
import { initBackend, type BackendName } from '../ml/backend'
import { loadDataset, modelInputOptions, type ImageDataset, type LoadDatasetOptions } from '../ml/datasets'
import { BottleneckError, isBottleneckError } from '../ml/errors'
import { hasSsim, imageQuality, meanSquaredError, peakSignalToNoiseRatio, ssimOrUndefined } from '../ml/metrics'
import {
  applyNoise,
  createTrainingNoise,
  formatNoiseSpec,
  parseNoiseSpec,
  withNoiseMode,
  type NoiseSpec,
  type TrainingNoise,
} from '../ml/noise'
import { createAdam, fit } from '../ml/train'
import { createReconstructor, encodeRows, type Reconstructor } from '../ml/reconstruct'
import { finalTestMetrics } from '../ml/test-metrics'
import { restoreWithBaseline } from '../ml/denoise-eval'
import { openStore, type ModelMetadata, type Store } from '../store/index'
import { floatToImage, stackImages, toNoiseSpec } from './images'
import { createDenoiseJobs } from './denoise-jobs'
import { createLatentHandlers } from './latent'
import { createModelCache, type ModelSource } from './model-cache'
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
// Caches: a few models loaded for inference (./model-cache), each until its checkpoint changes; datasets one at a time.
// ---------------------------------------------------------------------------------------------------------------

const stores = new Map<string, Store>()
function storeAt(root: string): Store {
  let found = stores.get(root)
  if (!found) stores.set(root, (found = openStore(root)))
  return found
}

/** The service checks ids against this before they reach the store, whose `get` also accepts names and paths. */
const STORE_ID = /^[a-z0-9]{12}$/
function checkId(modelId: string): void {
  if (!STORE_ID.test(modelId))
    throw new BottleneckError('MODEL_NOT_FOUND', `There is no model with the id "${modelId}".`)
}

interface LoadedForInference {
  autoencoder: Autoencoder
  reconstructor: Reconstructor
}

const loadedModels = createModelCache<LoadedForInference>({
  dispose(entry) {
    entry.reconstructor.dispose()
    entry.autoencoder.dispose()
  },
})

/**
 * A model of the store as the cache loads it. Each call checks the store's version pointer (one tiny synchronous
 * read) instead of reading and validating bottleneck.json: the Draw view calls this for every stroke, and the async
 * read was its slowest step (p95 5–6 ms on a busy machine).
 */
function inferenceSource(storeRoot: string, modelId: string): ModelSource<LoadedForInference> {
  checkId(modelId)
  const store = storeAt(storeRoot)
  return {
    currentVersion: () => store.currentVersion(modelId),
    async load() {
      const { record, autoencoder } = await store.load(modelId)
      try {
        const reconstructor = await createReconstructor(autoencoder)
        return { version: basename(record.versionFolder), value: { autoencoder, reconstructor } }
      } catch (error) {
        autoencoder.dispose()
        throw error
      }
    },
  }
}

/** Runs `work` with the model, which no eviction or newer checkpoint can dispose until `work` is done. */
async function withModel<R>(
  storeRoot: string,
  modelId: string,
  work: (loaded: LoadedForInference) => R | Promise<R>,
): Promise<R> {
  return loadedModels.use(modelId, inferenceSource(storeRoot, modelId), work)
}

/** The model lent to work that outlives one call (a photo's denoising, a latent call's dataset load): see `release`. */
async function lendModel(storeRoot: string, modelId: string): Promise<LoadedForInference & { release(): void }> {
  const lease = await loadedModels.acquire(modelId, inferenceSource(storeRoot, modelId))
  return { ...lease.value, release: lease.release }
}

let cachedDataset: { key: string; dataset: ImageDataset } | undefined

/** `input`: the model's patch size and channels, which an image folder is cut to (MNIST and IDX ignore it). */
async function datasetFor(
  ref: DatasetRef,
  limit?: number,
  testLimit?: number,
  input: Pick<LoadDatasetOptions, 'patchSize' | 'channels'> = {},
): Promise<ImageDataset> {
  const key = `${ref.spec}|${limit ?? ''}|${testLimit ?? ''}|${input.patchSize ?? ''}|${input.channels ?? ''}`
  if (cachedDataset?.key === key) return cachedDataset.dataset
  cachedDataset = undefined
  const dataset = await loadDataset(ref.spec, { limit, testLimit, ...input })
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
  return pixelsToImages(tensor.dataSync() as Float32Array, count, [height, width, channels])
}

/** `count` images of `shape` stored one after another, as contract images. */
function pixelsToImages(
  data: Float32Array,
  count: number,
  [height, width, channels]: readonly [number, number, number],
): Image[] {
  const size = height * width * channels
  return Array.from({ length: count }, (_, i) =>
    floatToImage(data.subarray(i * size, (i + 1) * size), height, width, channels),
  )
}

/** Below this many values, JavaScript scores a batch faster than the ~30 TensorFlow calls of the tensor path. */
const JS_METRICS_MAX_VALUES = 1 << 20

/**
 * Per-image MSE, PSNR and SSIM: the Draw view's one digit in well under a millisecond, large batches on TensorFlow.
 * Images too small for SSIM take the TensorFlow path, which can leave SSIM out; imageQuality refuses them.
 */
function metricsOf(clean: tf.Tensor4D, output: tf.Tensor4D): Metrics[] {
  const [count, height, width, channels] = clean.shape
  const size = height * width * channels
  if (count * size > JS_METRICS_MAX_VALUES || !hasSsim([height, width, channels])) {
    const { mse, psnr, ssim } = tf.tidy(() => ({
      mse: meanSquaredError(clean, output).dataSync(),
      psnr: peakSignalToNoiseRatio(clean, output).dataSync(),
      ssim: ssimOrUndefined(clean, output)?.dataSync(),
    }))
    return Array.from(mse, (value, i) => ({ mse: value, psnr: psnr[i]!, ...(ssim ? { ssim: ssim[i]! } : {}) }))
  }
  const expected = clean.dataSync() as Float32Array
  const actual = output.dataSync() as Float32Array
  return Array.from({ length: count }, (_, i) =>
    imageQuality(
      expected.subarray(i * size, (i + 1) * size),
      actual.subarray(i * size, (i + 1) * size),
      height,
      width,
      channels,
    ),
  )
}

type Handler<M extends TrainerMethod> = (
  params: TrainerMethods[M]['params'],
) => Promise<TrainerMethods[M]['result']>

const prepare: Handler<'prepare'> = async ({ storeRoot, modelId }) => {
  await withModel(storeRoot, modelId, () => undefined)
  return { ready: true }
}

const encode: Handler<'encode'> = ({ storeRoot, modelId, images }) =>
  withModel(storeRoot, modelId, ({ autoencoder }) => {
    checkShapes(images, autoencoder.config)
    if (!autoencoder.encoder) throw new BottleneckError('NOT_SUPPORTED', 'This model has no separate encoder.')
    const encoder = autoencoder.encoder
    return { codes: tf.tidy(() => encodeRows(encoder, batchTensor(images, autoencoder.config)).arraySync()) }
  })

const decode: Handler<'decode'> = ({ storeRoot, modelId, codes }) =>
  withModel(storeRoot, modelId, ({ autoencoder }) => decodeCodes(autoencoder, codes))

function decodeCodes(autoencoder: Autoencoder, codes: number[][]): { images: Image[] } {
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

const reconstruct: Handler<'reconstruct'> = ({ storeRoot, modelId, images, withCodes }) =>
  withModel(storeRoot, modelId, ({ autoencoder, reconstructor }) => {
    checkShapes(images, autoencoder.config)
    return tf.tidy(() => {
      const clean = batchTensor(images, autoencoder.config)
      const { reconstruction, code } = reconstructor.run(clean, withCodes === true)
      const output = reconstruction as tf.Tensor4D
      const result = { images: tensorToImages(output), metrics: metricsOf(clean, output) }
      return code ? { ...result, codes: code.arraySync() } : result
    })
  })

const denoise: Handler<'denoise'> = ({ storeRoot, modelId, ...request }) =>
  withModel(storeRoot, modelId, (loaded) => denoiseBatch(loaded, request))

function denoiseBatch(
  { autoencoder, reconstructor }: LoadedForInference,
  { images, noise, seed, baselines }: Omit<TrainerMethods['denoise']['params'], 'storeRoot' | 'modelId'>,
): TrainerMethods['denoise']['result'] {
  checkShapes(images, autoencoder.config)
  const spec = toNoiseSpec(noise)
  if (baselines?.length && spec.kind === 'none') {
    throw new BottleneckError('INVALID_INPUT', 'The classical filters need a noise to remove: choose one first.')
  }
  return tf.tidy(() => {
    const clean = batchTensor(images, autoencoder.config)
    const noisy = spec.kind === 'none' ? clean : (applyNoise(clean, spec, seed ?? 1) as tf.Tensor4D)
    const output = reconstructor.run(noisy, false).reconstruction as tf.Tensor4D
    if (spec.kind === 'none') return { images: tensorToImages(output) }
    const result = { images: tensorToImages(output), noisy: tensorToImages(noisy), metrics: metricsOf(clean, output) }
    if (!baselines?.length) return result
    // The filters restore exactly the noisy images the model saw, so the rows compare like for like.
    const shape = autoencoder.config.inputShape
    const noisyPixels = noisy.dataSync() as Float32Array
    const restored = baselines.map((name) => ({
      name,
      images: pixelsToImages(restoreWithBaseline(name, noisyPixels, images.length, shape), images.length, shape),
    }))
    return { ...result, baselines: restored }
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
    ...(ref.spec.startsWith('folder:') ? { imageFiles: await describeImageFiles(ref.spec.slice('folder:'.length)) } : {}),
  }
}

/** Unreadable files of an added image folder that are named; the rest are counted. */
const UNREADABLE_FILES_LISTED = 5

/**
 * The image files of a folder dataset and those training will skip (the CLI's "skipped"), so adding it can say so:
 * its counts are patches, which alone would hide a folder of one readable photo and many broken ones. Surveyed here,
 * beside the loading that counts them, so decoding photos stays out of the app's main process.
 */
async function describeImageFiles(folder: string): Promise<NonNullable<DatasetSummary['imageFiles']>> {
  // Loaded on demand, as ml/datasets does: image folders need sharp, which MNIST and IDX users never pay for.
  const { surveyImageFolder } = await import('../ml/folder-dataset')
  const { files, unreadable, gifs } = await surveyImageFolder(folder)
  return {
    found: files.length,
    ...(gifs.length > 0 ? { gifsLeftOut: gifs.length } : {}),
    unreadableCount: unreadable.length,
    unreadable: unreadable
      .slice(0, UNREADABLE_FILES_LISTED)
      .map(({ file, message }) => ({ file, reason: message })),
  }
}

/** `folderCut`: the patch size and channels an image folder is cut to; the service refuses them otherwise. */
const previewSamples: Handler<'previewSamples'> = async (params) => {
  const { dataset: ref, split, count, offset, ...folderCut } = params
  const limits = { limit: offset + count, testLimit: offset + count }
  const dataset = await loadDataset(ref.spec, { ...limits, ...folderCut })
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

interface ActiveRun {
  runId: string
  modelId?: string
  controller: AbortController
}
let activeRun: ActiveRun | undefined
let backendInfo: { name: string; tfjsVersion: string } = { name: 'unknown', tfjsVersion: tf.version.tfjs }

/** The store keeps noise as the spec text the CLI uses (`gaussian:0.5`), so both read each other's models. */
function noiseFromMetadata(noise: unknown): NoiseSpec {
  if (typeof noise === 'string') return parseNoiseSpec(noise)
  return { kind: 'none' }
}

/** Everything a run needs once its model exists in the store. */
interface PreparedRun {
  modelId: string
  metadata: ModelMetadata
  autoencoder: Autoencoder
  optimizer: tf.Optimizer
  dataset: ImageDataset
  noise: NoiseSpec
}

/**
 * New run: loads the data, builds the model and saves it as epoch 0, so the store mints its id and the model is
 * listed (and resumable after a crash) before the first batch; a run that ends before its first epoch removes it again
 * (removeUntrainedModel). Resume: loads the last checkpoint with its Adam state.
 */
async function prepareRun(params: StartTrainingParams): Promise<PreparedRun> {
  const store = storeAt(params.storeRoot)
  if (params.config) {
    const config = params.config
    getArchitecture(config.architecture)
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
    const noise = withNoiseMode(toNoiseSpec(config.noise), config.noiseMode ?? 'fresh')
    const autoencoder = buildAutoencoder(modelConfig)
    const optimizer = createAdam(modelConfig.learningRate)
    try {
      const metadata: Omit<ModelMetadata, 'id' | 'formatVersion' | 'createdAt' | 'updatedAt'> = {
        name: config.name ?? automaticModelName(config.architecture, modelConfig.codeSize, params.dataset.name),
        config: modelConfig,
        dataset: {
          spec: params.dataset.spec,
          name: params.dataset.name,
          trainCount: dataset.train.count,
          testCount: dataset.test.count,
        },
        noise: noise.kind === 'none' ? undefined : formatNoiseSpec(noise),
        backend: backendInfo,
        epochs: 0,
        targetEpochs: config.epochs,
        batchSize: config.batchSize,
        history: [],
      }
      const record = await store.save({ metadata, model: autoencoder.model })
      return { modelId: record.id, metadata: record.metadata, autoencoder, optimizer, dataset, noise }
    } catch (error) {
      autoencoder.dispose()
      optimizer.dispose()
      throw error
    }
  }
  const modelId = params.modelId ?? ''
  checkId(modelId)
  const { record, autoencoder } = await store.load(modelId)
  const optimizer = createAdam(record.metadata.config.learningRate)
  try {
    // A damaged optimizer state is no failure: the run goes on with fresh Adam moments and tells the user so, as
    // the CLI does.
    const warnings: string[] = []
    await store.restoreOptimizer(record, optimizer, (warning) => warnings.push(warning))
    // The same subset the run started with: the store records how many images were used. An image folder is cut
    // to the model's own patch size and channels (a CLI run may have chosen other ones than the app's defaults).
    const dataset = await datasetFor(
      { id: params.dataset.id, spec: record.metadata.dataset.spec, name: record.metadata.dataset.name },
      record.metadata.dataset.trainCount,
      record.metadata.dataset.testCount,
      modelInputOptions(record.metadata.config.inputShape),
    )
    const [height, width, channels] = record.metadata.config.inputShape
    if (dataset.height !== height || dataset.width !== width || dataset.channels !== channels) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `The dataset's images are not ${width}×${height}×${channels} like the model's.`,
      )
    }
    const metadata = { ...record.metadata, targetEpochs: params.epochs ?? record.metadata.targetEpochs }
    // Only now that the run will start: a resume refused above needs no warning about how it would have gone.
    for (const message of warnings) {
      log('warn', `run ${params.runId}: ${message}`)
      post({ type: 'event', name: 'training.onWarning', payload: { runId: params.runId, modelId, message } })
    }
    return {
      modelId,
      metadata,
      autoencoder,
      optimizer,
      dataset,
      noise: noiseFromMetadata(record.metadata.noise),
    }
  } catch (error) {
    autoencoder.dispose()
    optimizer.dispose()
    throw error
  }
}

async function runTraining(
  params: StartTrainingParams,
  run: PreparedRun,
  controller: AbortController,
): Promise<void> {
  const store = storeAt(params.storeRoot)
  const { modelId, autoencoder, optimizer, dataset, noise } = run
  let metadata = run.metadata
  const [height, width, channels] = metadata.config.inputShape
  const imageSize = height * width * channels
  const sampleCount = Math.min(SAMPLE_COUNT, dataset.test.count)
  const sampleData = dataset.test.images.subarray(0, sampleCount * imageSize)
  const targetEpochs = metadata.targetEpochs
  const started = Date.now()
  // Fixed-mode noise is one corrupted copy of the training set, made before the first batch.
  let trainingNoise: TrainingNoise | undefined
  try {
    trainingNoise = createTrainingNoise(noise, dataset.train, [height, width, channels], metadata.config.seed)
    const history = await fit(
      autoencoder,
      { train: dataset.train, validation: dataset.test },
      {
        epochs: targetEpochs,
        initialEpoch: metadata.epochs,
        batchSize: metadata.batchSize,
        seed: metadata.config.seed,
        signal: controller.signal,
        optimizer,
        noise: trainingNoise.noise,
        onBatchEnd(progress) {
          post({
            type: 'event',
            name: 'training.onBatchProgress',
            payload: {
              runId: params.runId,
              modelId,
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
          const { id: _id, formatVersion: _format, updatedAt: _updated, ...rest } = metadata
          // The finished model keeps its test scores, as a CLI run's does (the Models view shows them).
          const finished = logs.epoch + 1 === targetEpochs
          const record = await store.save({
            id: modelId,
            metadata: {
              ...rest,
              backend: backendInfo,
              epochs: logs.epoch + 1,
              history: [...metadata.history, logs],
              ...(finished ? { metrics: finalTestMetrics(autoencoder, dataset.test, [height, width, channels], noise) } : {}),
            },
            model: autoencoder.model,
            optimizer,
          })
          metadata = record.metadata
          const samples =
            sampleCount === 0
              ? []
              : sampleImages(autoencoder, sampleData, sampleCount, [height, width, channels], noise)
          post({
            type: 'event',
            name: 'training.onEpochEnd',
            payload: {
              runId: params.runId,
              modelId,
              epoch: logs.epoch + 1,
              epochs: targetEpochs,
              loss: logs.loss,
              ...(logs.val_loss !== undefined ? { valLoss: logs.val_loss } : {}),
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
    if (metadata.epochs === 0) await removeUntrainedModel(store, modelId, params.runId)
    post({
      type: 'event',
      name: 'training.onDone',
      payload: {
        runId: params.runId,
        modelId,
        status: history.cancelled ? 'cancelled' : 'completed',
        epochs: metadata.epochs,
        history: metadata.history.map((entry) => ({
          epoch: entry.epoch + 1,
          loss: entry.loss,
          ...(entry.val_loss !== undefined ? { valLoss: entry.val_loss } : {}),
          ...(entry.seconds !== undefined ? { durationMs: Math.round(entry.seconds * 1000) } : {}),
        })),
      },
    })
  } catch (error) {
    if (metadata.epochs === 0) await removeUntrainedModel(store, modelId, params.runId)
    throw error
  } finally {
    trainingNoise?.dispose()
    autoencoder.dispose()
    optimizer.dispose()
  }
}

/**
 * A run that ends, cancelled or failed, before its first epoch is saved has trained nothing: the epoch-0 model it saved
 * so the list shows it while training would stay behind as the newest model, which Draw, Compare and Latent preselect.
 * Best effort: the run's own outcome is what to report, so a failed removal is only logged.
 */
async function removeUntrainedModel(store: Store, modelId: string, runId: string): Promise<void> {
  try {
    await store.remove(modelId)
    log('info', `run ${runId} ended before its first epoch; removed its untrained model ${modelId}`)
  } catch (error) {
    log('warn', `run ${runId}: could not remove its untrained model ${modelId}: ${(error as Error).message}`)
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
  const controller = new AbortController()
  const current: ActiveRun = { runId: params.runId, controller }
  activeRun = current
  let prepared: PreparedRun
  try {
    // Awaited: a bad config, a missing dataset or a failing first save is the call's answer, not a later event.
    prepared = await prepareRun(params)
  } catch (error) {
    activeRun = undefined
    throw error
  }
  current.modelId = prepared.modelId
  runTraining(params, prepared, controller)
    .catch((error: unknown) => {
      post({
        type: 'event',
        name: 'training.failed',
        payload: { runId: params.runId, modelId: prepared.modelId, error: toErrorShape(error) },
      })
    })
    .finally(() => {
      activeRun = undefined
    })
  return { started: true, modelId: prepared.modelId }
}

const cancelTraining: Handler<'cancelTraining'> = async () => {
  if (!activeRun) return { cancelled: false }
  activeRun.controller.abort()
  return { cancelled: true }
}

// ---------------------------------------------------------------------------------------------------------------
// Dispatch
// ---------------------------------------------------------------------------------------------------------------

const denoiseJobs = createDenoiseJobs({
  loadModel: lendModel,
  emit: (event) => post({ type: 'event', ...event }),
  log,
})

const handlers: { [M in TrainerMethod]: Handler<M> } = {
  backend: async () => {
    const info = await initBackend()
    return { ...info }
  },
  startTraining,
  cancelTraining,
  prepare,
  encode,
  decode,
  reconstruct,
  denoise,
  inspectDataset,
  previewSamples,
  importModel: async ({ storeRoot, source }) => {
    const record = await storeAt(storeRoot).import(source)
    return { id: record.id }
  },
  // Latent view: the model cache and the one-slot dataset cache above, lent to ./latent.
  ...createLatentHandlers({
    loadModel: lendModel,
    readMetadata: async (storeRoot, modelId) => (await storeAt(storeRoot).get(modelId)).metadata,
    loadDataset: datasetFor,
  }),
  // Denoise view: photo jobs in this (inference) process, on the model cache above; see ./denoise-jobs.
  denoiseImage: (params) => denoiseJobs.start(params),
  cancelDenoise: (params) => denoiseJobs.cancel(params),
  denoiseResult: (params) => denoiseJobs.result(params),
  forgetModel: async ({ modelId }) => ({ forgotten: loadedModels.forget(modelId) }),
  memory: async () => {
    const { numTensors, numBytes } = tf.memory()
    return { numTensors, numBytes, cachedModels: loadedModels.size, keptDenoiseJobs: denoiseJobs.jobs.size }
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
    backendInfo = { name: info.name, tfjsVersion: info.tfjsVersion }
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
