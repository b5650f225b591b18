// Reading and writing real images (PNG, JPEG, WebP, TIFF, GIF…) through sharp, with the guards a desktop app needs
// against hostile or broken files, and `fitToMnist`, which turns a photo of a digit into an MNIST-like 28×28 input.
//
// The MNIST rule (LeCun, Cortes & Burges, "THE MNIST DATABASE of handwritten digits"): the digits were size-normalised
// to fit a 20×20 box preserving their aspect ratio, anti-aliasing giving grey levels, and then centred in a 28×28 image
// by their centre of mass. `fitToMnist` reproduces it for arbitrary photos:
//   1. greyscale (Rec. 601 luma: 0.299 R + 0.587 G + 0.114 B);
//   2. if the background is light (mean of the border pixels > 0.5) invert, so the digit is bright on dark as in MNIST;
//   3. remove the background level (median of the border) and stretch so the brightest ink is 1;
//   4. crop to the bounding box of the ink (pixels ≥ 0.2 after step 3);
//   5. scale so the longer side is 20 px, preserving the aspect ratio, with area-averaging (anti-aliased);
//   6. place in a 28×28 black field so the centre of mass lands on pixel (14, 14) (row, column index; shift rounded
//      to whole pixels, and clamped so the 20 px box never leaves the field).

import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import sharp from 'sharp'
import { BottleneckError } from './errors'
import { readPermissionReason, replaceFileAtomic, writeFailure } from './file-system'

/** An image inside the ML core: values in [0, 1], row-major HWC. */
export interface ImageData {
  data: Float32Array
  height: number
  width: number
  channels: number
}

export interface DecodeOptions {
  /** Refuse images with more pixels than this (width × height), before decoding. Default 100 megapixels. */
  maxPixels?: number
  /** Name used in error messages when decoding bytes (defaults to the path's file name, or "the image"). */
  name?: string
  /** Force 1 (greyscale) or 3 (RGB) channels; by default greyscale files stay greyscale and everything else is RGB. */
  channels?: 1 | 3
  /**
   * Colour that transparent pixels are composited onto. White by default: transparent PNGs are mostly drawings or
   * scans whose "paper" is meant to be light, and `fitToMnist` then inverts them like any dark-on-light digit.
   */
  background?: 'white' | 'black'
  /**
   * 'colour': the colour under the alpha, not composited (decodePhoto's default, which puts the alpha back afterwards:
   * a half-transparent dark pixel stays dark). 'composite' (the default elsewhere): onto `background`.
   */
  transparency?: 'composite' | 'colour'
  /**
   * How the caller lets a person raise `maxPixels` (e.g. "--max-megapixels"), named in the too-large message; without
   * it the message only says to resize, since there is nothing to raise.
   */
  limitOption?: string
}

export const DEFAULT_MAX_PIXELS = 100_000_000

/** File name endings of the formats `decodeImage` reads (lower case). */
export const DECODABLE_EXTENSIONS: readonly string[] = [
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.tif',
  '.tiff',
  '.gif',
]

export interface ImageHeader {
  width: number
  height: number
  channels: 1 | 3
  format: string
  /** The file has an alpha channel (which `decodeImage` composites away; `decodePhoto` reads it). */
  hasAlpha: boolean
  /** Frames of an animated GIF or WebP, pages of a TIFF: `decodeImage` reads the first. */
  frames: number
  /** 16 for a 16-bit PNG or TIFF, which `decodeImage` reads with 8. */
  bitsPerChannel: number
}

function unreadable(name: string, why: string, detail?: unknown): BottleneckError {
  return new BottleneckError('IMAGE_UNREADABLE', `Cannot read ${name}: ${why}`, detail)
}

/** A file whose header reads but whose pixels do not decode (cut off, or corrupt past the header). */
export function damagedImageError(name: string, detail?: unknown): BottleneckError {
  return unreadable(name, 'the file is damaged or truncated.', detail)
}

