// The Denoise view's ML helpers: striped SSIM equals the whole-image SSIM of ./metrics, striped noise is
// reproducible, difference maps keep small errors visible after amplification, and the geometry guards speak plainly.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import {
  absoluteDifference,
  addNoise,
  amplifyDifference,
  compareImages,
  denoiseImage,
  modelGeometry,
} from '../../../src-main/ml/denoise-image'
import type { ImageData } from '../../../src-main/ml/image-io'
import { structuralSimilarity } from '../../../src-main/ml/metrics'
import { syntheticPhoto } from '../../../scripts/make-test-photos'
import { psnr, withGaussianNoise } from './helpers'

beforeAll(async () => {
  await initBackend()
})

function wholeSsim(a: ImageData, b: ImageData): number {
  return tf.tidy(() => {
    const shape: [number, number, number, number] = [1, a.height, a.width, a.channels]
    return structuralSimilarity(tf.tensor4d(a.data, shape), tf.tensor4d(b.data, shape)).dataSync()[0]!
  })
}

describe('compareImages', () => {
  it('gives the SSIM of metrics.ts, whatever the stripe height, and the PSNR of the helper', () => {
    const start = tf.memory().numTensors
    const clean = syntheticPhoto(71, 53, 4)
    const noisy = withGaussianNoise(clean, 0.08, 2)
    const expected = wholeSsim(clean, noisy)
    expect(expected).toBeGreaterThan(0.1)
    expect(expected).toBeLessThan(0.95)
    for (const rowsPerStripe of [1, 7, 16, 43, 1000]) {
      const metrics = compareImages(clean, noisy, { rowsPerStripe })
      expect(metrics.ssim).toBeCloseTo(expected, 4)
      expect(metrics.psnr).toBeCloseTo(psnr(clean, noisy), 4)
    }
    const grey = syntheticPhoto(40, 30, 5, 1)
    expect(compareImages(grey, withGaussianNoise(grey, 0.1), { rowsPerStripe: 5 }).ssim).toBeCloseTo(
      wholeSsim(grey, withGaussianNoise(grey, 0.1)),
      4,
    )
    expect(tf.memory().numTensors).toBe(start)
  })

  it('scores an identical image as perfect and refuses a reference of another size', () => {
    const photo = syntheticPhoto(32, 24, 1)
    expect(compareImages(photo, photo)).toMatchObject({ mse: 0, psnr: Infinity })
    expect(compareImages(photo, photo).ssim).toBeCloseTo(1, 5)
    expect(() => compareImages(syntheticPhoto(30, 24, 1), photo)).toThrow(
      /reference is 30×24 and the photo 32×24; a clean reference must be the same picture/,
    )
  })

  it('leaves SSIM out for a photo narrower or lower than its 11×11 window, and keeps MSE and PSNR', () => {
    const start = tf.memory().numTensors
    for (const [width, height] of [
      [10, 40],
      [40, 10],
      [3, 2],
    ] as const) {
      const clean = syntheticPhoto(width, height, 2)
      const noisy = withGaussianNoise(clean, 0.05, 3)
      const metrics = compareImages(clean, noisy)
      expect(metrics).not.toHaveProperty('ssim')
      expect(metrics.psnr).toBeCloseTo(psnr(clean, noisy), 4)
      expect(metrics.mse).toBeCloseTo(10 ** (-metrics.psnr / 10), 8)
    }
    const smallest = syntheticPhoto(11, 11, 2)
    expect(compareImages(smallest, withGaussianNoise(smallest, 0.05)).ssim).toBeGreaterThan(0)
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('addNoise', () => {
  it('is reproducible per seed, has the asked-for strength, and corrupts whole pixels for salt-and-pepper', () => {
    const clean = { data: new Float32Array(1200 * 1000).fill(0.5), height: 1000, width: 1200, channels: 1 }
    const a = addNoise(clean, { kind: 'gaussian', sigma: 0.1 }, 7)
    const b = addNoise(clean, { kind: 'gaussian', sigma: 0.1 }, 7)
    const c = addNoise(clean, { kind: 'gaussian', sigma: 0.1 }, 8)
    // Compared in a loop: deep equality on a million floats takes the matcher tens of seconds.
    const same = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => v === y[i])
    expect(same(a.data, b.data)).toBe(true)
    expect(same(a.data, c.data)).toBe(false)
    let sum = 0
    let squares = 0
    for (const v of a.data) {
      sum += v - 0.5
      squares += (v - 0.5) ** 2
    }
    expect(Math.abs(sum / a.data.length)).toBeLessThan(0.002)
    expect(Math.sqrt(squares / a.data.length)).toBeCloseTo(0.1, 2)
    expect(same(addNoise(clean, { kind: 'none' }, 1).data, clean.data)).toBe(true)
    const rgb = { data: new Float32Array(300 * 200 * 3).fill(0.5), height: 200, width: 300, channels: 3 }
    const peppered = addNoise(rgb, { kind: 'salt-pepper', amount: 0.2 }, 3).data
    let corrupted = 0
    let split = 0
    for (let p = 0; p < 300 * 200; p++) {
      const pixel = [peppered[p * 3]!, peppered[p * 3 + 1]!, peppered[p * 3 + 2]!]
      if (new Set(pixel).size !== 1) split++
      if (pixel[0] !== 0.5) corrupted++
    }
    expect(split).toBe(0)
    expect(corrupted / (300 * 200)).toBeCloseTo(0.2, 1)
  })
})

describe('difference maps', () => {
  it('average |a − b| over channels in 16 bits, so a 1-level error survives 16× amplification', () => {
    const a = { data: new Float32Array([0, 0, 0, 1, 1, 1]), height: 1, width: 2, channels: 3 }
    const b = {
      data: new Float32Array([1 / 255, 1 / 255, 1 / 255, 0, 1, 1]),
      height: 1,
      width: 2,
      channels: 3,
    }
    const difference = absoluteDifference(a, b)
    expect(Array.from(difference)).toEqual([257, Math.round(65535 / 3)])
    expect(Array.from(amplifyDifference(difference, 1))).toEqual([1, 85])
    expect(Array.from(amplifyDifference(difference, 16))).toEqual([16, 255])
  })
})

describe('denoiseImage', () => {
  it('runs an any-size U-Net through the tiler and refuses a fixed-size model for another size', async () => {
    const start = tf.memory().numTensors
    const unet = buildAutoencoder(createModelConfig('unet', [32, 32, 1], { filters: 4 }))
    const dense = buildAutoencoder(createModelConfig('dense', [28, 28, 1], {}))
    try {
      expect(modelGeometry(unet)).toMatchObject({ anySize: true, multiple: 4, channels: 1 })
      expect(modelGeometry(unet).overlap % 4).toBe(0)
      const photo = syntheticPhoto(148, 88, 3, 1)
      const progress: number[] = []
      const out = await denoiseImage(unet, photo, {
        tileSize: 128,
        onProgress: ({ done }) => progress.push(done),
      })
      expect([out.width, out.height, out.channels]).toEqual([148, 88, 1])
      expect(progress.at(-1)).toBeGreaterThan(1)
      const whole = tf.tidy(() => unet.model.predict(tf.tensor4d(photo.data, [1, 88, 148, 1])) as tf.Tensor)
      // Tiles with mirrored borders, against one pass with zero padding: equal away from the image edges.
      const wholeData = whole.dataSync()
      whole.dispose()
      let worst = 0
      for (let y = 40; y < 50; y++)
        for (let x = 60; x < 90; x++)
          worst = Math.max(worst, Math.abs(wholeData[y * 148 + x]! - out.data[y * 148 + x]!))
      expect(worst).toBeLessThan(1e-4)
      await expect(denoiseImage(dense, photo)).rejects.toThrow(
        'This dense model only takes 28×28 images and the photo is 148×88. Pick a U-Net model (unet)',
      )
      await expect(denoiseImage(unet, syntheticPhoto(40, 40, 1, 3))).rejects.toThrow(/greyscale images/)
      const controller = new AbortController()
      controller.abort()
      await expect(denoiseImage(unet, photo, { signal: controller.signal })).rejects.toMatchObject({
        code: 'CANCELLED',
      })
    } finally {
      unet.dispose()
      dense.dispose()
    }
    expect(tf.memory().numTensors).toBe(start)
  })
})
