// An in-memory BottleneckApi for renderer tests (and the UI-only browser harness): models, datasets, a training run
// the test drives by hand (emit progress, end epochs, finish), and inference that really transforms its input, so
// views show believable results and tests can assert on them. Calls are recorded; failures can be injected.
import {
  ApiError,
  type BatchProgress,
  type BottleneckApi,
  type ContractErrorShape,
  type DatasetSummary,
  type DenoiseBaseline,
  type EpochEnd,
  type EventName,
  type EventPayload,
  type Image,
  type ModelDetail,
  type ModelSummary,
  type Noise,
  type Preset,
  type TrainingConfig,
  type TrainingDone,
  type TrainingErrorEvent,
  type TrainingSample,
  type UnreadableModel,
} from '@contract'

type AnyListener = (payload: unknown) => void

export interface FakeApi extends BottleneckApi {
  calls: { name: string; payload: unknown }[]
  state: {
    models: ModelDetail[]
    /** Model folders the store cannot read: listed apart, and only models.delete and models.restoreVersion take them. */
    unreadable: UnreadableModel[]
    /** The model a restorable unreadable folder holds, by folder id: models.restoreVersion lists it again. */
    restorable: Map<string, ModelDetail>
    datasets: DatasetSummary[]
    presets: Preset[]
    /** The run going on; `samples` are its last epoch-end samples, which training.status reports. */
    training: { runId: string; modelId: string; config: TrainingConfig; samples?: TrainingSample[] } | null
    /** Models whose saved optimizer state is damaged: resuming one warns of it before the call answers. */
    damagedOptimizerState: Set<string>
  }
  /** Makes the next call of `name` fail with this code and message. */
  failNext(name: string, code: string, message: string): void
  emit<E extends EventName>(name: E, payload: EventPayload<E>): void
  /** Emits a batch-progress event for the current run. */
  progress(epoch: number, batch: number, batches?: number, loss?: number): BatchProgress
  endEpoch(epoch: number, loss: number, valLoss?: number): EpochEnd
  /** Ends the run; one that saved no epoch loses its model (see removeUntrainedModel). */
  finish(status?: 'completed' | 'cancelled'): TrainingDone
  /** Fails the run as the trainer reports a failure; one that saved no epoch loses its model, as with `finish`. */
  fail(error: ContractErrorShape): TrainingErrorEvent
  /**
   * The training process dies and is restarted, as the service reports it. With `resumes`, the service resumes the run
   * by itself under the same id (its status says 'starting' until the next batch); without, the run has ended.
   */
  crashTrainer(options: { resumes: boolean; message: string }): TrainingErrorEvent
  /** Artificial latency for inference calls, in ms. */
  inferenceDelayMs: number
}

export function digitImage(seed: number, size = 28): Image {
  const data = new Array<number>(size * size).fill(0)
  const cx = size / 2 + ((seed % 5) - 2)
  const cy = size / 2
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const r = Math.hypot(x - cx, y - cy)
      if (r > 5 && r < 8) data[y * size + x] = 255
    }
  return { width: size, height: size, channels: 1, data }
}

export function makeModel(overrides: Partial<ModelDetail> = {}): ModelDetail {
  const now = new Date('2026-11-27T09:00:00Z').toISOString()
  return {
    id: 'dense-mnist-1',
    name: 'dense on mnist',
    architecture: 'dense',
    inputShape: [28, 28, 1],
    codeSize: 32,
    dataset: 'mnist',
    epochs: 3,
    targetEpochs: 3,
    loss: 0.1,
    valLoss: 0.11,
    createdAt: now,
    updatedAt: now,
    config: { learningRate: 0.001 },
    history: [
      { epoch: 1, loss: 0.2, valLoss: 0.18 },
      { epoch: 2, loss: 0.14, valLoss: 0.13 },
      { epoch: 3, loss: 0.1, valLoss: 0.11 },
    ],
    ...overrides,
  }
}

/** A folder of colour photos, cut into 64×64 patches, as the service lists one once it is added. */
export const PHOTO_FOLDER: DatasetSummary = {
  id: 'folder-photos',
  name: 'mixed',
  kind: 'folder',
  height: 64,
  width: 64,
  channels: 3,
  trainCount: 2048,
  testCount: 256,
  path: '/data/mixed',
}

/** A variational autoencoder with a 2-D code: its loss is summed over the pixels, its val_loss per pixel. */
export function makeVae(overrides: Partial<ModelDetail> = {}): ModelDetail {
  return makeModel({
    id: 'vae-1',
    name: 'vae',
    architecture: 'vae',
    codeSize: 2,
    loss: 200.1168,
    valLoss: 0.2334,
    ...overrides,
  })
}