async function sourceBytesAndName(
  source: string | Uint8Array,
  options: DecodeOptions,
): Promise<{ input: Buffer; name: string }> {
  if (typeof source === 'string') {
    const name = options.name ?? basename(source)
    // A device or a pipe never ends or blocks: reading /dev/zero as a photo would fill the memory.
    const kind = await stat(source).catch(() => undefined)
    if (kind && !kind.isFile() && !kind.isDirectory()) {
      throw unreadable(name, 'it is not a regular file (a device or a pipe), and an image file is expected here.')
    }
    let input: Buffer
    try {
      input = await readFile(source)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') throw new BottleneckError('FILE_NOT_FOUND', `${name} does not exist.`, error)
      if (code === 'EISDIR')
        throw unreadable(name, 'it is a folder, and an image file is expected here.', error)
      const permission = readPermissionReason(error)
      if (permission) throw unreadable(name, `${permission}.`, error)
      throw unreadable(name, `the file could not be opened (${code ?? 'unknown error'}).`, error)
    }
    return { input, name }
  }
  // Buffer.from on a Uint8Array's underlying memory avoids a copy of what may be a large file.
  return {
    input: Buffer.from(source.buffer, source.byteOffset, source.byteLength),
    name: options.name ?? 'the image',
  }
}

async function readHeader(
  input: Buffer,
  name: string,
  maxPixels: number,
  limitOption: string | undefined,
): Promise<ImageHeader> {
  if (input.byteLength === 0) throw unreadable(name, 'the file is empty (0 bytes).')
  let metadata: sharp.Metadata
  try {
    // The header alone: sharp does not decode pixels for metadata(), so a decompression bomb costs nothing here.
    metadata = await sharp(input, { limitInputPixels: false }).metadata()
  } catch (error) {
    throw unreadable(name, 'it is not an image in a supported format (PNG, JPEG, WebP, TIFF, GIF).', error)
  }
  const width = metadata.autoOrient?.width ?? metadata.width
  const height = metadata.autoOrient?.height ?? metadata.height
  if (!width || !height) throw unreadable(name, 'the file does not say how large the image is.')
  if (width * height > maxPixels) {
    const megapixels = ((width * height) / 1e6).toFixed(1)
    throw new BottleneckError(
      'IMAGE_TOO_LARGE',
      `${name} is ${width}×${height} (${megapixels} MP), more than the limit of ${(maxPixels / 1e6).toFixed(0)} MP. ` +
        (limitOption
          ? `Resize it first, or raise the limit with ${limitOption} if you have the memory.`
          : 'Resize it first.'),
      { width, height, maxPixels },
    )
  }
  const grey = metadata.space === 'b-w' || metadata.space === 'grey16' || (metadata.channels ?? 3) <= 2
  return {
    width,
    height,
    channels: grey ? 1 : 3,
    format: metadata.format ?? 'unknown',
    hasAlpha: metadata.hasAlpha ?? false,
    frames: metadata.pages ?? 1,
    bitsPerChannel: metadata.depth === 'ushort' || metadata.depth === 'short' ? 16 : 8,
  }
}

/** Reads only the header: size, channels and format, with the same checks as `decodeImage`. */
export async function readImageHeader(
  source: string | Uint8Array,
  options: DecodeOptions = {},
): Promise<ImageHeader> {
  const { input, name } = await sourceBytesAndName(source, options)
  return readHeader(input, name, options.maxPixels ?? DEFAULT_MAX_PIXELS, options.limitOption)
}

/**
 * Decodes an image file (path) or its bytes to floats in [0, 1]. EXIF orientation is applied, alpha is composited
 * onto `background` (white by default), 16-bit images are reduced to 8-bit precision, CMYK and other spaces become sRGB.
 */
export async function decodeImage(
  source: string | Uint8Array,
  options: DecodeOptions = {},
): Promise<ImageData> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS
  const { input, name } = await sourceBytesAndName(source, options)
  const header = await readHeader(input, name, maxPixels, options.limitOption)
  return decodePixels(input, name, header, maxPixels, options)
}

