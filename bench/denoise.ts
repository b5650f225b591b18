// Trains (or loads) the `mnist-denoise` preset and scores it on the MNIST test set under the preset's noise, next to
// the noisy input and the classical baselines, against the published anchors. Never run as a test.
//   npx tsx bench/denoise.ts [--epochs N] [--limit N] [--test-limit N] [--batch-size N]
//                            [--learning-rate LR] [--seed S] [--save DIR] [--load DIR] [--baselines median5,gaussian,nlm] [--monitor N] [--max-minutes M]
//                            [--set KEY=VALUE ...]  (any model option: --set loss=mse --set learningRateDecay=none;
//                            JSON values too: --set levelFilters=[16,32,64,128])
// --arch NAME trains another architecture on the preset's data and noise, with its epochs and batch size unless given;
// the preset's model options are not applied (pass them with --set, e.g. --set learningRateDecay=cosine).
// --load DIR starts from weights --save wrote; the preset and --set must describe that model (its levelFilters and
// clipIndicators: weights saved before the preset had clip indicators need --set clipIndicators=false).
// --store DIR saves the final model into that Bottleneck store (with --load, --trained-epochs N records its epochs).
// --max-minutes stops training between batches when the time is up (the last finished epoch is what is scored).
// --save writes model.json + weights.bin (tfjs layers format, what the store reads) after every epoch.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { buildAutoencoder, createModelConfig, type Autoencoder } from '../src-main/ml/architectures/index'
import { initBackend } from '../src-main/ml/backend'
import { loadDataset } from '../src-main/ml/datasets'
import { DENOISE_BASELINES, evaluateDenoising, type DenoiseBaseline } from '../src-main/ml/denoise-eval'
import { writeFileAtomic } from '../src-main/ml/image-io'
import { applyNoise, parseNoiseSpec } from '../src-main/ml/noise'
import { getPreset, presetModelConfig } from '../src-main/ml/presets'
import { fit, type EpochLogs } from '../src-main/ml/train'
import { openStore } from '../src-main/store/index'
import { loadWeightsInto, serializeModel } from '../src-main/store/tfjs-io'

const ANCHORS = [
  ['Keras blog conv denoiser, 100 epochs', 20.25, 0.875],
  ['keras.io denoiser', 20.06, 0.866],
  ['median 5×5', 14.1, 0.48],
  ['noisy input', 9.4, 0.36],
] as const

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : undefined
}
const numberOption = (name: string) => (option(name) === undefined ? undefined : Number(option(name)))

/** model.json + weights.bin in the store's format (serializeModel), each written atomically. */
async function saveFolder(model: tf.LayersModel, folder: string): Promise<void> {
  const { modelJson, weights } = await serializeModel(model)
  await mkdir(folder, { recursive: true })
  await writeFileAtomic(join(folder, 'weights.bin'), weights)
  await writeFileAtomic(join(folder, 'model.json'), new TextEncoder().encode(modelJson))
}

/**
 * Copies the weights saved in `folder` into `autoencoder`, the model the config builds, with the store's checks
 * (loadWeightsInto): a config that does not describe the saved weights (other filters, say) fails here.
 */
async function loadWeightsFrom(folder: string, autoencoder: Autoencoder): Promise<void> {
  await loadWeightsInto(folder, folder, () => ({
    model: autoencoder.model,
    result: undefined,
    dispose: () => autoencoder.dispose(),
  }))
}

