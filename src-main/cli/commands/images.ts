// `bottleneck encode` and `bottleneck reconstruct`: run one image file through a saved model. Photos of digits
// are fitted to MNIST's conventions (image-io's fitToMnist) when the model takes 28×28 greyscale input; other models
// take images of exactly their input size (photos of any size are `bottleneck denoise`'s job).
import { stat } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { Autoencoder } from '../../ml/architectures/index'
import { BottleneckError } from '../../ml/errors'
import { writeFailure } from '../../ml/file-system'
import { decodeImage, fitToMnist, MNIST_SIZE, writePng, type ImageData } from '../../ml/image-io'
import { stringOption, UsageError, type CommandSpec, type Parsed } from '../args'
import { backendFields, createContext } from '../context'

export const encodeSpec: CommandSpec = {
  name: 'encode',
  usage: 'bottleneck encode MODEL IMAGE [--json]',
  summary:
    'Prints the code (latent vector) of an image. For 28×28 greyscale models a photo of a digit is fitted to MNIST ' +
    '(centred, white on black); other models take images of exactly their input size.',
  options: {},
  positionals: [
    { name: 'MODEL', required: true },
    { name: 'IMAGE', required: true },
  ],
}

export const reconstructSpec: CommandSpec = {
  name: 'reconstruct',
  usage: 'bottleneck reconstruct MODEL IMAGE -o OUT.png',
  summary:
    'Writes the model’s reconstruction of an image as a PNG. For 28×28 greyscale models a photo of a digit is ' +
    'fitted to MNIST first (centred, white on black); other models take images of exactly their input size ' +
    '(for photos of any size use `bottleneck denoise`).',
  options: {
    output: { type: 'string', short: 'o', help: 'PNG file to write', placeholder: 'FILE' },
    input: { type: 'string', help: 'Also write the fitted input the model saw', placeholder: 'FILE' },
  },
  positionals: [
    { name: 'MODEL', required: true },
    { name: 'IMAGE', required: true },
  ],
}

/**
 * Resolves an output path and checks it before any work is done (and before anything is written): a .png name (PNG
 * is the one format Bottleneck writes), not a folder, in a folder that exists.
 */
export async function checkOutputPath(path: string): Promise<string> {
  if (extname(path).toLowerCase() !== '.png') {
    throw new UsageError(`Cannot write ${path}: Bottleneck writes PNG images only; give a file name ending in .png.`)
  }
  const absolute = resolve(path)
  const folder = dirname(absolute)
  let folderIsFolder: boolean
  try {
    folderIsFolder = (await stat(folder)).isDirectory()
  } catch (error) {
    throw writeFailure(error, absolute)
  }
  if (!folderIsFolder) throw new BottleneckError('WRITE_FAILED', `Could not write ${absolute}: ${folder} is a file, not a folder.`)
  if ((await stat(absolute).catch(() => undefined))?.isDirectory()) {
    throw new BottleneckError('WRITE_FAILED', `Could not write ${absolute}: it is a folder; give a file name ending in .png.`)
  }
  return absolute
}

async function modelInput(autoencoder: Autoencoder, path: string): Promise<ImageData> {
  const [height, width, channels] = autoencoder.config.inputShape
  if (height === MNIST_SIZE && width === MNIST_SIZE && channels === 1) return fitToMnist(await decodeImage(path))
  const image = await decodeImage(path, { channels: channels === 1 ? 1 : 3 })
  if (image.height !== height || image.width !== width || image.channels !== channels) {
    // A fully convolutional model (spatial input dims left open) takes any size, tile by tile: denoise does that.
    const anySize = autoencoder.model.inputs[0]!.shape[1] === null
    throw new BottleneckError(
      'INVALID_INPUT',
      `The model takes ${height}×${width}×${channels} images; ${path} is ${image.height}×${image.width}×${image.channels}.` +
        (anySize ? ' For photos of any size use `bottleneck denoise MODEL IMAGE -o OUTDIR`.' : ''),
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
    context.result({ id: record.id, image: resolve(imagePath), code, ...backendFields(context.backend) }, code.map((v) => v.toFixed(4)).join(' '))
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
  // The image is the user's, and a 28×28 reconstruction written over it would replace it for good.
  for (const [flag, path] of [['-o', outPath], ['--input', inputPath]] as const) {
    if (path === resolve(imagePath)) {
      throw new UsageError(`${flag} names the image being reconstructed (${path}); give it another file name so the image is kept.`)
    }
  }
  if (inputPath === outPath) {
    throw new UsageError(`-o and --input both name ${outPath}; give the fitted input a file of its own.`)
  }
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
    context.result(
      {
        id: record.id,
        image: resolve(imagePath),
        output: outPath,
        ...(inputPath ? { fittedInput: inputPath } : {}),
        ...backendFields(context.backend),
      },
      `Wrote ${outPath}`,
    )
    return 0
  } finally {
    autoencoder.dispose()
  }
}