/** `decodeImage`'s decoding, once the file is read and its header checked. */
async function decodePixels(
  input: Buffer,
  name: string,
  header: ImageHeader,
  maxPixels: number,
  options: DecodeOptions,
): Promise<ImageData> {
  const channels = options.channels ?? header.channels
  const background = options.background === 'black' ? '#000000' : '#ffffff'
  let raw: { data: Buffer; info: sharp.OutputInfo }
  try {
    // limitInputPixels repeats the header check inside libvips, in case the header lied about the size.
    // failOn 'truncated' makes a cut-off file an error instead of an image with a grey bottom half.
    const oriented = sharp(input, { limitInputPixels: maxPixels, failOn: 'truncated' }).rotate()
    const opaque = options.transparency === 'colour' ? oriented.removeAlpha() : oriented.flatten({ background })
    raw = await opaque
      .toColourspace(channels === 1 ? 'b-w' : 'srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error)
    if (/pixel limit/i.test(text)) {
      throw new BottleneckError(
        'IMAGE_TOO_LARGE',
        `${name} is larger than the limit of ${maxPixels} pixels.`,
        error,
      )
    }
    throw damagedImageError(name, error)
  }
  const { width, height } = raw.info
  if (raw.info.channels !== channels) {
    throw unreadable(name, `it decoded to ${raw.info.channels} channels instead of ${channels}.`)
  }
  const bytes = raw.data
  const data = new Float32Array(bytes.length)
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i]! / 255
  return { data, height, width, channels }
}

/** What `decodeImage` leaves out of a file, in sentences: the frames after the first, the bits after the eighth. */
export function decodingNotes(header: ImageHeader, name: string): string[] {
  const notes: string[] = []
  if (header.frames > 1) {
    const unit = header.format === 'tiff' ? 'pages' : 'frames'
    notes.push(`Only the first of the ${header.frames} ${unit} of ${name} is denoised.`)
  }
  if (header.bitsPerChannel > 8) {
    notes.push(`${name} has ${header.bitsPerChannel} bits a channel; it is denoised and saved with 8.`)
  }
  return notes
}

/**
 * A photo to denoise, from one read of the file: its pixels as `decodeImage` gives them, but with the colour under
 * the alpha rather than composited onto white; its alpha channel (8-bit, oriented as the pixels), or null when it has
 * none or every pixel is opaque — the app and the CLI put it back on the denoised photo, so a cut-out stays a cut-out
 * and a half-transparent dark pixel stays dark; and the notes `decodingNotes` makes.
 */
export async function decodePhoto(
  source: string | Uint8Array,
  options: DecodeOptions = {},
): Promise<{ image: ImageData; alpha: Uint8Array | null; notes: string[] }> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS
  const { input, name } = await sourceBytesAndName(source, options)
  const header = await readHeader(input, name, maxPixels, options.limitOption)
  const image = await decodePixels(input, name, header, maxPixels, { transparency: 'colour', ...options })
  const notes = decodingNotes(header, name)
  if (!header.hasAlpha) return { image, alpha: null, notes }
  let alpha: Buffer
  try {
    alpha = await sharp(input, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .rotate()
      .extractChannel('alpha')
      .raw({ depth: 'uchar' })
      .toBuffer()
  } catch (error) {
    throw damagedImageError(name, error)
  }
  return { image, alpha: alpha.every((value) => value === 255) ? null : new Uint8Array(alpha), notes }
}

