// Denoising one photo of any size for the app's Denoise view: the model's geometry (any-size U-Net, or a fixed-size
// model whose input the photo matches), synthetic noise and PSNR/SSIM computed in row stripes so memory stays
// bounded by a stripe rather than the photo, and the absolute difference as a greyscale map.

import * as tf from '@tensorflow/tfjs'
import type { Autoencoder } from './architectures/index'
import { unetMultiple, unetReceptiveRadius } from './architectures/unet'
import { BottleneckError } from './errors'
import { hasSsim, SSIM_WINDOW, ssimMap, ssimWindowWeights } from './metrics'
import type { ImageData } from './image-io'
import type { NoiseSpec } from './noise'
import { createRandom } from './random'
import { applyTiled } from './tiling'

export interface ModelGeometry {
  /** Spatial input dimensions left open: the model takes any size (through tiles). */
  anySize: boolean
  /** Tile sides must be multiples of this (2^depth for a U-Net). */
  multiple: number
  /** Context each tile needs on every side so tile borders leave no seams. */
  overlap: number
  channels: 1 | 3
  /** The only size a fixed-size model takes. */
  height: number
  width: number
}

export function modelGeometry(autoencoder: Autoencoder): ModelGeometry {
  const shape = autoencoder.model.inputs[0]!.shape
  const [height, width, channels] = autoencoder.config.inputShape
  if (channels !== 1 && channels !== 3) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The model takes ${channels}-channel images; denoising handles greyscale or RGB models.`,
    )
  }
  const anySize = shape[1] === null && shape[2] === null
  const isUnet = autoencoder.config.architecture === 'unet'
  const multiple = isUnet ? unetMultiple(autoencoder.config) : 4
  // The least overlap that makes tiled output equal to whole-image output (the receptive radius, rounded up to the
  // multiple): a larger one only costs time.
  const overlap = isUnet ? Math.ceil(unetReceptiveRadius(autoencoder.config) / multiple) * multiple : 32
  return { anySize, multiple, overlap, channels, height, width }
}

/**
 * Refuses a photo a fixed-size model cannot take, naming the model as `modelName` ("This dense model", or its name)
 * and the photo as `photoName` ("the photo", or its file name). The app and the CLI both show it: the architecture to
 * pick is named for both ("U-Net", `unet`).
 */
export function checkPhotoFits(
  modelName: string,
  geometry: Pick<ModelGeometry, 'anySize' | 'width' | 'height'>,
  image: { width: number; height: number },
  photoName: string,
): void {
  if (geometry.anySize || (image.width === geometry.width && image.height === geometry.height)) return
  throw new BottleneckError(
    'INVALID_INPUT',
    `${modelName} only takes ${geometry.width}×${geometry.height} images and ${photoName} is ` +
      `${image.width}×${image.height}. Pick a U-Net model (unet): it denoises photos of any size.`,
  )
}

/** Whether every pixel has equal red, green and blue: a greyscale photo, decoded as RGB for an RGB model. */
export function isGreyscale(image: ImageData): boolean {
  if (image.channels === 1) return true
  const { data } = image
  for (let i = 0; i < data.length; i += 3) {
    if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) return false
  }
  return true
}

/**
 * An RGB result with each pixel's channels replaced by their mean. A model trained on colour photos tints a
 * greyscale photo (it never saw one, and a briefly trained one paints coloured stripes); the photo has no colour
 * to restore, so its result keeps none.
 */
export function greyscaleResult(image: ImageData): ImageData {
  if (image.channels !== 3) return image
  const data = new Float32Array(image.data.length)
  for (let i = 0; i < data.length; i += 3) {
    const mean = (image.data[i]! + image.data[i + 1]! + image.data[i + 2]!) / 3
    data[i] = data[i + 1] = data[i + 2] = mean
  }
  return { ...image, data }
}

export interface DenoiseImageOptions {
  tileSize?: number
  signal?: AbortSignal
  onProgress?: (progress: { done: number; total: number }) => void
}

/**
 * Runs the model over the whole image: through `applyTiled` for any-size models (memory bounded by the tile),
 * in one call for a fixed-size model whose input the image matches exactly.
 */
export async function denoiseImage(
  autoencoder: Autoencoder,
  image: ImageData,
  options: DenoiseImageOptions = {},
): Promise<ImageData> {
  const geometry = modelGeometry(autoencoder)
  if (image.channels !== geometry.channels) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The model takes ${geometry.channels === 1 ? 'greyscale' : 'RGB'} images and this one has ${image.channels} channel(s).`,
    )
  }
  if (geometry.anySize) {
    const tileSize = Math.max(options.tileSize ?? 256, 2 * geometry.overlap + geometry.multiple * 8)
    return applyTiled(image, autoencoder.model, {
      tileSize,
      overlap: geometry.overlap,
      multiple: geometry.multiple,
      signal: options.signal,
      onProgress: options.onProgress,
    })
  }
  checkPhotoFits(`This ${autoencoder.config.architecture} model`, geometry, image, 'the photo')
  if (options.signal?.aborted) throw new BottleneckError('CANCELLED', 'Denoising was cancelled.')
  options.onProgress?.({ done: 0, total: 1 })
  const output = tf.tidy(() =>
    (
      autoencoder.model.predict(
        tf.tensor4d(image.data, [1, image.height, image.width, image.channels]),
      ) as tf.Tensor
    ).reshape([-1]),
  )
  try {
    const data = Float32Array.from((await output.data()) as Float32Array)
    options.onProgress?.({ done: 1, total: 1 })
    return { data, height: image.height, width: image.width, channels: image.channels }
  } finally {
    output.dispose()
  }
}

