// `bottleneck eval` and `bottleneck figure`: score a saved model on its test set, and draw test digits above
// their reconstructions (the Keras tutorial's figure).
import * as tf from '@tensorflow/tfjs'
import { meanCodeActivation } from '../../ml/architectures/sparse'
import { loadDataset, modelInputOptions } from '../../ml/datasets'
import { writePng } from '../../ml/image-io'
import { evaluateReconstructions, METRIC_NAMES } from '../../ml/metrics'
import { formatNoiseKind, parseNoiseSpec } from '../../ml/noise'
import { hasSsim } from '../../ml/metrics'
import { metricNamesFor, NO_SSIM_NOTE } from '../../ml/test-metrics'
import { integerOption, stringOption, UsageError, type CommandSpec, type Parsed } from '../args'
import { backendFields, createContext } from '../context'
import { fixed, table, testImages } from '../format'
import { assertSameShape } from './train'
import { checkOutputPath } from './images'
import { denoiseEvalOptions, denoiseEvalReport, parseBaselines } from './denoise-eval'

export const evalSpec: CommandSpec = {
  name: 'eval',
  usage: 'bottleneck eval MODEL [--dataset SPEC] [--limit N] [--json]',
  summary:
    'Scores a model on the test set: binary cross-entropy (as Keras reports val_loss), MSE, PSNR (dB, data range 1), SSIM and, for models with an encoder, the mean code activation (how strongly the code fires; a sparse model\'s is lower). By default the test images the model was validated on, so BCE (MSE for a unet) equals the val_loss train printed (for a model trained without noise, on MNIST or IDX images).',
  options: {
    dataset: { type: 'string', help: 'Dataset to score on (default: the one the model was trained on)', placeholder: 'SPEC' },
    limit: { type: 'string', help: 'Use only the first N test images (default: as many as during training)', placeholder: 'N' },
    ...denoiseEvalOptions,
  },
  positionals: [{ name: 'MODEL', required: true }],
}

export async function evalCommand(parsed: Parsed): Promise<number> {
  parseBaselines(parsed.values)
  const context = await createContext(parsed)
  const ref = parsed.positionals[0]!
  const { record, autoencoder } = await context.store.load(ref)
  try {
    const meta = record.metadata
    const spec = stringOption(parsed.values, 'dataset') ?? meta.dataset.spec
    const limit = integerOption(parsed.values, 'limit', 1, 100_000_000) ?? (spec === meta.dataset.spec ? meta.dataset.testCount : undefined)
    const dataset = await loadDataset(spec, { limit: 0, testLimit: limit, ...modelInputOptions(autoencoder.config.inputShape) })
    assertSameShape(dataset, autoencoder.config.inputShape)
    if (parsed.values.noise !== undefined) return denoiseEvalReport(context, parsed, { id: record.id, name: meta.name, autoencoder }, dataset)
    const started = performance.now()
    const shape = autoencoder.config.inputShape
    const scores = evaluateReconstructions(autoencoder.model, dataset.test, shape, { metrics: metricNamesFor(shape) }).mean
    // Mean over the test images of all code values, as the Keras blog's `encoded_imgs.mean()` (sparse 3.33, dense 7.30).
    const codeActivation = autoencoder.encoder && dataset.test.count > 0 ? meanCodeActivation(autoencoder, dataset.test) : undefined
    const seconds = (performance.now() - started) / 1000
    const trainedNoise = noiseTrainedOn(meta.noise)
    // The sentences under the table, in its order; --json gives them too.
    const notes = [
      ...(hasSsim(shape) ? [] : [NO_SSIM_NOTE]),
      ...(trainedNoise ? [trainedNoiseHint(trainedNoise)] : []),
    ]
    const result = {
      id: record.id,
      name: meta.name,
      dataset: dataset.name,
      images: dataset.test.count,
      ...backendFields(context.backend),
      ...scores,
      ...(codeActivation !== undefined ? { meanCodeActivation: codeActivation } : {}),
      seconds,
      ...(trainedNoise ? { trainedNoise } : {}),
      notes,
    }
    context.result(
      result,
      `${meta.name} (${record.id}) on ${testImages(dataset.test.count, dataset.name, seconds)}\n` +
        table([
          [...METRIC_NAMES.map((m) => m.toUpperCase())],
          [fixed(scores.bce), fixed(scores.mse), `${fixed(scores.psnr, 2)} dB`, fixed(scores.ssim)],
        ]) +
        (hasSsim(shape) ? '' : `\n${NO_SSIM_NOTE}`) +
        (codeActivation !== undefined ? `\nMean code activation: ${fixed(codeActivation, 2)} (over ${dataset.test.count} images × ${autoencoder.config.codeSize} code values)` : '') +
        (trainedNoise ? `\n${trainedNoiseHint(trainedNoise)}` : ''),
    )
    return 0
  } finally {
    autoencoder.dispose()
  }
}

