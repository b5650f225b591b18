// The latent space as a user sees it: every test image's code projected to 2-D (the code itself when it is 2-D,
// else its first two principal components, computed here), drawn as a map coloured by label; interpolation
// between two images through the code; and the VAE's manifold, decoded from a grid over the prior's quantiles
// (the Keras blog's figure). Pure functions on plain arrays and models: the service, CLI and UI call them alike.
import * as tf from '@tensorflow/tfjs'
import { LABEL_PALETTE, labelLegend, type LabelLegend } from '../contract/latent-labels'
import type { Autoencoder } from './architectures/index'
import { isVariational } from './architectures/vae'
import type { ImageSplit } from './datasets'
import { BottleneckError } from './errors'
import type { ImageData } from './image-io'
import { createRandom } from './random'

export { labelLegend, type LabelLegend }

export interface EncodedSplit {
  /** count × dimensions, row-major (a conv model's 4×4×8 code is flattened to 128). */
  codes: Float32Array
  count: number
  dimensions: number
}

function requireEncoder(autoencoder: Autoencoder): tf.LayersModel {
  if (!autoencoder.encoder) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `A ${autoencoder.config.architecture} model has no single code layer, so it has no latent space to show.`,
    )
  }
  return autoencoder.encoder
}

function requireDecoder(autoencoder: Autoencoder): tf.LayersModel {
  if (!autoencoder.decoder) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `A ${autoencoder.config.architecture} model has no separate decoder, so it cannot decode codes to images.`,
    )
  }
  return autoencoder.decoder
}

/** Codes of the first `limit` images of `split` (all by default), encoded in batches. */
export function encodeSplit(autoencoder: Autoencoder, split: ImageSplit, options: { limit?: number; batchSize?: number } = {}): EncodedSplit {
  const encoder = requireEncoder(autoencoder)
  const shape = autoencoder.config.inputShape
  const imageSize = shape[0] * shape[1] * shape[2]
  const count = Math.min(split.count, options.limit ?? split.count)
  if (count < 1) throw new BottleneckError('INVALID_INPUT', 'There are no images to encode.')
  const batchSize = options.batchSize ?? 500
  const dimensions = (encoder.outputs[0]!.shape.slice(1) as number[]).reduce((a, b) => a * b, 1)
  const codes = new Float32Array(count * dimensions)
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start)
    const values = tf.tidy(() => {
      const images = tf.tensor4d(split.images.subarray(start * imageSize, (start + size) * imageSize), [size, ...shape])
      return (encoder.predict(images) as tf.Tensor).dataSync() as Float32Array
    })
    codes.set(values, start * dimensions)
  }
  return { codes, count, dimensions }
}

export interface PrincipalComponents {
  /** Per-dimension mean subtracted before projecting. */
  mean: Float64Array
  /** k unit vectors of length `dimensions`, row-major, largest variance first. */
  components: Float64Array
  /** Variance along each component. */
  variances: number[]
  /** Fraction of the total variance each component explains. */
  explainedRatio: number[]
}

// Extra vectors carried beside the k wanted: the block converges at the rate of the gap between component k and the
// first one it does not hold, so a few spares make a slowly decaying spectrum converge in a handful of steps.
const PCA_SPARE_VECTORS = 6
const PCA_MAX_STEPS = 50
// A component has converged when ‖Cv − λv‖ ≤ this × the largest variance: the products are float32, so tighter
// would chase rounding noise, and a direction off by 1e-5 moves no dot on the map.
const PCA_TOLERANCE = 1e-5

/**
 * The top-k principal components by block power iteration with Rayleigh–Ritz on the centred codes: each step
 * multiplies a few vectors by the covariance as Xᵀ(Xv), O(count·dimensions), so a 4096-wide code never builds its
 * 4096×4096 covariance. Each component's sign is fixed (largest entry positive) so the same codes always give the
 * same picture.
 */