/** A U-Net denoiser trained to remove `noise` (fresh every batch), as the store lists one. */
export function makeDenoiser(noise: Noise, overrides: Partial<ModelDetail> = {}): ModelDetail {
  return makeModel({
    id: 'denoiser-1',
    name: 'mnist-denoise',
    architecture: 'denoiser',
    noise,
    noiseMode: 'fresh',
    ...overrides,
  })
}

function summary(model: ModelDetail): ModelSummary {
  const { config: _c, backend: _b, history: _h, metrics: _m, ...rest } = model
  return rest
}

/** Stand-in codes that follow the image (sums of 24-pixel slices), so a changed drawing changes its code. */
function fakeCodes(images: Image[], codeSize: number): number[][] {
  return images.map((image) =>
    Array.from({ length: codeSize }, (_, k) => {
      const slice = image.data.slice(k * 24, k * 24 + 24)
      return slice.reduce((s, v) => s + v, 0) / (24 * 255) - 0.2
    }),
  )
}

/** A "reconstruction" that visibly differs from the input: a 3×3 box blur of its first channel, grey in any case. */
function blur(image: Image): Image {
  const { width, height } = image
  const data = new Array<number>(width * height)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let sum = 0
      let n = 0
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy
          const xx = x + dx
          if (yy < 0 || xx < 0 || yy >= height || xx >= width) continue
          sum += image.data[(yy * width + xx) * image.channels] ?? 0
          n++
        }
      data[y * width + x] = Math.round(sum / n)
    }
  return { width, height, channels: 1, data }
}

function metricsOf(a: Image, b: Image) {
  let error = 0
  for (let i = 0; i < a.data.length; i++) error += (((a.data[i] ?? 0) - (b.data[i] ?? 0)) / 255) ** 2
  const mse = error / a.data.length
  return { mse, psnr: mse === 0 ? 99 : 10 * Math.log10(1 / mse), ssim: Math.max(0, 1 - mse * 10) }
}

