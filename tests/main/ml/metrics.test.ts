import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { loadDataset } from '../../../src-main/ml/datasets'
import {
  evaluateReconstructions,
  binaryCrossEntropy,
  binaryCrossEntropyFromLogitsLoss,
  binaryCrossEntropyLoss,
  meanSquaredError,
  imageQuality,
  peakSignalToNoiseRatio,
  structuralSimilarity,
} from '../../../src-main/ml/metrics'

beforeAll(async () => {
  await initBackend()
})

describe('metrics', () => {
  it('BCE is Keras’: mean over pixels, predictions clipped to [1e-7, 1 − 1e-7]', () => {
    const start = tf.memory().numTensors
    tf.tidy(() => {
      const y = tf.tensor2d([[1, 0, 0.5, 1]])
      const p = tf.tensor2d([[0.9, 0.2, 0.5, 0]])
      const clipped = 1e-7
      const expected =
        -(Math.log(0.9) + Math.log(0.8) + (0.5 * Math.log(0.5) + 0.5 * Math.log(0.5)) + Math.log(clipped)) / 4
      expect(binaryCrossEntropy(y, p).dataSync()[0]).toBeCloseTo(expected, 4)
      expect(binaryCrossEntropyLoss(y, p).dataSync()[0]).toBeCloseTo(expected, 4)
    })
    expect(tf.memory().numTensors).toBe(start)
  })

  it('the logits form has the same value, and the gradient of the BCE w.r.t. the logits', () => {
    const start = tf.memory().numTensors
    tf.tidy(() => {
      const y = tf.tensor2d([[1, 0, 0.3], [0, 1, 0.8]])
      const z = tf.tensor2d([[2, -1, 0.5], [0.1, 3, -2]])
      const viaLogits = binaryCrossEntropyFromLogitsLoss(y, z)
      const direct = binaryCrossEntropyLoss(y, tf.sigmoid(z))
      expect(viaLogits.dataSync()[0]).toBeCloseTo(direct.dataSync()[0]!, 6)
      const gradLogits = tf.grad((logits: tf.Tensor) => binaryCrossEntropyFromLogitsLoss(y, logits))(z).dataSync()
      const gradDirect = tf.grad((logits: tf.Tensor) => binaryCrossEntropyLoss(y, tf.sigmoid(logits)))(z).dataSync()
      gradLogits.forEach((value, i) => expect(value).toBeCloseTo(gradDirect[i]!, 5))
    })
    expect(tf.memory().numTensors).toBe(start)
  })

  it('MSE and PSNR per image (data range 1)', () => {
    tf.tidy(() => {
      const clean = tf.zeros([2, 12, 12, 1])
      const noisy = tf.concat([tf.fill([1, 12, 12, 1], 0.1), tf.fill([1, 12, 12, 1], 0.01)])
      expect(meanSquaredError(clean, noisy).dataSync()[0]).toBeCloseTo(0.01, 6)
      const psnr = peakSignalToNoiseRatio(clean, noisy).dataSync()
      expect(psnr[0]).toBeCloseTo(20, 3)
      expect(psnr[1]).toBeCloseTo(40, 3)
    })
  })

  it('SSIM is 1 for identical images, lower for noisy ones, and matches a direct computation', () => {
    const start = tf.memory().numTensors
    tf.tidy(() => {
      const x = tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 1) as tf.Tensor4D
      const same = structuralSimilarity(x, x).dataSync()
      expect(same[0]).toBeCloseTo(1, 5)
      const noisy = tf.clipByValue(tf.add(x, tf.randomNormal(x.shape, 0, 0.2, 'float32', 2)), 0, 1) as tf.Tensor4D
      const value = structuralSimilarity(x, noisy).dataSync()[0]!
      expect(value).toBeLessThan(0.9)
      expect(value).toBeCloseTo(referenceSsim(x.arraySync()[0]!, noisy.arraySync()[0]!), 4)
      // Non-square images: rows and columns must not be swapped.
      const a = tf.randomUniform([1, 13, 19, 1], 0, 1, 'float32', 5) as tf.Tensor4D
      const b = tf.clipByValue(tf.add(a, tf.linspace(0, 0.5, 19).reshape([1, 1, 19, 1])), 0, 1) as tf.Tensor4D
      expect(structuralSimilarity(a, b).dataSync()[0]).toBeCloseTo(referenceSsim(a.arraySync()[0]!, b.arraySync()[0]!), 4)
    })
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('evaluateReconstructions', () => {
  it('scores a split in batches: per-image values average to the mean, and no tensor is left behind', async () => {
    const dataset = await loadDataset('mnist', { limit: 0, testLimit: 130 })
    expect(dataset.train.count).toBe(0)
    const autoencoder = buildAutoencoder(createModelConfig('dense', [28, 28, 1], { seed: 1 }))
    const start = tf.memory().numTensors
    const result = evaluateReconstructions(autoencoder.model, dataset.test, [28, 28, 1], { batchSize: 50, perImage: true })
    expect(tf.memory().numTensors).toBe(start)
    expect(result.count).toBe(130)
    for (const name of ['bce', 'mse', 'psnr', 'ssim'] as const) {
      const values = result.perImage![name]!
      expect(values).toHaveLength(130)
      expect(values.reduce((a, b) => a + b, 0) / 130).toBeCloseTo(result.mean[name]!, 4)
    }
    // An untrained model outputs about 0.5 everywhere: BCE near ln 2, SSIM near 0.
    expect(result.mean.bce!).toBeGreaterThan(0.6)
    expect(result.mean.ssim!).toBeLessThan(0.2)
    autoencoder.dispose()
  })

  it('imageQuality (plain JavaScript) gives the tensor functions\' MSE, PSNR and SSIM', () => {
    const start = tf.memory().numTensors
    let seed = 3
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (const [height, width, channels] of [
      [28, 28, 1],
      [17, 23, 3],
    ] as const) {
      const size = height * width * channels
      const reference = Float32Array.from({ length: size }, () => (random() < 0.7 ? 0 : random()))
      const image = reference.map((v) => Math.min(1, Math.max(0, v + (random() - 0.5) * 0.3)))
      const quality = imageQuality(reference, image, height, width, channels)
      const [mse, psnr, ssim] = tf.tidy(() => {
        const x = tf.tensor4d(reference, [1, height, width, channels])
        const y = tf.tensor4d(image, [1, height, width, channels])
        return [meanSquaredError(x, y), peakSignalToNoiseRatio(x, y), structuralSimilarity(x, y)].map(
          (t) => t.dataSync()[0]!,
        )
      })
      expect(quality.mse).toBeCloseTo(mse!, 6)
      expect(quality.psnr).toBeCloseTo(psnr!, 3)
      expect(quality.ssim).toBeCloseTo(ssim!, 5)
      expect(quality.ssim).toBeLessThan(0.99) // the images differ, so this is not the trivial 1
    }
    expect(imageQuality(new Float32Array(784), new Float32Array(784), 28, 28, 1).psnr).toBe(Infinity)
    expect(tf.memory().numTensors).toBe(start)
  })
})

// Plain-loop SSIM (valid windows, Gaussian 11/1.5, population statistics) — the definition, written independently.
function referenceSsim(a: number[][][], b: number[][][]): number {
  const size = 11
  const sigma = 1.5
  const g: number[] = []
  for (let i = 0; i < size; i++) g.push(Math.exp(-((i - 5) ** 2) / (2 * sigma * sigma)))
  const sum = g.reduce((s, v) => s + v, 0)
  const w = (i: number, j: number) => (g[i]! * g[j]!) / (sum * sum)
  const height = a.length
  const width = a[0]!.length
  let total = 0
  let windows = 0
  for (let top = 0; top + size <= height; top++) {
    for (let left = 0; left + size <= width; left++) {
      let mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0
      for (let i = 0; i < size; i++)
        for (let j = 0; j < size; j++) {
          const x = a[top + i]![left + j]![0]!
          const y = b[top + i]![left + j]![0]!
          mx += w(i, j) * x
          my += w(i, j) * y
          sxx += w(i, j) * x * x
          syy += w(i, j) * y * y
          sxy += w(i, j) * x * y
        }
      const c1 = 0.0001
      const c2 = 0.0009
      const vx = sxx - mx * mx
      const vy = syy - my * my
      const cxy = sxy - mx * my
      total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
      windows++
    }
  }
  return total / windows
}
