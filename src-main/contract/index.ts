// The one contract between the UI and the back end: every call, its payload and result schemas, every event,
// and the typed error. Pure TypeScript (zod only, no Node): the renderer, the preload, the web shell and the
// service all import this file, so a payload that parses here is safe to hand to the service.
import { z } from 'zod'
import { CALL_NAMES, EVENT_NAMES } from './runtime'

// The zod-free half (names, ApiError, createApi, channels) lives in ./runtime so the sandboxed preload can bundle
// it without zod; everything is re-exported here, so other code imports only '@contract' / './index'.
export * from './runtime'
export * from './latent-labels'

// ---------------------------------------------------------------------------------------------------------------
// Limits. Checked before any per-element work so a hostile 10^8-element array costs one length comparison.
// ---------------------------------------------------------------------------------------------------------------

export const LIMITS = {
  /** Largest width or height of an image crossing the contract. */
  maxImageSide: 4096,
  /** Largest number of values (width × height × channels) in one image: a 4096×4096 grey image. */
  maxImageValues: 4096 * 4096,
  /** Largest number of values in all images of one request together. */
  maxRequestValues: 4096 * 4096,
  /** Images per inference request. */
  maxBatchImages: 256,
  /** Length of one latent code vector. */
  maxCodeSize: 4096,
  /** Preview samples per request. */
  maxPreviewSamples: 64,
  /** Length of names and paths. */
  maxNameLength: 120,
  maxPathLength: 4096,
  maxEpochs: 1000,
  maxBatchSize: 4096,
} as const

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------

/** Stable codes a program may switch on; the message is what a person reads. */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'UNKNOWN_CALL',
  'MODEL_NOT_FOUND',
  'MODEL_CORRUPT',
  'MODEL_AMBIGUOUS',
  'DATASET_NOT_FOUND',
  'FILE_NOT_FOUND',
  'IDX_TRUNCATED',
  'IDX_INVALID',
  'IMAGE_TOO_LARGE',
  'IMAGE_INVALID',
  'REFERENCE_MISMATCH',
  'TRAINING_BUSY',
  'NOT_TRAINING',
  'CANCELLED',
  'TRAINER_CRASHED',
  'TRAINER_UNAVAILABLE',
  'BACKEND_UNAVAILABLE',
  'NOT_SUPPORTED',
  'STORE_ERROR',
  'FORBIDDEN',
  'INTERNAL',
] as const

export const ErrorSchema = z.object({
  code: z.string().min(1).max(64),
  message: z.string().max(2000),
})
export type ContractErrorShape = z.infer<typeof ErrorSchema>

/** Turns zod's issues into one sentence a person can act on (first issue, with its path). */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'The request was not valid.'
  const where = issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : ''
  return `The request was not valid${where}: ${issue.message}`
}

// ---------------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------------

/** Ids are short slugs. Anything path-like (slashes, dots, "~") is refused, so an id can never name a file. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/
export const ModelIdSchema = z
  .string()
  .max(80)
  .regex(ID_PATTERN, 'must be a model id (letters, digits, "-" or "_")')
export const DatasetIdSchema = z
  .string()
  .max(80)
  .regex(ID_PATTERN, 'must be a dataset id (letters, digits, "-" or "_")')
export const RunIdSchema = z.string().max(80).regex(ID_PATTERN, 'must be a run id')

const NameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(LIMITS.maxNameLength)
  // Names show up in file dialogs and the CLI; control characters would only confuse.
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters')

/** A path the user typed (web shell) or picked (Electron dialog). Optional everywhere: Electron asks itself. */
const PathSchema = z
  .string()
  .min(1)
  .max(LIMITS.maxPathLength)
  .regex(/^[^\0]+$/, 'must not contain NUL characters')

const finiteNumber = z.number().refine(Number.isFinite, 'must be a finite number')

/**
 * Validates a number array cheaply: the length is checked before any element, then one tight loop.
 * zod's per-element array parsing would spend seconds on a hostile payload before reaching `.max()`.
 */
function numberArray(options: {
  maxLength: number
  integer?: boolean
  min?: number
  max?: number
  what: string
}) {
  return z.custom<number[]>(
    (value) => {
      if (!Array.isArray(value) || value.length > options.maxLength) return false
      const { min = -Infinity, max = Infinity, integer = false } = options
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i]
        if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return false
        if (integer && !Number.isInteger(v)) return false
      }
      return true
    },
    { message: `must be ${options.what} (at most ${options.maxLength.toLocaleString('en')} values)` },
  )
}

/**
 * An array schema that checks the length before parsing any element. zod's `z.array(x).max(n)` parses every
 * element first (a sparse 10^8-element array would produce 10^8 issues and hang the process), so the length
 * guard runs in front and the element schema only ever sees arrays within the cap.
 */
function boundedArray<T extends z.ZodType>(item: T, options: { max: number; min?: number; what: string }) {
  return z
    .custom<unknown[]>((value) => Array.isArray(value) && value.length <= options.max, {
      message: `must be a list of at most ${options.max.toLocaleString('en')} ${options.what}`,
    })
    .pipe(
      z
        .array(item)
        .min(
          options.min ?? 0,
          options.min === 1 ? 'must not be empty' : `must hold at least ${options.min} ${options.what}`,
        )
        .max(options.max),
    )
}

/** Same guard for records: the number of keys is checked before any value is parsed. */
function boundedRecord<V extends z.ZodType>(value: V, maxKeys: number) {
  return z
    .custom<Record<string, unknown>>(
      (input) =>
        typeof input === 'object' &&
        input !== null &&
        !Array.isArray(input) &&
        Object.keys(input).length <= maxKeys,
      { message: `must be an object with at most ${maxKeys} entries` },
    )
    .pipe(z.record(z.string().max(64), value))
}

