// `bottleneck train`: trains an autoencoder, checkpointing after every epoch so a killed run loses at most one
// epoch (`--resume` continues it); Ctrl-C stops between batches and keeps the last saved epoch.
import { join } from 'node:path'
import {
  buildAutoencoder,
  createModelConfig,
  DEFAULT_ARCHITECTURE,
  listArchitectures,
  type Autoencoder,
} from '../../ml/architectures/index'
import { loadDataset, type ImageDataset } from '../../ml/datasets'
import { openImageFolder, type BatchMode, type ImageFolder } from '../../ml/folder-dataset'
import { fitPatches } from '../../ml/patch-training'
import { BottleneckError } from '../../ml/errors'
import { finalTestMetrics } from '../../ml/test-metrics'
import { createTrainingNoise, formatNoiseKind, formatNoiseSpec, NOISE_MODES, parseNoiseSpec, withNoiseMode, type NoiseMode, type NoiseSpec } from '../../ml/noise'
import { createAdam, fit, type BatchProgress, type EpochLogs } from '../../ml/train'
import type { EpochRecord, ModelMetadata, ModelRecord } from '../../store/index'
import { integerOption, numberOption, stringOption, UsageError, type CommandSpec, type Parsed } from '../args'
import { createContext } from '../context'
import { fixed, formatDuration, progressBar } from '../format'
import { applyPreset, presetOptions } from './preset'

export const trainSpec: CommandSpec = {
  name: 'train',
  usage: 'bottleneck train [--arch dense] [--dataset mnist] [--epochs 50] [options]',
  summary:
    'Trains an autoencoder and saves it to the store after every epoch. Ctrl-C stops cleanly and keeps the last saved epoch; --resume continues a stopped run.',
  options: {
    arch: {
      type: 'string',
      help: `Architecture (${listArchitectures()
        .map((a) => a.name)
        .join(', ')})`,
      defaultText: DEFAULT_ARCHITECTURE,
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
      defaultText: '50',
      placeholder: 'N',
    },
    'batch-size': { type: 'string', help: 'Images per training step', defaultText: '256', placeholder: 'N' },
    'code-size': {
      type: 'string',
      help: 'Size of the code (latent) layer',
      defaultText: '32',
      placeholder: 'N',
    },
    'learning-rate': { type: 'string', help: 'Adam learning rate', defaultText: '0.001', placeholder: 'LR' },
    limit: { type: 'string', help: 'Use only the first N training images', placeholder: 'N' },
    'test-limit': { type: 'string', help: 'Validate on only the first N test images', placeholder: 'N' },
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
      help: 'Model name (free text; default "<arch> <code> on <dataset>")',
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
      defaultText: '64',
      placeholder: 'N',
    },
    'steps-per-epoch': {
      type: 'string',
      help: 'folder: datasets — batches of random patches per epoch',
      defaultText: '100',
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
  const resumeRef = stringOption(values, 'resume')
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
    if (record.folder !== join(store.root, 'models', record.id)) {
      autoencoder.dispose()
      throw new BottleneckError(
        'INVALID_INPUT',
        `${record.folder} is not in the store ${store.root}; checkpoints go to the store, so import it there first.`,
      )
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
      name: stringOption(values, 'name') ?? meta.name,
      epochs: requestedEpochs ?? meta.targetEpochs,
      initialEpoch: meta.epochs,
      batchSize: requestedBatch ?? meta.batchSize,
      noise: typeof meta.noise === 'string' ? parseNoiseSpec(meta.noise) : undefined,
      record,
      history: meta.history,
    }
    if (plan.initialEpoch >= plan.epochs) {
      autoencoder.dispose()
      say(
        `${meta.name} (${record.id}) already has ${plan.initialEpoch} epochs; pass --epochs N with N > ${plan.initialEpoch} to train further.`,
      )
      return 0
    }
    say(`Resuming ${meta.name} (${record.id}) at epoch ${plan.initialEpoch + 1} of ${plan.epochs}.`)
  } else if ((stringOption(values, 'dataset') ?? '').startsWith('folder:')) {
    plan = await planFolderTraining(values, noise)
  } else {
    if (values['self-supervised'] !== undefined) {
      throw new UsageError(
        '--self-supervised learns from a folder of noisy photos: use it with --dataset folder:DIR.',
      )
    }
    const datasetSpec = stringOption(values, 'dataset') ?? 'mnist'
    const dataset = await loadDataset(datasetSpec, { limit, testLimit })
    const arch = stringOption(values, 'arch') ?? DEFAULT_ARCHITECTURE
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
      name: stringOption(values, 'name') ?? `${config.architecture} ${config.codeSize} on ${dataset.name}`,
      epochs: requestedEpochs ?? 50,
      initialEpoch: 0,
      batchSize: requestedBatch ?? 256,
      noise: noise?.kind === 'none' ? undefined : noise,
      history: [],
    }
  }
  return runTraining(context, plan)
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
async function planFolderTraining(values: Parsed['values'], noise: NoiseSpec | undefined): Promise<Plan> {
  const datasetSpec = stringOption(values, 'dataset')!
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
    patchSize: integerOption(values, 'patch-size', 8, 1024) ?? 64,
    stepsPerEpoch: integerOption(values, 'steps-per-epoch', 1, 1_000_000) ?? 100,
  }
  const source = await openFolder(datasetSpec, training.patchSize)
  const arch = stringOption(values, 'arch') ?? 'unet'
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
      testCount: source.validation.length,
    },
    datasetSpec,
    name:
      stringOption(values, 'name') ?? `${config.architecture} ${modeLabel[mode.kind]} on ${source.folder}`,
    epochs: integerOption(values, 'epochs', 1, 100_000) ?? 20,
    initialEpoch: 0,
    batchSize: integerOption(values, 'batch-size', 1, 65_536) ?? 16,
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

