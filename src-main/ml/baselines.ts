// Classical denoisers that learned models must beat: median filter, Gaussian blur and non-local means, on plain
// Float32Array images (HWC in [0, 1]) so they run without TensorFlow on any backend.

import { BottleneckError } from './errors'
import type { ImageData } from './image-io'

/** Mirror index into [0, n): -1 → 1, n → n - 2 (no repeated edge pixel), folded as often as needed. */
function reflect(index: number, n: number): number {
  if (n === 1) return 0
  const period = 2 * (n - 1)
  let i = index % period
  if (i < 0) i += period
  return i < n ? i : period - i
}

function checkImage(image: ImageData): void {
  const { data, height, width, channels } = image
  if (data.length !== height * width * channels || height < 1 || width < 1) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The image data does not match its size ${height}×${width}×${channels}.`,
    )
  }
}

function checkOddSize(size: number, what: string): void {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0 || size > 31) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The ${what} must be an odd whole number from 1 to 31 (got ${size}).`,
    )
  }
}

/** k×k median per channel, edges mirrored. Removes salt-and-pepper noise well; blurs fine texture. */
export function medianFilter(image: ImageData, size = 3): ImageData {
  checkImage(image)
  checkOddSize(size, 'median window')
  const { data, height, width, channels } = image
  const radius = size >> 1
  const out = new Float32Array(data.length)
  const window = new Float32Array(size * size)
  const middle = (size * size) >> 1
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      for (let k = 0; k < channels; k++) {
        let n = 0
        for (let dy = -radius; dy <= radius; dy++) {
          const row = reflect(r + dy, height) * width
          for (let dx = -radius; dx <= radius; dx++)
            window[n++] = data[(row + reflect(c + dx, width)) * channels + k]!
        }
        out[(r * width + c) * channels + k] = select(window, middle)
      }
    }
  }
  return { data: out, height, width, channels }
}

/** Quickselect: the k-th smallest value, reordering `values` in place; O(n) on average. */
function select(values: Float32Array, k: number): number {
  let low = 0
  let high = values.length - 1
  while (low < high) {
    const pivot = values[(low + high) >> 1]!
    let i = low
    let j = high
    while (i <= j) {
      while (values[i]! < pivot) i++
      while (values[j]! > pivot) j--
      if (i <= j) {
        const swap = values[i]!
        values[i] = values[j]!
        values[j] = swap
        i++
        j--
      }
    }
    if (k <= j) high = j
    else if (k >= i) low = i
    else return values[k]!
  }
  return values[k]!
}

/** Gaussian blur with standard deviation `sigma` pixels (kernel radius ⌈3σ⌉), separable, edges mirrored. */
export function gaussianBlur(image: ImageData, sigma = 1): ImageData {
  checkImage(image)
  if (!(sigma > 0 && sigma <= 50)) {
    throw new BottleneckError('INVALID_INPUT', `The blur σ must be between 0 and 50 pixels (got ${sigma}).`)
  }
  const { data, height, width, channels } = image
  const radius = Math.ceil(3 * sigma)
  const kernel = new Float32Array(2 * radius + 1)
  let total = 0
  for (let i = -radius; i <= radius; i++)
    total += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma))
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= total
  const horizontal = new Float32Array(data.length)
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      for (let k = 0; k < channels; k++) {
        let sum = 0
        for (let i = -radius; i <= radius; i++) {
          sum += kernel[i + radius]! * data[(r * width + reflect(c + i, width)) * channels + k]!
        }
        horizontal[(r * width + c) * channels + k] = sum
      }
    }
  }
  const out = new Float32Array(data.length)
  for (let r = 0; r < height; r++) {
    for (let i = -radius; i <= radius; i++) {
      const weight = kernel[i + radius]!
      const source = reflect(r + i, height) * width * channels
      const target = r * width * channels
      for (let j = 0; j < width * channels; j++) out[target + j]! += weight * horizontal[source + j]!
    }
  }
  return { data: out, height, width, channels }
}

/**
 * Noise σ estimated from the finest diagonal wavelet band (Donoho & Johnstone: median(|HH|) / 0.6745), averaged over
 * channels. Image structure barely reaches that band, so this sees mostly the noise. Coefficients that are exactly 0
 * are left out, as scikit-image's estimate_sigma does: on MNIST's black background most 2×2 blocks stay exactly 0
 * under salt-and-pepper noise, and their median would say there is no noise (σ 0, so non-local means did nothing).
 */
export function estimateNoiseSigma(image: ImageData): number {
  checkImage(image)
  const { data, height, width, channels } = image
  let sum = 0
  for (let k = 0; k < channels; k++) {
    const coefficients: number[] = []
    for (let r = 0; r + 1 < height; r += 2) {
      for (let c = 0; c + 1 < width; c += 2) {
        const at = (y: number, x: number) => data[(y * width + x) * channels + k]!
        const coefficient = Math.abs(at(r, c) - at(r, c + 1) - at(r + 1, c) + at(r + 1, c + 1)) / 2
        if (coefficient !== 0) coefficients.push(coefficient)
      }
    }
    // A channel without any: flat, or too small for one 2×2 block. It has no noise to see.
    if (coefficients.length === 0) continue
    coefficients.sort((a, b) => a - b)
    sum += coefficients[coefficients.length >> 1]! / 0.6745
  }
  return sum / channels
}