/**
 * An image crossing the contract: row-major HWC bytes, values 0–255 (integers).
 * Why bytes and not floats in [0, 1]: a plain number array crosses both structured-clone IPC and JSON WebSocket
 * unchanged (typed arrays do not survive JSON), and 0–255 is 3 characters a value in JSON instead of ~18.
 * Canvas ImageData uses the same scale. The service converts to Float32 [0, 1] for the ML core.
 */
export const ImageSchema = z
  .object({
    width: z.number().int().min(1).max(LIMITS.maxImageSide),
    height: z.number().int().min(1).max(LIMITS.maxImageSide),
    channels: z.union([z.literal(1), z.literal(3), z.literal(4)]),
    data: numberArray({
      maxLength: LIMITS.maxImageValues,
      integer: true,
      min: 0,
      max: 255,
      what: 'an array of integers 0–255',
    }),
  })
  .refine((image) => image.data.length === image.width * image.height * image.channels, {
    message: 'data must hold exactly width × height × channels values',
    path: ['data'],
  })
export type Image = z.infer<typeof ImageSchema>

/** A batch of images, capped in count and in total values. */
const ImageBatchSchema = boundedArray(ImageSchema, {
  max: LIMITS.maxBatchImages,
  min: 1,
  what: 'images',
}).refine(
  (images) => images.reduce((total, image) => total + image.data.length, 0) <= LIMITS.maxRequestValues,
  `the images together must hold at most ${LIMITS.maxRequestValues.toLocaleString('en')} values`,
)

const CodeSchema = numberArray({ maxLength: LIMITS.maxCodeSize, what: 'a latent code of finite numbers' })

export const ArchitectureSchema = z.enum([
  'dense',
  'sparse',
  'deep',
  'conv',
  'seq2seq',
  'vae',
  'unet',
  'denoiser',
])
export type Architecture = z.infer<typeof ArchitectureSchema>

/** U-Net style models carry the image through skip connections at every scale: they have no single code layer. */
export function hasCodeLayer(architecture: string): boolean {
  return architecture !== 'unet' && architecture !== 'denoiser'
}

/**
 * The name a model gets when its user gives none: "dense 32 on MNIST", its code size left out where it has no code.
 * The trainer and the CLI name it so, and the Train view shows it as the name field's placeholder and leaves it out
 * of the field when it picks a run up.
 */
export function automaticModelName(architecture: Architecture, codeSize: number, datasetName: string): string {
  return `${architecture}${hasCodeLayer(architecture) ? ` ${codeSize}` : ''} on ${datasetName}`
}

/** Noise applied to inputs (training a denoiser) or to an image before denoising it (to see the effect). */
export const NoiseSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('gaussian'), stddev: z.number().min(0).max(1) }),
  /** Multiplicative x + x·n, n ~ N(0, stddev²): stronger on bright pixels. */
  z.object({ type: z.literal('speckle'), stddev: z.number().min(0).max(1) }),
  z.object({ type: z.literal('saltPepper'), amount: z.number().min(0).max(1) }),
  z.object({ type: z.literal('mask'), amount: z.number().min(0).max(1) }),
])
export type Noise = z.infer<typeof NoiseSchema>

/** Training only: fresh noise every batch, or each training image corrupted once and reused every epoch. */
export const NoiseModeSchema = z.enum(['fresh', 'fixed'])
export type NoiseMode = z.infer<typeof NoiseModeSchema>

/** Classical denoisers a model is compared with: median 3×3 and 5×5, a Gaussian blur of σ 1 px, non-local means. */
export const DenoiseBaselineSchema = z.enum(['median', 'median5', 'gaussian', 'nlm'])
export type DenoiseBaseline = z.infer<typeof DenoiseBaselineSchema>

const EmptyInput = z.object({}).strict()
const ModelRef = z.object({ id: ModelIdSchema }).strict()

// ---------------------------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------------------------

export const HistoryEntrySchema = z.object({
  epoch: z.number().int().min(1),
  loss: z.number(),
  valLoss: z.number().optional(),
  durationMs: z.number().optional(),
})
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>

export const ModelSummarySchema = z.object({
  id: ModelIdSchema,
  name: z.string(),
  architecture: ArchitectureSchema,
  inputShape: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  codeSize: z.number().int(),
  dataset: z.string(),
  /** Epochs trained so far (the last checkpoint). */
  epochs: z.number().int().min(0),
  /** Epochs asked for when training started; a model with epochs < targetEpochs can be resumed. */
  targetEpochs: z.number().int().min(0),
  loss: z.number().optional(),
  valLoss: z.number().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The noise the model was trained to remove (a denoising autoencoder); absent for a plain one. */
  noise: NoiseSchema.optional(),
  /** How training drew `noise`: fresh every batch (the default) or fixed once per image. */
  noiseMode: NoiseModeSchema.optional(),
})
export type ModelSummary = z.infer<typeof ModelSummarySchema>

export const ModelDetailSchema = ModelSummarySchema.extend({
  /** The architecture's full config (learning rate, per-architecture options), as stored. */
  config: z.record(z.string(), z.unknown()),
  backend: z.string().optional(),
  /** Training images the model learned from: fewer than the dataset has when training was limited. */
  trainCount: z.number().int().min(0).optional(),
  batchSize: z.number().int().min(1).optional(),
  history: z.array(HistoryEntrySchema),
  /** Test-set metrics after the last epoch, when computed: mse, psnr, ssim… */
  metrics: z.record(z.string(), z.number()).optional(),
  /**
   * The built-in or added dataset the model was trained on (MNIST, or the same kind of dataset in the same folder);
   * absent when none is on the list here, such as a folder the CLI trained on that was never added in the app.
   */
  datasetId: DatasetIdSchema.optional(),
})
export type ModelDetail = z.infer<typeof ModelDetailSchema>

