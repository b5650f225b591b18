// Image-folder datasets (`folder:DIR`): photos of any size and format, read lazily from disk and cut into random
// training patches, so a folder far larger than memory trains with a bounded cache of decoded images.
// Train/validation split by a hash of each file's relative path: stable across runs, machines and added files.

import { readdir } from 'node:fs/promises'
import { basename, extname, join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { blindSpotArrays, reflect, type BlindSpotOptions } from './blind-spot'
import type { ImageDataset, ImageSplit } from './datasets'
import { BottleneckError } from './errors'
import { readPermissionReason } from './file-system'
import {
  DECODABLE_EXTENSIONS,
  DEFAULT_MAX_PIXELS,
  damagedImageError,
  decodeImage,
  readImageHeader,
  type ImageData,
} from './image-io'
import { applyNoise, type NoiseSpec } from './noise'
import { createRandom, type RandomSource } from './random'

/**
 * The formats a training folder takes: all that decodeImage reads but GIF, whose 256-colour palette dithers a photo
 * (a denoiser trained on it would learn the dither as picture). The Denoise view and `denoise` take GIFs.
 */
export const TRAINING_IMAGE_EXTENSIONS = DECODABLE_EXTENSIONS.filter((extension) => extension !== '.gif')

/** Why a training folder's GIF files are left out, for the sentences that count them. */
export const GIF_LEFT_OUT_REASON =
  "GIF's 256-colour palette dithers a photo, and a denoiser trained on it would learn the dither as picture; save them as PNG to use them"

/** "3 GIF files are left out: …", or '' for none. */
export function gifsLeftOutSentence(gifs: readonly string[]): string {
  if (gifs.length === 0) return ''
  const counted = gifs.length === 1 ? '1 GIF file is' : `${gifs.length} GIF files are`
  return `${counted} left out: ${GIF_LEFT_OUT_REASON}.`
}

export interface ImageFolderOptions {
  /** Side of the square training patches, default 64. */
  patchSize?: number
  /** 1 or 3; by default the channels of the first image (greyscale files in an RGB set are widened, and back). */
  channels?: 1 | 3
  /** Share of files (by name hash) held out for validation, default 0.1; at least one file each when there are two. */
  validationFraction?: number
  /** Upper bound on the bytes of decoded images kept in memory, default 512 MiB. */
  cacheBytes?: number
  /** Per-image size limit, as in decodeImage. */
  maxPixels?: number
  /** Random flips and 90° rotations of training patches (the 8 symmetries of the square), default true. */
  augment?: boolean
  /** Patches cut from one decoded image before the next is picked; fewer decodes, less variety. Default 8. */
  patchesPerImage?: number
  seed?: number
}

/** How a batch is made from clean patches. */
export type BatchMode =
  /** inputs = targets = clean patches (plain autoencoding) */
  | { kind: 'clean' }
  /** inputs = clean + synthetic noise, targets = clean */
  | { kind: 'supervised'; noise: NoiseSpec }
  /**
   * Noise2Void: the patches are already noisy (real photos, or `noise` added here to simulate them); inputs are
   * blind-spot masked, targets the noisy patches, `mask` marks where the loss counts.
   */
  | { kind: 'noise2void'; noise?: NoiseSpec; blindSpot?: BlindSpotOptions }

export interface PatchBatch {
  inputs: tf.Tensor4D
  targets: tf.Tensor4D
  mask?: tf.Tensor4D
}

export interface ImageFolder {
  folder: string
  /** Relative paths, sorted. */
  train: readonly string[]
  validation: readonly string[]
  channels: 1 | 3
  patchSize: number
  /**
   * Files that failed to decode; they are skipped from then on. A split left with no readable file uses the readable
   * files of the other split instead.
   */
  skipped: ReadonlyArray<{ file: string; message: string }>
  /** GIF files of the folder, which training leaves out (see TRAINING_IMAGE_EXTENSIONS); relative paths, sorted. */
  gifs: readonly string[]
  /** Random clean patches [count, patchSize, patchSize, channels] as a Float32Array. */
  samplePatches(count: number, split?: 'train' | 'validation'): Promise<Float32Array>
  /** A batch of tensors ready for a training step; the caller disposes them. */
  nextBatch(batchSize: number, mode?: BatchMode): Promise<PatchBatch>
  /** The same `count` validation patches on every call (fixed seed, no augmentation). */
  validationPatches(count: number): Promise<Float32Array>
  /** Bytes of decoded images currently cached. */
  cachedBytes(): number
}

/**
 * A batch of tensors from clean patches for one of the training modes: the same rule for training batches and the
 * fixed validation batch. `random` draws the blind-spot masks; `seed` the synthetic noise.
 */
export async function makeBatch(
  clean: Float32Array,
  shape: readonly [number, number, number, number],
  mode: BatchMode,
  seed: number,
  random: () => number,
): Promise<PatchBatch> {
  if (mode.kind === 'clean') {
    const inputs = tf.tensor4d(clean, [...shape])
    return { inputs, targets: inputs.clone() }
  }
  if (mode.kind === 'supervised') {
    const targets = tf.tensor4d(clean, [...shape])
    return { inputs: applyNoise(targets, mode.noise, seed) as tf.Tensor4D, targets }
  }
  let noisy = clean
  if (mode.noise) {
    const noisyTensor = tf.tidy(() => applyNoise(tf.tensor4d(clean, [...shape]), mode.noise!, seed))
    noisy = Float32Array.from(await noisyTensor.data())
    noisyTensor.dispose()
  }
  const masked = blindSpotArrays(noisy, shape, random, mode.blindSpot)
  return {
    inputs: tf.tensor4d(masked.inputs, [...shape]),
    targets: tf.tensor4d(noisy, [...shape]),
    mask: tf.tensor4d(masked.mask, [...shape]),
  }
}

/** FNV-1a, 32 bit: a stable hash of the file name for the split. */
function hashName(name: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

export function splitFiles(
  files: readonly string[],
  validationFraction: number,
): { train: string[]; validation: string[] } {
  const train: string[] = []
  const validation: string[] = []
  for (const file of files) {
    const normalised = file.split('\\').join('/')
    ;((hashName(normalised) % 10_000) / 10_000 < validationFraction ? validation : train).push(file)
  }
  // Tiny folders: keep both sides non-empty by moving the file with the extreme hash, still deterministic.
  if (files.length >= 2 && validationFraction > 0) {
    const byHash = (a: string, b: string) => hashName(a) - hashName(b)
    if (validation.length === 0) validation.push(train.sort(byHash).shift()!)
    if (train.length === 0) train.push(validation.sort(byHash).pop()!)
  }
  return { train: train.sort(), validation: validation.sort() }
}

/**
 * Why a folder's files cannot be listed, as the end of a sentence. A model keeps the folder it trained on by its path,
 * so resuming one whose folder was moved since can only go on once it is back there.
 */
function listFailureReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT')
    return 'there is no such folder (if it was moved or renamed, put it back where it was)'
  if (code === 'ENOTDIR') return 'it is a file, and a folder of images is expected here'
  return readPermissionReason(error) ?? `the file system refused (${code ?? String(error)})`
}

/** The folder's training images and its GIF files (left out), relative paths, sorted; hidden files are not looked at. */
async function listImages(folder: string): Promise<{ images: string[]; gifs: string[] }> {
  let entries: string[]
  try {
    entries = await readdir(folder, { recursive: true })
  } catch (error) {
    throw new BottleneckError(
      'DATASET_NOT_FOUND',
      `Cannot read the image folder ${folder}: ${listFailureReason(error)}.`,
      error,
    )
  }
  const visible = entries.filter((entry) => !entry.split(/[\\/]/).some((part) => part.startsWith('.'))).sort()
  return {
    images: visible.filter((entry) => TRAINING_IMAGE_EXTENSIONS.includes(extname(entry).toLowerCase())),
    gifs: visible.filter((entry) => extname(entry).toLowerCase() === '.gif'),
  }
}

/** Files whose pixels the survey decodes; beyond them it reads headers only (see surveyImageFolder). */
const SURVEY_DECODED_FILES = 200

/**
 * Every image file of `folder`, as openImageFolder lists them, checked the way training reads them, to find the ones
 * it would skip. Every header is read (missing, empty, not an image, too large); the pixels of the first
 * SURVEY_DECODED_FILES are decoded too (a file cut off halfway has a perfect header), shrunk as they decode and never
 * converted to floats. Decoding them all would cost 0.1–0.25 s a large photo: minutes for a folder of thousands,
 * longer than a call may take; a damaged file past them is still skipped by training, which names it.
 */
export async function surveyImageFolder(
  folderPath: string,
  options: Pick<ImageFolderOptions, 'maxPixels'> = {},
): Promise<{ files: string[]; unreadable: Array<{ file: string; message: string }>; gifs: string[] }> {
  const folder = resolve(folderPath)
  const { images: files, gifs } = await listImages(folder)
  const { unreadable } = await checkFiles(folder, files, options.maxPixels ?? DEFAULT_MAX_PIXELS, SURVEY_DECODED_FILES)
  return { files, unreadable, gifs }
}

/**
 * Reads the header of every file (missing, empty, not an image, too large: decodeImage's checks and words) and decodes
 * the pixels of the first `decodedFiles`, shrunk as they decode. Returns the failing files in `files`' order with why
 * each fails, and the channels of each readable header.
 */
async function checkFiles(
  folder: string,
  files: readonly string[],
  maxPixels: number,
  decodedFiles: number,
): Promise<{ unreadable: Array<{ file: string; message: string }>; channels: Map<string, 1 | 3> }> {
  const problems = new Map<string, string>()
  const channels = new Map<string, 1 | 3>()
  let next = 0
  // A few at a time: sharp decodes on libuv's threads.
  async function work(): Promise<void> {
    while (next < files.length) {
      const index = next++
      const file = files[index]!
      const path = join(folder, file)
      try {
        channels.set(file, (await readImageHeader(path, { maxPixels })).channels)
      } catch (error) {
        if (!(error instanceof BottleneckError)) throw error
        problems.set(file, error.message)
        continue
      }
      if (index >= decodedFiles) continue
      try {
        await sharp(path, { limitInputPixels: maxPixels, failOn: 'truncated' })
          .resize(64, 64, { fit: 'inside' })
          .raw()
          .toBuffer()
      } catch (error) {
        // decodeImage's error for the same failure.
        problems.set(file, damagedImageError(basename(file), error).message)
      }
    }
  }
  await Promise.all(Array.from({ length: 4 }, work))
  const unreadable = files.flatMap((file) => {
    const message = problems.get(file)
    return message === undefined ? [] : [{ file, message }]
  })
  return { unreadable, channels }
}

/** Least-recently-used cache of decoded images, bounded by bytes (Map keeps insertion order: first = oldest). */
class DecodedCache {
  private readonly entries = new Map<string, ImageData>()
  private bytes = 0
  constructor(private readonly limit: number) {}

  get(file: string): ImageData | undefined {
    const image = this.entries.get(file)
    if (image) {
      this.entries.delete(file)
      this.entries.set(file, image)
    }
    return image
  }

  set(file: string, image: ImageData): void {
    // An image larger than the whole cache is used once and not kept.
    if (image.data.byteLength > this.limit) return
    this.entries.set(file, image)
    this.bytes += image.data.byteLength
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.limit) break
      this.entries.delete(oldest)
      this.bytes -= old.data.byteLength
    }
  }

  size(): number {
    return this.bytes
  }
}