export function principalComponents(encoded: EncodedSplit, k = 2): PrincipalComponents {
  const { codes, count, dimensions: d } = encoded
  if (count < 2) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `Placing ${d}-value codes on a plane takes at least two test images, to find the directions they vary along; there is only ${count === 1 ? 'one' : 'none'}.`,
    )
  }
  const mean = new Float64Array(d)
  for (let i = 0; i < count; i++) for (let j = 0; j < d; j++) mean[j]! += codes[i * d + j]!
  for (let j = 0; j < d; j++) mean[j]! /= count
  let total = 0
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < d; j++) {
      const value = codes[i * d + j]! - mean[j]!
      total += value * value
    }
  }
  total /= count - 1
  if (!Number.isFinite(total)) {
    throw new BottleneckError(
      'INVALID_INPUT',
      'Some codes are not finite numbers (NaN or infinity), so they have no place on a map; the model may have diverged.',
    )
  }

  const wanted = Math.min(k, d)
  const width = Math.min(d, wanted + PCA_SPARE_VECTORS)
  // Blocks are dimensions × width, row-major (the layout of a [dimensions, width] tensor).
  const random = createRandom(1)
  let block: Float64Array = new Float64Array(d * width).map(() => random() - 0.5)
  orthonormaliseColumns(block, d, width, random)
  let ritz: { values: Float64Array; vectors: Float64Array } = { values: new Float64Array(width), vectors: block }
  const centred = tf.tidy(() =>
    tf.sub<tf.Tensor2D>(tf.tensor2d(codes, [count, d]), tf.tensor1d(Float32Array.from(mean))),
  )
  try {
    for (let step = 0; step < PCA_MAX_STEPS; step++) {
      const product = multiplyByCovariance(centred, block, width)
      // Rayleigh–Ritz: the best approximations to eigenvectors that the block's span holds, from blockᵀ·C·block.
      const projected = new Float64Array(width * width)
      for (let j = 0; j < d; j++) {
        for (let a = 0; a < width; a++) {
          const value = block[j * width + a]!
          for (let b = 0; b < width; b++) projected[a * width + b]! += value * product[j * width + b]!
        }
      }
      // Float32 products leave it a hair from symmetric; the eigen solver needs it exact.
      for (let a = 0; a < width; a++) {
        for (let b = a + 1; b < width; b++) {
          const average = (projected[a * width + b]! + projected[b * width + a]!) / 2
          projected[a * width + b] = average
          projected[b * width + a] = average
        }
      }
      const small = symmetricEigen(projected, width)
      ritz = { values: small.values, vectors: multiplyBlock(block, small.vectors, d, width) }
      // C·(Ritz vectors), without another pass over the codes.
      const ritzProduct = multiplyBlock(product, small.vectors, d, width)
      let converged = true
      for (let c = 0; c < wanted && converged; c++) {
        let residual = 0
        for (let j = 0; j < d; j++) {
          residual += (ritzProduct[j * width + c]! - small.values[c]! * ritz.vectors[j * width + c]!) ** 2
        }
        converged = Math.sqrt(residual) <= PCA_TOLERANCE * Math.abs(small.values[0]!)
      }
      if (converged) break
      block = ritzProduct
      orthonormaliseColumns(block, d, width, random)
    }
  } finally {
    centred.dispose()
  }

  const components = new Float64Array(k * d)
  const variances: number[] = []
  for (let c = 0; c < wanted; c++) {
    let largest = 0
    for (let j = 0; j < d; j++) {
      if (Math.abs(ritz.vectors[j * width + c]!) > Math.abs(ritz.vectors[largest * width + c]!)) largest = j
    }
    const sign = ritz.vectors[largest * width + c]! < 0 ? -1 : 1
    for (let j = 0; j < d; j++) components[c * d + j] = sign * ritz.vectors[j * width + c]!
    // Rounding can leave a tiny negative value where the variance is zero.
    variances.push(Math.max(0, ritz.values[c]!))
  }
  return {
    mean,
    components,
    variances,
    explainedRatio: variances.map((variance) => (total > 0 ? variance / total : 0)),
  }
}

/** covariance × block as Xᵀ(X·block)/(count − 1), with X the centred codes: two thin products, never the covariance. */
function multiplyByCovariance(centred: tf.Tensor2D, block: Float64Array, width: number): Float64Array {
  const [count, dimensions] = centred.shape
  const product = tf.tidy(() => {
    const projected = tf.matMul(centred, tf.tensor2d(Float32Array.from(block), [dimensions, width]))
    return tf.div(tf.matMul(centred, projected, true, false), count - 1).dataSync()
  })
  return Float64Array.from(product)
}

