// Any-size inference for fully convolutional models: the image is cut into overlapping tiles of one fixed shape,
// each tile runs through the model, and only the centre of each result is kept, so memory is bounded by the tile
// size and there are no seams as long as the model's receptive field radius is at most the overlap.

import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from './errors'
import type { ImageData } from './image-io'

/** A model as tiling sees it: a batch [n, tileHeight, tileWidth, c] in, the same shape out. */
export type TileModel = tf.LayersModel | ((batch: tf.Tensor4D) => tf.Tensor)

export interface TilingOptions {
  /** Side of the square tiles fed to the model (rounded down to `multiple`), default 256. */
  tileSize?: number
  /** Context on each side of a tile that is computed and thrown away, default 32. */
  overlap?: number
  /** Tile sides are multiples of this (a U-Net with two poolings needs 4), default 4. */
  multiple?: number
  /** Tiles per model call; more is faster on native TensorFlow and costs memory. Default 1. */
  batchSize?: number
  /**
   * What the model sees beyond the image edges: mirrored pixels (default; no dark frame for learned denoisers) or
   * zeros (what a 'same'-padded convolution over the whole image sees, so results match it exactly).
   */
  padding?: 'reflect' | 'zero'
  onProgress?: (progress: { done: number; total: number }) => void
  signal?: AbortSignal
}

function reflect(index: number, n: number): number {
  if (n === 1) return 0
  const period = 2 * (n - 1)
  let i = index % period
  if (i < 0) i += period
  return i < n ? i : period - i
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple
}

export interface TilePlan {
  tileHeight: number
  tileWidth: number
  /** Top-left corner (in image coordinates) of the kept centre of each tile; the tile starts `overlap` before it. */
  origins: Array<{ row: number; col: number }>
  core: { height: number; width: number }
}

/**
 * The smallest `tileSize` that keeps something of each tile once `overlap` is cut from every side (tiles are rounded
 * down to `multiple`): what a command checks its option against before it starts on a batch of photos.
 */
export function minimumTileSize(overlap: number, multiple: number): number {
  return (Math.floor((2 * overlap) / multiple) + 1) * multiple
}

/** Where the tiles go; exposed so progress totals and memory can be predicted before running. */
export function planTiles(height: number, width: number, options: TilingOptions = {}): TilePlan {
  const multiple = options.multiple ?? 4
  const overlap = options.overlap ?? 32
  const requested = options.tileSize ?? 256
  if (!Number.isInteger(overlap) || overlap < 0 || !Number.isInteger(multiple) || multiple < 1) {
    throw new BottleneckError(
      'INVALID_INPUT',
      'The tile overlap and multiple must be whole numbers (overlap ≥ 0).',
    )
  }
  const maxTile = Math.floor(requested / multiple) * multiple
  if (requested < minimumTileSize(overlap, multiple)) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `Tiles of ${requested} px leave nothing after cutting ${overlap} px of overlap from each side; use larger tiles.`,
    )
  }
  // Small images get one tile just big enough, instead of a mostly-padding 256² tile.
  const tileHeight = Math.min(maxTile, roundUp(height + 2 * overlap, multiple))
  const tileWidth = Math.min(maxTile, roundUp(width + 2 * overlap, multiple))
  const core = { height: tileHeight - 2 * overlap, width: tileWidth - 2 * overlap }
  const origins: Array<{ row: number; col: number }> = []
  for (let row = 0; row < height; row += core.height) {
    for (let col = 0; col < width; col += core.width) origins.push({ row, col })
  }
  return { tileHeight, tileWidth, origins, core }
}

/**
 * Copies the tile whose top-left corner is (top, left) — possibly outside the image — into `target` at `offset`.
 * The part inside the image is copied a row span at a time (typed-array `set`, no per-pixel work); only the few
 * columns and rows beyond the edges are mirrored or zeroed pixel by pixel.
 */
