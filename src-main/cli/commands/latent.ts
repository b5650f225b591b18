// `bottleneck latent` and `bottleneck generate`: the latent space as pictures — the test set's codes as a 2-D map
// coloured by label when the test set has labels (or an interpolation strip between two test images), and a VAE's
// generated manifold grid.
import { LABEL_PALETTE, type LabelLegend } from '../../contract/latent-labels'
import { loadDataset, modelInputOptions } from '../../ml/datasets'
import { BottleneckError } from '../../ml/errors'
import type { ImageData } from '../../ml/image-io'
import { writePng } from '../../ml/image-io'
import { interpolate, LABEL_COLOURS, latentMap, tileImages, vaeManifold } from '../../ml/latent'
import { parseDecimal } from '../../ml/decimal'
import { integerOption, stringOption, UsageError, type CommandSpec, type Parsed } from '../args'
import { backendFields, createContext } from '../context'
import { checkOutputPath } from './images'
import { assertSameShape } from './train'

/** The legend's labels (ascending) in a few words: "0–9", "1, 3, 7", or "of 40 labels from 0 to 200". */
function legendRange(labels: readonly number[]): string {
  const first = labels[0]!
  const last = labels[labels.length - 1]!
  if (labels.length === 1) return String(first)
  if (last - first === labels.length - 1) return `${first}–${last}`
  return labels.length <= 6 ? labels.join(', ') : `of ${labels.length} labels from ${first} to ${last}`
}

/** The legend as --json gives it: the labels, each one's colour (as #rrggbb) and whether colours repeat. */
function legendJson(legend: LabelLegend): { labels: number[]; colours: string[]; coloursRepeat: boolean } {
  return {
    labels: legend.labels,
    colours: legend.colours.map((index) => LABEL_PALETTE[index]!),
    coloursRepeat: legend.coloursRepeat,
  }
}

/** Nearest-neighbour enlargement, so 28-pixel digits are visible in a viewer. */
function enlarge(image: ImageData, scale: number): ImageData {
  if (scale === 1) return image
  const { height, width, channels } = image
  const out = new Float32Array(height * scale * width * scale * channels)
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < width * scale; x++) {
      const from = (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels
      out.set(image.data.subarray(from, from + channels), (y * width * scale + x) * channels)
    }
  }
  return { data: out, height: height * scale, width: width * scale, channels }
}

export const latentSpec: CommandSpec = {
  name: 'latent',
  usage: 'bottleneck latent MODEL -o map.png [--limit N] [--size PX] | --interpolate I,J [--steps N]',
  summary:
    "Draws the test set's codes as a 2-D map coloured by label, or in grey when the dataset has no labels (the code itself when it is 2-D, else its first two principal components). With --interpolate I,J it instead decodes a straight line between the codes of test images I and J.",
  options: {
    output: { type: 'string', short: 'o', help: 'PNG file to write', placeholder: 'FILE' },
    limit: { type: 'string', help: 'Encode only the first N test images', defaultText: 'all', placeholder: 'N' },
    size: { type: 'string', help: 'Side of the map in pixels', defaultText: '512', placeholder: 'PX' },
    interpolate: { type: 'string', help: 'Two test image indices, e.g. 0,1: write an interpolation strip instead', placeholder: 'I,J' },
    steps: { type: 'string', help: 'Images in the interpolation strip', defaultText: '10', placeholder: 'N' },
    scale: { type: 'string', help: 'Pixel size in the interpolation strip', defaultText: '2', placeholder: 'K' },
  },
  positionals: [{ name: 'MODEL', required: true }],
}

