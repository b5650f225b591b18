// `bottleneck train`: trains an autoencoder, checkpointing after every epoch so a killed run loses at most one
// epoch (`--resume` continues it); Ctrl-C stops between batches and keeps the last saved epoch.
import { basename, dirname, join } from 'node:path'
import {
  buildAutoencoder,
  createModelConfig,
  DEFAULT_ARCHITECTURE,
  getArchitecture,
  hasCodeLayer,
  listArchitectures,
  type Autoencoder,
} from '../../ml/architectures/index'
import { automaticModelName } from '../../contract/index'
import { absoluteDatasetSpec, loadDataset, type ImageDataset } from '../../ml/datasets'
import { gifsLeftOutSentence, openImageFolder, type BatchMode, type ImageFolder } from '../../ml/folder-dataset'
import { fitPatches } from '../../ml/patch-training'
import { BottleneckError } from '../../ml/errors'
import { hasSsim } from '../../ml/metrics'
import { finalTestMetrics, NO_SSIM_NOTE } from '../../ml/test-metrics'
import { createTrainingNoise, formatNoiseKind, formatNoiseSpec, NOISE_MODES, parseNoiseSpec, withNoiseMode, type NoiseMode, type NoiseSpec } from '../../ml/noise'
import { createAdam, fit, type BatchProgress, type EpochLogs } from '../../ml/train'
import type { EpochRecord, ModelMetadata, ModelRecord, Store } from '../../store/index'
import { cleanName, MAX_NAME_LENGTH, STREAMED_VALIDATION_PATCHES } from '../../store/metadata'
import { integerOption, numberOption, stringOption, UsageError, type CommandSpec, type Parsed } from '../args'
import { backendFields, createContext, type CommandContext } from '../context'
import { fixed, formatDuration, progressBar } from '../format'
import { applyPreset, presetOptions } from './preset'

/** Defaults that differ between datasets held in memory (MNIST, IDX) and image folders (patches streamed from disk). */
const DEFAULTS = {
  inMemory: { architecture: DEFAULT_ARCHITECTURE, epochs: 50, batchSize: 256 },
  folder: { architecture: 'unet', epochs: 20, batchSize: 16, patchSize: 64, stepsPerEpoch: 100 },
} as const

/** Options that only one kind of dataset takes; given with the other kind they would be ignored, so they are refused. */
const FOLDER_ONLY_OPTIONS = ['patch-size', 'steps-per-epoch'] as const
const IN_MEMORY_ONLY_OPTIONS = ['limit', 'test-limit'] as const

/**
 * The code size each architecture gets by default, for --help: "32; conv 128 on MNIST (8 × its pooled grid), vae 2;
 * unet and denoiser have no code".
 */
function codeSizeDefaults(): string {
  const sizes = new Map<number, string[]>()
  const codeless: string[] = []
  for (const { name } of listArchitectures()) {
    if (!hasCodeLayer(name)) {
      codeless.push(name)
      continue
    }
    const size = createModelConfig(name, [28, 28, 1]).codeSize
    sizes.set(size, [...(sizes.get(size) ?? []), name])
  }
  const [common, ...others] = [...sizes].sort((a, b) => b[1].length - a[1].length)
  // conv's follows the image size (an 8-deep code on its pooled grid): said as what it is on MNIST.
  const exceptions = others.flatMap(([size, names]) =>
    names.map((name) => (getArchitecture(name).defaultCodeSize ? `${name} ${size} on MNIST (8 × its pooled grid)` : `${name} ${size}`)),
  )
  return [
    String(common![0]),
    ...(exceptions.length > 0 ? [exceptions.join(', ')] : []),
    ...(codeless.length > 0 ? [`${codeless.join(' and ')} have no code`] : []),
  ].join('; ')
}

