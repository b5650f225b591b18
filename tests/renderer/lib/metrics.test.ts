import { describe, expect, it } from 'vitest'
import { absoluteDifference, hasSsim, percentile, psnr, ssim } from '@renderer/lib/metrics'
import { addNoise } from '@renderer/lib/noise'

function gradient(size: number): Float32Array {
  const out = new Float32Array(size * size)
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[y * size + x] = ((x + y) % size) / size
  return out
}

/** A ring like a drawn 0 on a faint ramp, and a copy dimmed and overlaid with a wave: a deterministic, imperfect pair. */
function distortedPair(width: number, height: number): [Float32Array, Float32Array] {
  const reference = new Float32Array(width * height)
  const distorted = new Float32Array(width * height)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x - width / 2, y - height / 2)
      const value = r > 5 && r < 8 ? 0.9 : (0.2 * x) / width
      reference[y * width + x] = value
      distorted[y * width + x] = Math.min(
        1,
        Math.max(0, 0.8 * value + 0.1 + 0.2 * Math.sin(0.9 * x + 1.7 * y)),
      )
    }
  return [reference, distorted]
}

describe('psnr', () => {
  it('is infinite for identical images and 20 dB for a uniform error of 0.1', () => {
    const a = new Float32Array(16).fill(0.5)
    expect(psnr(a, a)).toBe(Infinity)
    expect(psnr(a, new Float32Array(16).fill(0.6))).toBeCloseTo(20, 3)
  })
})

describe('ssim', () => {
  it('is 1 for identical images and falls as noise grows', () => {
    const image = gradient(28)
    expect(ssim(image, image, 28, 28)).toBeCloseTo(1, 6)
    const light = ssim(image, addNoise(image, { type: 'gaussian', level: 0.05 }, 3), 28, 28)
    const heavy = ssim(image, addNoise(image, { type: 'gaussian', level: 0.4 }, 3), 28, 28)
    expect(light).toBeLessThan(1)
    expect(heavy).toBeLessThan(light)
  })
  it('gives the back end’s value (src-main/ml/metrics.ts imageQuality), square or not', () => {
    // Values printed by the back end's imageQuality for the same pairs: Gaussian window 11, σ 1.5, valid region.
    expect(ssim(...distortedPair(28, 28), 28, 28)).toBeCloseTo(0.8018484, 4)
    expect(ssim(...distortedPair(23, 17), 23, 17)).toBeCloseTo(0.7907915, 4)
  })
  it('has no value for images smaller than its 11×11 window, as on the back end, rather than a smaller window', () => {
    for (const [width, height] of [
      [10, 10],
      [28, 10],
      [10, 28],
    ] as const) {
      expect(hasSsim(width, height)).toBe(false)
      expect(ssim(...distortedPair(width, height), width, height)).toBeNaN()
    }
    expect(hasSsim(11, 11)).toBe(true)
    expect(ssim(...distortedPair(11, 11), 11, 11)).toBeLessThan(1)
  })
  it('rejects mismatched sizes with a readable message', () => {
    expect(() => ssim(new Float32Array(4), new Float32Array(9), 2, 2)).toThrow(/same size/)
  })
})

/** Planes of one size as one HWC image: value k of pixel i is planes[k][i]. */
function interleave(...planes: Float32Array[]): Float32Array {
  const out = new Float32Array(planes[0]!.length * planes.length)
  planes.forEach((plane, k) => plane.forEach((value, i) => (out[i * planes.length + k] = value)))
  return out
}