export async function latentCommand(parsed: Parsed): Promise<number> {
  const { values } = parsed
  const output = stringOption(values, 'output')
  if (!output) throw new UsageError('latent needs -o FILE.png (see `bottleneck latent --help`).')
  const limit = integerOption(values, 'limit', 2, 100_000_000)
  const size = integerOption(values, 'size', 32, 4096) ?? 512
  const steps = integerOption(values, 'steps', 2, 100) ?? 10
  const scale = integerOption(values, 'scale', 1, 16) ?? 2
  const pairText = stringOption(values, 'interpolate')
  const pair = pairText?.split(',').map((part) => parseDecimal(part.trim()))
  if (pair && (pair.length !== 2 || !pair.every((index) => Number.isInteger(index) && index >= 0))) {
    throw new UsageError(`--interpolate needs two test image indices such as 0,1 (got "${pairText}").`)
  }
  const path = await checkOutputPath(output)
  const context = await createContext(parsed)
  const { record, autoencoder } = await context.store.load(parsed.positionals[0]!)
  try {
    const meta = record.metadata
    const testLimit = pair ? Math.max(...pair) + 1 : limit
    const dataset = await loadDataset(meta.dataset.spec, { limit: 0, testLimit, ...modelInputOptions(autoencoder.config.inputShape) })
    assertSameShape(dataset, autoencoder.config.inputShape)
    if (pair) {
      if (dataset.test.count <= Math.max(...pair)) {
        throw new BottleneckError('INVALID_INPUT', `The test set has only ${dataset.test.count} images; pick indices below that.`)
      }
      const [height, width, channels] = autoencoder.config.inputShape
      const imageSize = height * width * channels
      const pick = (index: number): ImageData => ({
        data: dataset.test.images.slice(index * imageSize, (index + 1) * imageSize),
        height,
        width,
        channels,
      })
      const strip = tileImages(interpolate(autoencoder, pick(pair[0]!), pick(pair[1]!), steps), steps)
      await writePng(path, enlarge(strip, scale))
      context.result(
        { id: record.id, output: path, from: pair[0], to: pair[1], steps, ...backendFields(context.backend) },
        `Wrote ${path}: ${steps} images decoded along the line from the code of test image ${pair[0]} to that of ${pair[1]}.`,
      )
      return 0
    }
    const started = performance.now()
    const { projection, image, legend } = latentMap(autoencoder, dataset.test, { size, limit })
    await writePng(path, image)
    const axes =
      projection.method === 'code'
        ? 'axes are the two code dimensions'
        : `axes are the first two principal components (${(100 * projection.explainedRatio![0]).toFixed(1)}% and ${(100 * projection.explainedRatio![1]).toFixed(1)}% of the code variance)`
    // Image folders (and IDX folders without label files) have no labels: latentMap then draws grey dots, no legend.
    const colours = legend
      ? `colours by label, legend ${legendRange(legend.labels)} underneath${
          legend.coloursRepeat
            ? `; its ${legend.labels.length} labels share ${LABEL_COLOURS.length} colours, so colours repeat (the legend shows which label has which)`
            : ''
        }`
      : 'grey dots: the dataset has no labels to colour them by'
    const seconds = (performance.now() - started) / 1000
    context.result(
      {
        id: record.id,
        output: path,
        images: projection.count,
        method: projection.method,
        explainedRatio: projection.explainedRatio,
        // Grey dots and a null legend when the dataset has no labels.
        colouredByLabel: legend !== undefined,
        legend: legend ? legendJson(legend) : null,
        seconds,
        ...backendFields(context.backend),
      },
      `Wrote ${path}: ${projection.count} test images, ${axes}; ${colours} (${seconds.toFixed(1)} s).`,
    )
    return 0
  } finally {
    autoencoder.dispose()
  }
}

export const generateSpec: CommandSpec = {
  name: 'generate',
  usage: 'bottleneck generate MODEL -o grid.png [-n 15] [--scale K]',
  summary:
    "Generates images from a VAE (digits, for one trained on MNIST): decodes an n×n grid of codes placed at the prior's quantiles (5%–95%), the Keras blog's manifold figure.",
  options: {
    output: { type: 'string', short: 'o', help: 'PNG file to write', placeholder: 'FILE' },
    count: { type: 'string', short: 'n', help: 'Images per side of the grid', defaultText: '15', placeholder: 'N' },
    scale: { type: 'string', help: 'Pixel size in the grid', defaultText: '1', placeholder: 'K' },
  },
  positionals: [{ name: 'MODEL', required: true }],
}

export async function generateCommand(parsed: Parsed): Promise<number> {
  const output = stringOption(parsed.values, 'output')
  if (!output) throw new UsageError('generate needs -o FILE.png (see `bottleneck generate --help`).')
  const n = integerOption(parsed.values, 'count', 2, 50) ?? 15
  const scale = integerOption(parsed.values, 'scale', 1, 16) ?? 1
  const path = await checkOutputPath(output)
  const context = await createContext(parsed)
  const { record, autoencoder } = await context.store.load(parsed.positionals[0]!)
  try {
    await writePng(path, enlarge(vaeManifold(autoencoder, { n }), scale))
    context.result({ id: record.id, output: path, grid: n, ...backendFields(context.backend) }, `Wrote ${path}: ${n}×${n} images decoded from the VAE's prior.`)
    return 0
  } finally {
    autoencoder.dispose()
  }
}