export const trainSpec: CommandSpec = {
  name: 'train',
  usage: 'bottleneck train [--dataset mnist|idx:FOLDER|folder:FOLDER] [--arch NAME] [--epochs N] [options]',
  summary:
    'Trains an autoencoder and saves it to the store after every epoch. Ctrl-C stops cleanly and keeps the last saved epoch; --resume continues a stopped run.',
  options: {
    arch: {
      type: 'string',
      help: `Architecture (${listArchitectures()
        .map((a) => a.name)
        .join(', ')})`,
      defaultText: `${DEFAULTS.inMemory.architecture}; ${DEFAULTS.folder.architecture} for folder: datasets`,
      placeholder: 'NAME',
    },
    dataset: {
      type: 'string',
      help: 'mnist, idx:FOLDER (train/t10k IDX files) or folder:FOLDER (image files, cut into patches)',
      defaultText: 'mnist',
      placeholder: 'SPEC',
    },
    epochs: {
      type: 'string',
      help: 'Train until this many epochs are done',
      defaultText: `${DEFAULTS.inMemory.epochs}; ${DEFAULTS.folder.epochs} for folder: datasets`,
      placeholder: 'N',
    },
    'batch-size': {
      type: 'string',
      help: 'Images per training step',
      defaultText: `${DEFAULTS.inMemory.batchSize}; ${DEFAULTS.folder.batchSize} for folder: datasets`,
      placeholder: 'N',
    },
    'code-size': {
      type: 'string',
      help: 'Size of the code (latent) layer',
      defaultText: codeSizeDefaults(),
      placeholder: 'N',
    },
    'learning-rate': { type: 'string', help: 'Adam learning rate', defaultText: '0.001', placeholder: 'LR' },
    limit: { type: 'string', help: 'mnist and idx: datasets — use only the first N training images', placeholder: 'N' },
    'test-limit': {
      type: 'string',
      help: 'mnist and idx: datasets — validate on only the first N test images',
      placeholder: 'N',
    },
    seed: {
      type: 'string',
      help: 'Seed the initial weights and the shuffle for a reproducible run',
      placeholder: 'S',
    },
    noise: {
      type: 'string',
      help: 'Corrupt inputs while training (a denoising autoencoder), e.g. gaussian:0.5',
      placeholder: 'SPEC',
    },
    'noise-mode': {
      type: 'string',
      help: 'fresh: new noise every batch; fixed: corrupt the training set once and reuse it every epoch (the Keras blog)',
      defaultText: 'fresh',
      placeholder: 'MODE',
    },
    name: {
      type: 'string',
      help: `Model name (free text, 1–${MAX_NAME_LENGTH} characters; default: the architecture, its code size if it has a code, and the dataset)`,
      placeholder: 'NAME',
    },
    resume: {
      type: 'string',
      help: 'Continue training this model (id, name or folder) from its last saved epoch',
      placeholder: 'MODEL',
    },
    'self-supervised': {
      type: 'boolean',
      help: 'folder: datasets only — learn from noisy photos alone (Noise2Void blind-spot masking); --noise then simulates the noise on clean files',
    },
    'patch-size': {
      type: 'string',
      help: 'folder: datasets — side of the square training patches',
      defaultText: String(DEFAULTS.folder.patchSize),
      placeholder: 'N',
    },
    'steps-per-epoch': {
      type: 'string',
      help: 'folder: datasets — batches of random patches per epoch',
      defaultText: String(DEFAULTS.folder.stepsPerEpoch),
      placeholder: 'N',
    },
    ...presetOptions,
  },
}

/** How a model trained on an image folder sees its data; kept in its config so --resume trains the same way. */
interface FolderTraining {
  mode: BatchMode['kind']
  patchSize: number
  stepsPerEpoch: number
}

interface Plan {
  autoencoder: Autoencoder
  /** In-memory datasets (MNIST, IDX); folder datasets stream patches from `folder` instead. */
  dataset?: ImageDataset
  folder?: { source: ImageFolder; training: FolderTraining }
  datasetInfo: { name: string; trainCount: number; testCount: number }
  datasetSpec: string
  name: string
  epochs: number
  initialEpoch: number
  batchSize: number
  noise?: NoiseSpec
  record?: ModelRecord
  history: EpochRecord[]
}

