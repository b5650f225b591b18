// The typed message protocol between the service (parent) and a trainer process (child). Requests carry an id and
// get exactly one response; the child also pushes events (training progress) and one `ready` message at start.
// Messages are structured-cloned (utilityProcess, or fork with `serialization: 'advanced'`), so typed arrays pass.
import type {
  BackendInfo,
  BatchProgress,
  ContractErrorShape,
  DatasetSummary,
  DenoiseBaseline,
  DenoiseDone,
  DenoiseProgress,
  EpochEnd,
  Image,
  LatentGrid,
  LatentInterpolation,
  LatentMap,
  LatentSample,
  Metrics,
  Noise,
  TrainingConfig,
  TrainingDone,
  TrainingWarning,
} from '../contract/index'

/** A dataset as the trainer loads it: `mnist`, `idx:DIR` or `folder:DIR` (the ML core's spec). */
export interface DatasetRef {
  id: string
  spec: string
  name: string
}

export interface StartTrainingParams {
  runId: string
  /** Resume: the model to continue. New training: omitted, the store mints the id at the first save. */
  modelId?: string
  /** Root of the model store; the trainer saves a checkpoint there after every epoch. */
  storeRoot: string
  dataset: DatasetRef
  /** New training: the full config. Resume: omitted, the model's saved config is used. */
  config?: TrainingConfig
  /** Resume: train up to this many epochs in total (from the last saved epoch). */
  epochs?: number
}

/** Every request the trainer answers, with its params and result. */
export interface TrainerMethods {
  backend: { params: Record<string, never>; result: BackendInfo }
  startTraining: { params: StartTrainingParams; result: { started: true; modelId: string } }
  cancelTraining: { params: Record<string, never>; result: { cancelled: boolean } }
  /** Loads (and keeps) a model for inference, so the next call does not wait for it. */
  prepare: { params: { storeRoot: string; modelId: string }; result: { ready: true } }
  encode: { params: { storeRoot: string; modelId: string; images: Image[] }; result: { codes: number[][] } }
  decode: { params: { storeRoot: string; modelId: string; codes: number[][] }; result: { images: Image[] } }
  reconstruct: {
    params: { storeRoot: string; modelId: string; images: Image[]; withCodes?: boolean }
    result: { images: Image[]; metrics: Metrics[]; codes?: number[][] }
  }
  denoise: {
    params: {
      storeRoot: string
      modelId: string
      images: Image[]
      noise?: Noise
      seed?: number
      baselines?: DenoiseBaseline[]
    }
    result: {
      images: Image[]
      noisy?: Image[]
      metrics?: Metrics[]
      baselines?: { name: DenoiseBaseline; images: Image[] }[]
    }
  }
  /** Copies a model folder into the store; loads it once to prove it is complete (which needs TensorFlow). */
  importModel: { params: { storeRoot: string; source: string }; result: { id: string } }
  inspectDataset: { params: { dataset: DatasetRef }; result: Omit<DatasetSummary, 'kind' | 'path'> }
  previewSamples: {
    /** `patchSize` and `channels`: what an image folder is cut to (default 64 and its first photo's); folders only. */
    params: {
      dataset: DatasetRef
      split: 'train' | 'test'
      count: number
      offset: number
      patchSize?: number
      channels?: 1 | 3
    }
    result: { images: Image[]; labels?: number[] }
  }
  // Latent space (the Latent view): on the model's own test split, which the inference process loads and keeps.
  latentMap: { params: { storeRoot: string; modelId: string; limit: number }; result: LatentMap }
  latentSamples: {
    params: { storeRoot: string; modelId: string; indices: number[] }
    result: { samples: LatentSample[] }
  }
  latentInterpolate: {
    params: { storeRoot: string; modelId: string; from: number; to: number; steps: number }
    result: LatentInterpolation
  }
  latentGenerate: {
    params: { storeRoot: string; modelId: string; n: number; from: number; to: number }
    result: LatentGrid
  }
  // Photo denoising (the Denoise view): see ./denoise-jobs. The start answers after decoding; the rest are events.
  denoiseImage: {
    params: DenoiseImageParams
    /** `notes`: what of the photo is not denoised (frames after the first, bits after the eighth), in sentences. */
    result: { width: number; height: number; channels: number; tiles: number; notes: string[] }
  }
  cancelDenoise: { params: { jobId: string }; result: { cancelled: boolean } }
  denoiseResult: {
    params: { jobId: string; image: DenoiseImageKind; gain: number }
    result: { png: Uint8Array; width: number; height: number }
  }
  /** Drops cached models (after a rename, delete or import the service tells the trainer to forget them). */
  forgetModel: { params: { modelId: string }; result: { forgotten: boolean } }
  /**
   * Test and debug only (the service never forwards it to the UI): live tensors and their bytes in this process, the
   * models kept loaded and the finished denoising jobs whose pictures are kept, so tests can check a long session
   * leaves nothing behind.
   */
  memory: {
    params: Record<string, never>
    result: { numTensors: number; numBytes: number; cachedModels: number; keptDenoiseJobs: number }
  }
  /** Test hook: burns CPU synchronously (simulates a long batch) — only honoured when BOTTLENECK_TEST_HOOKS=1. */
  busyWait: { params: { ms: number }; result: { waited: number } }
}

// ---- Photo denoising (the Denoise view) ----
/** A photo as the inference process reads it: a path (web shell, typed by the user) or the file's bytes. */
export type DenoiseImageSource = { path: string } | { name: string; bytes: Uint8Array }
export type DenoiseImageKind = DenoiseDone['images'][number]
export type DenoiseDoneEvent = DenoiseDone
export interface DenoiseImageParams {
  storeRoot: string
  modelId: string
  jobId: string
  source: DenoiseImageSource
  reference?: DenoiseImageSource
  noise?: Noise
  seed?: number
  tileSize?: number
  maxPixels: number
}
// ---- End of photo denoising ----

export type TrainerMethod = keyof TrainerMethods
export type TrainerParams<M extends TrainerMethod> = TrainerMethods[M]['params']
export type TrainerResult<M extends TrainerMethod> = TrainerMethods[M]['result']

export type ParentMessage =
  | { type: 'request'; id: number; method: TrainerMethod; params: unknown }
  /** Asks the child to finish the current batch, save nothing new, and exit. */
  | { type: 'shutdown' }

export type TrainerEvent =
  | { name: 'training.onBatchProgress'; payload: BatchProgress }
  | { name: 'training.onEpochEnd'; payload: EpochEnd }
  | { name: 'training.onDone'; payload: TrainingDone }
  | { name: 'training.failed'; payload: { runId: string; modelId: string; error: ContractErrorShape } }
  | { name: 'training.onWarning'; payload: TrainingWarning }
  | { name: 'inference.onDenoiseProgress'; payload: DenoiseProgress }
  | { name: 'inference.onDenoiseDone'; payload: DenoiseDone }

export type ChildMessage =
  | { type: 'ready'; pid: number; backend: BackendInfo }
  | { type: 'response'; id: number; ok: true; value: unknown }
  | { type: 'response'; id: number; ok: false; error: ContractErrorShape }
  | ({ type: 'event' } & TrainerEvent)
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }

export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
}

export function isParentMessage(value: unknown): value is ParentMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
}