/** rows × width block times a width × width matrix. */
function multiplyBlock(block: Float64Array, matrix: Float64Array, rows: number, width: number): Float64Array {
  const out = new Float64Array(rows * width)
  for (let j = 0; j < rows; j++) {
    for (let a = 0; a < width; a++) {
      const value = block[j * width + a]!
      if (value === 0) continue
      for (let b = 0; b < width; b++) out[j * width + b]! += value * matrix[a * width + b]!
    }
  }
  return out
}

/**
 * Gram–Schmidt, twice per column so rounding cannot leave columns leaning on each other. A column that vanishes
 * (the codes span fewer directions than the block holds) is replaced by a fresh random one, so the block stays a
 * basis and the directions without variance still come out as unit vectors with variance 0.
 */
function orthonormaliseColumns(block: Float64Array, rows: number, width: number, random: () => number): void {
  for (let c = 0; c < width; c++) {
    for (let attempt = 0; ; attempt++) {
      let before = 0
      for (let j = 0; j < rows; j++) before += block[j * width + c]! ** 2
      for (let pass = 0; pass < 2; pass++) {
        for (let previous = 0; previous < c; previous++) {
          let dot = 0
          for (let j = 0; j < rows; j++) dot += block[j * width + c]! * block[j * width + previous]!
          for (let j = 0; j < rows; j++) block[j * width + c]! -= dot * block[j * width + previous]!
        }
      }
      let after = 0
      for (let j = 0; j < rows; j++) after += block[j * width + c]! ** 2
      if (after > 1e-20 * before && after > 0) {
        const norm = Math.sqrt(after)
        for (let j = 0; j < rows; j++) block[j * width + c]! /= norm
        break
      }
      // Only reachable with non-finite numbers, which principalComponents refuses first.
      if (attempt > 10) throw new BottleneckError('INVALID_INPUT', 'The codes could not be projected to a plane.')
      for (let j = 0; j < rows; j++) block[j * width + c] = random() - 0.5
    }
  }
}

/** Eigenvalues (largest first) and eigenvectors (columns) of a small symmetric matrix, by cyclic Jacobi rotations. */
function symmetricEigen(matrix: Float64Array, size: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix)
  const v = new Float64Array(size * size)
  for (let i = 0; i < size; i++) v[i * size + i] = 1
  for (let sweep = 0; sweep < 100; sweep++) {
    let offDiagonal = 0
    let diagonal = 0
    for (let p = 0; p < size; p++) {
      diagonal += a[p * size + p]! ** 2
      for (let q = p + 1; q < size; q++) offDiagonal += a[p * size + q]! ** 2
    }
    if (offDiagonal <= 1e-30 * diagonal || offDiagonal === 0) break
    for (let p = 0; p < size; p++) {
      for (let q = p + 1; q < size; q++) {
        const apq = a[p * size + q]!
        if (apq === 0) continue
        const theta = (a[q * size + q]! - a[p * size + p]!) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const cos = 1 / Math.sqrt(t * t + 1)
        const sin = t * cos
        for (let r = 0; r < size; r++) {
          const arp = a[r * size + p]!
          const arq = a[r * size + q]!
          a[r * size + p] = cos * arp - sin * arq
          a[r * size + q] = sin * arp + cos * arq
        }
        for (let r = 0; r < size; r++) {
          const apr = a[p * size + r]!
          const aqr = a[q * size + r]!
          a[p * size + r] = cos * apr - sin * aqr
          a[q * size + r] = sin * apr + cos * aqr
        }
        for (let r = 0; r < size; r++) {
          const vrp = v[r * size + p]!
          const vrq = v[r * size + q]!
          v[r * size + p] = cos * vrp - sin * vrq
          v[r * size + q] = sin * vrp + cos * vrq
        }
      }
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((x, y) => a[y * size + y]! - a[x * size + x]!)
  const values = Float64Array.from(order, (i) => a[i * size + i]!)
  const vectors = new Float64Array(size * size)
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) vectors[r * size + c] = v[r * size + order[c]!]!
  return { values, vectors }
}

export interface Projection {
  /** count × 2, row-major: x then y of each point. */
  points: Float32Array
  count: number
  method: 'code' | 'pca'
  /** For PCA: the fraction of variance each axis explains. */
  explainedRatio?: [number, number]
}