describe('metrics over several channels (HWC)', () => {
  const [reference, distorted] = distortedPair(28, 28)
  const inverted = distorted.map((value) => 1 - value)
  const darker = distorted.map((value) => 0.5 * value)

  it('PSNR counts every value of every channel: the PSNR of the channels side by side', () => {
    const clean = interleave(reference, reference, reference)
    const output = interleave(distorted, inverted, darker)
    const sideBySide = [distorted, inverted, darker]
    const concatenated = new Float32Array(3 * reference.length)
    sideBySide.forEach((plane, k) => concatenated.set(plane, k * reference.length))
    const cleanConcatenated = new Float32Array(3 * reference.length)
    for (let k = 0; k < 3; k++) cleanConcatenated.set(reference, k * reference.length)
    expect(psnr(clean, output)).toBeCloseTo(psnr(cleanConcatenated, concatenated), 10)
    // By hand: the mean of the three channels' squared errors.
    let squared = 0
    for (const plane of sideBySide) plane.forEach((value, i) => (squared += (value - reference[i]!) ** 2))
    expect(psnr(clean, output)).toBeCloseTo(10 * Math.log10(1 / (squared / clean.length)), 6)
  })

  it('SSIM of three identical channels is the single channel’s; of different ones, the mean of theirs', () => {
    const single = ssim(reference, distorted, 28, 28)
    const same = ssim(
      interleave(reference, reference, reference),
      interleave(distorted, distorted, distorted),
      28,
      28,
      3,
    )
    expect(same).toBeCloseTo(single, 10)
    const mixed = ssim(
      interleave(reference, reference, reference),
      interleave(distorted, inverted, darker),
      28,
      28,
      3,
    )
    const perChannel = [distorted, inverted, darker].map((plane) => ssim(reference, plane, 28, 28))
    expect(new Set(perChannel).size).toBe(3)
    expect(mixed).toBeCloseTo((perChannel[0]! + perChannel[1]! + perChannel[2]!) / 3, 10)
  })

  it('SSIM names the size it expected when the values do not fit it', () => {
    expect(() => ssim(new Float32Array(12 * 12), new Float32Array(12 * 12), 12, 12, 3)).toThrow(
      'SSIM needs two images of the same size: 12×12 pixels, 3 channel(s) each.',
    )
  })

  it('the difference picture has one value per pixel: the mean absolute error over the channels', () => {
    const clean = new Float32Array([0.5, 0.5, 0.5, 0.2, 0.2, 0.2])
    const output = new Float32Array([0.8, 0.2, 0.5, 0.2, 0.5, 0.2])
    const difference = absoluteDifference(clean, output, 3)
    expect(difference).toHaveLength(2)
    expect(difference[0]).toBeCloseTo(0.2, 6)
    expect(difference[1]).toBeCloseTo(0.1, 6)
  })
})

describe('absoluteDifference and percentile', () => {
  it('computes |a − b| per pixel', () => {
    expect(Array.from(absoluteDifference(new Float32Array([0.25, 1]), new Float32Array([0.5, 0])))).toEqual([
      0.25, 1,
    ])
  })
  it('uses nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(values, 95)).toBe(95)
    expect(percentile([5], 95)).toBe(5)
    expect(percentile([], 95)).toBeNaN()
  })
})

describe('addNoise', () => {
  it('is reproducible for a seed, leaves the input untouched and keeps values in [0, 1]', () => {
    const image = gradient(10)
    const copy = new Float32Array(image)
    const a = addNoise(image, { type: 'saltPepper', level: 0.3 }, 7)
    const b = addNoise(image, { type: 'saltPepper', level: 0.3 }, 7)
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(Array.from(image)).toEqual(Array.from(copy))
    expect(a.every((v) => v >= 0 && v <= 1)).toBe(true)
    const changed = a.filter((v, i) => v !== image[i]).length
    expect(changed).toBeGreaterThan(10)
    expect(changed).toBeLessThan(50)
  })
  it('masking only ever sets pixels to zero; level 0 is the identity', () => {
    const image = new Float32Array(100).fill(0.8)
    const masked = addNoise(image, { type: 'mask', level: 0.5 }, 1)
    expect(masked.every((v) => v === 0 || v === 0.8 || Math.abs(v - 0.8) < 1e-6)).toBe(true)
    expect(masked.some((v) => v === 0)).toBe(true)
    expect(Array.from(addNoise(image, { type: 'gaussian', level: 0 }))).toEqual(Array.from(image))
  })
})