/**
 * A folder in the store's models folder that cannot be read: listed so the user sees it and can delete it, or restore
 * it when only its version pointer is broken.
 */
export const UnreadableModelSchema = z.object({
  /** The folder's name, which is the id `models.delete` and `models.restoreVersion` take. */
  id: ModelIdSchema,
  /** Where it is on disk. */
  folder: z.string(),
  /** Why it cannot be read, as a sentence. */
  reason: z.string(),
  /**
   * The saved version (v000002) `models.restoreVersion` would point the model at again: present only when the folder's
   * `current` pointer is missing, damaged or names a missing version and a complete version is there to use.
   */
  restorableVersion: z.string().regex(/^v\d{6}$/).optional(),
})
export type UnreadableModel = z.infer<typeof UnreadableModelSchema>

export const ModelListSchema = z.object({
  models: z.array(ModelSummarySchema),
  /** Model folders that cannot be read; no other call takes them, except models.delete and models.restoreVersion. */
  unreadable: z.array(UnreadableModelSchema),
})
export type ModelList = z.infer<typeof ModelListSchema>

export const DatasetSummarySchema = z.object({
  id: DatasetIdSchema,
  name: z.string(),
  kind: z.enum(['builtin', 'idx', 'folder']),
  height: z.number().int(),
  width: z.number().int(),
  channels: z.number().int(),
  trainCount: z.number().int().min(0),
  testCount: z.number().int().min(0),
  /** Where an added dataset lives on disk; absent for built-ins. */
  path: z.string().optional(),
  /**
   * Image folders only: the image files found when it was added. Training cuts random width × height patches from
   * the readable ones, so trainCount and testCount count patches, not files.
   */
  imageFiles: z
    .object({
      /** Image files found (subfolders included), readable or not. */
      found: z.number().int().min(0),
      /** How many of them cannot be read; training skips them. */
      unreadableCount: z.number().int().min(0),
      /** The first few of those, with why. */
      unreadable: z.array(z.object({ file: z.string(), reason: z.string() })),
      /** GIF files of the folder, which training leaves out (their palette dithers photos); absent on older lists. */
      gifsLeftOut: z.number().int().min(0).optional(),
    })
    .optional(),
})
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>

/** One image of a batch against its reference. SSIM is absent for images smaller than its 11×11 window (10×10 IDX). */
export const MetricsSchema = z.object({ mse: z.number(), psnr: z.number(), ssim: z.number().optional() })
export type Metrics = z.infer<typeof MetricsSchema>
/** A photo against its clean reference (the Denoise view). SSIM is absent for photos smaller than its 11×11 window. */
export const PhotoMetricsSchema = z.object({ mse: z.number(), psnr: z.number(), ssim: z.number().optional() })

export const TrainingConfigSchema = z
  .object({
    /** Name of the model that training creates; defaults to "<architecture> on <dataset>". */
    name: NameSchema.optional(),
    architecture: ArchitectureSchema,
    datasetId: DatasetIdSchema,
    codeSize: z.number().int().min(1).max(LIMITS.maxCodeSize),
    epochs: z.number().int().min(1).max(LIMITS.maxEpochs),
    batchSize: z.number().int().min(1).max(LIMITS.maxBatchSize),
    learningRate: z.number().gt(0).max(10),
    /** Noise applied to inputs only: a denoising autoencoder. */
    noise: NoiseSchema.optional(),
    /** fresh (default): new noise every batch; fixed: the training set corrupted once and reused (the Keras blog). */
    noiseMode: NoiseModeSchema.optional(),
    /** Use only the first N training / test images (quick experiments). */
    trainLimit: z.number().int().min(1).max(10_000_000).optional(),
    testLimit: z.number().int().min(1).max(10_000_000).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
    /** Per-architecture options (hidden layer sizes, sparsity, KL weight…), passed to the ML core as they are. */
    options: boundedRecord(
      z.union([
        finiteNumber,
        z.boolean(),
        z.string().max(200),
        numberArray({ maxLength: 64, what: 'a list of finite numbers' }),
      ]),
      32,
    ).optional(),
  })
  .strict()
export type TrainingConfig = z.infer<typeof TrainingConfigSchema>

/** A named training recipe (the CLI's `--preset`): the values it puts in a TrainingConfig, and what it reaches. */
export const PresetSchema = z.object({
  name: z.string(),
  description: z.string(),
  architecture: ArchitectureSchema,
  datasetId: DatasetIdSchema,
  codeSize: z.number().int(),
  epochs: z.number().int(),
  batchSize: z.number().int(),
  learningRate: z.number(),
  noise: NoiseSchema,
  /** Absent: fresh noise every batch. */
  noiseMode: NoiseModeSchema.optional(),
  /** The result the recipe is known to reach, in words (e.g. the Keras blog's val_loss). */
  reference: z.string().optional(),
})
export type Preset = z.infer<typeof PresetSchema>

export const RunSchema = z.object({ runId: RunIdSchema, modelId: ModelIdSchema })
export type Run = z.infer<typeof RunSchema>

/** A fixed test image training reconstructs after every epoch, its noisy input (a denoiser's) and the result. */
export const TrainingSampleSchema = z.object({
  original: ImageSchema,
  input: ImageSchema.optional(),
  reconstruction: ImageSchema,
})
export type TrainingSample = z.infer<typeof TrainingSampleSchema>