/** 2-D positions for codes: the code itself when it has two dimensions, else its first two principal components. */
export function projectTo2d(encoded: EncodedSplit): Projection {
  const { codes, count, dimensions: d } = encoded
  if (d === 2) return { points: Float32Array.from(codes), count, method: 'code' }
  if (d === 1) {
    const points = new Float32Array(count * 2)
    for (let i = 0; i < count; i++) points[2 * i] = codes[i]!
    return { points, count, method: 'code' }
  }
  const pca = principalComponents(encoded, 2)
  const points = new Float32Array(count * 2)
  for (let i = 0; i < count; i++) {
    let x = 0
    let y = 0
    for (let j = 0; j < d; j++) {
      const value = codes[i * d + j]! - pca.mean[j]!
      x += value * pca.components[j]!
      y += value * pca.components[d + j]!
    }
    points[2 * i] = x
    points[2 * i + 1] = y
  }
  return { points, count, method: 'pca', explainedRatio: [pca.explainedRatio[0]!, pca.explainedRatio[1]!] }
}

/** LABEL_PALETTE as RGB triples, for painting the PNG. */
export const LABEL_COLOURS: readonly (readonly [number, number, number])[] = LABEL_PALETTE.map((hex) => [
  parseInt(hex.slice(1, 3), 16),
  parseInt(hex.slice(3, 5), 16),
  parseInt(hex.slice(5, 7), 16),
])

// 3×5 pixel digits for the legend (rows top to bottom, 3 bits each), so the map needs no font. Each font pixel is
// drawn 2×2; a label of several digits is its glyphs side by side, 2 px apart.
const DIGIT_GLYPHS = ['111101101101111', '010110010010111', '111001111100111', '111001111001111', '101101111001001',
  '111100111001111', '111100111101111', '111001010010010', '111101111101111', '111101111001111']
const GLYPH_WIDTH = 6
const GLYPH_GAP = 2
const SWATCH = 10
const SWATCH_GAP = 3
/** Above the first row of the legend, below the last, and between rows. */
const LEGEND_PADDING = 7
/** Least room between two legend entries, so a swatch never touches the next label. */
const LEGEND_MIN_AIR = 6

const textWidth = (text: string) => text.length * (GLYPH_WIDTH + GLYPH_GAP) - GLYPH_GAP

/** Legend entries in rows of equal slots across the map's width: as many per row as fit, the rows under each other. */
function legendLayout(legend: LabelLegend, size: number) {
  const entryWidth = Math.max(...legend.labels.map((label) => textWidth(String(label)))) + SWATCH_GAP + SWATCH
  const columns = Math.max(1, Math.min(legend.labels.length, Math.floor(size / (entryWidth + LEGEND_MIN_AIR))))
  const rows = Math.max(1, Math.ceil(legend.labels.length / columns))
  return {
    columns,
    entryWidth,
    slot: Math.floor(size / columns),
    height: LEGEND_PADDING + rows * (SWATCH + LEGEND_PADDING),
  }
}

export interface LatentMapOptions {
  /** Side of the square plot area in pixels (default 512); a legend strip is added below when labels are given. */
  size?: number
  /** Dot radius in pixels (default 1: 3×3 dots). */
  radius?: number
}

/**
 * An RGB image of the projected points on white, each dot coloured by its label (grey without labels), with a legend
 * underneath listing the labels the map has, each as its number and a swatch of its colour ("0 ■ 1 ■ … 9 ■" for MNIST).
 * Axes are scaled to the 1st–99th percentile so a few outliers do not squash the map.
 */
