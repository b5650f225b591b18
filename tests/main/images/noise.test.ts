// Noise specs: parsing, statistics of each corruption, clipping, seeded reproducibility, no leaked tensors.
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { applyNoise, applyNoiseToImage, formatNoiseSpec, parseNoiseSpec } from '../../../src-main/ml/noise'
import { BottleneckError } from '../../../src-main/ml/errors'

let startTensors: number
beforeEach(async () => {
  await tf.setBackend('cpu')
  startTensors = tf.memory().numTensors
})
afterEach(() => {
  expect(tf.memory().numTensors).toBe(startTensors)
})

function stats(values: Float32Array | number[]): { mean: number; std: number } {
  let sum = 0
  for (const v of values) sum += v
  const mean = sum / values.length
  let squares = 0
  for (const v of values) squares += (v - mean) ** 2
  return { mean, std: Math.sqrt(squares / values.length) }
}

function noisyValues(value: number, shape: number[], spec: string, seed = 7): Float32Array {
  const clean = tf.fill(shape, value)
  const noisy = applyNoise(clean, parseNoiseSpec(spec), seed)
  const data = noisy.dataSync() as Float32Array
  tf.dispose([clean, noisy])
  return Float32Array.from(data)
}

describe('parseNoiseSpec', () => {
  it('reads every kind and the 0–255 scale, and formats back', () => {
    expect(parseNoiseSpec('gaussian:0.5')).toEqual({ kind: 'gaussian', sigma: 0.5 })
    expect(parseNoiseSpec('gaussian255:25')).toEqual({ kind: 'gaussian', sigma: 25 / 255 })
    expect(parseNoiseSpec(' Salt-Pepper:0.2 ')).toEqual({ kind: 'salt-pepper', amount: 0.2 })
    expect(parseNoiseSpec('speckle:0.3')).toEqual({ kind: 'speckle', sigma: 0.3 })
    expect(parseNoiseSpec('mask:0.3')).toEqual({ kind: 'mask', amount: 0.3 })
    expect(parseNoiseSpec('none')).toEqual({ kind: 'none' })
    for (const text of [
      'gaussian255:25',
      'gaussian:0.5',
      'salt-pepper:0.2',
      'speckle:0.3',
      'mask:0.3',
      'none',
    ]) {
      expect(formatNoiseSpec(parseNoiseSpec(text))).toBe(text)
    }
  })

  it('refuses malformed specs with a message naming the spec and the accepted forms', () => {
    for (const text of [
      'gaussian',
      'gaussian:abc',
      'gaussian:-1',
      'gaussian:2',
      'salt-pepper:1.5',
      'blur:0.3',
      'mask:',
      // Not typos Number() would read as numbers: hexadecimal 1, binary 1.
      'gaussian:0x1',
      'mask:0b1',
    ]) {
      let error: unknown
      try {
        parseNoiseSpec(text)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(BottleneckError)
      expect((error as BottleneckError).code).toBe('INVALID_INPUT')
      expect((error as BottleneckError).message).toContain(`"${text}"`)
      expect((error as BottleneckError).message).toContain('gaussian255')
    }
  })
})

describe('applyNoise', () => {
  it('adds zero-mean Gaussian noise with the requested σ', () => {
    const values = noisyValues(0.5, [4, 100, 100, 1], 'gaussian:0.1')
    const { mean, std } = stats(values.map((v) => v - 0.5))
    expect(Math.abs(mean)).toBeLessThan(0.002)
    expect(Math.abs(std - 0.1)).toBeLessThan(0.002)
    const on255 = stats(noisyValues(0.5, [4, 100, 100, 1], 'gaussian255:25').map((v) => v - 0.5))
    expect(Math.abs(on255.std - 25 / 255)).toBeLessThan(0.002)
  })

  it('clips to [0, 1]', () => {
    const values = noisyValues(0.9, [2, 50, 50, 3], 'gaussian:0.8')
    expect(Math.min(...values)).toBe(0)
    expect(Math.max(...values)).toBe(1)
  })

  it('salt-and-pepper corrupts the requested fraction of pixels, half white, half black, all channels together', () => {
    const values = noisyValues(0.5, [4, 100, 100, 3], 'salt-pepper:0.2')
    let white = 0
    let black = 0
    let mixed = 0
    for (let p = 0; p < values.length; p += 3) {
      const [r, g, b] = [values[p], values[p + 1], values[p + 2]]
      if (r !== g || g !== b) mixed++
      if (r === 1) white++
      if (r === 0) black++
    }
    const pixels = values.length / 3
    expect(mixed).toBe(0)
    expect(Math.abs((white + black) / pixels - 0.2)).toBeLessThan(0.01)
    expect(Math.abs(white / pixels - 0.1)).toBeLessThan(0.01)
  })

  it('masking zeroes the requested fraction and keeps the rest exactly', () => {
    const values = noisyValues(0.5, [4, 100, 100, 1], 'mask:0.3')
    const zeros = values.filter((v) => v === 0).length
    expect(Math.abs(zeros / values.length - 0.3)).toBeLessThan(0.01)
    expect(values.filter((v) => v !== 0 && v !== 0.5).length).toBe(0)
  })

  it('speckle is multiplicative: the spread scales with brightness', () => {
    const bright = stats(noisyValues(0.5, [4, 100, 100, 1], 'speckle:0.2').map((v) => v - 0.5))
    const dim = stats(noisyValues(0.25, [4, 100, 100, 1], 'speckle:0.2').map((v) => v - 0.25))
    expect(Math.abs(bright.std - 0.1)).toBeLessThan(0.002)
    expect(Math.abs(dim.std - 0.05)).toBeLessThan(0.001)
    expect(Math.abs(bright.mean)).toBeLessThan(0.002)
    expect(noisyValues(0, [1, 10, 10, 1], 'speckle:0.5').every((v) => v === 0)).toBe(true)
  })

  it('is reproducible for a seed and differs between seeds; leaves the input alone', () => {
    const a = noisyValues(0.5, [1, 20, 20, 1], 'gaussian:0.1', 42)
    const b = noisyValues(0.5, [1, 20, 20, 1], 'gaussian:0.1', 42)
    const c = noisyValues(0.5, [1, 20, 20, 1], 'gaussian:0.1', 43)
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(Array.from(a)).not.toEqual(Array.from(c))
    // Seed 0 is a seed too: tfjs alone would read it as "no seed" and draw new numbers every call.
    const zero = noisyValues(0.5, [1, 20, 20, 1], 'gaussian:0.1', 0)
    expect(Array.from(zero)).toEqual(Array.from(noisyValues(0.5, [1, 20, 20, 1], 'gaussian:0.1', 0)))
    expect(Array.from(zero)).not.toEqual(Array.from(a))
    for (const spec of ['salt-pepper:0.2', 'speckle:0.3', 'mask:0.3']) {
      expect(Array.from(noisyValues(0.5, [1, 20, 20, 1], spec, 0))).toEqual(Array.from(noisyValues(0.5, [1, 20, 20, 1], spec, 0)))
    }
    const image = { data: new Float32Array(64).fill(0.5), height: 8, width: 8, channels: 1 }
    const noisy = applyNoiseToImage(image, parseNoiseSpec('gaussian:0.1'), 1)
    expect(image.data.every((v) => v === 0.5)).toBe(true)
    expect(noisy.data.some((v) => v !== 0.5)).toBe(true)
  })

  it('works on flattened batches too (per value decisions)', () => {
    const values = noisyValues(0.5, [100, 784], 'mask:0.5')
    expect(Math.abs(values.filter((v) => v === 0).length / values.length - 0.5)).toBeLessThan(0.01)
  })
})
