// Each Keras-blog autoencoder trained on MNIST as the blog trains it (its epochs and batch sizes, via the keras-*
// presets): val_loss (BCE per pixel on the test set, Keras' val_loss) against the blog's figure, and seconds per epoch
// on the current backend, and the mean code activation of every model with an encoder (the blog: sparse 3.33, dense
// 7.30). Never run as a test; full runs take hours on a CPU (docs/results/zoo.md has the CLI commands and figures).
//   npx tsx bench/architectures.ts [--epochs N] [--only dense,conv] [--limit N] [--test-limit N]
// --limit trains on fewer images; seconds per epoch are then also extrapolated to the full 60,000.
import * as tf from '@tensorflow/tfjs'
import { buildAutoencoder } from '../src-main/ml/architectures/index'
import { meanCodeActivation } from '../src-main/ml/architectures/sparse'
import { initBackend } from '../src-main/ml/backend'
import { loadDataset } from '../src-main/ml/datasets'
import { getPreset, presetModelConfig } from '../src-main/ml/presets'
import { fit } from '../src-main/ml/train'

const RUNS = [
  { preset: 'keras-simple', reference: 0.0916 },
  { preset: 'keras-sparse', reference: 0.1 },
  { preset: 'keras-deep', reference: 0.097 },
  { preset: 'keras-conv', reference: 0.094 },
  { preset: 'keras-seq2seq', reference: undefined },
  { preset: 'keras-vae', reference: undefined },
] as const

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : undefined
}
const numberOption = (name: string) => (option(name) === undefined ? undefined : Number(option(name)))

const backend = await initBackend()
const only = option('only')?.split(',')
const epochsOverride = numberOption('epochs')
const dataset = await loadDataset('mnist', { limit: numberOption('limit'), testLimit: numberOption('test-limit') })
const FULL_TRAIN = 60_000
console.log(`backend ${backend.name} (threads ${backend.threads ?? '?'}), tfjs ${backend.tfjsVersion}; train ${dataset.train.count}, test ${dataset.test.count}`)
console.log('architecture  epochs  val_loss  blog     s/epoch  s/epoch@60k  code act.  note')
for (const run of RUNS) {
  const preset = getPreset(run.preset)
  if (only && !only.includes(preset.architecture) && !only.includes(preset.name)) continue
  const epochs = epochsOverride ?? preset.epochs
  const autoencoder = buildAutoencoder(presetModelConfig(preset, [28, 28, 1], { seed: 1 }))
  const history = await fit(autoencoder, { train: dataset.train, validation: dataset.test }, {
    epochs,
    batchSize: preset.batchSize,
    seed: 1,
    // Hours of silence are indistinguishable from a hang: one line per epoch on stderr.
    onEpochEnd: (logs) =>
      void process.stderr.write(`  ${preset.name} epoch ${logs.epoch + 1}/${epochs}: ${logs.seconds.toFixed(1)} s, val_loss ${logs.val_loss?.toFixed(4)}\n`),
  })
  const last = history.epochs.at(-1)!
  const secondsPerEpoch = history.epochs.reduce((sum, logs) => sum + logs.seconds, 0) / history.epochs.length
  const codeActivation = autoencoder.encoder ? meanCodeActivation(autoencoder, dataset.test).toFixed(2) : '—'
  const note =
    preset.architecture === 'sparse'
      ? 'blog code activation 3.33 (dense 7.30)'
      : preset.architecture === 'vae'
        ? 'val_loss is the z_mean path BCE per pixel, not the VAE loss'
        : ''
  console.log(
    `${preset.architecture.padEnd(13)} ${String(epochs).padStart(6)}  ${last.val_loss!.toFixed(4)}    ${run.reference?.toFixed(4) ?? '  —   '}   ` +
      `${secondsPerEpoch.toFixed(1).padStart(7)}  ${((secondsPerEpoch * FULL_TRAIN) / dataset.train.count).toFixed(0).padStart(11)}  ${codeActivation.padStart(9)}  ${note}`,
  )
  autoencoder.dispose()
}
console.log(`tensors left: ${tf.memory().numTensors}`)