export function renderLatentMap(projection: Projection, labels?: Uint8Array, options: LatentMapOptions = {}): ImageData {
  const size = options.size ?? 512
  const radius = options.radius ?? 1
  if (!Number.isInteger(size) || size < 32 || size > 4096) {
    throw new BottleneckError('INVALID_INPUT', `The map size must be a whole number from 32 to 4096 pixels (got ${size}).`)
  }
  const { points, count } = projection
  const legend = labels ? labelLegend(labels) : null
  const layout = legend ? legendLayout(legend, size) : null
  const height = size + (layout?.height ?? 0)
  const data = new Float32Array(height * size * 3).fill(1)
  const paint = (row: number, column: number, colour: readonly [number, number, number]) => {
    if (row < 0 || row >= height || column < 0 || column >= size) return
    const offset = (row * size + column) * 3
    data[offset] = colour[0] / 255
    data[offset + 1] = colour[1] / 255
    data[offset + 2] = colour[2] / 255
  }
  const range = (axis: 0 | 1): [number, number] => {
    const values = Float32Array.from({ length: count }, (_, i) => points[2 * i + axis]!).sort()
    const low = values[Math.floor(0.01 * (count - 1))]!
    const high = values[Math.ceil(0.99 * (count - 1))]!
    const pad = (high - low) * 0.05 || 1
    return [low - pad, high + pad]
  }
  const [xLow, xHigh] = range(0)
  const [yLow, yHigh] = range(1)
  // Labels are bytes: a table of 256 colours is one lookup per dot.
  const colourOfLabel = new Array<readonly [number, number, number]>(256)
  legend?.labels.forEach((label, i) => (colourOfLabel[label] = LABEL_COLOURS[legend.colours[i]!]!))
  for (let i = 0; i < count; i++) {
    const column = Math.round(((points[2 * i]! - xLow) / (xHigh - xLow)) * (size - 1))
    // Image rows grow downwards; plots grow upwards.
    const row = Math.round((1 - (points[2 * i + 1]! - yLow) / (yHigh - yLow)) * (size - 1))
    const colour = labels ? colourOfLabel[labels[i]!]! : ([80, 80, 80] as const)
    for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) paint(row + dy, column + dx, colour)
  }
  if (legend && layout) {
    legend.labels.forEach((label, index) => {
      const text = String(label)
      // Half a pixel left of centre in its slot, where the first (digits only) legend put it.
      const left = (index % layout.columns) * layout.slot + Math.floor((layout.slot - layout.entryWidth - 1) / 2)
      const top = size + LEGEND_PADDING + Math.floor(index / layout.columns) * (SWATCH + LEGEND_PADDING)
      for (let c = 0; c < text.length; c++) {
        const glyph = DIGIT_GLYPHS[Number(text[c])]!
        const glyphLeft = left + c * (GLYPH_WIDTH + GLYPH_GAP)
        for (let gy = 0; gy < 5; gy++) {
          for (let gx = 0; gx < 3; gx++) {
            if (glyph[gy * 3 + gx] !== '1') continue
            for (let s = 0; s < 4; s++) paint(top + gy * 2 + (s >> 1), glyphLeft + gx * 2 + (s & 1), [0, 0, 0])
          }
        }
      }
      const swatchLeft = left + textWidth(text) + SWATCH_GAP
      const colour = LABEL_COLOURS[legend.colours[index]!]!
      for (let y = 0; y < SWATCH; y++) for (let x = 0; x < SWATCH; x++) paint(top + y, swatchLeft + x, colour)
    })
  }
  return { data, height, width: size, channels: 3 }
}

/** Encodes, projects and draws in one call: what `bottleneck latent MODEL -o map.png` shows. */
export function latentMap(
  autoencoder: Autoencoder,
  split: ImageSplit,
  options: LatentMapOptions & { limit?: number } = {},
): { projection: Projection; image: ImageData; legend?: LabelLegend } {
  const encoded = encodeSplit(autoencoder, split, { limit: options.limit })
  const projection = projectTo2d(encoded)
  const labels = split.labels?.subarray(0, projection.count)
  const image = renderLatentMap(projection, labels, options)
  return labels ? { projection, image, legend: labelLegend(labels) } : { projection, image }
}

