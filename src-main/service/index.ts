// Implements the contract: parses every payload with its schema, routes calls to the model store and to two
// trainer processes (one trains, one answers inference and previews, so inference never waits for a batch), and
// turns trainer messages into contract events. When the training process dies mid-run, the service reports it,
// the host restarts the process, and the run resumes from the last checkpoint the store holds.
import { createHash, randomBytes } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, isAbsolute, join, resolve } from 'node:path'
import {
  isCallName,
  parseInput,
  type CallName,
  type ContractErrorShape,
  type DatasetSummary,
  type Envelope,
  type EventMessage,
  type EventName,
  type EventPayload,
  type Architecture,
  type ModelDetail,
  type ModelList,
  type ModelSummary,
  type ModelsChanged,
  type Noise,
  type NoiseMode,
  type ParsedInput,
  type PhotoSource,
  type Preset,
  DENOISE_LIMITS,
  type TrainingSample,
  type TrainingStatus,
  type Versions,
} from '../contract/index'
import { absoluteDatasetSpec } from '../ml/datasets'
import { BottleneckError, isBottleneckError } from '../ml/errors'
import { createFolder, readPermissionReason, replaceFileAtomic, writeFailure } from '../ml/file-system'
import { parseNoiseSpec } from '../ml/noise'
import { isBuiltInDataPreset, listPresets, presetSettings } from '../ml/presets'
import { openStore, type ModelMetadata } from '../store/index'
import { isStreamedFromFolder } from '../store/metadata'
import { TrainerHost, type Logger } from '../trainer/host'
import { fromNoiseSpec } from '../trainer/images'
import type { DatasetRef, DenoiseImageSource, TrainerEvent } from '../trainer/protocol'
import type { SpawnTrainer } from '../trainer/transport'
import { watchModels, type ModelsWatch } from './models-watch'
import type { Dialogs, Service } from './types'

export type { Dialogs, Service } from './types'

export interface ServiceOptions {
  storeRoot: string
  spawn: SpawnTrainer
  shell: Versions['shell']
  /** Electron lends native dialogs; without them, calls that need a path take the one the user typed. */
  dialogs?: Dialogs
  log?: Logger
  appVersion?: string
  /** Resume a run automatically after the training process crashed (at most this many times per run). */
  autoResumeLimit?: number
  logsDir?: string
  /**
   * Poll the store's models folder this often for changes made outside the service (the CLI training into the same
   * store, a folder deleted by hand) and report them as models.onChanged. The app's shells turn it on; tests that
   * count the service's own events leave it off.
   */
  watchModelsEveryMs?: number
}

type StoredDataset = DatasetSummary & { spec: string }

const BUILT_INS: DatasetRef[] = [{ id: 'mnist', spec: 'mnist', name: 'MNIST' }]