export async function trainCommand(parsed: Parsed): Promise<number> {
  const { values } = parsed
  applyPreset(values)
  // Every option is checked before the backend starts, so a typo fails in milliseconds.
  const requestedEpochs = integerOption(values, 'epochs', 1, 100_000)
  const requestedBatch = integerOption(values, 'batch-size', 1, 65_536)
  const limit = integerOption(values, 'limit', 1, 100_000_000)
  const testLimit = integerOption(values, 'test-limit', 1, 100_000_000)
  const codeSize = integerOption(values, 'code-size', 1, 65_536)
  const learningRate = numberOption(values, 'learning-rate', 0, 10)
  const seed = integerOption(values, 'seed', 0, 2 ** 31 - 1)
  const noiseText = stringOption(values, 'noise')
  const noiseMode = stringOption(values, 'noise-mode')
  if (noiseMode !== undefined && !NOISE_MODES.includes(noiseMode as NoiseMode)) {
    throw new UsageError(`--noise-mode must be ${NOISE_MODES.join(' or ')} (got "${noiseMode}").`)
  }
  if (noiseMode !== undefined && !noiseText) throw new UsageError('--noise-mode needs --noise SPEC.')
  const parsedNoise = noiseText ? parseNoiseSpec(noiseText) : undefined
  const noise = parsedNoise && noiseMode ? withNoiseMode(parsedNoise, noiseMode as NoiseMode) : parsedNoise
  const requestedName = checkedName(stringOption(values, 'name'))
  const resumeRef = stringOption(values, 'resume')
  if (!resumeRef) assertOptionsFitDataset(values, stringOption(values, 'dataset') ?? 'mnist')
  const context = await createContext(parsed)
  const { store, say } = context
  let plan: Plan
  if (resumeRef) {
    for (const flag of ['arch', 'code-size', 'learning-rate', 'seed', 'noise', 'noise-mode', 'dataset'] as const) {
      if (values[flag] !== undefined) {
        throw new UsageError(`--${flag} cannot change when resuming; the model keeps its own settings.`)
      }
    }
    const { record, autoencoder } = await store.load(resumeRef)
    try {
      assertInStore(record, store)
      assertOptionsFitDataset(values, record.metadata.dataset.spec)
      for (const flag of FOLDER_ONLY_OPTIONS) {
        if (values[flag] !== undefined) {
          throw new UsageError(`--${flag} cannot change when resuming; the model keeps its own settings.`)
        }
      }
    } catch (error) {
      autoencoder.dispose()
      throw error
    }
    const meta = record.metadata
    const folderTraining = meta.config.training as FolderTraining | undefined
    const source = folderTraining ? await openFolder(meta.dataset.spec, folderTraining.patchSize) : undefined
    const dataset = source
      ? undefined
      : await loadDataset(meta.dataset.spec, {
          limit: limit ?? meta.dataset.trainCount,
          testLimit: testLimit ?? meta.dataset.testCount,
        })
    plan = {
      autoencoder,
      dataset,
      folder: source && folderTraining ? { source, training: folderTraining } : undefined,
      datasetInfo: dataset ? describe(dataset) : meta.dataset,
      datasetSpec: meta.dataset.spec,
      name: requestedName ?? meta.name,
      epochs: requestedEpochs ?? meta.targetEpochs,
      initialEpoch: meta.epochs,
      batchSize: requestedBatch ?? meta.batchSize,
      noise: typeof meta.noise === 'string' ? parseNoiseSpec(meta.noise) : undefined,
      record,
      history: meta.history,
    }
    if (plan.initialEpoch >= plan.epochs) {
      autoencoder.dispose()
      const sentence = `${meta.name} (${record.id}) already has ${plan.initialEpoch} epochs; pass --epochs N with N > ${plan.initialEpoch} to train further.`
      context.result(
        trainingSummary(context, plan, { record, epochs: [], cancelled: false, metrics: meta.metrics, notes: [sentence] }),
        sentence,
      )
      return 0
    }
    say(`Resuming ${meta.name} (${record.id}) at epoch ${plan.initialEpoch + 1} of ${plan.epochs}.`)
  } else if ((stringOption(values, 'dataset') ?? '').startsWith('folder:')) {
    plan = await planFolderTraining(values, noise, requestedName)
  } else {
    if (values['self-supervised'] !== undefined) {
      throw new UsageError(
        '--self-supervised learns from a folder of noisy photos: use it with --dataset folder:DIR.',
      )
    }
    const datasetSpec = absoluteDatasetSpec(stringOption(values, 'dataset') ?? 'mnist')
    const dataset = await loadDataset(datasetSpec, { limit, testLimit })
    const arch = stringOption(values, 'arch') ?? DEFAULTS.inMemory.architecture
    const config = createModelConfig(arch, [dataset.height, dataset.width, dataset.channels], {
      // The architecture's own default code size applies unless one is given (a VAE's is 2).
      codeSize,
      learningRate: learningRate ?? 0.001,
      seed,
    })
    plan = {
      autoencoder: buildAutoencoder(config),
      dataset,
      datasetInfo: describe(dataset),
      datasetSpec,
      name: requestedName ?? defaultName(automaticModelName(config.architecture, config.codeSize, dataset.name)),
      epochs: requestedEpochs ?? DEFAULTS.inMemory.epochs,
      initialEpoch: 0,
      batchSize: requestedBatch ?? DEFAULTS.inMemory.batchSize,
      noise: noise?.kind === 'none' ? undefined : noise,
      history: [],
    }
  }
  // Before any training, so a store that cannot take the checkpoints fails now and not after the first epoch.
  try {
    await store.checkCanSave(plan.name, plan.record?.id)
  } catch (error) {
    plan.autoencoder.dispose()
    throw error
  }
  // The resume command a stopped run suggests must look in the store this run saves to, not the default one.
  const storeOption = values.store === undefined ? '' : ` --store "${store.root}"`
  return runTraining(context, plan, storeOption)
}