export const TrainingStatusSchema = z.object({
  state: z.enum(['idle', 'starting', 'running', 'cancelling']),
  run: z
    .object({
      runId: RunIdSchema,
      /** Absent while a new run is starting (the store mints the id at the first save). */
      modelId: ModelIdSchema.optional(),
      epoch: z.number().int(),
      epochs: z.number().int(),
      batch: z.number().int(),
      batches: z.number().int(),
      loss: z.number().optional(),
      startedAt: z.string(),
      /**
       * The last finished epoch's samples, as its epoch-end event sent them, for a page that missed it (a reload);
       * absent before the first epoch ends.
       */
      samples: z.array(TrainingSampleSchema).optional(),
    })
    .optional(),
  /** The trainer process: its pid and how many times it was restarted after a crash. */
  trainer: z.object({ pid: z.number().int().optional(), restarts: z.number().int(), alive: z.boolean() }),
  /** What ended the last run with an error (or the crash a run resumed from); cleared when a new run starts. */
  lastError: ErrorSchema.optional(),
})
export type TrainingStatus = z.infer<typeof TrainingStatusSchema>

export const BackendInfoSchema = z.object({
  name: z.string(),
  requested: z.string().optional(),
  fallbackReason: z.string().optional(),
  threads: z.number().optional(),
  tfjsVersion: z.string(),
})
export type BackendInfo = z.infer<typeof BackendInfoSchema>

export const VersionsSchema = z.object({
  app: z.string(),
  node: z.string(),
  tfjs: z.string().optional(),
  electron: z.string().optional(),
  chrome: z.string().optional(),
  /** Which shell serves the UI; the web shell has no native dialogs, so paths are typed by the user. */
  shell: z.enum(['electron', 'web', 'cli', 'test']),
  nativeDialogs: z.boolean(),
})
export type Versions = z.infer<typeof VersionsSchema>

export const PathsSchema = z.object({ store: z.string(), models: z.string(), logs: z.string().optional() })
export type Paths = z.infer<typeof PathsSchema>

// ---- Latent space (the Latent view): schemas and limits. ---------------------------------------------------------

export const LATENT_LIMITS = {
  /** Test images one latent map encodes at most: a dense scatter, still light as JSON (~200 kB). */
  maxMapPoints: 10_000,
  /** Test images one `latent.samples` call returns. */
  maxSamples: 16,
  maxInterpolationSteps: 32,
  /** Images per side of a VAE's generated grid (30 × 28 px = an 840 px square). */
  maxGridSide: 30,
} as const

/** The position of an image in its model's test split (what a point on the latent map stands for). */
const TestIndexSchema = z
  .number()
  .int()
  .min(0)
  .max(LATENT_LIMITS.maxMapPoints - 1)

export const LatentMapSchema = z.object({
  modelId: ModelIdSchema,
  /** `code`: the code itself is 2-D (or 1-D: y = 0); `pca`: its first two principal components. */
  method: z.enum(['code', 'pca']),
  /** Length of the flattened code. */
  dimensions: z.number().int().min(1),
  count: z.number().int().min(0),
  /** x0, y0, x1, y1, …: point i is test image i. */
  points: z.array(z.number()),
  /** The label of each point (MNIST's digit, an EMNIST letter's number…), when the dataset has labels. */
  labels: z.array(z.number().int()).optional(),
  /** For PCA: the share of the codes' variance each axis explains. */
  explainedRatio: z.tuple([z.number(), z.number()]).optional(),
  /** The test split the points come from (name and how many images it holds in all). */
  dataset: z.string(),
  testCount: z.number().int().min(0),
})
export type LatentMap = z.infer<typeof LatentMapSchema>

export const LatentSampleSchema = z.object({
  index: z.number().int().min(0),
  label: z.number().int().optional(),
  original: ImageSchema,
  reconstruction: ImageSchema,
  code: z.array(z.number()),
  metrics: MetricsSchema,
})
export type LatentSample = z.infer<typeof LatentSampleSchema>

export const LatentInterpolationSchema = z.object({
  /** `steps` images decoded from codes evenly spaced on the line from `from`'s code (first) to `to`'s (last). */
  images: z.array(ImageSchema),
  from: z.object({ index: z.number().int(), label: z.number().int().optional(), original: ImageSchema }),
  to: z.object({ index: z.number().int(), label: z.number().int().optional(), original: ImageSchema }),
})
export type LatentInterpolation = z.infer<typeof LatentInterpolationSchema>

export const LatentGridSchema = z.object({
  /** n × n decoded images in one picture: z₁ grows left → right, z₂ bottom → top. */
  image: ImageSchema,
  n: z.number().int(),
  /** The prior's probability range the grid spans, and the code values at its ends (normal quantiles). */
  from: z.number(),
  to: z.number(),
  zFrom: z.number(),
  zTo: z.number(),
})
export type LatentGrid = z.infer<typeof LatentGridSchema>

// ---- End of the latent space block. ----------------------------------------------------------------------------

// ---- Photo denoising (the Denoise view): photos of any size cross as encoded files, never as number arrays. ----

export const DENOISE_LIMITS = {
  /** Encoded bytes of one photo sent inline; as base64 in JSON that is ~85 MB, under the web shell's 96 MiB frame. */
  maxEncodedBytes: 64 * 1024 * 1024,
  /** Largest photo (width × height), checked from its header before any pixel is decoded. */
  maxPixels: 50_000_000,
  minTileSize: 64,
  maxTileSize: 1024,
  maxDifferenceGain: 64,
} as const

const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/
const maxBase64Length = Math.ceil(DENOISE_LIMITS.maxEncodedBytes / 3) * 4