/** The 8 symmetries of the square applied to patch coordinates: index → (row, col) in the source crop. */
function transformed(r: number, c: number, size: number, symmetry: number): [number, number] {
  const last = size - 1
  let row = r
  let col = c
  if (symmetry & 4) [row, col] = [col, row]
  if (symmetry & 2) row = last - row
  if (symmetry & 1) col = last - col
  return [row, col]
}

/** Copies one patch out of `image` into `out` at `offset`; images smaller than the patch are mirrored. */
export function cutPatch(
  image: ImageData,
  size: number,
  top: number,
  left: number,
  symmetry: number,
  out: Float32Array,
  offset: number,
): void {
  const { data, height, width, channels } = image
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const [sr, sc] = transformed(r, c, size, symmetry)
      const source = (reflect(top + sr, height) * width + reflect(left + sc, width)) * channels
      const target = offset + (r * size + c) * channels
      for (let k = 0; k < channels; k++) out[target + k] = data[source + k]!
    }
  }
}

/** Opens `folder` (recursively, hidden files skipped) as a lazily decoded patch source. */
export async function openImageFolder(
  folderPath: string,
  options: ImageFolderOptions = {},
): Promise<ImageFolder> {
  const folder = resolve(folderPath)
  const patchSize = options.patchSize ?? 64
  if (!Number.isInteger(patchSize) || patchSize < 8 || patchSize > 1024) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The patch size must be a whole number from 8 to 1024 (got ${patchSize}).`,
    )
  }
  const { images: listed, gifs } = await listImages(folder)
  if (listed.length === 0) {
    const gifsNote = gifs.length > 0 ? ` ${gifsLeftOutSentence(gifs)}` : ''
    throw new BottleneckError(
      'DATASET_NOT_FOUND',
      `No images training can use in ${folder}. Put PNG, JPEG, WebP or TIFF files there (subfolders are included).${gifsNote}`,
    )
  }
  // Every header is read now (cheap), so files that are empty, not images or too large are left out of the split and
  // named before the first batch. A file damaged past its header is found when training first decodes it.
  const headers = await checkFiles(folder, listed, options.maxPixels ?? DEFAULT_MAX_PIXELS, 0)
  const skipped = headers.unreadable
  // A file whose header reads has its channels known.
  const files = listed.filter((file) => headers.channels.has(file))
  if (files.length === 0) {
    throw new BottleneckError(
      'DATASET_NOT_FOUND',
      `None of the images in ${folder} could be read (${listed.join(', ')}).`,
    )
  }
  const { train, validation } = splitFiles(files, options.validationFraction ?? 0.1)
  const bad = new Set<string>()
  // From the first readable file, unless asked for.
  const channels: 1 | 3 = options.channels ?? headers.channels.get(files[0]!)!
  const cache = new DecodedCache(options.cacheBytes ?? 512 * 1024 * 1024)
  const augment = options.augment ?? true
  const patchesPerImage = Math.max(1, options.patchesPerImage ?? 8)
  const random = createRandom(options.seed)

  async function load(file: string): Promise<ImageData | undefined> {
    const cached = cache.get(file)
    if (cached) return cached
    try {
      const image = await decodeImage(join(folder, file), { channels, maxPixels: options.maxPixels })
      cache.set(file, image)
      return image
    } catch (error) {
      if (!(error instanceof BottleneckError)) throw error
      // One unreadable photo should not end a long training run; it is reported and left out.
      bad.add(file)
      skipped.push({ file, message: error.message })
      return undefined
    }
  }

  async function fill(
    count: number,
    pool: readonly string[],
    source: RandomSource,
    withAugmentation: boolean,
  ): Promise<Float32Array> {
    const patchLength = patchSize * patchSize * channels
    const out = new Float32Array(count * patchLength)
    let made = 0
    while (made < count) {
      // A split whose files are all unreadable (say the one validation file is the broken one) borrows the readable
      // files of the rest of the folder: only a folder without one readable image ends the run.
      let candidates = pool.filter((file) => !bad.has(file))
      if (candidates.length === 0) candidates = files.filter((file) => !bad.has(file))
      if (candidates.length === 0) {
        throw new BottleneckError(
          'DATASET_NOT_FOUND',
          `None of the images in ${folder} could be read (${skipped.map((s) => s.file).join(', ')}).`,
        )
      }
      const file = candidates[Math.floor(source() * candidates.length)]!
      const image = await load(file)
      if (!image) continue
      for (let i = 0; i < patchesPerImage && made < count; i++, made++) {
        const top = Math.floor(source() * Math.max(1, image.height - patchSize + 1))
        const left = Math.floor(source() * Math.max(1, image.width - patchSize + 1))
        const symmetry = withAugmentation ? Math.floor(source() * 8) : 0
        cutPatch(image, patchSize, top, left, symmetry, out, made * patchLength)
      }
    }
    return out
  }

  const folderView: ImageFolder = {
    folder,
    train,
    validation,
    channels,
    patchSize,
    skipped,
    gifs,
    samplePatches(count, split = 'train') {
      return fill(count, split === 'train' ? train : validation, random, augment && split === 'train')
    },
    async validationPatches(count) {
      const patches = await fill(
        count,
        validation.length > 0 ? validation : train,
        createRandom(0x5eed),
        false,
      )
      return interleaveDraws(patches, patchSize * patchSize * channels, patchesPerImage)
    },
    async nextBatch(batchSize, mode = { kind: 'clean' }) {
      const clean = await fill(batchSize, train, random, augment)
      const seed = Math.floor(random() * 0x7fff_ffff)
      return makeBatch(clean, [batchSize, patchSize, patchSize, channels], mode, seed, random)
    },
    cachedBytes: () => cache.size(),
  }
  return folderView
}

/**
 * `folder:DIR` as an in-memory ImageDataset of patches, for code that trains from resident splits (train.ts `fit`):
 * `limit` training patches (default 2,048) and `testLimit` validation patches (default 256), no labels.
 */
export async function loadFolderDataset(
  folderPath: string,
  options: ImageFolderOptions & { limit?: number; testLimit?: number } = {},
): Promise<ImageDataset> {
  const folder = await openImageFolder(folderPath, options)
  const trainCount = options.limit ?? 2048
  const testCount = options.testLimit ?? 256
  const trainSplit: ImageSplit = { images: await folder.samplePatches(trainCount), count: trainCount }
  const testSplit: ImageSplit = { images: await folder.validationPatches(testCount), count: testCount }
  return {
    id: `folder:${folder.folder}`,
    name: `Patches of the images in ${folder.folder}`,
    height: folder.patchSize,
    width: folder.patchSize,
    channels: folder.channels,
    train: trainSplit,
    test: testSplit,
  }
}

/**
 * The same patches, reordered so that neighbours come from different draws of an image: `fill` cuts `perDraw` patches
 * from each image it picks, so the first few validation patches (the live samples training shows) were all one photo.
 * Only the order changes, so a loss averaged over them does not.
 */
export function interleaveDraws(patches: Float32Array, patchLength: number, perDraw: number): Float32Array {
  const count = patches.length / patchLength
  const draws = Math.ceil(count / perDraw)
  if (draws <= 1 || perDraw <= 1) return patches
  const out = new Float32Array(patches.length)
  let target = 0
  for (let within = 0; within < perDraw; within++) {
    for (let draw = 0; draw < draws; draw++) {
      const source = draw * perDraw + within
      if (source >= count) continue
      out.set(patches.subarray(source * patchLength, (source + 1) * patchLength), target * patchLength)
      target++
    }
  }
  return out
}