export interface NonLocalMeansOptions {
  /** Noise σ in [0, 1] units; estimated from the image when omitted. */
  sigma?: number
  /** Filtering strength as a multiple of σ (h = strength·σ). 0.8 is a good default when σ is known. */
  strength?: number
  /** Patch size (odd), default 5. */
  patchSize?: number
  /** Search window size (odd), default 13. Cost grows with its square. */
  searchSize?: number
}

/**
 * Non-local means (Buades, Coll & Morel 2005) in the fast form of Darbon et al. 2008: for each offset in the search
 * window, the squared difference image is summed over patches with an integral image, so the cost is
 * O(pixels × search²) independent of the patch size. Weights exp(-max(d² - 2σ², 0) / h²) with d² the mean squared
 * patch difference over pixels and channels: scikit-image's formula, over whole patches. Its fast mode differs in
 * the sums (an off-centre box, weights below e⁻⁵ dropped), so its output differs by up to 0.3 a pixel from this.
 */
export function nonLocalMeans(image: ImageData, options: NonLocalMeansOptions = {}): ImageData {
  checkImage(image)
  const patchSize = options.patchSize ?? 5
  const searchSize = options.searchSize ?? 13
  checkOddSize(patchSize, 'patch size')
  checkOddSize(searchSize, 'search window')
  const sigma = options.sigma ?? estimateNoiseSigma(image)
  const h = (options.strength ?? 0.8) * Math.max(sigma, 1e-4)
  const { data, height, width, channels } = image
  const p = patchSize >> 1
  const s = searchSize >> 1
  const margin = s + p
  const paddedHeight = height + 2 * margin
  const paddedWidth = width + 2 * margin
  const padded = new Float32Array(paddedHeight * paddedWidth * channels)
  for (let r = 0; r < paddedHeight; r++) {
    const sourceRow = reflect(r - margin, height) * width
    for (let c = 0; c < paddedWidth; c++) {
      const source = (sourceRow + reflect(c - margin, width)) * channels
      const target = (r * paddedWidth + c) * channels
      for (let k = 0; k < channels; k++) padded[target + k] = data[source + k]!
    }
  }

  // Region over which patch distances are needed: the image plus a patch radius around it.
  const regionHeight = height + 2 * p
  const regionWidth = width + 2 * p
  const integralWidth = regionWidth + 1
  const integral = new Float64Array((regionHeight + 1) * integralWidth)
  const accumulated = new Float32Array(data.length)
  const weights = new Float32Array(height * width)
  const patchArea = patchSize * patchSize * channels
  const twoSigmaSquared = 2 * sigma * sigma
  const inverseHSquared = 1 / (h * h)

  for (let dy = -s; dy <= s; dy++) {
    for (let dx = -s; dx <= s; dx++) {
      // Integral image of the squared difference between the image and its (dy, dx) shift.
      for (let r = 0; r < regionHeight; r++) {
        let rowSum = 0
        const a = ((r + s) * paddedWidth + s) * channels
        const b = ((r + s + dy) * paddedWidth + s + dx) * channels
        for (let c = 0; c < regionWidth; c++) {
          for (let k = 0; k < channels; k++) {
            const difference = padded[a + c * channels + k]! - padded[b + c * channels + k]!
            rowSum += difference * difference
          }
          integral[(r + 1) * integralWidth + c + 1] = integral[r * integralWidth + c + 1]! + rowSum
        }
      }
      for (let r = 0; r < height; r++) {
        for (let c = 0; c < width; c++) {
          // Patch centred on image pixel (r, c) = region (r + p, c + p), spanning region rows r … r + 2p.
          const top = r * integralWidth
          const bottom = (r + patchSize) * integralWidth
          const distance =
            (integral[bottom + c + patchSize]! -
              integral[top + c + patchSize]! -
              integral[bottom + c]! +
              integral[top + c]!) /
            patchArea
          const weight = Math.exp(-Math.max(distance - twoSigmaSquared, 0) * inverseHSquared)
          const pixel = r * width + c
          weights[pixel]! += weight
          const neighbour = ((r + margin + dy) * paddedWidth + c + margin + dx) * channels
          for (let k = 0; k < channels; k++)
            accumulated[pixel * channels + k]! += weight * padded[neighbour + k]!
        }
      }
    }
  }
  for (let pixel = 0; pixel < height * width; pixel++) {
    for (let k = 0; k < channels; k++) accumulated[pixel * channels + k]! /= weights[pixel]!
  }
  return { data: accumulated, height, width, channels }
}