/** A photo: a path the user typed (web shell only; the desktop app refuses paths from the page), or its bytes. */
export const PhotoSourceSchema = z.union([
  z.object({ path: PathSchema }).strict(),
  z
    .object({
      name: z.string().min(1).max(255),
      // Length first: a regex over an over-long string would only waste time.
      base64: z
        .string()
        .min(1, 'must not be empty')
        .max(maxBase64Length, `must encode at most ${DENOISE_LIMITS.maxEncodedBytes / 1024 / 1024} MiB`)
        .regex(BASE64_PATTERN, 'must be base64'),
    })
    .strict(),
])
export type PhotoSource = z.infer<typeof PhotoSourceSchema>

export const DenoiseJobIdSchema = z.string().max(80).regex(ID_PATTERN, 'must be a denoising job id')

/** The pictures of a finished job: what went into the model (with synthetic noise, if any), its output, the
 * amplified absolute differences |input − denoised| and |reference − denoised|, and the clean reference. */
export const DenoiseImageKindSchema = z.enum(['input', 'denoised', 'difference', 'reference', 'error'])
export type DenoiseImageKind = z.infer<typeof DenoiseImageKindSchema>

export const DenoiseProgressSchema = z.object({
  jobId: DenoiseJobIdSchema,
  /** Tiles done and in all. */
  done: z.number().int().min(0),
  total: z.number().int().min(0),
})
export type DenoiseProgress = z.infer<typeof DenoiseProgressSchema>

export const DenoiseDoneSchema = z.object({
  jobId: DenoiseJobIdSchema,
  status: z.enum(['completed', 'cancelled', 'failed']),
  seconds: z.number(),
  megapixelsPerSecond: z.number().optional(),
  /** Against the clean reference, when there is one: the input as it went in, and the model's output. */
  metrics: z.object({ input: PhotoMetricsSchema, denoised: PhotoMetricsSchema }).optional(),
  /** Which pictures `inference.denoiseResult` can return for this job. */
  images: z.array(DenoiseImageKindSchema),
  error: ErrorSchema.optional(),
})
export type DenoiseDone = z.infer<typeof DenoiseDoneSchema>

// ---- End of the photo denoising block. ----------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------------------------

function call<I extends z.ZodType, O extends z.ZodType>(doc: string, input: I, output: O) {
  return { doc, input, output }
}

/**
 * Every call, by name. `input` is parsed by the service before anything else runs; `output` documents the result
 * (and tests check real results against it). Path inputs are optional: the Electron shell ignores them and asks
 * with a native dialog; the web shell has no dialogs and requires them (the user types a path).
 */