/** Rows per stripe: about a million values, so a stripe's tensors stay in the tens of megabytes. */
function stripeRows(width: number, channels: number): number {
  return Math.max(16, Math.floor(1_000_000 / (width * channels)))
}

/**
 * Synthetic noise for a whole photo, with the meaning of `applyNoise` (./noise) for every kind, drawn in plain
 * JavaScript from a seeded generator: tfjs' seeded random ops draw in JavaScript too, but through tensors they cost
 * ~10 µs a value, minutes for a 24-megapixel photo. The same seed gives the same noisy photo.
 */
export function addNoise(image: ImageData, spec: NoiseSpec, seed: number): ImageData {
  const { data, height, width, channels } = image
  const out = Float32Array.from(data)
  if (spec.kind === 'none') return { data: out, height, width, channels }
  const random = createRandom(seed)
  const clip = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v)
  // Box–Muller gives two normals per pair of uniforms; keep the second for the next draw.
  let spare: number | null = null
  const normal = () => {
    if (spare !== null) {
      const value = spare
      spare = null
      return value
    }
    const radius = Math.sqrt(-2 * Math.log(1 - random()))
    const angle = 2 * Math.PI * random()
    spare = radius * Math.sin(angle)
    return radius * Math.cos(angle)
  }
  const pixels = height * width
  switch (spec.kind) {
    case 'gaussian':
      for (let i = 0; i < out.length; i++) out[i] = clip(out[i]! + spec.sigma * normal())
      break
    case 'speckle':
      for (let i = 0; i < out.length; i++) out[i] = clip(out[i]! + out[i]! * spec.sigma * normal())
      break
    case 'salt-pepper':
    case 'mask':
      // One decision per pixel, for all its channels: a dead sensor pixel is dead in every colour.
      for (let p = 0; p < pixels; p++) {
        const draw = random()
        let value: number | null = null
        if (spec.kind === 'mask') value = draw < spec.amount ? 0 : null
        else if (draw < spec.amount / 2) value = 1
        else if (draw < spec.amount) value = 0
        if (value !== null) for (let k = 0; k < channels; k++) out[p * channels + k] = value
      }
      break
  }
  return { data: out, height, width, channels }
}

export interface ImageMetrics {
  mse: number
  psnr: number
  /** Absent for photos smaller than SSIM's 11×11 window (see hasSsim). */
  ssim?: number
}

