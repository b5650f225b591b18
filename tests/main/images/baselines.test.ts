// Classical denoisers: correctness against brute force, and that each one actually removes the noise it is for.
import { describe, expect, it } from 'vitest'
import { estimateNoiseSigma, gaussianBlur, medianFilter, nonLocalMeans } from '../../../src-main/ml/baselines'
import type { ImageData } from '../../../src-main/ml/image-io'
import { psnr, seededRandom, withGaussianNoise } from './helpers'

/** Piecewise-constant test card: squares and stripes, the structure NLM is good at. */
function testCard(height: number, width: number, channels: number): ImageData {
  const data = new Float32Array(height * width * channels)
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++)
      for (let k = 0; k < channels; k++) {
        const square = (Math.floor(r / 12) + Math.floor(c / 12)) % 2
        const stripe = Math.floor(c / 4) % 2
        data[(r * width + c) * channels + k] =
          r < height / 2 ? 0.2 + 0.6 * square : 0.3 + 0.3 * stripe + 0.1 * k
      }
  return { data, height, width, channels }
}

describe('medianFilter', () => {
  it('matches a brute-force median and removes isolated salt-and-pepper pixels', () => {
    const random = seededRandom(3)
    const image: ImageData = {
      data: Float32Array.from({ length: 7 * 6 }, () => random()),
      height: 7,
      width: 6,
      channels: 1,
    }
    const filtered = medianFilter(image, 3)
    // Interior pixel (3, 2): sort of its 3×3 window.
    const window: number[] = []
    for (let r = 2; r <= 4; r++) for (let c = 1; c <= 3; c++) window.push(image.data[r * 6 + c]!)
    window.sort((a, b) => a - b)
    expect(filtered.data[3 * 6 + 2]).toBe(window[4])

    const flat: ImageData = { data: new Float32Array(64 * 64).fill(0.5), height: 64, width: 64, channels: 1 }
    for (let i = 0; i < flat.data.length; i += 37) flat.data[i] = i % 2 ? 1 : 0
    const cleaned = medianFilter(flat, 3)
    expect(cleaned.data.filter((v) => v === 0.5).length).toBe(flat.data.length)
  })

  it('refuses even or absurd window sizes', () => {
    const image: ImageData = { data: new Float32Array(4), height: 2, width: 2, channels: 1 }
    expect(() => medianFilter(image, 4)).toThrow(/odd/)
  })
})

describe('gaussianBlur', () => {
  it('keeps a flat image flat, keeps the total, and reduces Gaussian noise on smooth content', () => {
    const flat: ImageData = {
      data: new Float32Array(20 * 20 * 3).fill(0.3),
      height: 20,
      width: 20,
      channels: 3,
    }
    for (const v of gaussianBlur(flat, 1.5).data) expect(v).toBeCloseTo(0.3, 6)
    const impulse: ImageData = { data: new Float32Array(21 * 21), height: 21, width: 21, channels: 1 }
    impulse.data[10 * 21 + 10] = 1
    const spread = gaussianBlur(impulse, 1)
    expect(spread.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    expect(spread.data[10 * 21 + 9]).toBeCloseTo(spread.data[10 * 21 + 11]!, 7)
    const smooth: ImageData = {
      data: Float32Array.from({ length: 64 * 64 }, (_, i) => 0.5 + 0.3 * Math.sin((i % 64) / 10)),
      height: 64,
      width: 64,
      channels: 1,
    }
    const noisy = withGaussianNoise(smooth, 0.1)
    expect(psnr(gaussianBlur(noisy, 1.5), smooth)).toBeGreaterThan(psnr(noisy, smooth) + 6)
  })
})

describe('nonLocalMeans', () => {
  it('equals a brute-force implementation of the same formula', () => {
    const image = withGaussianNoise(testCard(11, 10, 2), 0.1, 5)
    const sigma = 0.1
    const h = 0.8 * sigma
    const fast = nonLocalMeans(image, { sigma, patchSize: 3, searchSize: 5 })
    const { height, width, channels, data } = image
    const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i)
    const at = (r: number, c: number, k: number) =>
      data[(reflect(r, height) * width + reflect(c, width)) * channels + k]!
    for (const [r, c] of [
      [0, 0],
      [5, 4],
      [10, 9],
      [3, 8],
    ] as const) {
      let total = 0
      const sums = new Array(channels).fill(0)
      for (let dy = -2; dy <= 2; dy++)
        for (let dx = -2; dx <= 2; dx++) {
          let d = 0
          for (let py = -1; py <= 1; py++)
            for (let px = -1; px <= 1; px++)
              for (let k = 0; k < channels; k++)
                d += (at(r + py, c + px, k) - at(r + dy + py, c + dx + px, k)) ** 2
          d /= 9 * channels
          const w = Math.exp(-Math.max(d - 2 * sigma * sigma, 0) / (h * h))
          total += w
          for (let k = 0; k < channels; k++) sums[k] += w * at(r + dy, c + dx, k)
        }
      for (let k = 0; k < channels; k++)
        expect(fast.data[(r * width + c) * channels + k]).toBeCloseTo(sums[k] / total, 4)
    }
  })

  it('estimates σ and denoises a test card better than blur, greyscale and RGB', () => {
    for (const channels of [1, 3]) {
      const clean = testCard(72, 72, channels)
      const noisy = withGaussianNoise(clean, 0.1, channels)
      expect(Math.abs(estimateNoiseSigma(noisy) - 0.1)).toBeLessThan(0.02)
      const denoised = nonLocalMeans(noisy)
      const gain = psnr(denoised, clean) - psnr(noisy, clean)
      expect(gain).toBeGreaterThan(6)
      expect(psnr(denoised, clean)).toBeGreaterThan(psnr(gaussianBlur(noisy, 1), clean))
    }
  })

  it('sees salt-and-pepper noise on a black background, where most wavelet coefficients stay exactly 0', () => {
    // A digit-like picture: a bright bar on black, then 20 % of pixels set to 0 or 1 (pepper changes nothing on black).
    const random = seededRandom(5)
    const data = new Float32Array(28 * 28)
    for (let r = 6; r < 22; r++) for (let c = 12; c < 16; c++) data[r * 28 + c] = 1
    for (let i = 0; i < data.length; i++) if (random() < 0.2) data[i] = random() < 0.5 ? 0 : 1
    const noisy: ImageData = { data, height: 28, width: 28, channels: 1 }
    // scikit-image's estimate_sigma, which also leaves exact zeros out, gives 0.23–0.28 on such MNIST digits.
    expect(estimateNoiseSigma(noisy)).toBeGreaterThan(0.2)
    const denoised = nonLocalMeans(noisy)
    const changed = denoised.data.filter((value, i) => Math.abs(value - data[i]!) > 0.01).length
    expect(changed).toBeGreaterThan(100)
  })

  it('estimates no noise on a flat picture', () => {
    const flat: ImageData = { data: new Float32Array(16 * 16).fill(0.4), height: 16, width: 16, channels: 1 }
    expect(estimateNoiseSigma(flat)).toBe(0)
  })
})
