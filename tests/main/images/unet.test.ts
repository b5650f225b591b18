// U-Net denoiser: any size in, same size out, learns to denoise, masked loss, survives save/load, tiles seamlessly.
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import {
  buildUnet,
  restoreUnet,
  unet,
  unetMultiple,
  unetReceptiveRadius,
} from '../../../src-main/ml/architectures/unet'
import type { ModelConfig } from '../../../src-main/ml/architectures/index'
import { applyTiled } from '../../../src-main/ml/tiling'
import { applyNoise, parseNoiseSpec } from '../../../src-main/ml/noise'
import { blindSpotTensors } from '../../../src-main/ml/blind-spot'
import { seededRandom } from './helpers'

let startTensors: number
beforeAll(async () => {
  // Native TensorFlow when it is built (fast); else plain JS. Not wasm: it has no kernel for convolution gradients.
  await initBackend('tensorflow').catch(() => tf.setBackend('cpu'))
})
beforeEach(() => {
  startTensors = tf.memory().numTensors
})
afterEach(() => {
  expect(tf.memory().numTensors).toBe(startTensors)
})

function config(channels: 1 | 3, extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    architecture: 'unet',
    inputShape: [32, 32, channels],
    codeSize: 1,
    learningRate: 0.003,
    seed: 1,
    filters: 8,
    ...extra,
  }
}

/** Smooth random blobs: enough structure for a denoiser to exploit. */
function blobs(count: number, size: number, seed: number): tf.Tensor4D {
  const random = seededRandom(seed)
  const data = new Float32Array(count * size * size)
  for (let n = 0; n < count; n++) {
    const centres = Array.from(
      { length: 3 },
      () => [random() * size, random() * size, 3 + random() * 6, random()] as const,
    )
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++) {
        let v = 0.15
        for (const [y, x, radius, level] of centres)
          if ((r - y) ** 2 + (c - x) ** 2 < radius ** 2) v = 0.3 + 0.6 * level
        data[(n * size + r) * size + c] = v
      }
  }
  return tf.tensor4d(data, [count, size, size, 1])
}

describe('unet', () => {
  it('maps any multiple-of-4 size to the same size, in [0, 1], greyscale and RGB', () => {
    for (const channels of [1, 3] as const) {
      const model = unet.build(config(channels))
      for (const [h, w] of [
        [32, 32],
        [16, 44],
      ] as const) {
        const output = tf.tidy(
          () => model.model.predict(tf.randomUniform([2, h, w, channels], 0, 1, 'float32', 3)) as tf.Tensor,
        )
        expect(output.shape).toEqual([2, h, w, channels])
        const values = output.dataSync()
        expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
        expect(Math.max(...values)).toBeLessThanOrEqual(1)
        output.dispose()
      }
      model.dispose()
    }
    expect(unetMultiple(config(1, { depth: 3 }))).toBe(8)
    expect(() => unet.build(config(1, { depth: 7 }))).toThrow(/depth/)
  })

  it('learns to remove Gaussian noise in a few dozen steps (supervised), and the masked loss trains too', () => {
    const model = buildUnet(config(1))
    const optimizer = tf.train.adam(0.003)
    const clean = blobs(16, 32, 1)
    const noisy = applyNoise(clean, parseNoiseSpec('gaussian:0.1'), 2)
    const mse = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.losses.meanSquaredError(a, b).dataSync()[0]!)
    const noisyError = mse(noisy, clean)
    for (let step = 0; step < 40; step++) {
      optimizer.minimize(() => model.loss(noisy, clean), false)
    }
    const denoised = model.model.predict(noisy) as tf.Tensor
    const denoisedError = mse(denoised, clean)
    // At least 2× lower error than the noisy input (+3 dB) after a minute-scale CPU run.
    expect(denoisedError).toBeLessThan(noisyError / 2)

    const random = seededRandom(4)
    const noisyData = noisy.dataSync() as Float32Array
    const { inputs, mask } = blindSpotTensors(noisyData, [16, 32, 32, 1], random, { fraction: 0.02 })
    const masked = tf.tidy(() => model.loss(inputs, noisy, mask).dataSync()[0]!)
    const plain = tf.tidy(() => model.loss(inputs, noisy).dataSync()[0]!)
    expect(masked).not.toBeCloseTo(plain, 6)
    const before = masked
    for (let step = 0; step < 5; step++) optimizer.minimize(() => model.loss(inputs, noisy, mask), false)
    expect(tf.tidy(() => model.loss(inputs, noisy, mask).dataSync()[0]!)).toBeLessThan(before)

    tf.dispose([clean, noisy, denoised, inputs, mask])
    optimizer.dispose()
    model.dispose()
  })

  it('survives a save and load with its clip layer, and restore() can train the loaded model', async () => {
    const original = unet.build(config(3))
    let saved: tf.io.ModelArtifacts | undefined
    await original.model.save(
      tf.io.withSaveHandler(
        async (artifacts) => (
          (saved = artifacts),
          { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
        ),
      ),
    )
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!))
    const restored = restoreUnet(config(3), loaded)
    const input = tf.randomUniform([1, 20, 28, 3], 0, 1, 'float32', 5)
    const a = original.model.predict(input) as tf.Tensor
    const b = restored.model.predict(input) as tf.Tensor
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()))
    const loss = restored.loss(input, input)
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true)
    tf.dispose([input, a, b, loss])
    original.dispose()
    restored.dispose()
  })

  it('has a receptive field within unetReceptiveRadius, so tiles with that overlap have no seams', async () => {
    const model = unet.build(config(1))
    const radius = unetReceptiveRadius(config(1))
    expect(radius).toBeLessThanOrEqual(32)
    const size = 96
    const base = tf.randomUniform([1, size, size, 1], 0.2, 0.8, 'float32', 6)
    const poked = tf.tidy(() =>
      base.add(
        tf
          .oneHot([48 * size + 48], size * size)
          .reshape([1, size, size, 1])
          .mul(0.5),
      ),
    )
    const difference = tf.tidy(() =>
      (model.model.predict(poked) as tf.Tensor).sub(model.model.predict(base) as tf.Tensor).abs(),
    )
    const values = difference.dataSync()
    let farthest = 0
    for (let r = 0; r < size; r++)
      for (let c = 0; c < size; c++)
        if (values[r * size + c]! > 0) farthest = Math.max(farthest, Math.abs(r - 48), Math.abs(c - 48))
    expect(farthest).toBeGreaterThan(4)
    expect(farthest).toBeLessThanOrEqual(radius)

    const image = { data: base.dataSync() as Float32Array, height: size, width: size, channels: 1 }
    const whole = model.model.predict(base) as tf.Tensor
    const expected = whole.dataSync()
    // Tiles of 96 keep 32×32 centres, so seams run along rows and columns 32 and 64. Deeper layers pad their own
    // feature maps with zeros, which no input padding reproduces, so compare beyond one receptive radius of the edge.
    const tiled = await applyTiled(image, model.model, { tileSize: 96, overlap: 32 })
    let maxDifference = 0
    for (let r = radius; r < size - radius; r++)
      for (let c = radius; c < size - radius; c++)
        maxDifference = Math.max(maxDifference, Math.abs(expected[r * size + c]! - tiled.data[r * size + c]!))
    expect(maxDifference).toBeLessThanOrEqual(1e-5)
    tf.dispose([base, poked, difference, whole])
    model.dispose()
  })
})