function checkSameSize(reference: ImageData, image: ImageData): void {
  if (
    reference.height !== image.height ||
    reference.width !== image.width ||
    reference.channels !== image.channels
  ) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The reference is ${reference.width}×${reference.height} and the photo ${image.width}×${image.height}; ` +
        'a clean reference must be the same picture at the same size.',
    )
  }
}

/**
 * MSE, PSNR (data range 1) and SSIM of `image` against `reference`. SSIM is the same as `structuralSimilarity` in
 * ./metrics (Gaussian window 11, σ 1.5, 'valid' region, averaged over channels) but computed in row stripes that
 * overlap by the window, with separable depthwise convolutions, so it costs O(pixels) time and a stripe of memory.
 * A photo smaller than the window gets MSE and PSNR alone, as everywhere else SSIM has no value.
 */
export function compareImages(
  reference: ImageData,
  image: ImageData,
  options: { rowsPerStripe?: number } = {},
): ImageMetrics {
  checkSameSize(reference, image)
  const { height, width, channels } = image
  let squared = 0
  for (let i = 0; i < image.data.length; i++) {
    const d = reference.data[i]! - image.data[i]!
    squared += d * d
  }
  const mse = squared / image.data.length
  const psnr = mse === 0 ? Infinity : -10 * Math.log10(mse)
  if (!hasSsim([height, width, channels])) return { mse, psnr }
  const weights = ssimWindowWeights()
  const vertical = tf.tensor4d(
    weights.flatMap((w) => Array.from({ length: channels }, () => w)),
    [SSIM_WINDOW, 1, channels, 1],
  )
  const horizontal = tf.tensor4d(
    weights.flatMap((w) => Array.from({ length: channels }, () => w)),
    [1, SSIM_WINDOW, channels, 1],
  )
  const outRows = height - SSIM_WINDOW + 1
  const step = Math.max(1, options.rowsPerStripe ?? stripeRows(width, channels))
  let sum = 0
  try {
    for (let first = 0; first < outRows; first += step) {
      const count = Math.min(step, outRows - first)
      // Output rows first..first+count-1 need input rows first..first+count+9: stripes overlap by the window.
      const start = first * width * channels
      const end = (first + count + SSIM_WINDOW - 1) * width * channels
      const shape: [number, number, number, number] = [1, count + SSIM_WINDOW - 1, width, channels]
      const stripeSum = tf.tidy(() => {
        const x = tf.tensor4d(reference.data.subarray(start, end), shape)
        const y = tf.tensor4d(image.data.subarray(start, end), shape)
        const filter = (t: tf.Tensor4D) =>
          tf.depthwiseConv2d(tf.depthwiseConv2d(t, vertical, 1, 'valid'), horizontal, 1, 'valid')
        return tf.sum(ssimMap(x, y, filter))
      })
      sum += stripeSum.dataSync()[0]!
      stripeSum.dispose()
    }
  } finally {
    vertical.dispose()
    horizontal.dispose()
  }
  const ssim = sum / (outRows * (width - SSIM_WINDOW + 1) * channels)
  return { mse, psnr, ssim }
}

/**
 * |a − b| averaged over channels, as 16-bit levels (0 … 65535 for 0 … 1): precise enough to amplify 16× later
 * without banding, at half the memory of floats.
 */
export function absoluteDifference(a: ImageData, b: ImageData): Uint16Array {
  checkSameSize(a, b)
  const { channels } = a
  const pixels = a.height * a.width
  const out = new Uint16Array(pixels)
  const scale = 65535 / channels
  for (let p = 0; p < pixels; p++) {
    let total = 0
    for (let k = 0; k < channels; k++)
      total += Math.abs(a.data[p * channels + k]! - b.data[p * channels + k]!)
    const value = Math.round(total * scale)
    out[p] = value > 65535 ? 65535 : value
  }
  return out
}

/** A difference map amplified by `gain` as 8-bit greyscale: what the Denoise view shows and exports. */
export function amplifyDifference(difference: Uint16Array, gain: number): Uint8Array {
  const out = new Uint8Array(difference.length)
  const factor = (gain * 255) / 65535
  for (let i = 0; i < difference.length; i++) {
    const value = Math.round(difference[i]! * factor)
    out[i] = value > 255 ? 255 : value
  }
  return out
}