function copyTile(
  image: ImageData,
  target: Float32Array,
  offset: number,
  top: number,
  left: number,
  tileHeight: number,
  tileWidth: number,
  zeroPadding: boolean,
): void {
  const { data, height, width, channels } = image
  const insideStart = Math.min(tileWidth, Math.max(0, -left))
  const insideEnd = Math.max(insideStart, Math.min(tileWidth, width - left))
  for (let r = 0; r < tileHeight; r++) {
    const sourceRow = top + r
    const rowStart = offset + r * tileWidth * channels
    if (zeroPadding && (sourceRow < 0 || sourceRow >= height)) {
      target.fill(0, rowStart, rowStart + tileWidth * channels)
      continue
    }
    const rowBase = reflect(sourceRow, height) * width
    if (insideEnd > insideStart) {
      const from = (rowBase + left + insideStart) * channels
      target.set(
        data.subarray(from, from + (insideEnd - insideStart) * channels),
        rowStart + insideStart * channels,
      )
    }
    for (let c = 0; c < tileWidth; c++) {
      if (c === insideStart) c = insideEnd
      if (c >= tileWidth) break
      const at = rowStart + c * channels
      if (zeroPadding) {
        target.fill(0, at, at + channels)
        continue
      }
      const source = (rowBase + reflect(left + c, width)) * channels
      for (let k = 0; k < channels; k++) target[at + k] = data[source + k]!
    }
  }
}

function cancelled(): BottleneckError {
  return new BottleneckError('CANCELLED', 'Denoising was cancelled.')
}

/** Runs `model` over `image` tile by tile and returns the reassembled output (same size and channels). */
export async function applyTiled(
  image: ImageData,
  model: TileModel,
  options: TilingOptions = {},
): Promise<ImageData> {
  const { data, height, width, channels } = image
  if (data.length !== height * width * channels) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The image data does not match its size ${height}×${width}×${channels}.`,
    )
  }
  const overlap = options.overlap ?? 32
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1))
  const zeroPadding = options.padding === 'zero'
  const plan = planTiles(height, width, options)
  const { tileHeight, tileWidth, origins, core } = plan
  const run = typeof model === 'function' ? model : (batch: tf.Tensor4D) => model.predict(batch) as tf.Tensor
  const output = new Float32Array(data.length)
  const tileLength = tileHeight * tileWidth * channels
  const batchBuffer = new Float32Array(batchSize * tileLength)
  let done = 0
  options.onProgress?.({ done, total: origins.length })

  for (let first = 0; first < origins.length; first += batchSize) {
    // A macrotask turn per batch: on native TensorFlow `data()` resolves as a microtask, which never lets a pending
    // IPC message (cancel) or signal handler run, so without this an abort arrived only after the last tile.
    if (first > 0 && options.signal) await new Promise((resolve) => setTimeout(resolve, 0))
    if (options.signal?.aborted) throw cancelled()
    const group = origins.slice(first, first + batchSize)
    for (let t = 0; t < group.length; t++) {
      const { row, col } = group[t]!
      copyTile(
        image,
        batchBuffer,
        t * tileLength,
        row - overlap,
        col - overlap,
        tileHeight,
        tileWidth,
        zeroPadding,
      )
    }
    const input = tf.tensor4d(batchBuffer.subarray(0, group.length * tileLength), [
      group.length,
      tileHeight,
      tileWidth,
      channels,
    ])
    let result: tf.Tensor
    try {
      result = tf.tidy(() => run(input))
    } finally {
      input.dispose()
    }
    let values: Float32Array
    try {
      if (result.shape.join() !== input.shape.join()) {
        throw new BottleneckError(
          'INVALID_INPUT',
          `The model turned a ${input.shape.slice(1).join('×')} tile into ${result.shape.slice(1).join('×')}; ` +
            'tiled denoising needs a model whose output has the shape of its input.',
        )
      }
      values = (await result.data()) as Float32Array
    } finally {
      result.dispose()
    }
    for (let t = 0; t < group.length; t++) {
      const { row, col } = group[t]!
      const base = t * tileLength
      const keepHeight = Math.min(core.height, height - row)
      const keepWidth = Math.min(core.width, width - col)
      for (let r = 0; r < keepHeight; r++) {
        const from = base + ((r + overlap) * tileWidth + overlap) * channels
        output.set(values.subarray(from, from + keepWidth * channels), ((row + r) * width + col) * channels)
      }
    }
    done += group.length
    options.onProgress?.({ done, total: origins.length })
  }
  return { data: output, height, width, channels }
}