function checkImage(image: ImageData): void {
  const { data, height, width, channels } = image
  if (!(channels === 1 || channels === 3 || channels === 4) || data.length !== height * width * channels) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The image data does not match its size: ${data.length} values for ${height}×${width}×${channels}.`,
    )
  }
}

/** Float image → 8-bit raw bytes (rounded, clipped to [0, 1]). */
export function toBytes(image: ImageData): Uint8Array {
  const bytes = new Uint8Array(image.data.length)
  for (let i = 0; i < bytes.length; i++) {
    const value = image.data[i]!
    // NaN becomes 0 rather than poisoning the file.
    bytes[i] = value > 0 ? (value < 1 ? Math.round(value * 255) : 255) : 0
  }
  return bytes
}

/** Encodes an image as PNG (lossless, 8-bit), with `alpha` (one byte a pixel, see decodePhoto) as its transparency. */
export async function encodePng(image: ImageData, alpha?: Uint8Array | null): Promise<Buffer> {
  checkImage(image)
  const { height, width, channels } = image
  if (alpha && (channels === 4 || alpha.length !== height * width)) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The transparency has ${alpha.length} values for a ${width}×${height} image with ${channels} channels.`,
    )
  }
  let pipeline = sharp(toBytes(image), { raw: { width, height, channels: channels as 1 | 3 | 4 } })
  // Without this sharp widens single-channel input to RGB, tripling the file and losing "greyscale" on reload.
  if (channels === 1) pipeline = pipeline.toColourspace('b-w')
  if (alpha)
    pipeline = pipeline.joinChannel(Buffer.from(alpha.buffer, alpha.byteOffset, alpha.byteLength), {
      raw: { width, height, channels: 1 },
    })
  return pipeline.png({ compressionLevel: 6 }).toBuffer()
}

/**
 * Writes bytes atomically (file-system's replaceFileAtomic: a crash leaves any old file intact). On failure the error
 * is a BottleneckError naming `path` and the reason (DISK_FULL when the disk is full, else WRITE_FAILED).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await replaceFileAtomic(path, bytes)
  } catch (error) {
    throw writeFailure(error, path)
  }
}

/** Encodes as PNG (with `alpha` as its transparency, when given) and writes atomically. */
export async function writePng(path: string, image: ImageData, alpha?: Uint8Array | null): Promise<void> {
  await writeFileAtomic(path, await encodePng(image, alpha))
}

/** Rec. 601 luma of an RGB(A) image, or a copy of a greyscale one. */
export function toGreyscale(image: ImageData): ImageData {
  checkImage(image)
  const { data, height, width, channels } = image
  const grey = new Float32Array(height * width)
  if (channels === 1) {
    grey.set(data)
  } else {
    for (let i = 0; i < grey.length; i++) {
      const o = i * channels
      grey[i] = 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!
    }
  }
  return { data: grey, height, width, channels: 1 }
}

/**
 * Area-averaging resize of a single-channel image (each output pixel is the mean of the input area it covers),
 * which is the anti-aliased down-scaling MNIST describes; separable, so O(h·w) per pass.
 */
export function resizeArea(
  data: Float32Array,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
): Float32Array {
  return resampleColumns(resampleRows(data, height, width, outWidth), height, outWidth, outHeight)
}

/** Weights of output cell j over input cells for a 1-D area resample from n to m cells. */
function areaWeights(n: number, m: number): Array<{ start: number; weights: number[] }> {
  const scale = n / m
  const result: Array<{ start: number; weights: number[] }> = []
  for (let j = 0; j < m; j++) {
    const from = j * scale
    const to = (j + 1) * scale
    const start = Math.floor(from)
    const end = Math.min(n, Math.ceil(to))
    const weights: number[] = []
    for (let i = start; i < end; i++) weights.push((Math.min(to, i + 1) - Math.max(from, i)) / scale)
    result.push({ start, weights })
  }
  return result
}

function resampleRows(data: Float32Array, rows: number, width: number, outWidth: number): Float32Array {
  const out = new Float32Array(rows * outWidth)
  const plan = areaWeights(width, outWidth)
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < outWidth; j++) {
      const { start, weights } = plan[j]!
      let sum = 0
      for (let k = 0; k < weights.length; k++) sum += weights[k]! * data[r * width + start + k]!
      out[r * outWidth + j] = sum
    }
  }
  return out
}