export const calls = {
  'models.list': call(
    'All models in the store, newest first, and the model folders that cannot be read (to delete or restore them).',
    EmptyInput,
    ModelListSchema,
  ),
  'models.get': call('One model with its config, history and metrics.', ModelRef, ModelDetailSchema),
  'models.rename': call(
    'Gives a model a new display name (its id never changes).',
    z.object({ id: ModelIdSchema, name: NameSchema }).strict(),
    ModelSummarySchema,
  ),
  'models.delete': call(
    'Removes a model folder from the store (refused while that model trains).',
    ModelRef,
    z.object({ deleted: z.boolean() }),
  ),
  'models.restoreVersion': call(
    'Points an unreadable model folder whose version pointer is broken at its newest complete saved version again ' +
      '(its `restorableVersion` in models.list); refused when the pointer works or no complete version is left.',
    ModelRef,
    ModelSummarySchema,
  ),
  'models.import': call(
    'Copies a model folder into the store; null when the user cancelled the dialog.',
    z.object({ path: PathSchema.optional() }).strict(),
    ModelSummarySchema.nullable(),
  ),
  'models.export': call(
    'Writes a model folder to a chosen place; null when the user cancelled the dialog.',
    z.object({ id: ModelIdSchema, path: PathSchema.optional() }).strict(),
    z.object({ path: z.string() }).nullable(),
  ),
  'datasets.builtIns': call(
    'The datasets that ship with the app (MNIST).',
    EmptyInput,
    z.array(DatasetSummarySchema),
  ),
  'datasets.list': call('Built-in and added datasets.', EmptyInput, z.array(DatasetSummarySchema)),
  'datasets.addIdxFolder': call(
    'Registers a folder of IDX files (train/test images, optional labels); null when cancelled.',
    z.object({ path: PathSchema.optional(), name: NameSchema.optional() }).strict(),
    DatasetSummarySchema.nullable(),
  ),
  'datasets.addImageFolder': call(
    'Registers a folder of PNG/JPEG images (resized to one size); null when cancelled.',
    z.object({ path: PathSchema.optional(), name: NameSchema.optional() }).strict(),
    DatasetSummarySchema.nullable(),
  ),
  'datasets.remove': call(
    'Takes an added dataset off the list; its files and the models trained on it stay. Built-in datasets stay.',
    z.object({ id: DatasetIdSchema }).strict(),
    z.object({ removed: z.boolean() }),
  ),
  'datasets.previewSamples': call(
    'A few images (and labels, when known) from a dataset split. An image folder is cut into 64×64 ' +
      "patches with the channels of its first photo; `patchSize` (8–1024, the CLI's --patch-size) and " +
      "`channels` (1 or 3) cut it to another model's input instead. Image folders only: any other dataset " +
      'has one image size, so a patch size for it is refused rather than answered at another size.',
    z
      .object({
        datasetId: DatasetIdSchema,
        split: z.enum(['train', 'test']).default('train'),
        count: z.number().int().min(1).max(LIMITS.maxPreviewSamples).default(16),
        offset: z.number().int().min(0).max(10_000_000).default(0),
        patchSize: z.number().int().min(8).max(1024).optional(),
        channels: z.union([z.literal(1), z.literal(3)]).optional(),
      })
      .strict()
      // The patches go on to inference calls, whose batches hold at most maxRequestValues values.
      .refine(
        ({ count, patchSize, channels = 3 }) =>
          patchSize === undefined || count * patchSize * patchSize * channels <= LIMITS.maxRequestValues,
        {
          message:
            `asks for patches holding more than ${LIMITS.maxRequestValues.toLocaleString('en')} values ` +
            'together; ask for fewer',
          path: ['count'],
        },
      ),
    z.object({ images: z.array(ImageSchema), labels: z.array(z.number().int()).optional() }),
  ),
  'training.start': call(
    'Starts training a new model (one training at a time); progress arrives as events.',
    TrainingConfigSchema,
    RunSchema,
  ),
  'training.cancel': call(
    'Stops the running training after the current batch; the last finished epoch stays saved.',
    EmptyInput,
    z.object({ cancelled: z.boolean() }),
  ),
  'training.resume': call(
    'Continues a model from its last saved epoch up to `epochs` (default: the epochs first asked for).',
    z
      .object({ id: ModelIdSchema, epochs: z.number().int().min(1).max(LIMITS.maxEpochs).optional() })
      .strict(),
    RunSchema,
  ),
  'training.status': call('What the trainer is doing now.', EmptyInput, TrainingStatusSchema),
  'training.presets': call(
    "The named recipes (the CLI's --preset): the Keras blog tutorials and Bottleneck's MNIST denoiser.",
    EmptyInput,
    z.array(PresetSchema),
  ),
  'inference.prepare': call(
    'Loads a model into the inference process ahead of use, so the first stroke or image does not wait for the load.',
    ModelRef,
    z.object({ ready: z.literal(true) }),
  ),
  'inference.encode': call(
    'Latent codes of a batch of images.',
    z.object({ id: ModelIdSchema, images: ImageBatchSchema }).strict(),
    z.object({ codes: z.array(z.array(z.number())) }),
  ),
  'inference.decode': call(
    'Images decoded from a batch of latent codes.',
    z
      .object({
        id: ModelIdSchema,
        codes: boundedArray(CodeSchema, { max: LIMITS.maxBatchImages, min: 1, what: 'codes' }),
      })
      .strict(),
    z.object({ images: z.array(ImageSchema) }),
  ),
  'inference.reconstruct': call(
    'Reconstructions of a batch of images, with MSE/PSNR/SSIM against each input; with `withCodes`, their codes too ' +
      '(one round trip for the Draw view instead of two).',
    z.object({ id: ModelIdSchema, images: ImageBatchSchema, withCodes: z.boolean().optional() }).strict(),
    z.object({
      images: z.array(ImageSchema),
      metrics: z.array(MetricsSchema),
      /** Present when `withCodes` was asked and the model has an encoder. */
      codes: z.array(z.array(z.number())).optional(),
    }),
  ),
  'inference.denoise': call(
    'Denoises a batch of images; with `noise`, first corrupts them (returned as `noisy`) to show the effect, and ' +
      'with `baselines` also restores the same noisy images with those classical filters, to show what the model gains.',
    z
      .object({
        id: ModelIdSchema,
        images: ImageBatchSchema,
        noise: NoiseSchema.optional(),
        baselines: z
          .array(DenoiseBaselineSchema)
          .max(DenoiseBaselineSchema.options.length)
          .refine((names) => new Set(names).size === names.length, 'lists a filter twice')
          .optional(),
      })
      .strict()
      .refine(
        (request) => !request.baselines?.length || (request.noise !== undefined && request.noise.type !== 'none'),
        { message: 'needs a noise for the classical filters to remove', path: ['baselines'] },
      ),
    z.object({
      images: z.array(ImageSchema),
      noisy: z.array(ImageSchema).optional(),
      /** Metrics of each output against the clean input; present only when `noise` was given. */
      metrics: z.array(MetricsSchema).optional(),
      /** Per requested filter, in the order asked: the restored images, aligned with `images`. */
      baselines: z.array(z.object({ name: DenoiseBaselineSchema, images: z.array(ImageSchema) })).optional(),
    }),
  ),
  // ---- Latent space (the Latent view). Runs in the inference process on the model's own test split. ----
  'latent.map': call(
    "The codes of the model's first `limit` test images projected to 2-D (the code itself when 2-D, else PCA), with labels.",
    z
      .object({
        id: ModelIdSchema,
        limit: z.number().int().min(2).max(LATENT_LIMITS.maxMapPoints).default(2000),
      })
      .strict(),
    LatentMapSchema,
  ),
  'latent.samples': call(
    'Test images by index, with their label, code and reconstruction (what a point on the map stands for).',
    z
      .object({
        id: ModelIdSchema,
        indices: boundedArray(TestIndexSchema, { max: LATENT_LIMITS.maxSamples, min: 1, what: 'test indices' }),
      })
      .strict(),
    z.object({ samples: z.array(LatentSampleSchema) }),
  ),
  'latent.interpolate': call(
    'Decodes `steps` codes on the straight line between the codes of two test images.',
    z
      .object({
        id: ModelIdSchema,
        from: TestIndexSchema,
        to: TestIndexSchema,
        steps: z.number().int().min(2).max(LATENT_LIMITS.maxInterpolationSteps).default(10),
      })
      .strict(),
    LatentInterpolationSchema,
  ),
  'latent.generate': call(
    "A VAE's generated grid: n × n images decoded from the prior's quantiles between `from` and `to` (the Keras blog's manifold).",
    z
      .object({
        id: ModelIdSchema,
        n: z.number().int().min(2).max(LATENT_LIMITS.maxGridSide).default(15),
        from: z.number().min(0.001).max(0.49).default(0.05),
        to: z.number().min(0.51).max(0.999).default(0.95),
      })
      .strict(),
    LatentGridSchema,
  ),
  // ---- End of the latent space calls. ----
  // ---- Photo denoising (the Denoise view). Runs in the inference process; progress and the end are events. ----
  'inference.denoiseImage': call(
    'Starts denoising a photo of any size (tiled); answers once it is decoded, then sends progress and a done event.',
    z
      .object({
        id: ModelIdSchema,
        source: PhotoSourceSchema,
        /** A clean version of the same photo: PSNR/SSIM are measured against it. */
        reference: PhotoSourceSchema.optional(),
        /** Corrupts the photo first (to try a model on a clean photo); the clean photo is then the reference. */
        noise: NoiseSchema.optional(),
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31 - 1)
          .optional(),
        tileSize: z.number().int().min(DENOISE_LIMITS.minTileSize).max(DENOISE_LIMITS.maxTileSize).optional(),
      })
      .strict(),
    z.object({
      jobId: DenoiseJobIdSchema,
      width: z.number().int(),
      height: z.number().int(),
      channels: z.number().int(),
      tiles: z.number().int(),
      /** What of the photo is not denoised (an animation's later frames, a 16-bit PNG's lower bits), in sentences. */
      notes: z.array(z.string().max(500)).max(8),
    }),
  ),
  'inference.cancelDenoise': call(
    'Stops a running denoising job between tiles; its done event then says cancelled.',
    z.object({ jobId: DenoiseJobIdSchema }).strict(),
    z.object({ cancelled: z.boolean() }),
  ),
  'inference.denoiseResult': call(
    'One picture of a finished job as PNG (base64); differences amplified by `gain`.',
    z
      .object({
        jobId: DenoiseJobIdSchema,
        image: DenoiseImageKindSchema,
        gain: z.number().min(1).max(DENOISE_LIMITS.maxDifferenceGain).default(1),
      })
      .strict(),
    z.object({ image: DenoiseImageKindSchema, width: z.number().int(), height: z.number().int(), png: z.string() }),
  ),
  // ---- End of the photo denoising calls. ----
  'system.backend': call(
    'The TensorFlow.js backend in use, and why, if it fell back.',
    EmptyInput,
    BackendInfoSchema,
  ),
  'system.versions': call(
    'Versions of the app and its runtimes, and which shell serves the UI.',
    EmptyInput,
    VersionsSchema,
  ),
  'system.paths': call('Where models and logs are kept.', EmptyInput, PathsSchema),
} as const