const backend = await initBackend()
const preset = getPreset(option('preset') ?? 'mnist-denoise')
const spec = parseNoiseSpec(preset.noise)
const epochs = numberOption('epochs') ?? preset.epochs
const dataset = await loadDataset(preset.dataset, { limit: numberOption('limit'), testLimit: numberOption('test-limit') })
const shape: [number, number, number] = [dataset.height, dataset.width, dataset.channels]
const learningRate = numberOption('learning-rate')
// --set KEY=VALUE (repeatable) overrides any model option, e.g. --set loss=mse --set learningRateDecay=none.
const overrides: Record<string, unknown> = {}
process.argv.forEach((arg, index) => {
  if (arg !== '--set') return
  const [key, value] = (process.argv[index + 1] ?? '').split('=') as [string, string | undefined]
  if (!key || value === undefined) throw new Error('--set needs KEY=VALUE')
  overrides[key] = parseOptionValue(value)
})
function parseOptionValue(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
const modelOverrides = {
  seed: 42,
  ...(learningRate ? { learningRate } : {}),
  ...overrides,
}
const architecture = option('arch')
const config = architecture
  ? createModelConfig(architecture, shape, modelOverrides)
  : presetModelConfig(preset, shape, modelOverrides)
const loadFrom = option('load')
const autoencoder = buildAutoencoder(config)
if (loadFrom) await loadWeightsFrom(loadFrom, autoencoder)
console.log(
  `backend ${backend.name} (threads ${backend.threads ?? '?'}), preset ${preset.name}: ${config.architecture} ` +
    `${architecture ? '' : JSON.stringify(preset.options)} ${JSON.stringify(overrides)}, ${autoencoder.model.countParams()} parameters, ` +
    `train ${dataset.train.count}, test ${dataset.test.count}, noise ${preset.noise}`,
)

const monitorCount = Math.min(numberOption('monitor') ?? 1000, dataset.test.count)
const monitorSplit = { images: dataset.test.images.subarray(0, monitorCount * shape[0] * shape[1] * shape[2]), count: monitorCount }
const started = performance.now()
const maxMinutes = numberOption('max-minutes')
const stop = new AbortController()
const timer = maxMinutes ? setTimeout(() => stop.abort(), maxMinutes * 60_000) : undefined
let epochsDone = numberOption('trained-epochs') ?? 0
let trainedHistory: EpochLogs[] = []
if (!loadFrom || epochs > 0) {
  const save = option('save')
  const history = await fit(autoencoder, { train: dataset.train }, {
    epochs,
    batchSize: numberOption('batch-size') ?? preset.batchSize,
    // A second phase from a checkpoint needs its own --seed, or it replays the first phase's shuffles and noise.
    seed: numberOption('seed') ?? 42,
    signal: stop.signal,
    noise: (clean, seed) => applyNoise(clean, spec, seed) as tf.Tensor4D,
    onEpochEnd: async (logs) => {
      const score = evaluateDenoising(autoencoder.model, monitorSplit, shape, spec).model!
      console.log(
        `epoch ${logs.epoch + 1}/${epochs}: loss ${logs.loss.toFixed(5)}, ${logs.seconds.toFixed(1)} s, ` +
          `test[0:${monitorCount}] PSNR ${score.psnr.toFixed(2)} dB SSIM ${score.ssim?.toFixed(4) ?? '—'}`,
      )
      if (save) await saveFolder(autoencoder.model, save)
    },
  })
  epochsDone = history.epochs.length
  trainedHistory = history.epochs
}
clearTimeout(timer)
const trainSeconds = (performance.now() - started) / 1000
if (stop.signal.aborted && option('save')) {
  // Score what was saved (the last whole epoch), not the weights of a half-finished one.
  await loadWeightsFrom(option('save')!, autoencoder)
}
const baselines = (option('baselines') ?? 'median5,gaussian').split(',').filter(Boolean) as DenoiseBaseline[]
for (const name of baselines) {
  if (!DENOISE_BASELINES.includes(name)) throw new Error(`unknown baseline ${name}; use ${DENOISE_BASELINES.join(', ')}`)
}
const evaluation = evaluateDenoising(autoencoder.model, dataset.test, shape, spec, { baselines })
const row = (label: string, psnr: number, ssim: number | undefined) => console.log(`${label.padEnd(42)} ${psnr.toFixed(2).padStart(6)} dB  ${ssim?.toFixed(4) ?? '—'}`)
console.log(`\nMNIST test (${evaluation.count} images), ${preset.noise}, backend ${backend.name}, ${epochsDone} epochs of ${dataset.train.count} images in ${trainSeconds.toFixed(0)} s`)
row(`${preset.name} (this run)`, evaluation.model!.psnr, evaluation.model!.ssim)
for (const [name, score] of Object.entries(evaluation.baselines)) row(`${name} (this run)`, score.psnr, score.ssim)
row('noisy input (this run)', evaluation.noisy.psnr, evaluation.noisy.ssim)
for (const [label, psnr, ssim] of ANCHORS) row(`anchor: ${label}`, psnr, ssim)
const storeRoot = option('store')
if (storeRoot) {
  const record = await openStore(storeRoot).save({
    metadata: {
      name: preset.name,
      config: autoencoder.config,
      dataset: { spec: preset.dataset, name: dataset.name, trainCount: dataset.train.count, testCount: dataset.test.count },
      noise: preset.noise,
      backend: { name: backend.name, tfjsVersion: backend.tfjsVersion },
      epochs: epochsDone,
      targetEpochs: epochsDone,
      batchSize: numberOption('batch-size') ?? preset.batchSize,
      history: trainedHistory,
      // Scores on noisy test inputs (not clean reconstructions), hence their own keys.
      metrics: {
        denoise_psnr: evaluation.model!.psnr,
        ...(evaluation.model!.ssim === undefined ? {} : { denoise_ssim: evaluation.model!.ssim }),
      },
    },
    model: autoencoder.model,
  })
  console.log(`saved to the store as ${record.id} in ${record.folder}`)
}
autoencoder.dispose()