async function runTraining(context: Awaited<ReturnType<typeof createContext>>, plan: Plan): Promise<number> {
  const { store, say, backend } = context
  const { autoencoder, dataset, datasetInfo } = plan
  const config = autoencoder.config
  const adam = createAdam(config.learningRate)
  if (plan.record && !(await store.restoreOptimizer(plan.record, adam))) {
    say('(No optimizer state was saved with this model; Adam restarts its moment estimates.)')
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
  const history = [...plan.history]
  let record = plan.record
  let lastMetrics: Record<string, number> | undefined
  say(
    `Training ${config.architecture} (code ${config.codeSize}) on ${datasetInfo.name}: ${datasetInfo.trainCount} train / ${datasetInfo.testCount} ${plan.folder ? 'validation files, random patches' : 'test images'}, ` +
      `batch ${plan.batchSize}, epochs ${plan.initialEpoch + 1}–${plan.epochs}${plan.noise ? `, noise ${formatNoiseSpec(plan.noise)}` : ''}.`,
  )
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
      },
    }
    const trainingNoise =
      noise && dataset && !plan.folder ? createTrainingNoise(noise, dataset.train, shape, config.seed) : undefined
    const result = plan.folder
      ? await fitPatches(autoencoder, plan.folder.source, {
          ...common,
          mode: folderMode(plan.folder.training, noise),
          stepsPerEpoch: plan.folder.training.stepsPerEpoch,
        })
      : await fit(
          autoencoder,
          { train: dataset!.train, validation: dataset!.test },
          { ...common, noise: trainingNoise?.noise },
        ).finally(() => trainingNoise?.dispose())
    if (tty) process.stderr.write('\x1b[K')
    const summary = {
      id: record?.id,
      // The store may have made the name unique ("digits (2)"): report the name the model has.
      name: record?.metadata.name ?? plan.name,
      folder: record?.folder,
      backend: backend.name,
      epochs: record?.metadata.epochs ?? plan.initialEpoch,
      targetEpochs: plan.epochs,
      cancelled: result.cancelled,
      history: result.epochs,
      metrics: lastMetrics,
    }
    if (result.cancelled) {
      say(
        record
          ? `\nCancelled. Kept epoch ${record.metadata.epochs}; continue with: bottleneck train --resume ${record.id}`
          : '\nCancelled before the first epoch finished; nothing was saved.',
      )
    }
    if (record) {
      const final = history.at(-1)
      context.result(
        summary,
        `Saved model ${record.id} "${record.metadata.name}" in ${record.folder}\n` +
          (final ? `final val_loss ${fixed(final.val_loss)}` : '') +
          (lastMetrics
            ? `  mse ${fixed(lastMetrics.mse)}  psnr ${fixed(lastMetrics.psnr, 2)} dB  ssim ${fixed(lastMetrics.ssim)}` +
              (lastMetrics.meanCodeActivation !== undefined ? `  mean code activation ${fixed(lastMetrics.meanCodeActivation, 2)}` : '') +
              (lastMetrics.denoisingPsnr !== undefined
                ? `\ndenoising ${formatNoiseKind(noise!)} (test, noisy → clean): psnr ${fixed(lastMetrics.denoisingPsnr, 2)} dB  ssim ${fixed(lastMetrics.denoisingSsim)}` +
                  `  (noisy input ${fixed(lastMetrics.noisyInputPsnr, 2)} dB, ${fixed(lastMetrics.noisyInputSsim)})`
                : '')
            : ''),
      )
    } else {
      context.result(summary)
    }
    return result.cancelled ? 130 : 0
  } finally {
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigint)
    adam.dispose()
    autoencoder.dispose()
  }
}

export function assertSameShape(dataset: ImageDataset, shape: readonly number[]): void {
  if (dataset.height !== shape[0] || dataset.width !== shape[1] || dataset.channels !== shape[2]) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The model expects ${shape.join('×')} images but ${dataset.name} has ${dataset.height}×${dataset.width}×${dataset.channels}.`,
    )
  }
}