export type Calls = typeof calls
export type CallName = keyof Calls
/** What a caller passes (defaults still optional). */
export type CallInput<N extends CallName> = z.input<Calls[N]['input']>
/** What the service receives after parsing (defaults filled in). */
export type ParsedInput<N extends CallName> = z.output<Calls[N]['input']>
export type CallOutput<N extends CallName> = z.output<Calls[N]['output']>

/** Parses a payload for a call; returns the typed value or the typed error. Never throws. */
export function parseInput<N extends CallName>(
  name: N,
  payload: unknown,
): { ok: true; value: ParsedInput<N> } | { ok: false; error: ContractErrorShape } {
  const result = calls[name].input.safeParse(payload)
  if (result.success) return { ok: true, value: result.data as ParsedInput<N> }
  return { ok: false, error: { code: 'INVALID_INPUT', message: describeIssues(result.error) } }
}

// ---------------------------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------------------------

export const BatchProgressSchema = z.object({
  runId: RunIdSchema,
  modelId: ModelIdSchema,
  epoch: z.number().int(),
  epochs: z.number().int(),
  batch: z.number().int(),
  batches: z.number().int(),
  loss: z.number(),
  samplesPerSecond: z.number(),
  etaSeconds: z.number(),
})
export type BatchProgress = z.infer<typeof BatchProgressSchema>

export const EpochEndSchema = z.object({
  runId: RunIdSchema,
  modelId: ModelIdSchema,
  epoch: z.number().int(),
  epochs: z.number().int(),
  loss: z.number(),
  valLoss: z.number().optional(),
  durationMs: z.number(),
  /** A few fixed test images, their (noisy) inputs and reconstructions, so the UI shows learning progress. */
  samples: z.array(TrainingSampleSchema),
})
export type EpochEnd = z.infer<typeof EpochEndSchema>

export const TrainingDoneSchema = z.object({
  runId: RunIdSchema,
  modelId: ModelIdSchema,
  status: z.enum(['completed', 'cancelled']),
  epochs: z.number().int(),
  history: z.array(HistoryEntrySchema),
})
export type TrainingDone = z.infer<typeof TrainingDoneSchema>

export const TrainingErrorSchema = z.object({
  runId: RunIdSchema.optional(),
  modelId: ModelIdSchema.optional(),
  error: ErrorSchema,
  /** True when the trainer process died and is being restarted; the run can be resumed from its last epoch. */
  trainerRestarted: z.boolean(),
})
export type TrainingErrorEvent = z.infer<typeof TrainingErrorSchema>

/**
 * What a run that goes on wants the user to know (a resumed model's saved optimizer state could not be read, so Adam
 * starts again from zero moments). Sent as the run starts, which may be before the call that started it answers.
 */