export function createFakeApi(
  initial: { models?: ModelDetail[]; unreadable?: UnreadableModel[] } = {},
): FakeApi {
  const listeners = new Map<string, Set<AnyListener>>()
  const failures = new Map<string, { code: string; message: string }>()
  const calls: FakeApi['calls'] = []
  const state: FakeApi['state'] = {
    models: initial.models ?? [],
    unreadable: initial.unreadable ?? [],
    restorable: new Map(),
    datasets: [
      {
        id: 'mnist',
        name: 'MNIST (built in)',
        kind: 'builtin',
        height: 28,
        width: 28,
        channels: 1,
        trainCount: 60000,
        testCount: 10000,
      },
    ],
    // Three of the service's recipes as it reports them (tests/main/service checks the real list).
    presets: [
      {
        name: 'keras-simple',
        description: 'The Keras blog simplest autoencoder: Dense 32, 50 epochs, batch 256.',
        architecture: 'dense',
        datasetId: 'mnist',
        codeSize: 32,
        epochs: 50,
        batchSize: 256,
        learningRate: 0.001,
        noise: { type: 'none' },
        reference: 'Keras blog: val_loss ≈ 0.0916 after 50 epochs.',
      },
      {
        name: 'keras-vae',
        description: 'The Keras blog variational autoencoder: Dense 256, 2-D code, 50 epochs, batch 100.',
        architecture: 'vae',
        datasetId: 'mnist',
        codeSize: 2,
        epochs: 50,
        batchSize: 100,
        learningRate: 0.001,
        noise: { type: 'none' },
      },
      {
        name: 'mnist-denoise',
        description: 'U-Net denoiser for MNIST digits under Gaussian noise σ = 0.5.',
        architecture: 'denoiser',
        datasetId: 'mnist',
        codeSize: 32,
        epochs: 11,
        batchSize: 64,
        learningRate: 0.001,
        noise: { type: 'gaussian', stddev: 0.5 },
        reference: 'PSNR 21.66 dB, SSIM 0.905 on the 10,000 MNIST test digits.',
      },
    ],
    training: null,
    damagedOptimizerState: new Set(),
  }
  let runCounter = 0
  /** Where the current run is, as training.status reports it (the last batch event the test emitted). */
  let lastProgress: Pick<BatchProgress, 'epoch' | 'batch' | 'batches'> = { epoch: 0, batch: 0, batches: 0 }
  /** The service is resuming the run after a crash of the training process: no batch of it has come yet. */
  let resumingAfterCrash = false

  /**
   * What registering a folder typed in the web shell gives: a dataset named after the folder. An image folder, as the
   * service reports one, counts the patches training cuts (2,048 and 256 of 64×64) and lists its image files apart.
   */
  function addedDataset(kind: 'idx' | 'folder', path?: string): DatasetSummary | null {
    if (!path) return null
    const name = path.split('/').filter(Boolean).pop() ?? 'dataset'
    const shape =
      kind === 'idx'
        ? { height: 28, width: 28, channels: 1, trainCount: 1000, testCount: 100 }
        : {
            height: 64,
            width: 64,
            channels: 3,
            trainCount: 2048,
            testCount: 256,
            imageFiles: { found: 12, unreadableCount: 0, unreadable: [] },
          }
    const dataset: DatasetSummary = { id: `${kind}-${state.datasets.length}`, name, kind, ...shape, path }
    state.datasets.push(dataset)
    return dataset
  }

  function sleep(ms: number) {
    return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve()
  }

  function handler<P, R>(name: string, body: (payload: P) => R | Promise<R>) {
    return async (payload?: P): Promise<R> => {
      calls.push({ name, payload })
      await Promise.resolve()
      const failure = failures.get(name)
      if (failure) {
        failures.delete(name)
        throw new ApiError(failure.code, failure.message)
      }
      return body(payload as P)
    }
  }

  function find(id: string): ModelDetail {
    const model = state.models.find((m) => m.id === id)
    if (!model)
      throw new ApiError('MODEL_NOT_FOUND', `No model "${id}" in the store. Pick one from the Models view.`)
    return model
  }

  function emit(name: string, payload: unknown) {
    for (const listener of listeners.get(name) ?? []) listener(payload)
  }

  /**
   * What the back end does with the model of a run that ended before its first epoch was saved: the trainer removes
   * it, and the service tells every view as after a delete (src-main/service: forgetRemovedModel).
   */
  function removeUntrainedModel(modelId: string): void {
    const model = state.models.find((m) => m.id === modelId)
    if (!model || model.epochs > 0) return
    state.models = state.models.filter((m) => m.id !== modelId)
    emit('models.onChanged', { reason: 'deleted', id: modelId })
  }

  function on(name: string) {
    return (listener: AnyListener) => {
      let set = listeners.get(name)
      if (!set) listeners.set(name, (set = new Set()))
      set.add(listener)
      return () => set.delete(listener)
    }
  }

  const api = {
    calls,
    state,
    inferenceDelayMs: 0,
    failNext(name: string, code: string, message: string) {
      failures.set(name, { code, message })
    },
    emit,
    models: {
      list: handler('models.list', () => ({
        models: state.models.map(summary),
        unreadable: state.unreadable,
      })),
      get: handler('models.get', ({ id }: { id: string }) => find(id)),
      rename: handler('models.rename', ({ id, name }: { id: string; name: string }) => {
        const model = find(id)
        model.name = name
        return summary(model)
      }),
      delete: handler('models.delete', ({ id }: { id: string }) => {
        // As the store does, an id removes its folder even when the folder cannot be read.
        if (state.unreadable.some((folder) => folder.id === id)) {
          state.unreadable = state.unreadable.filter((folder) => folder.id !== id)
          return { deleted: true }
        }
        find(id)
        state.models = state.models.filter((m) => m.id !== id)
        return { deleted: true }
      }),
      restoreVersion: handler('models.restoreVersion', ({ id }: { id: string }) => {
        const folder = state.unreadable.find((entry) => entry.id === id)
        if (!folder) {
          // As the store refuses it: a model that can be read already has a pointer that works.
          find(id)
          throw new ApiError(
            'INVALID_INPUT',
            `The model ${id} already points to a version it holds; nothing was changed.`,
          )
        }
        const model = state.restorable.get(id)
        if (!folder.restorableVersion || !model)
          throw new ApiError(
            'MODEL_CORRUPT',
            `The model in ${folder.folder} has no complete saved version to restore.`,
          )
        state.unreadable = state.unreadable.filter((entry) => entry.id !== id)
        state.restorable.delete(id)
        state.models.unshift(model)
        return summary(model)
      }),
      import: handler('models.import', ({ path }: { path?: string }) => {
        if (!path) return null
        const model = makeModel({
          id: `imported-${state.models.length + 1}`,
          name: path.split('/').pop() ?? 'imported',
        })
        state.models.unshift(model)
        return summary(model)
      }),
      export: handler('models.export', ({ id, path }: { id: string; path?: string }) => {
        find(id)
        return path ? { path: `${path}/${id}` } : null
      }),
      onChanged: on('models.onChanged'),
    },
    datasets: {
      builtIns: handler('datasets.builtIns', () => state.datasets.filter((d) => d.kind === 'builtin')),
      list: handler('datasets.list', () => state.datasets),
      addIdxFolder: handler('datasets.addIdxFolder', ({ path }: { path?: string }) =>
        addedDataset('idx', path),
      ),
      addImageFolder: handler('datasets.addImageFolder', ({ path }: { path?: string }) =>
        addedDataset('folder', path),
      ),
      remove: handler('datasets.remove', ({ id }: { id: string }) => {
        const before = state.datasets.length
        state.datasets = state.datasets.filter((dataset) => dataset.id !== id || dataset.kind === 'builtin')
        return { removed: state.datasets.length < before }
      }),
      previewSamples: handler(
        'datasets.previewSamples',
        ({ count = 16, offset = 0 }: { count?: number; offset?: number }) => ({
          images: Array.from({ length: count }, (_, i) => digitImage(offset + i)),
          labels: Array.from({ length: count }, (_, i) => (offset + i) % 10),
        }),
      ),
    },
    training: {
      start: handler('training.start', (config: TrainingConfig) => {
        if (state.training)
          throw new ApiError(
            'TRAINING_BUSY',
            'A training is already running. Cancel it or wait until it finishes.',
          )
        runCounter++
        const modelId = `${config.architecture}-${config.datasetId}-${runCounter}`
        state.training = { runId: `run-${runCounter}`, modelId, config }
        state.models.unshift(
          makeModel({
            id: modelId,
            name: config.name ?? `${config.architecture} on ${config.datasetId}`,
            architecture: config.architecture,
            epochs: 0,
            targetEpochs: config.epochs,
            history: [],
            codeSize: config.codeSize,
          }),
        )
        return { runId: state.training.runId, modelId }
      }),
      cancel: handler('training.cancel', () => ({ cancelled: state.training !== null })),
      resume: handler('training.resume', ({ id }: { id: string }) => {
        const model = find(id)
        runCounter++
        state.training = {
          runId: `run-${runCounter}`,
          modelId: id,
          config: {
            architecture: model.architecture,
            datasetId: model.dataset,
            codeSize: model.codeSize,
            epochs: model.targetEpochs,
            batchSize: 256,
            learningRate: 0.001,
          },
        }
        // As the trainer does: the warning is sent as the run starts, before the resume call answers.
        if (state.damagedOptimizerState.has(id))
          emit('training.onWarning', {
            runId: state.training.runId,
            modelId: id,
            message:
              `The optimizer state saved with "${model.name}" is damaged (optimizer.json is not valid JSON); the ` +
              "model's weights are fine, so training resumes with fresh Adam moment estimates (the next checkpoint " +
              'saves a new optimizer state).',
          })
        return { runId: state.training.runId, modelId: id }
      }),
      presets: handler('training.presets', () => state.presets),
      status: handler('training.status', () => ({
        state: !state.training
          ? ('idle' as const)
          : resumingAfterCrash
            ? ('starting' as const)
            : ('running' as const),
        ...(state.training
          ? {
              run: {
                runId: state.training.runId,
                modelId: state.training.modelId,
                epochs: state.training.config.epochs,
                ...lastProgress,
                startedAt: '2026-11-27T09:00:00.000Z',
                ...(state.training.samples ? { samples: state.training.samples } : {}),
              },
            }
          : {}),
        trainer: { restarts: 0, alive: true },
      })),
      onBatchProgress: on('training.onBatchProgress'),
      onEpochEnd: on('training.onEpochEnd'),
      onDone: on('training.onDone'),
      onError: on('training.onError'),
      onWarning: on('training.onWarning'),
    },
    inference: {
      prepare: handler('inference.prepare', ({ id }: { id: string }) => {
        find(id)
        return { ready: true as const }
      }),
      encode: handler('inference.encode', async ({ id, images }: { id: string; images: Image[] }) => {
        const model = find(id)
        await sleep(api.inferenceDelayMs)
        return { codes: fakeCodes(images, model.codeSize) }
      }),
      decode: handler('inference.decode', ({ codes }: { codes: number[][] }) => ({
        images: codes.map((_, i) => digitImage(i)),
      })),
      reconstruct: handler(
        'inference.reconstruct',
        async ({ id, images, withCodes }: { id: string; images: Image[]; withCodes?: boolean }) => {
          const model = find(id)
          await sleep(api.inferenceDelayMs)
          const out = images.map(blur)
          const metrics = images.map((image, i) => metricsOf(image, out[i]!))
          return withCodes
            ? { images: out, metrics, codes: fakeCodes(images, model.codeSize) }
            : { images: out, metrics }
        },
      ),
      denoise: handler(
        'inference.denoise',
        ({
          id,
          images,
          noise,
          baselines,
        }: {
          id: string
          images: Image[]
          noise?: { type: string }
          baselines?: DenoiseBaseline[]
        }) => {
          find(id)
          const noisy =
            noise && noise.type !== 'none'
              ? images.map((image) => ({
                  ...image,
                  data: image.data.map((v, i) => (i % 7 === 0 ? 255 - v : v)),
                }))
              : undefined
          const out = (noisy ?? images).map(blur)
          // Stand-ins for the classical filters: the noisy image blurred 0–3 times, so they score differently.
          const passes: Record<DenoiseBaseline, number> = { gaussian: 0, median: 1, median5: 2, nlm: 3 }
          const blurred = (image: Image, times: number): Image =>
            times === 0 ? image : blurred(blur(image), times - 1)
          return {
            images: out,
            noisy,
            metrics: noisy ? images.map((image, i) => metricsOf(image, out[i]!)) : undefined,
            baselines:
              noisy && baselines?.length
                ? baselines.map((name) => ({
                    name,
                    images: noisy.map((image) => blurred(image, passes[name])),
                  }))
                : undefined,
          }
        },
      ),
    },
    system: {
      backend: handler('system.backend', () => ({ name: 'cpu', tfjsVersion: '4.22.0' })),
      versions: handler('system.versions', () => ({
        app: '0.1.0',
        node: '20',
        shell: 'test' as const,
        nativeDialogs: false,
      })),
      paths: handler('system.paths', () => ({ store: '/tmp/store', models: '/tmp/store/models' })),
    },
    // Only the desktop app reports saves; a test emits files.onSaved as its shell would.
    files: {
      onSaved: on('files.onSaved'),
    },
    progress(epoch: number, batch: number, batches = 10, loss = 0.3 / epoch) {
      const run = state.training!
      const event: BatchProgress = {
        runId: run.runId,
        modelId: run.modelId,
        epoch,
        epochs: run.config.epochs,
        batch,
        batches,
        loss,
        samplesPerSecond: 5120,
        etaSeconds: 42,
      }
      lastProgress = { epoch, batch, batches }
      resumingAfterCrash = false
      emit('training.onBatchProgress', event)
      return event
    },
    endEpoch(epoch: number, loss: number, valLoss?: number) {
      const run = state.training!
      const event: EpochEnd = {
        runId: run.runId,
        modelId: run.modelId,
        epoch,
        epochs: run.config.epochs,
        loss,
        valLoss,
        durationMs: 1000,
        samples: [0, 1, 2].map((i) => ({ original: digitImage(i), reconstruction: blur(digitImage(i)) })),
      }
      const model = state.models.find((m) => m.id === run.modelId)
      if (model) {
        model.epochs = epoch
        model.history.push({ epoch, loss, valLoss })
      }
      run.samples = event.samples
      emit('training.onEpochEnd', event)
      return event
    },
    finish(status: 'completed' | 'cancelled' = 'completed') {
      const run = state.training!
      const model = state.models.find((m) => m.id === run.modelId)
      const event: TrainingDone = {
        runId: run.runId,
        modelId: run.modelId,
        status,
        epochs: model?.epochs ?? 0,
        history: model?.history ?? [],
      }
      state.training = null
      emit('training.onDone', event)
      removeUntrainedModel(run.modelId)
      return event
    },
    fail(error: ContractErrorShape) {
      const run = state.training!
      const event: TrainingErrorEvent = {
        runId: run.runId,
        modelId: run.modelId,
        error,
        trainerRestarted: false,
      }
      state.training = null
      emit('training.onError', event)
      removeUntrainedModel(run.modelId)
      return event
    },
    crashTrainer({ resumes, message }: { resumes: boolean; message: string }) {
      const run = state.training!
      const event: TrainingErrorEvent = {
        runId: run.runId,
        modelId: run.modelId,
        error: { code: 'TRAINER_CRASHED', message },
        trainerRestarted: true,
      }
      if (resumes) resumingAfterCrash = true
      else state.training = null
      emit('training.onError', event)
      return event
    },
  }
  return api as unknown as FakeApi
}