function readAppVersion(): string {
  try {
    const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string
    }
    return packageJson.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

/** Store ids are minted by the store; checking the form here keeps names and paths (which the store's `get`
 * would also resolve) from ever reaching it through the contract. */
const STORE_ID = /^[a-z0-9]{12}$/
function checkModelId(id: string): string {
  if (!STORE_ID.test(id))
    throw new BottleneckError('MODEL_NOT_FOUND', `There is no model with the id "${id}".`)
  return id
}

/** A stored noise spec (`gaussian:0.5,fixed`) as the contract states it: the noise, and how training drew it. */
function contractNoise(text: string): { noise: Noise; noiseMode?: NoiseMode } {
  const spec = parseNoiseSpec(text)
  return { noise: fromNoiseSpec(spec), ...(spec.kind !== 'none' ? { noiseMode: spec.mode ?? 'fresh' } : {}) }
}

export function toSummary(metadata: ModelMetadata): ModelSummary {
  const last = metadata.history[metadata.history.length - 1]
  const [height, width, channels] = metadata.config.inputShape
  let noise: Partial<ReturnType<typeof contractNoise>> = {}
  if (typeof metadata.noise === 'string') {
    try {
      noise = contractNoise(metadata.noise)
    } catch {
      // A spec this version cannot read is left out rather than failing the whole listing.
    }
  }
  return {
    id: metadata.id,
    name: metadata.name,
    architecture: metadata.config.architecture as Architecture,
    inputShape: [height, width, channels],
    codeSize: metadata.config.codeSize,
    dataset: metadata.dataset.name,
    epochs: metadata.epochs,
    targetEpochs: metadata.targetEpochs,
    ...(last ? { loss: last.loss } : {}),
    ...(last?.val_loss !== undefined ? { valLoss: last.val_loss } : {}),
    createdAt: metadata.createdAt,
    updatedAt: metadata.updatedAt,
    ...noise,
  }
}

/** `datasetId`: the listed dataset the model was trained on, when there is one (see listedDatasetForSpec). */
function toDetail(metadata: ModelMetadata, datasetId: string | undefined): ModelDetail {
  return {
    ...toSummary(metadata),
    config: { ...metadata.config },
    backend: metadata.backend.name,
    trainCount: metadata.dataset.trainCount,
    batchSize: metadata.batchSize,
    // The store keeps Keras' 0-based epoch index; people count from 1.
    history: metadata.history.map((entry) => ({
      epoch: entry.epoch + 1,
      loss: entry.loss,
      ...(entry.val_loss !== undefined ? { valLoss: entry.val_loss } : {}),
      ...(entry.seconds !== undefined ? { durationMs: Math.round(entry.seconds * 1000) } : {}),
    })),
    ...(metadata.metrics ? { metrics: metadata.metrics } : {}),
    ...(datasetId !== undefined ? { datasetId } : {}),
  }
}

/**
 * A dataset spec as the app stores an added one: a folder's absolute path without a trailing slash or "..", so a
 * folder the CLI was given as "folder:/photos/" is the one added as /photos. A relative path (a model the CLI saved
 * before it recorded full paths) is left as it is: it was taken from the CLI's working folder, unknown here.
 */
function canonicalDatasetSpec(spec: string): string {
  return isAbsolute(spec.slice(spec.indexOf(':') + 1)) ? absoluteDatasetSpec(spec) : spec
}

interface ActiveRun {
  runId: string
  /** Known once the trainer saved the new model (its first checkpoint). */
  modelId?: string
  epoch: number
  epochs: number
  batch: number
  batches: number
  loss?: number
  startedAt: string
  /** The last finished epoch's samples, kept for the status: a page loaded after that epoch ended shows them. */
  samples?: TrainingSample[]
  isNew: boolean
  autoResumes: number
}

export function createService(options: ServiceOptions): Service & {
  /** For tests and benchmarks: the trainer hosts behind the service. */
  hosts: { training: TrainerHost; inference: TrainerHost }
} {
  const log: Logger = options.log ?? ((level, message) => console[level === 'info' ? 'log' : level](message))
  const storeRoot = resolve(options.storeRoot)
  const store = openStore(storeRoot)
  const datasetsFile = join(storeRoot, 'datasets.json')
  const appVersion = options.appVersion ?? readAppVersion()
  const autoResumeLimit = options.autoResumeLimit ?? 2
  const listeners = new Set<(message: EventMessage) => void>()
  const training = new TrainerHost({ role: 'training', spawn: options.spawn, log })
  const inference = new TrainerHost({ role: 'inference', spawn: options.spawn, log })
  const builtInSummaries = new Map<string, Promise<DatasetSummary>>()

  let state: TrainingStatus['state'] = 'idle'
  let run: ActiveRun | undefined
  let lastError: ContractErrorShape | undefined
  let closed = false
  let modelsWatch: ModelsWatch | undefined

  function emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    const message = { name, payload } as EventMessage
    if (name === 'models.onChanged') void modelsWatch?.absorb((payload as ModelsChanged).id)
    for (const listener of listeners) {
      try {
        listener(message)
      } catch (error) {
        log('error', `event listener for ${name} failed: ${(error as Error).message}`)
      }
    }
  }

  /**
   * A change the service makes to the store and reports itself: the watch waits until `work` is done, so `work` must
   * emit its models.onChanged itself (the emit marks the change as known) rather than after it returns.
   */
  function ownStoreChange<T>(work: () => Promise<T>): Promise<T> {
    return modelsWatch ? modelsWatch.during(work) : work()
  }

  if (options.watchModelsEveryMs !== undefined) {
    modelsWatch = watchModels({
      readState: () => store.modelsState(),
      readModelState: (id) => store.modelState(id),
      intervalMs: options.watchModelsEveryMs,
      ownedNow: () => ({
        ids: new Set(run?.modelId ? [run.modelId] : []),
        creating: run !== undefined && run.modelId === undefined,
      }),
      onChange: (change) => {
        // The inference process may hold the removed model's weights; a save elsewhere it notices by itself.
        if (change.reason === 'deleted') void inference.request('forgetModel', { modelId: change.id }).catch(() => undefined)
        emit('models.onChanged', change)
      },
    })
  }

  // ------------------------------------------------------------------------------------------------------------
  // Trainer events and crashes
  // ------------------------------------------------------------------------------------------------------------

  training.onEvent((event: TrainerEvent) => {
    switch (event.name) {
      case 'training.onBatchProgress':
        if (run && run.runId === event.payload.runId) {
          Object.assign(run, {
            epoch: event.payload.epoch,
            epochs: event.payload.epochs,
            batch: event.payload.batch,
            batches: event.payload.batches,
            loss: event.payload.loss,
          })
        }
        emit('training.onBatchProgress', event.payload)
        break
      case 'training.onEpochEnd':
        if (run?.runId === event.payload.runId && event.payload.samples.length)
          run.samples = event.payload.samples
        emit('training.onEpochEnd', event.payload)
        emit('models.onChanged', { reason: 'updated', id: event.payload.modelId })
        break
      case 'training.onDone':
        if (run?.runId === event.payload.runId) {
          run = undefined
          state = 'idle'
        }
        emit('training.onDone', event.payload)
        if (event.payload.epochs === 0) void forgetRemovedModel(event.payload.modelId)
        else emit('models.onChanged', { reason: 'updated', id: event.payload.modelId })
        break
      case 'training.failed':
        if (run?.runId === event.payload.runId) {
          run = undefined
          state = 'idle'
        }
        lastError = event.payload.error
        emit('training.onError', { ...event.payload, trainerRestarted: false })
        void forgetRemovedModel(event.payload.modelId)
        break
      case 'training.onWarning':
        emit('training.onWarning', event.payload)
        break
    }
  })

  /**
   * A run that ends before its first epoch removes the model it saved at the start (the trainer does): the views'
   * lists and the inference process's cache forget it, as after a delete. A model still in the store is left alone.
   */
  async function forgetRemovedModel(modelId: string): Promise<void> {
    // The run has ended, so its model is no longer the run's: the watch must not report the removal as well.
    await ownStoreChange(async () => {
      const removed = await store.get(modelId).then(
        () => false,
        (error: unknown) => isBottleneckError(error) && error.code === 'MODEL_NOT_FOUND',
      )
      if (!removed) return
      await inference.request('forgetModel', { modelId }).catch(() => undefined)
      emit('models.onChanged', { reason: 'deleted', id: modelId })
    })
  }

  training.onCrash((crash) => {
    const crashedRun = run
    const modelId = crashedRun?.modelId
    const resumes =
      crashedRun !== undefined &&
      modelId !== undefined &&
      crash.restarting &&
      crashedRun.autoResumes < autoResumeLimit &&
      !closed
    const cause = crash.signal ?? `exit code ${crash.code}`
    const error: ContractErrorShape = {
      code: 'TRAINER_CRASHED',
      message: !crashedRun
        ? `The training process stopped unexpectedly (${cause}) and was restarted.`
        : !modelId
          ? `The training process stopped unexpectedly (${cause}) while the run was starting; start it again.`
          : `The training process stopped unexpectedly (${cause}). The last finished epoch is saved${resumes ? '; training resumes from it' : '; resume the model to continue'}.`,
    }
    lastError = error
    run = undefined
    state = 'idle'
    // Same run id: to the UI this is one run that had a hiccup, not a new one. The run holds the training slot
    // before the crash is reported, so a page asking for the status while the process restarts (seconds) learns
    // that the run goes on, and nothing else can start in between.
    const resumed = resumes
      ? claimRun(crashedRun.runId, { modelId, epochs: crashedRun.epochs }, crashedRun.autoResumes + 1)
      : undefined
    // To the UI the same run goes on from its last saved epoch, which its last samples show.
    if (resumed && crashedRun?.samples) resumed.samples = crashedRun.samples
    emit('training.onError', {
      ...(crashedRun ? { runId: crashedRun.runId, modelId } : {}),
      error,
      trainerRestarted: crash.restarting,
    })
    if (resumed && modelId) {
      resumeClaimedRun(resumed, undefined).catch((resumeError: unknown) => {
        const shape = toErrorShape(resumeError)
        lastError = shape
        emit('training.onError', {
          runId: resumed.runId,
          modelId,
          error: shape,
          trainerRestarted: false,
        })
      })
    }
  })

  // ---- Photo denoising (the Denoise view): jobs run in the inference process; their events pass through here. ----
  const denoiseJobs = new Set<string>()
  inference.onEvent((event: TrainerEvent) => {
    if (event.name === 'inference.onDenoiseProgress') emit('inference.onDenoiseProgress', event.payload)
    else if (event.name === 'inference.onDenoiseDone') {
      denoiseJobs.delete(event.payload.jobId)
      emit('inference.onDenoiseDone', event.payload)
    }
  })
  inference.onCrash(() => {
    // A job whose process died never reports its end; say so, or the view would wait forever.
    for (const jobId of denoiseJobs) {
      emit('inference.onDenoiseDone', {
        jobId,
        status: 'failed',
        seconds: 0,
        images: [],
        error: {
          code: 'TRAINER_CRASHED',
          message:
            'The inference process stopped while denoising (perhaps out of memory); it was restarted. Try again, or with a smaller photo.',
        },
      })
    }
    denoiseJobs.clear()
  })

  function photoSource(source: PhotoSource): DenoiseImageSource {
    if ('path' in source) {
      // Like every path: the desktop app takes files from the user's drop or dialog, never from a string.
      if (options.dialogs)
        throw new BottleneckError('INVALID_INPUT', 'In the desktop app, drop the photo or open it with Open….')
      return { path: typedPath(source.path, 'photo') }
    }
    const bytes = Buffer.from(source.base64, 'base64')
    if (bytes.byteLength > DENOISE_LIMITS.maxEncodedBytes) {
      throw new BottleneckError(
        'IMAGE_TOO_LARGE',
        `"${source.name}" is larger than ${DENOISE_LIMITS.maxEncodedBytes / 1024 / 1024} MiB; save it as JPEG or resize it first.`,
      )
    }
    return { name: source.name, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) }
  }
  // ---- End of photo denoising. ----

  inference.onCrash((crash) => {
    log(
      'warn',
      `inference process crashed (${crash.signal ?? crash.code}); ${crash.restarting ? 'restarted' : 'not restarted'}`,
    )
  })

  // Warm the inference process (loading TensorFlow takes seconds); failures surface on the first call.
  inference
    .start()
    .catch((error: unknown) => log('error', `inference process failed to start: ${(error as Error).message}`))

  // ------------------------------------------------------------------------------------------------------------
  // Helpers
  // ------------------------------------------------------------------------------------------------------------

  function toErrorShape(error: unknown): ContractErrorShape {
    if (isBottleneckError(error)) return { code: error.code, message: error.message }
    log(
      'error',
      `unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    )
    return { code: 'INTERNAL', message: 'Something went wrong in Bottleneck; the log has the details.' }
  }

  async function choosePath(
    typed: string | undefined,
    ask: (dialogs: Dialogs) => Promise<string | undefined>,
  ): Promise<string | undefined> {
    if (options.dialogs) {
      // In the desktop app paths come from the native dialog only, never from a string the page sent.
      if (typed !== undefined)
        throw new BottleneckError('INVALID_INPUT', 'In the desktop app, choose the folder in the dialog.')
      return ask(options.dialogs)
    }
    if (typed === undefined) throw new BottleneckError('INVALID_INPUT', 'Type the full path of the folder.')
    return typedPath(typed, 'folder')
  }

  /**
   * A path typed in the web shell's page. "~" is the home folder, as in a terminal; any other relative path would be
   * taken from the server's working folder, which the person typing cannot see, so it is refused.
   */
  function typedPath(typed: string, what: 'folder' | 'photo'): string {
    const text = typed.trim()
    const expanded = text === '~' || text.startsWith('~/') ? join(homedir(), text.slice(1)) : text
    if (!isAbsolute(expanded)) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `"${typed}" is not a full path; type the ${what}'s whole path, such as ${join(homedir(), what === 'folder' ? 'models' : 'photo.jpg')}.`,
      )
    }
    return resolve(expanded)
  }

  /** `name` in `folder`, or "name (2)", "name (3)"… when it is taken: a model exported twice into one folder. */
  async function freeFolderEntry(folder: string, name: string): Promise<string> {
    for (let copy = 1; copy < 1000; copy++) {
      const candidate = join(folder, copy === 1 ? name : `${name} (${copy})`)
      if (!(await stat(candidate).catch(() => undefined))) return candidate
    }
    // A thousand exports of one model in one folder: the store refuses the name as taken.
    return join(folder, name)
  }

  /** The added datasets; none when the list was never written or cannot be read (then the log says why). */
  async function readStoredDatasets(): Promise<StoredDataset[]> {
    try {
      return await readDatasetList()
    } catch (error) {
      log('warn', (error as Error).message)
      return []
    }
  }

  /** The added datasets, or an error when datasets.json exists but cannot be read: it must not be written over. */
  async function readDatasetList(): Promise<StoredDataset[]> {
    let text: string
    try {
      text = await readFile(datasetsFile, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw damagedDatasetList(readPermissionReason(error) ?? (error as Error).message)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw damagedDatasetList('it is not valid JSON')
    }
    if (!Array.isArray(parsed)) throw damagedDatasetList('it does not hold a list')
    return parsed as StoredDataset[]
  }

  function damagedDatasetList(reason: string): BottleneckError {
    return new BottleneckError(
      'STORE_ERROR',
      `The list of added datasets (${datasetsFile}) cannot be read: ${reason}. Move it away or delete it to add datasets again; the datasets' own files are not in it.`,
    )
  }

  /**
   * Rewrites the added-dataset list with `change` applied, one change at a time: two adds at once would otherwise
   * each write the list they read, and one would be lost.
   */
  let datasetListChange: Promise<unknown> = Promise.resolve()
  function changeDatasetList(change: (datasets: StoredDataset[]) => StoredDataset[]): Promise<void> {
    const next = datasetListChange.then(async () => {
      const changed = change(await readDatasetList())
      await createFolder(storeRoot)
      try {
        await replaceFileAtomic(datasetsFile, JSON.stringify(changed, null, 2))
      } catch (error) {
        throw writeFailure(error, datasetsFile, 'save the list of added datasets')
      }
    })
    datasetListChange = next.catch(() => undefined)
    return next
  }

  function builtInSummary(ref: DatasetRef): Promise<DatasetSummary> {
    let summary = builtInSummaries.get(ref.id)
    if (!summary) {
      summary = inference
        .request('inspectDataset', { dataset: ref })
        .then((info) => ({ ...info, kind: 'builtin' as const }))
      // A failure is not cached: the next call tries again.
      summary.catch(() => builtInSummaries.delete(ref.id))
      builtInSummaries.set(ref.id, summary)
    }
    return summary
  }

  async function datasetRef(id: string): Promise<DatasetRef> {
    const builtIn = BUILT_INS.find((ref) => ref.id === id)
    if (builtIn) return builtIn
    const stored = (await readStoredDatasets()).find((dataset) => dataset.id === id)
    if (!stored) throw new BottleneckError('DATASET_NOT_FOUND', `There is no dataset "${id}"; add it first.`)
    return { id: stored.id, spec: stored.spec, name: stored.name }
  }

  async function addDataset(
    kind: 'idx' | 'folder',
    typed: string | undefined,
    name: string | undefined,
  ): Promise<DatasetSummary | null> {
    const folder = await choosePath(typed, (dialogs) =>
      dialogs.chooseFolder(kind === 'idx' ? 'Choose a folder of IDX files' : 'Choose a folder of images'),
    )
    if (folder === undefined) return null
    const id = `${kind}-${createHash('sha256').update(folder).digest('hex').slice(0, 12)}`
    const ref: DatasetRef = { id, spec: `${kind}:${folder}`, name: name ?? basename(folder) }
    const info = await inference.request('inspectDataset', { dataset: ref })
    const stored: StoredDataset = { ...info, kind, path: folder, spec: ref.spec }
    await changeDatasetList((datasets) => [...datasets.filter((dataset) => dataset.id !== id), stored])
    const { spec: _spec, ...summary } = stored
    return summary
  }

  async function removeDataset(id: string): Promise<{ removed: boolean }> {
    const builtIn = BUILT_INS.find((ref) => ref.id === id)
    if (builtIn) {
      throw new BottleneckError('INVALID_INPUT', `${builtIn.name} comes with Bottleneck and stays on the list.`)
    }
    let removed = false
    await changeDatasetList((datasets) => {
      const kept = datasets.filter((dataset) => dataset.id !== id)
      removed = kept.length < datasets.length
      return kept
    })
    return { removed }
  }

  /**
   * Takes the one training slot for a run (state 'starting'), or refuses while another run holds it. Whoever claims
   * it releases it when the run cannot start (releaseRun); once started, the trainer's end events release it.
   */
  function claimRun(
    runId: string,
    params: { modelId?: string; epochs: number; isNew?: boolean },
    autoResumes: number,
  ): ActiveRun {
    if (state !== 'idle') {
      throw new BottleneckError(
        'TRAINING_BUSY',
        'A training is already running; cancel it or wait until it ends.',
      )
    }
    state = 'starting'
    // A new run makes the last one's error old news; a run resumed after a crash keeps the crash as its reason.
    if (autoResumes === 0) lastError = undefined
    run = {
      runId,
      ...(params.modelId ? { modelId: params.modelId } : {}),
      epoch: 0,
      epochs: params.epochs,
      batch: 0,
      batches: 0,
      startedAt: new Date().toISOString(),
      isNew: params.isNew === true,
      autoResumes,
    }
    return run
  }

  function releaseRun(claimed: ActiveRun): void {
    if (run !== claimed) return
    run = undefined
    state = 'idle'
  }

  /** Sends the claimed run to the trainer: a new model from `config`, or the claimed model resumed up to `epochs`. */
  async function startRun(
    current: ActiveRun,
    params: { config?: ParsedInput<'training.start'>; epochs?: number; dataset: DatasetRef },
  ): Promise<{ runId: string; modelId: string }> {
    try {
      const answer = await training.request('startTraining', {
        runId: current.runId,
        storeRoot,
        dataset: params.dataset,
        ...(current.modelId ? { modelId: current.modelId } : {}),
        ...(params.config ? { config: params.config } : {}),
        ...(params.epochs !== undefined ? { epochs: params.epochs } : {}),
      })
      current.modelId = answer.modelId
      if (run === current && state === 'starting') state = 'running'
      if (current.isNew) emit('models.onChanged', { reason: 'created', id: answer.modelId })
      return { runId: current.runId, modelId: answer.modelId }
    } catch (error) {
      releaseRun(current)
      throw error
    }
  }

  /** The built-in or added dataset that `spec` (a model's) names, if it is on the list. */
  async function listedDatasetForSpec(spec: string): Promise<DatasetRef | undefined> {
    const wanted = canonicalDatasetSpec(spec)
    const builtIn = BUILT_INS.find((ref) => ref.spec === wanted)
    if (builtIn) return builtIn
    const stored = (await readStoredDatasets()).find((dataset) => canonicalDatasetSpec(dataset.spec) === wanted)
    return stored ? { id: stored.id, spec, name: stored.name } : undefined
  }

  async function datasetRefForSpec(spec: string, name: string): Promise<DatasetRef> {
    return (await listedDatasetForSpec(spec)) ?? { id: 'external', spec, name }
  }

  /** Continues the claimed run's model up to `epochs` in all (its saved target when undefined). */
  async function resumeClaimedRun(claimed: ActiveRun, epochs: number | undefined) {
    try {
      const { metadata } = await store.get(checkModelId(claimed.modelId ?? ''))
      const target = epochs ?? metadata.targetEpochs
      if (metadata.epochs >= target) {
        throw new BottleneckError(
          'INVALID_INPUT',
          `"${metadata.name}" already has ${metadata.epochs} epochs; ask for more than that to continue.`,
        )
      }
      if (isStreamedFromFolder(metadata)) {
        // The trainer resumes on patches held in memory with the plain or noisy objective; a streamed run may be
        // self-supervised (Noise2Void), which it would silently train as a plain autoencoder.
        throw new BottleneckError(
          'NOT_SUPPORTED',
          `"${metadata.name}" was trained by \`bottleneck train\` on patches streamed from ${metadata.dataset.name}; ` +
            `resume it there: npx bottleneck train --resume ${metadata.id} --epochs ${target}`,
        )
      }
      claimed.epochs = target
      const dataset = await datasetRefForSpec(metadata.dataset.spec, metadata.dataset.name)
      return await startRun(claimed, { epochs: target, dataset })
    } catch (error) {
      releaseRun(claimed)
      throw error
    }
  }

  const newRunId = () => `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`

  /** A folder name for an export: the model's name made file-system safe, plus its id so it is unique. */
  function exportFolderName(metadata: ModelMetadata): string {
    const slug = metadata.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
    return `${slug || 'model'}-${metadata.id}`
  }

  // ------------------------------------------------------------------------------------------------------------
  // Calls
  // ------------------------------------------------------------------------------------------------------------

  type Implementations = { [N in CallName]: (input: ParsedInput<N>) => Promise<unknown> }
  const implementations: Implementations = {
    'models.list': async (): Promise<ModelList> => {
      const listed = await store.list()
      return {
        models: listed.flatMap((model) => (model.metadata ? [toSummary(model.metadata)] : [])),
        // Shown apart, so the user sees them and can delete (or restore) them; no view can open one.
        unreadable: listed.flatMap((model) =>
          model.metadata
            ? []
            : [
                {
                  id: model.id,
                  folder: model.folder,
                  // The Models view offers the restore as a button beside the reason: no shell command there.
                  reason: model.problemBesideRestore ?? model.problem ?? 'Its files cannot be read.',
                  ...(model.restorableVersion ? { restorableVersion: model.restorableVersion } : {}),
                },
              ],
        ),
      }
    },
    'models.get': async ({ id }) => {
      const { metadata } = await store.get(checkModelId(id))
      return toDetail(metadata, (await listedDatasetForSpec(metadata.dataset.spec))?.id)
    },
    'models.rename': async ({ id, name }) => {
      if (run?.modelId === id)
        throw new BottleneckError(
          'TRAINING_BUSY',
          'This model is training; rename it when the training ends.',
        )
      const record = await ownStoreChange(async () => {
        const renamed = await store.rename(checkModelId(id), name)
        emit('models.onChanged', { reason: 'renamed', id })
        return renamed
      })
      return toSummary(record.metadata)
    },
    'models.delete': async ({ id }) => {
      if (run?.modelId === id)
        throw new BottleneckError('TRAINING_BUSY', 'This model is training; cancel the training first.')
      await ownStoreChange(async () => {
        await store.remove(checkModelId(id))
        await inference.request('forgetModel', { modelId: id }).catch(() => undefined)
        emit('models.onChanged', { reason: 'deleted', id })
      })
      return { deleted: true }
    },
    'models.restoreVersion': async ({ id }) => {
      const record = await ownStoreChange(async () => {
        const restored = await store.restoreVersion(checkModelId(id))
        // The inference process may still hold the version the broken pointer named; the restored one may differ.
        await inference.request('forgetModel', { modelId: id }).catch(() => undefined)
        // 'created', as the watch would say: the model joins the listed models (it was only an unreadable folder).
        emit('models.onChanged', { reason: 'created', id })
        return restored
      })
      return toSummary(record.metadata)
    },
    'models.import': async ({ path }) => {
      const folder = await choosePath(path, (dialogs) =>
        dialogs.chooseFolder('Choose a Bottleneck model folder'),
      )
      if (folder === undefined) return null
      // Through the inference process: importing loads the weights once to prove they are complete.
      const { id } = await ownStoreChange(async () => {
        const imported = await inference.request('importModel', { storeRoot, source: folder })
        emit('models.onChanged', { reason: 'imported', id: imported.id })
        return imported
      })
      return toSummary((await store.get(id)).metadata)
    },
    'models.export': async ({ id, path }) => {
      const { metadata } = await store.get(checkModelId(id))
      const folder = await choosePath(path, (dialogs) =>
        dialogs.chooseSaveFolder('Export the model into this folder', metadata.name),
      )
      if (folder === undefined) return null
      return { path: await store.export(id, await freeFolderEntry(folder, exportFolderName(metadata))) }
    },
    'datasets.builtIns': async () => Promise.all(BUILT_INS.map(builtInSummary)),
    'datasets.list': async () => {
      const builtIns = await Promise.all(BUILT_INS.map(builtInSummary))
      const stored = (await readStoredDatasets()).map(({ spec: _spec, ...summary }) => summary)
      return [...builtIns, ...stored]
    },
    'datasets.addIdxFolder': async ({ path, name }) => addDataset('idx', path, name),
    'datasets.addImageFolder': async ({ path, name }) => addDataset('folder', path, name),
    'datasets.remove': async ({ id }) => removeDataset(id),
    'datasets.previewSamples': async ({ datasetId, split, count, offset, patchSize, channels }) => {
      const dataset = await datasetRef(datasetId)
      if ((patchSize !== undefined || channels !== undefined) && !dataset.spec.startsWith('folder:')) {
        // Refused, not ignored: the caller asked for one image size and would get another it did not expect.
        throw new BottleneckError(
          'INVALID_INPUT',
          'Only image folders are cut into patches of a chosen size; the images of ' +
            `“${dataset.name}” have one size of their own. Ask for them without a patch size or channels.`,
        )
      }
      return inference.request('previewSamples', { dataset, split, count, offset, patchSize, channels })
    },
    'training.start': async (config) => {
      const dataset = await datasetRef(config.datasetId)
      return startRun(claimRun(newRunId(), { epochs: config.epochs, isNew: true }, 0), { config, dataset })
    },
    'training.cancel': async () => {
      const cancelled = run
      if (!cancelled || (state !== 'running' && state !== 'starting')) return { cancelled: false }
      const answer = await training.request('cancelTraining', {})
      // The run can end while the answer is on its way (its last epoch finished first): 'cancelling' would then stay
      // with no run left to end it, and every later start would be refused as busy.
      if (answer.cancelled && run === cancelled) state = 'cancelling'
      return answer
    },
    'training.resume': async ({ id, epochs }) =>
      resumeClaimedRun(claimRun(newRunId(), { modelId: checkModelId(id), epochs: epochs ?? 0 }, 0), epochs),
    // The Train view fills its form from a preset, dataset included; photo-denoise trains on a folder the CLI is
    // given, so it stays a CLI recipe.
    'training.presets': async (): Promise<Preset[]> =>
      listPresets()
        .filter(isBuiltInDataPreset)
        .map((preset) => {
          const settings = presetSettings(preset)
          return {
            name: preset.name,
            description: preset.description,
            architecture: settings.architecture,
            datasetId: settings.dataset,
            codeSize: settings.codeSize,
            epochs: settings.epochs,
            batchSize: settings.batchSize,
            learningRate: settings.learningRate,
            ...contractNoise(settings.noise),
            ...(preset.reference ? { reference: preset.reference } : {}),
          }
        }),
    'training.status': async (): Promise<TrainingStatus> => ({
      state,
      ...(run
        ? {
            run: {
              runId: run.runId,
              modelId: run.modelId,
              epoch: run.epoch,
              epochs: run.epochs,
              batch: run.batch,
              batches: run.batches,
              ...(run.loss !== undefined ? { loss: run.loss } : {}),
              startedAt: run.startedAt,
              ...(run.samples ? { samples: run.samples } : {}),
            },
          }
        : {}),
      trainer: {
        ...(training.pid !== undefined ? { pid: training.pid } : {}),
        restarts: training.restarts,
        alive: training.alive,
      },
      ...(lastError ? { lastError } : {}),
    }),
    'inference.prepare': async ({ id }) => inference.request('prepare', { storeRoot, modelId: id }),
    'inference.encode': async ({ id, images }) =>
      inference.request('encode', { storeRoot, modelId: id, images }),
    'inference.decode': async ({ id, codes }) =>
      inference.request('decode', { storeRoot, modelId: id, codes }),
    'inference.reconstruct': async ({ id, images, withCodes }) =>
      inference.request('reconstruct', { storeRoot, modelId: id, images, withCodes }),
    'inference.denoise': async ({ id, images, noise, baselines }) =>
      inference.request('denoise', {
        storeRoot,
        modelId: id,
        images,
        ...(noise ? { noise } : {}),
        ...(baselines?.length ? { baselines } : {}),
      }),
    // Latent view: the inference process encodes the model's own test split (never the training process).
    'latent.map': async ({ id, limit }) =>
      inference.request('latentMap', { storeRoot, modelId: checkModelId(id), limit }),
    'latent.samples': async ({ id, indices }) =>
      inference.request('latentSamples', { storeRoot, modelId: checkModelId(id), indices }),
    'latent.interpolate': async ({ id, from, to, steps }) =>
      inference.request('latentInterpolate', { storeRoot, modelId: checkModelId(id), from, to, steps }),
    'latent.generate': async ({ id, n, from, to }) =>
      inference.request('latentGenerate', { storeRoot, modelId: checkModelId(id), n, from, to }),
    // Photo denoising (the Denoise view).
    'inference.denoiseImage': async ({ id, source, reference, noise, seed, tileSize }) => {
      const jobId = `denoise-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
      const params = {
        storeRoot,
        modelId: checkModelId(id),
        jobId,
        source: photoSource(source),
        ...(reference ? { reference: photoSource(reference) } : {}),
        ...(noise ? { noise } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(tileSize !== undefined ? { tileSize } : {}),
        maxPixels: DENOISE_LIMITS.maxPixels,
      }
      // Registered before the request: the job's done event may overtake the answer.
      denoiseJobs.add(jobId)
      try {
        return { jobId, ...(await inference.request('denoiseImage', params)) }
      } catch (error) {
        denoiseJobs.delete(jobId)
        throw error
      }
    },
    'inference.cancelDenoise': async ({ jobId }) => inference.request('cancelDenoise', { jobId }),
    'inference.denoiseResult': async ({ jobId, image, gain }) => {
      const { png, width, height } = await inference.request('denoiseResult', { jobId, image, gain })
      return { image, width, height, png: Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64') }
    },
    'system.backend': async () => inference.start(),
    'system.versions': async (): Promise<Versions> => {
      const backend = inference.backend
      return {
        app: appVersion,
        node: process.versions.node,
        ...(backend ? { tfjs: backend.tfjsVersion } : {}),
        ...(process.versions.electron ? { electron: process.versions.electron } : {}),
        ...(process.versions.chrome ? { chrome: process.versions.chrome } : {}),
        shell: options.shell,
        nativeDialogs: options.dialogs !== undefined,
      }
    },
    'system.paths': async () => ({
      store: storeRoot,
      models: join(storeRoot, 'models'),
      ...(options.logsDir ? { logs: options.logsDir } : {}),
    }),
  }

  return {
    hosts: { training, inference },
    async handle(name: string, payload: unknown): Promise<Envelope<unknown>> {
      if (!isCallName(name)) {
        return {
          ok: false,
          error: { code: 'UNKNOWN_CALL', message: `There is no call named "${String(name).slice(0, 80)}".` },
        }
      }
      if (closed)
        return { ok: false, error: { code: 'TRAINER_UNAVAILABLE', message: 'Bottleneck is shutting down.' } }
      const parsed = parseInput(name, payload)
      if (!parsed.ok) return parsed
      try {
        const implementation = implementations[name] as (input: unknown) => Promise<unknown>
        return { ok: true, value: await implementation(parsed.value) }
      } catch (error) {
        return { ok: false, error: toErrorShape(error) }
      }
    },
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async close() {
      if (closed) return
      closed = true
      modelsWatch?.stop()
      await Promise.all([training.shutdown(), inference.shutdown()])
      listeners.clear()
    },
  }
}