export const TrainingWarningSchema = z.object({
  runId: RunIdSchema,
  modelId: ModelIdSchema,
  /** A sentence to show as it is. */
  message: z.string(),
})
export type TrainingWarning = z.infer<typeof TrainingWarningSchema>

export const ModelsChangedSchema = z.object({
  reason: z.enum(['created', 'updated', 'renamed', 'deleted', 'imported']),
  id: ModelIdSchema,
})
export type ModelsChanged = z.infer<typeof ModelsChangedSchema>

/** The file's name as saved (the one the user chose in the save dialog, if they renamed it). */
const SavedFileName = z.string().max(LIMITS.maxPathLength)
export const FileSavedSchema = z.discriminatedUnion('outcome', [
  /** `path`: where the file now is, as a full path. */
  z.object({ outcome: z.literal('saved'), fileName: SavedFileName, path: z.string().max(LIMITS.maxPathLength) }),
  /** The user's own doing (they closed the save dialog): nothing to tell them. */
  z.object({ outcome: z.literal('cancelled'), fileName: SavedFileName }),
  /** `reason`: why it was not saved, a sentence to show as it is. */
  z.object({ outcome: z.literal('failed'), fileName: SavedFileName, reason: z.string().max(2000) }),
])
export type FileSaved = z.infer<typeof FileSavedSchema>

export const events = {
  /** A model was created, saved (each epoch), renamed, deleted or imported: lists should refresh. */
  'models.onChanged': ModelsChangedSchema,
  'training.onBatchProgress': BatchProgressSchema,
  'training.onEpochEnd': EpochEndSchema,
  'training.onDone': TrainingDoneSchema,
  'training.onError': TrainingErrorSchema,
  'training.onWarning': TrainingWarningSchema,
  /** Photo denoising (the Denoise view): tiles done, and the job's end. */
  'inference.onDenoiseProgress': DenoiseProgressSchema,
  'inference.onDenoiseDone': DenoiseDoneSchema,
  /**
   * How a file the user exported (PNG, CSV…) ended: saved where, cancelled, or failed and why. Only the desktop app
   * sends it, for the save dialog its own window opened; a browser keeps its downloads to itself.
   */
  'files.onSaved': FileSavedSchema,
} as const

export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.output<Events[E]>
export type EventMessage = { [E in EventName]: { name: E; payload: EventPayload<E> } }[EventName]

// ---------------------------------------------------------------------------------------------------------------
// The API shape both transports (preload over IPC, WebSocket in the browser) expose: `api.models.list()`.
// ---------------------------------------------------------------------------------------------------------------

type Unsubscribe = () => void
type Listener<E extends EventName> = (payload: EventPayload<E>) => void
type Fn<N extends CallName> =
  z.input<Calls[N]['input']> extends Record<string, never>
    ? () => Promise<CallOutput<N>>
    : (payload: CallInput<N>) => Promise<CallOutput<N>>

export interface BottleneckApi {
  models: {
    list: Fn<'models.list'>
    get: Fn<'models.get'>
    rename: Fn<'models.rename'>
    delete: Fn<'models.delete'>
    restoreVersion: Fn<'models.restoreVersion'>
    import: Fn<'models.import'>
    export: Fn<'models.export'>
    onChanged: (listener: Listener<'models.onChanged'>) => Unsubscribe
  }
  datasets: {
    builtIns: Fn<'datasets.builtIns'>
    list: Fn<'datasets.list'>
    addIdxFolder: Fn<'datasets.addIdxFolder'>
    addImageFolder: Fn<'datasets.addImageFolder'>
    remove: Fn<'datasets.remove'>
    previewSamples: Fn<'datasets.previewSamples'>
  }
  training: {
    start: Fn<'training.start'>
    cancel: Fn<'training.cancel'>
    resume: Fn<'training.resume'>
    status: Fn<'training.status'>
    presets: Fn<'training.presets'>
    onBatchProgress: (listener: Listener<'training.onBatchProgress'>) => Unsubscribe
    onEpochEnd: (listener: Listener<'training.onEpochEnd'>) => Unsubscribe
    onDone: (listener: Listener<'training.onDone'>) => Unsubscribe
    onError: (listener: Listener<'training.onError'>) => Unsubscribe
    onWarning: (listener: Listener<'training.onWarning'>) => Unsubscribe
  }
  inference: {
    prepare: Fn<'inference.prepare'>
    encode: Fn<'inference.encode'>
    decode: Fn<'inference.decode'>
    reconstruct: Fn<'inference.reconstruct'>
    denoise: Fn<'inference.denoise'>
    denoiseImage: Fn<'inference.denoiseImage'>
    cancelDenoise: Fn<'inference.cancelDenoise'>
    denoiseResult: Fn<'inference.denoiseResult'>
    onDenoiseProgress: (listener: Listener<'inference.onDenoiseProgress'>) => Unsubscribe
    onDenoiseDone: (listener: Listener<'inference.onDenoiseDone'>) => Unsubscribe
  }
  latent: {
    map: Fn<'latent.map'>
    samples: Fn<'latent.samples'>
    interpolate: Fn<'latent.interpolate'>
    generate: Fn<'latent.generate'>
  }
  system: {
    backend: Fn<'system.backend'>
    versions: Fn<'system.versions'>
    paths: Fn<'system.paths'>
  }
  files: {
    onSaved: (listener: Listener<'files.onSaved'>) => Unsubscribe
  }
}

// Compile-time proof that ./runtime's name lists match the schemas above exactly (a missing or extra name fails tsc).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const _callNamesMatch: Same<(typeof CALL_NAMES)[number], CallName> = true
const _eventNamesMatch: Same<(typeof EVENT_NAMES)[number], EventName> = true
void _callNamesMatch
void _eventNamesMatch