/** The --name given, trimmed; checked now because the store would refuse it only at the first checkpoint. */
function checkedName(requested: string | undefined): string | undefined {
  if (requested === undefined) return undefined
  const name = cleanName(requested)
  if (!name) {
    throw new UsageError(`--name must be 1–${MAX_NAME_LENGTH} characters long, without control characters.`)
  }
  return name
}

/**
 * Default names hold the dataset's path, which may be longer than a model name may be: it is shortened rather than
 * refused at the first checkpoint, after a whole epoch.
 */
function defaultName(text: string): string {
  const name = cleanName(text.length > MAX_NAME_LENGTH ? `${text.slice(0, MAX_NAME_LENGTH - 1)}…` : text)
  if (!name) {
    throw new UsageError('The dataset path does not make a usable model name; give the model one with --name NAME.')
  }
  return name
}

/** Refuses options the dataset would ignore, naming the datasets that take them. */
function assertOptionsFitDataset(values: Parsed['values'], spec: string): void {
  const folder = spec.startsWith('folder:')
  for (const flag of folder ? IN_MEMORY_ONLY_OPTIONS : FOLDER_ONLY_OPTIONS) {
    if (values[flag] === undefined) continue
    throw new UsageError(
      folder
        ? `--${flag} is for mnist and idx: datasets; a folder: dataset draws random patches (--steps-per-epoch and --batch-size set how many).`
        : `--${flag} is for folder: datasets; mnist and idx: datasets train on whole images (--limit and --test-limit set how many).`,
    )
  }
}