function resampleColumns(data: Float32Array, height: number, width: number, outHeight: number): Float32Array {
  const out = new Float32Array(outHeight * width)
  const plan = areaWeights(height, outHeight)
  for (let i = 0; i < outHeight; i++) {
    const { start, weights } = plan[i]!
    for (let k = 0; k < weights.length; k++) {
      const weight = weights[k]!
      const row = (start + k) * width
      for (let c = 0; c < width; c++) out[i * width + c]! += weight * data[row + c]!
    }
  }
  return out
}

export const MNIST_SIZE = 28
export const MNIST_BOX = 20
const INK_THRESHOLD = 0.2

/** Makes any photo or scan of a single digit look like an MNIST sample: see the rule at the top of this file. */
export function fitToMnist(image: ImageData): ImageData {
  const grey = toGreyscale(image)
  const { height, width } = grey
  const values = grey.data

  const border: number[] = []
  for (let c = 0; c < width; c++) border.push(values[c]!, values[(height - 1) * width + c]!)
  for (let r = 1; r < height - 1; r++) border.push(values[r * width]!, values[r * width + width - 1]!)
  const borderMean = border.reduce((a, b) => a + b, 0) / border.length
  const invert = borderMean > 0.5
  if (invert) for (let i = 0; i < values.length; i++) values[i] = 1 - values[i]!
  const sortedBorder = border.map((v) => (invert ? 1 - v : v)).sort((a, b) => a - b)
  const backgroundLevel = sortedBorder[Math.floor(sortedBorder.length / 2)]!

  let peak = 0
  for (let i = 0; i < values.length; i++) {
    const v = Math.max(0, values[i]! - backgroundLevel)
    values[i] = v
    if (v > peak) peak = v
  }
  if (peak < 0.05) {
    throw new BottleneckError(
      'INVALID_INPUT',
      'No digit found: the image is almost uniform. Use a photo or scan with one dark digit on light paper (or the reverse).',
    )
  }
  let top = height
  let bottom = -1
  let left = width
  let right = -1
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const v = values[r * width + c]! / peak
      values[r * width + c] = v
      if (v >= INK_THRESHOLD) {
        if (r < top) top = r
        if (r > bottom) bottom = r
        if (c < left) left = c
        if (c > right) right = c
      }
    }
  }
  const cropHeight = bottom - top + 1
  const cropWidth = right - left + 1
  const crop = new Float32Array(cropHeight * cropWidth)
  for (let r = 0; r < cropHeight; r++) {
    crop.set(values.subarray((top + r) * width + left, (top + r) * width + left + cropWidth), r * cropWidth)
  }

  const scale = MNIST_BOX / Math.max(cropHeight, cropWidth)
  const boxHeight = Math.max(1, Math.round(cropHeight * scale))
  const boxWidth = Math.max(1, Math.round(cropWidth * scale))
  const box = resizeArea(crop, cropHeight, cropWidth, boxHeight, boxWidth)

  let mass = 0
  let rowMoment = 0
  let colMoment = 0
  for (let r = 0; r < boxHeight; r++) {
    for (let c = 0; c < boxWidth; c++) {
      const v = box[r * boxWidth + c]!
      mass += v
      rowMoment += v * r
      colMoment += v * c
    }
  }
  const centre = MNIST_SIZE / 2
  const clamp = (value: number, max: number) => Math.min(Math.max(value, 0), max)
  const offsetRow = clamp(Math.round(centre - rowMoment / mass), MNIST_SIZE - boxHeight)
  const offsetCol = clamp(Math.round(centre - colMoment / mass), MNIST_SIZE - boxWidth)
  const out = new Float32Array(MNIST_SIZE * MNIST_SIZE)
  for (let r = 0; r < boxHeight; r++) {
    for (let c = 0; c < boxWidth; c++) {
      out[(offsetRow + r) * MNIST_SIZE + offsetCol + c] = Math.min(1, box[r * boxWidth + c]!)
    }
  }
  return { data: out, height: MNIST_SIZE, width: MNIST_SIZE, channels: 1 }
}
