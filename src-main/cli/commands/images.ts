// `bottleneck encode` and `bottleneck reconstruct`: run one image file through a saved model. Photos of digits
// are fitted to MNIST's conventions (image-io's fitToMnist) when the model takes 28×28 greyscale input.
import { stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { Autoencoder } from '../../ml/architectures/index'
import { BottleneckError } from '../../ml/errors'
import { decodeImage, fitToMnist, MNIST_SIZE, writePng, type ImageData } from '../../ml/image-io'
import { stringOption, UsageError, type CommandSpec, type Parsed } from '../args'
import { createContext } from '../context'

export const encodeSpec: CommandSpec = {
  name: 'encode',
  usage: 'bottleneck encode MODEL IMAGE [--json]',
  summary: 'Prints the code (latent vector) of an image. Photos of a digit are fitted to MNIST (28×28, centred, white on black).',
  options: {},
  positionals: [
    { name: 'MODEL', required: true },
    { name: 'IMAGE', required: true },
  ],
}

export const reconstructSpec: CommandSpec = {
  name: 'reconstruct',
  usage: 'bottleneck reconstruct MODEL IMAGE -o OUT.png',
  summary: 'Writes the model’s reconstruction of an image as a PNG (the image is fitted to the model input first).',
  options: {
    output: { type: 'string', short: 'o', help: 'PNG file to write', placeholder: 'FILE' },
    input: { type: 'string', help: 'Also write the fitted input the model saw', placeholder: 'FILE' },
  },
  positionals: [
    { name: 'MODEL', required: true },
    { name: 'IMAGE', required: true },
  ],
}

/** Resolves an output path and checks its folder exists before any work is done (and before anything is written). */
export async function checkOutputPath(path: string): Promise<string> {
  const absolute = resolve(path)
  try {
    if (!(await stat(dirname(absolute))).isDirectory()) throw new Error('not a folder')
  } catch {
    throw new BottleneckError('INVALID_INPUT', `Cannot write ${path}: the folder ${dirname(absolute)} does not exist.`)
  }
  return absolute
}

async function modelInput(autoencoder: Autoencoder, path: string): Promise<ImageData> {
  const [height, width, channels] = autoencoder.config.inputShape
  if (height === MNIST_SIZE && width === MNIST_SIZE && channels === 1) return fitToMnist(await decodeImage(path))
  const image = await decodeImage(path, { channels: channels === 1 ? 1 : 3 })
  if (image.height !== height || image.width !== width || image.channels !== channels) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The model takes ${height}×${width}×${channels} images; ${path} is ${image.height}×${image.width}×${image.channels}.`,
    )
  }
  return image
}

export async function encodeCommand(parsed: Parsed): Promise<number> {
  const [ref, imagePath] = parsed.positionals as [string, string]
  const context = await createContext(parsed)
  const { record, autoencoder } = await context.store.load(ref)
  try {
    if (!autoencoder.encoder) {
      throw new BottleneckError('INVALID_INPUT', `${record.metadata.name} (${autoencoder.config.architecture}) has no separate encoder.`)
    }
    const input = await modelInput(autoencoder, imagePath)
    const encoder = autoencoder.encoder
    const code = tf.tidy(() =>
      Array.from((encoder.predict(tf.tensor4d(input.data, [1, input.height, input.width, input.channels])) as tf.Tensor).dataSync()),
    )
    context.result({ id: record.id, image: resolve(imagePath), code }, code.map((v) => v.toFixed(4)).join(' '))
    return 0
  } finally {
    autoencoder.dispose()
  }
}

export async function reconstructCommand(parsed: Parsed): Promise<number> {
  const [ref, imagePath] = parsed.positionals as [string, string]
  const output = stringOption(parsed.values, 'output')
  if (!output) throw new UsageError('reconstruct needs -o FILE.png (see `bottleneck reconstruct --help`).')
  const outPath = await checkOutputPath(output)
  const inputOption = stringOption(parsed.values, 'input')
  const inputPath = inputOption ? await checkOutputPath(inputOption) : undefined
  const context = await createContext(parsed)
  const { record, autoencoder } = await context.store.load(ref)
  try {
    const input = await modelInput(autoencoder, imagePath)
    const data = tf.tidy(
      () =>
        (autoencoder.model.predict(tf.tensor4d(input.data, [1, input.height, input.width, input.channels])) as tf.Tensor).dataSync() as Float32Array,
    )
    await writePng(outPath, { data, height: input.height, width: input.width, channels: input.channels })
    if (inputPath) await writePng(inputPath, input)
    context.result({ id: record.id, image: resolve(imagePath), output: outPath }, `Wrote ${outPath}`)
    return 0
  } finally {
    autoencoder.dispose()
  }
}