/**
 * Checkpoints are written to the store, so a model folder outside it cannot be resumed from this store. The command
 * line has no import: a folder of another store is resumed with that store, anything else is imported in the app.
 */
function assertInStore(record: ModelRecord, store: Store): void {
  if (record.folder === join(store.root, 'models', record.id)) return
  const otherStore = dirname(dirname(record.folder))
  if (basename(dirname(record.folder)) === 'models' && basename(record.folder) === record.id) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `${record.folder} belongs to the store ${otherStore}, not to ${store.root} where training saves its checkpoints: resume it with --store "${otherStore}".`,
    )
  }
  throw new BottleneckError(
    'INVALID_INPUT',
    `${record.folder} is not in the store ${store.root}, where training saves its checkpoints, and the command line cannot import models: ` +
      `import it into this store with "Import model…" in the app's Models view (start the app with BOTTLENECK_HOME=${store.root}), then resume it by its new id.`,
  )
}

function describe(dataset: ImageDataset): Plan['datasetInfo'] {
  return { name: dataset.name, trainCount: dataset.train.count, testCount: dataset.test.count }
}

function openFolder(spec: string, patchSize: number): Promise<ImageFolder> {
  return openImageFolder(spec.slice('folder:'.length), { patchSize })
}

/**
 * A folder of photos trains a fully convolutional denoiser (unet by default) on random patches streamed from disk:
 * clean photos learn to undo --noise (supervised); with --self-supervised, noisy photos teach it alone (Noise2Void).
 */
async function planFolderTraining(
  values: Parsed['values'],
  noise: NoiseSpec | undefined,
  requestedName: string | undefined,
): Promise<Plan> {
  const datasetSpec = absoluteDatasetSpec(stringOption(values, 'dataset')!)
  const selfSupervised = values['self-supervised'] === true
  const realNoise = noise?.kind === 'none' ? undefined : noise
  if (realNoise?.mode === 'fixed') {
    throw new UsageError('--noise-mode fixed needs a dataset held in memory; folder: datasets draw new patches every batch.')
  }
  const mode: BatchMode = selfSupervised
    ? { kind: 'noise2void', noise: realNoise }
    : realNoise
      ? { kind: 'supervised', noise: realNoise }
      : { kind: 'clean' }
  const training: FolderTraining = {
    mode: mode.kind,
    patchSize: integerOption(values, 'patch-size', 8, 1024) ?? DEFAULTS.folder.patchSize,
    stepsPerEpoch: integerOption(values, 'steps-per-epoch', 1, 1_000_000) ?? DEFAULTS.folder.stepsPerEpoch,
  }
  const source = await openFolder(datasetSpec, training.patchSize)
  const arch = stringOption(values, 'arch') ?? DEFAULTS.folder.architecture
  const config = createModelConfig(arch, [training.patchSize, training.patchSize, source.channels], {
    codeSize: integerOption(values, 'code-size', 1, 65_536),
    learningRate: numberOption(values, 'learning-rate', 0, 10) ?? 0.001,
    seed: integerOption(values, 'seed', 0, 2 ** 31 - 1),
  })
  config.training = training
  const autoencoder = buildAutoencoder(config)
  const modeLabel = {
    clean: 'autoencoding',
    supervised: 'supervised denoising',
    noise2void: 'self-supervised denoising',
  }
  return {
    autoencoder,
    folder: { source, training },
    datasetInfo: {
      name: `${source.folder} (${modeLabel[mode.kind]})`,
      trainCount: source.train.length,
      testCount: STREAMED_VALIDATION_PATCHES,
    },
    datasetSpec,
    name: requestedName ?? defaultName(`${config.architecture} ${modeLabel[mode.kind]} on ${source.folder}`),
    epochs: integerOption(values, 'epochs', 1, 100_000) ?? DEFAULTS.folder.epochs,
    initialEpoch: 0,
    batchSize: integerOption(values, 'batch-size', 1, 65_536) ?? DEFAULTS.folder.batchSize,
    noise: realNoise,
    history: [],
  }
}