function checkModelImage(autoencoder: Autoencoder, image: ImageData, which: string): void {
  const [height, width, channels] = autoencoder.config.inputShape
  if (image.height !== height || image.width !== width || image.channels !== channels || image.data.length !== height * width * channels) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The ${which} image is ${image.height}×${image.width}×${image.channels} but the model takes ${height}×${width}×${channels}.`,
    )
  }
}

/**
 * `steps` images (≥ 2) from `from` to `to`: both are encoded, their codes mixed linearly (t = 0 … 1) and decoded, so
 * the first and last images are the reconstructions of the two inputs.
 */
export function interpolate(autoencoder: Autoencoder, from: ImageData, to: ImageData, steps = 10): ImageData[] {
  const encoder = requireEncoder(autoencoder)
  const decoder = requireDecoder(autoencoder)
  checkModelImage(autoencoder, from, 'first')
  checkModelImage(autoencoder, to, 'second')
  if (!Number.isInteger(steps) || steps < 2 || steps > 100) {
    throw new BottleneckError('INVALID_INPUT', `Interpolation needs from 2 to 100 steps (got ${steps}).`)
  }
  const shape = autoencoder.config.inputShape
  const decoded = tf.tidy(() => {
    const pair = tf.concat([tf.tensor4d(from.data, [1, ...shape]), tf.tensor4d(to.data, [1, ...shape])])
    const codes = encoder.predict(pair) as tf.Tensor
    const [a, b] = tf.split(codes, 2)
    const t = tf.linspace(0, 1, steps).reshape([steps, ...codes.shape.slice(1).map(() => 1)])
    const mixed = tf.add(tf.mul(tf.sub(1, t), a!), tf.mul(t, b!))
    return (decoder.predict(mixed) as tf.Tensor).dataSync() as Float32Array
  })
  const imageSize = shape[0] * shape[1] * shape[2]
  return Array.from({ length: steps }, (_, i) => ({
    data: decoded.slice(i * imageSize, (i + 1) * imageSize),
    height: shape[0],
    width: shape[1],
    channels: shape[2],
  }))
}

/** Lays equally sized images out in a grid, row by row (`columns` per row). */
export function tileImages(images: readonly ImageData[], columns: number): ImageData {
  const first = images[0]
  if (!first) throw new BottleneckError('INVALID_INPUT', 'There are no images to lay out.')
  const { height, width, channels } = first
  const rows = Math.ceil(images.length / columns)
  const out = new Float32Array(rows * height * columns * width * channels)
  images.forEach((image, index) => {
    if (image.height !== height || image.width !== width || image.channels !== channels) {
      throw new BottleneckError('INVALID_INPUT', 'All images of a grid must have the same size.')
    }
    const top = Math.floor(index / columns) * height
    const left = (index % columns) * width
    for (let y = 0; y < height; y++) {
      const target = ((top + y) * columns * width + left) * channels
      out.set(image.data.subarray(y * width * channels, (y + 1) * width * channels), target)
    }
  })
  return { data: out, height: rows * height, width: columns * width, channels }
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9): the scipy
 * `norm.ppf` the Keras blog uses to place its grid so each cell covers equal prior probability.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new BottleneckError('INVALID_INPUT', `A normal quantile needs 0 < p < 1 (got ${p}).`)
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239]
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1]
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
  }
  if (p > 1 - low) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
}

export interface ManifoldOptions {
  /** Images per side (default 15, as in the Keras blog). */
  n?: number
  /** Probability range the grid spans (default 0.05–0.95, the blog's). */
  from?: number
  to?: number
}

/**
 * The VAE's generated grid (the Keras blog's manifold figure): z over an n×n grid of the prior's quantiles
 * (z₁ left → right, z₂ bottom → top, other code dimensions 0), each decoded to an image; one image of n×n digits.
 */
export function vaeManifold(autoencoder: Autoencoder, options: ManifoldOptions = {}): ImageData {
  if (!isVariational(autoencoder)) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `Only a VAE can generate images from its prior; this model is ${autoencoder.config.architecture}.`,
    )
  }
  const decoder = requireDecoder(autoencoder)
  const n = options.n ?? 15
  const from = options.from ?? 0.05
  const to = options.to ?? 0.95
  if (!Number.isInteger(n) || n < 2 || n > 50) {
    throw new BottleneckError('INVALID_INPUT', `The grid needs from 2 to 50 images per side (got ${n}).`)
  }
  if (!(from > 0 && to < 1 && from < to)) {
    throw new BottleneckError('INVALID_INPUT', `The grid's probability range must satisfy 0 < from < to < 1 (got ${from}–${to}).`)
  }
  const codeSize = autoencoder.config.codeSize
  const quantiles = Array.from({ length: n }, (_, i) => normalQuantile(from + ((to - from) * i) / (n - 1)))
  const z = new Float32Array(n * n * codeSize)
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      const offset = (row * n + column) * codeSize
      z[offset] = quantiles[column]!
      if (codeSize > 1) z[offset + 1] = quantiles[n - 1 - row]!
    }
  }
  const shape = autoencoder.config.inputShape
  const decoded = tf.tidy(() => (decoder.predict(tf.tensor2d(z, [n * n, codeSize])) as tf.Tensor).dataSync() as Float32Array)
  const imageSize = shape[0] * shape[1] * shape[2]
  const images = Array.from({ length: n * n }, (_, i) => ({
    data: decoded.subarray(i * imageSize, (i + 1) * imageSize),
    height: shape[0],
    width: shape[1],
    channels: shape[2],
  }))
  return tileImages(images, n)
}