/** The noise a denoising autoencoder was trained to remove, as `--noise` takes it; undefined for a plain autoencoder. */
function noiseTrainedOn(stored: unknown): string | undefined {
  if (typeof stored !== 'string') return undefined
  const spec = parseNoiseSpec(stored)
  return spec.kind === 'none' ? undefined : formatNoiseKind(spec)
}

/**
 * A denoising autoencoder scored on clean inputs is not scored as it is used: name the noise it was trained on, so
 * `eval --noise` is one copy away (its val_loss was measured noisy → clean).
 */
function trainedNoiseHint(noise: string): string {
  return `These are clean inputs; the model was trained to remove ${noise}: add --noise ${noise} to score it as a denoiser, as its val_loss was.`
}

export const figureSpec: CommandSpec = {
  name: 'figure',
  usage: 'bottleneck figure MODEL -o figure.png [-n 10]',
  summary: 'Draws the first n test images on top and their reconstructions below, as a PNG.',
  options: {
    output: { type: 'string', short: 'o', help: 'PNG file to write', placeholder: 'FILE' },
    count: { type: 'string', short: 'n', help: 'Number of test images', defaultText: '10', placeholder: 'N' },
    scale: { type: 'string', help: 'Pixel size in the figure', defaultText: '2', placeholder: 'K' },
  },
  positionals: [{ name: 'MODEL', required: true }],
}

export async function figureCommand(parsed: Parsed): Promise<number> {
  const output = stringOption(parsed.values, 'output')
  if (!output) throw new UsageError('figure needs -o FILE.png (see `bottleneck figure --help`).')
  const count = integerOption(parsed.values, 'count', 1, 100) ?? 10
  const scale = integerOption(parsed.values, 'scale', 1, 16) ?? 2
  const path = await checkOutputPath(output)
  const context = await createContext(parsed)
  const { record, autoencoder } = await context.store.load(parsed.positionals[0]!)
  try {
    const [height, width, channels] = autoencoder.config.inputShape
    const dataset = await loadDataset(record.metadata.dataset.spec, { limit: 0, testLimit: count, ...modelInputOptions(autoencoder.config.inputShape) })
    assertSameShape(dataset, autoencoder.config.inputShape)
    const n = dataset.test.count
    const originals = dataset.test.images
    const reconstructions = tf.tidy(() => {
      const x = tf.tensor4d(originals, [n, height, width, channels])
      return (autoencoder.model.predict(x) as tf.Tensor).dataSync() as Float32Array
    })
    const figureWidth = n * width * scale
    const figureHeight = 2 * height * scale
    const data = new Float32Array(figureWidth * figureHeight * channels)
    const imageSize = height * width * channels
    for (const [row, source] of [originals, reconstructions].entries()) {
      for (let i = 0; i < n; i++) {
        for (let y = 0; y < height * scale; y++) {
          for (let x = 0; x < width * scale; x++) {
            for (let c = 0; c < channels; c++) {
              const from = i * imageSize + (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels + c
              const to = ((row * height * scale + y) * figureWidth + i * width * scale + x) * channels + c
              data[to] = source[from]!
            }
          }
        }
      }
    }
    await writePng(path, { data, height: figureHeight, width: figureWidth, channels })
    context.result({ id: record.id, output: path, images: n, ...backendFields(context.backend) }, `Wrote ${path}: ${n} test images (top) and their reconstructions (bottom).`)
    return 0
  } finally {
    autoencoder.dispose()
  }
}