function folderMode(training: FolderTraining, noise: NoiseSpec | undefined): BatchMode {
  if (training.mode === 'noise2void') return { kind: 'noise2void', noise }
  if (training.mode === 'supervised') {
    if (!noise)
      throw new BottleneckError(
        'MODEL_CORRUPT',
        'This model was trained with synthetic noise, but its noise setting is missing.',
      )
    return { kind: 'supervised', noise }
  }
  return { kind: 'clean' }
}

/** What a run trains and validates on, for the line that opens it. */
function trainingDataText(plan: Plan): string {
  const { trainCount, testCount } = plan.datasetInfo
  if (!plan.folder) return `${trainCount} train / ${testCount} test images`
  const { train, validation, patchSize } = plan.folder.source
  const counted = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`
  // A folder of one image holds none out: its validation patches come from that image.
  const validatedOn = validation.length > 0 ? counted(validation.length, 'held-out image') : 'the same image'
  return `random ${patchSize}×${patchSize} patches of ${counted(train.length, 'image')}, validated on ${testCount} patches of ${validatedOn}`
}

/** How a run ended, for its --json summary. */
interface RunOutcome {
  record?: ModelRecord
  /** The epochs this run trained. */
  epochs: EpochLogs[]
  cancelled: boolean
  metrics?: Record<string, number>
  /** Whether a resumed run got Adam's saved moments back; undefined for a new model. */
  optimizerRestored?: boolean
  resumeCommand?: string
  /** The sentences the text output adds for the person (a restarted optimizer, a cancel, no SSIM), in its order. */
  notes: string[]
}

/**
 * The --json summary of a run: the model and how far it got, then what the opening line says it trains (architecture
 * and code in `config`, dataset, batch size, first epoch, noise), the images it skipped and the notes.
 */
function trainingSummary(context: CommandContext, plan: Plan, outcome: RunOutcome) {
  const { record } = outcome
  const validationImages = plan.folder ? { validationImages: plan.folder.source.validation.length } : {}
  return {
    id: record?.id,
    // The store may have made the name unique ("digits (2)"): report the name the model has.
    name: record?.metadata.name ?? plan.name,
    folder: record?.folder,
    ...backendFields(context.backend),
    epochs: record?.metadata.epochs ?? plan.initialEpoch,
    targetEpochs: plan.epochs,
    cancelled: outcome.cancelled,
    history: outcome.epochs,
    metrics: outcome.metrics,
    config: plan.autoencoder.config,
    dataset: { spec: plan.datasetSpec, ...plan.datasetInfo, ...validationImages },
    batchSize: plan.batchSize,
    initialEpoch: plan.initialEpoch,
    noise: plan.noise ? formatNoiseSpec(plan.noise) : undefined,
    ...(outcome.optimizerRestored === undefined ? {} : { optimizerRestored: outcome.optimizerRestored }),
    skippedImages: plan.folder?.source.skipped ?? [],
    ...(outcome.resumeCommand ? { resumeCommand: outcome.resumeCommand } : {}),
    notes: outcome.notes,
  }
}

async function runTraining(context: CommandContext, plan: Plan, storeOption: string): Promise<number> {
  const { store, say, backend } = context
  const { autoencoder, dataset, datasetInfo } = plan
  const config = autoencoder.config
  const adam = createAdam(config.learningRate)
  const notes: string[] = []
  let optimizerRestored: boolean | undefined
  if (plan.record) {
    let damaged = false
    optimizerRestored = await store.restoreOptimizer(plan.record, adam, (warning) => {
      damaged = true
      notes.push(warning)
      process.stderr.write(`${warning}\n`)
    })
    if (!optimizerRestored && !damaged) {
      notes.push('(No optimizer state was saved with this model; Adam restarts its moment estimates.)')
      say(notes.at(-1)!)
    }
  }
  const controller = new AbortController()
  let interrupts = 0
  const onSigint = () => {
    interrupts += 1
    if (interrupts > 1) {
      process.stderr.write('\nStopped without waiting; the last saved epoch is kept.\n')
      process.exit(130)
    }
    process.stderr.write('\nStopping after this batch… (Ctrl-C again to quit at once)\n')
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigint)

  const tty = process.stderr.isTTY === true && !context.json
  // An unreadable photo does not end a folder run: it is left out, and named once so the user can replace it.
  let skippedReported = 0
  const warnAboutSkippedImages = () => {
    const skipped = plan.folder?.source.skipped ?? []
    for (const { message } of skipped.slice(skippedReported)) {
      process.stderr.write(`Skipped an unreadable image, training goes on without it: ${message}\n`)
    }
    skippedReported = skipped.length
  }
  const history = [...plan.history]
  let record = plan.record
  let lastMetrics: Record<string, number> | undefined
  say(
    `Training ${config.architecture}${hasCodeLayer(config.architecture) ? ` (code ${config.codeSize})` : ''} on ${datasetInfo.name}: ${trainingDataText(plan)}, ` +
      `batch ${plan.batchSize}, epochs ${plan.initialEpoch + 1}–${plan.epochs}${plan.noise ? `, noise ${formatNoiseSpec(plan.noise)}` : ''}.`,
  )
  const gifsLeftOut = gifsLeftOutSentence(plan.folder?.source.gifs ?? [])
  if (gifsLeftOut) {
    notes.push(gifsLeftOut)
    say(gifsLeftOut)
  }
  // Files whose header already fails are named before the first batch (the others as training meets them).
  warnAboutSkippedImages()
  const shape = config.inputShape
  const noise = plan.noise
  try {
    const common = {
      epochs: plan.epochs,
      initialEpoch: plan.initialEpoch,
      batchSize: plan.batchSize,
      seed: config.seed,
      signal: controller.signal,
      optimizer: adam,
      batchReportIntervalMs: tty ? 150 : Number.POSITIVE_INFINITY,
      onBatchEnd: tty
        ? (p: BatchProgress) => {
            process.stderr.write(
              `\rEpoch ${p.epoch + 1}/${p.epochs} ${progressBar(p.batch + 1, p.batches)} ${p.batch + 1}/${p.batches}` +
                `  loss ${fixed(p.loss)}  ${Math.round(p.samplesPerSecond)} samples/s  ETA ${formatDuration(p.epochEtaSeconds)} (run ${formatDuration(p.etaSeconds)})\x1b[K`,
            )
          }
        : undefined,
      onEpochEnd: async (logs: EpochLogs) => {
        history.push(logs)
        const last = logs.epoch === plan.epochs - 1
        // Full test metrics go with the final checkpoint, so `models` and the UI can show them. Folder runs have
        // no test set in memory: their validation patches' loss is their score.
        if (last && dataset) lastMetrics = finalTestMetrics(autoencoder, dataset.test, shape, noise ?? undefined)
        const metadata: Omit<ModelMetadata, 'id' | 'formatVersion' | 'createdAt' | 'updatedAt'> = {
          name: plan.name,
          config,
          dataset: { spec: plan.datasetSpec, ...datasetInfo },
          noise: plan.noise ? formatNoiseSpec(plan.noise) : undefined,
          backend: { name: backend.name, tfjsVersion: backend.tfjsVersion },
          epochs: logs.epoch + 1,
          targetEpochs: plan.epochs,
          batchSize: plan.batchSize,
          history,
          metrics: lastMetrics,
        }
        record = await store.save({ id: record?.id, metadata, model: autoencoder.model, optimizer: adam })
        const line =
          `Epoch ${logs.epoch + 1}/${plan.epochs}  ${formatDuration(logs.seconds)}  ${Math.round(logs.samplesPerSecond)} samples/s` +
          `  loss ${fixed(logs.loss)}  val_loss ${fixed(logs.val_loss)}`
        if (tty) process.stderr.write(`\r${line}\x1b[K\n`)
        else if (!context.json) process.stdout.write(`${line}\n`)
        else process.stderr.write(`${line}\n`)
        warnAboutSkippedImages()
      },
    }
    const trainingNoise =
      noise && dataset && !plan.folder ? createTrainingNoise(noise, dataset.train, shape, config.seed) : undefined
    const result = plan.folder
      ? await fitPatches(autoencoder, plan.folder.source, {
          ...common,
          mode: folderMode(plan.folder.training, noise),
          stepsPerEpoch: plan.folder.training.stepsPerEpoch,
          validationPatches: datasetInfo.testCount,
        })
      : await fit(
          autoencoder,
          { train: dataset!.train, validation: dataset!.test },
          { ...common, noise: trainingNoise?.noise },
        ).finally(() => trainingNoise?.dispose())
    if (tty) process.stderr.write('\x1b[K')
    warnAboutSkippedImages()
    const resumeCommand = result.cancelled && record ? `bottleneck train --resume ${record.id}${storeOption}` : undefined
    if (result.cancelled) {
      notes.push(
        record
          ? `Cancelled. Kept epoch ${record.metadata.epochs}; continue with: ${resumeCommand}`
          : 'Cancelled before the first epoch finished; nothing was saved.',
      )
      say(`\n${notes.at(-1)!}`)
    }
    // The text output says this after the summary; the summary's notes carry it with the others.
    const noSsim = lastMetrics !== undefined && !hasSsim(shape)
    const summary = trainingSummary(context, plan, {
      record,
      epochs: result.epochs,
      cancelled: result.cancelled,
      metrics: lastMetrics,
      optimizerRestored,
      resumeCommand,
      notes: noSsim ? [...notes, NO_SSIM_NOTE] : notes,
    })
    if (record) {
      const final = history.at(-1)
      context.result(
        summary,
        `Saved model ${record.id} "${record.metadata.name}" in ${record.folder}\n` +
          (final ? `final val_loss ${fixed(final.val_loss)}` : '') +
          (lastMetrics
            ? `  mse ${fixed(lastMetrics.mse)}  psnr ${fixed(lastMetrics.psnr, 2)} dB${ssimText(lastMetrics.ssim, '  ssim ')}` +
              (lastMetrics.meanCodeActivation !== undefined ? `  mean code activation ${fixed(lastMetrics.meanCodeActivation, 2)}` : '') +
              (lastMetrics.denoisingPsnr !== undefined
                ? `\ndenoising ${formatNoiseKind(noise!)} (test, noisy → clean): psnr ${fixed(lastMetrics.denoisingPsnr, 2)} dB${ssimText(lastMetrics.denoisingSsim, '  ssim ')}` +
                  `  (noisy input ${fixed(lastMetrics.noisyInputPsnr, 2)} dB${ssimText(lastMetrics.noisyInputSsim, ', ')})`
                : '')
            : ''),
      )
    } else {
      context.result(summary)
    }
    if (noSsim) say(NO_SSIM_NOTE)
    return result.cancelled ? 130 : 0
  } finally {
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigint)
    adam.dispose()
    autoencoder.dispose()
  }
}

/** An SSIM score for a summary line, or nothing where SSIM is not defined (images under its window). */
function ssimText(ssim: number | undefined, label: string): string {
  return ssim === undefined ? '' : `${label}${fixed(ssim)}`
}

export function assertSameShape(dataset: ImageDataset, shape: readonly number[]): void {
  if (dataset.height !== shape[0] || dataset.width !== shape[1] || dataset.channels !== shape[2]) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The model expects ${shape.join('×')} images but ${dataset.name} has ${dataset.height}×${dataset.width}×${dataset.channels}.`,
    )
  }
}
