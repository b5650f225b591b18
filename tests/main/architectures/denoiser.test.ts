// The mnist-denoise model (U-Net `denoiser`): its options (levelFilters, clipIndicators, loss), any image size,
// save → load, and fit's cosine learning-rate decay that its preset trains with.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig, restoreAutoencoder, type ModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { loadDataset } from '../../../src-main/ml/datasets'
import { evaluateDenoising } from '../../../src-main/ml/denoise-eval'
import { meanSquaredError } from '../../../src-main/ml/metrics'
import { applyNoise } from '../../../src-main/ml/noise'
import { getPreset, presetModelConfig } from '../../../src-main/ml/presets'
import { createAdam, fit, scheduledLearningRate } from '../../../src-main/ml/train'
import { maxDifference, randomImages, roundTrip } from './helpers'

const SHAPE: [number, number, number] = [28, 28, 1]
// Three poolings like the preset, with few filters so the tests run fast.
const SMALL = { levelFilters: [4, 8, 16, 32] }

beforeAll(async () => {
  await initBackend()
})

const convolutionTraining = () => tf.getBackend() !== 'wasm'

describe('denoiser architecture', () => {
  it('keeps any image size through three poolings, odd sizes included (MNIST pools 28 → 14 → 7 → 4)', () => {
    const start = tf.memory().numTensors
    for (const shape of [SHAPE, [20, 12, 3]] as [number, number, number][]) {
      const autoencoder = buildAutoencoder(createModelConfig('denoiser', shape, { seed: 2, ...SMALL }))
      tf.tidy(() => {
        const output = autoencoder.model.predict(randomImages(2, shape)) as tf.Tensor
        expect(output.shape).toEqual([2, ...shape])
        const values = output.dataSync()
        expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
        expect(Math.max(...values)).toBeLessThanOrEqual(1)
      })
      autoencoder.dispose()
    }
    expect(tf.memory().numTensors).toBe(start)
  })

  it('refuses an image too small to pool, and an unknown loss, with sentences naming the problem', () => {
    expect(() => buildAutoencoder(createModelConfig('denoiser', [4, 28, 1], SMALL))).toThrow(/at least 8 pixels/)
    expect(() => buildAutoencoder(createModelConfig('denoiser', SHAPE, { loss: 'l1' }))).toThrow(/loss must be one of bce, mse, psnr/)
    expect(() => buildAutoencoder(createModelConfig('denoiser', SHAPE, { levelFilters: [8] }))).toThrow(/levelFilters needs at least two numbers/)
    expect(() => buildAutoencoder(createModelConfig('denoiser', SHAPE, { filters: 8 }))).toThrow(/either levelFilters or filters and depth/)
  })

  it('levelFilters sets the filters of each scale (top first, bottom last); configs saved before it still build', () => {
    const kernelShape = (autoencoder: ReturnType<typeof buildAutoencoder>, layer: string) =>
      autoencoder.model.getLayer(layer).getWeights()[0]!.shape
    expect(createModelConfig('denoiser', SHAPE).levelFilters).toEqual([32, 64, 64, 128])
    expect(createModelConfig('denoiser', SHAPE).clipIndicators).toBe(true)
    // What the store holds for a model trained before levelFilters: filters doubled at each of `depth` poolings.
    const saved: ModelConfig = { architecture: 'denoiser', inputShape: SHAPE, codeSize: 32, learningRate: 0.001, seed: 1, filters: 4, depth: 2, loss: 'bce' }
    const doubling = buildAutoencoder(saved)
    expect(kernelShape(doubling, 'encoder_1a')).toEqual([3, 3, 1, 4])
    expect(kernelShape(doubling, 'encoder_2b')).toEqual([3, 3, 8, 8])
    expect(kernelShape(doubling, 'bottom_b')).toEqual([3, 3, 16, 16])
    doubling.dispose()
    const wide = buildAutoencoder(createModelConfig('denoiser', SHAPE, { seed: 1, levelFilters: [6, 5, 7] }))
    expect(kernelShape(wide, 'encoder_1b')).toEqual([3, 3, 6, 6])
    expect(kernelShape(wide, 'encoder_2b')).toEqual([3, 3, 5, 5])
    expect(kernelShape(wide, 'bottom_b')).toEqual([3, 3, 7, 7])
    // The decoder's first convolution sees the upsampled scale below next to the skip: 7 + 5 channels in, 5 out.
    expect(kernelShape(wide, 'decoder_2a')).toEqual([3, 3, 12, 5])
    expect(kernelShape(wide, 'decoder_1b')).toEqual([3, 3, 6, 6])
    wide.dispose()
  })

  it('clipIndicators gives the network, per channel, where the noisy pixel is exactly 0 and exactly 1', async () => {
    const start = tf.memory().numTensors
    const shape: [number, number, number] = [8, 8, 2]
    const autoencoder = buildAutoencoder(createModelConfig('denoiser', shape, { seed: 4, levelFilters: [3, 4], clipIndicators: true }))
    const without = buildAutoencoder(createModelConfig('denoiser', shape, { seed: 4, levelFilters: [3, 4], clipIndicators: false }))
    // Two input channels become six: the image, then "is 0" and "is 1" for each channel; nothing in it is trained.
    expect(autoencoder.model.getLayer('encoder_1a').getWeights()[0]!.shape).toEqual([3, 3, 6, 3])
    expect(without.model.getLayer('encoder_1a').getWeights()[0]!.shape).toEqual([3, 3, 2, 3])
    expect(autoencoder.model.countParams() - without.model.countParams()).toBe(3 * 3 * 4 * 3)
    const indicators = tf.model({ inputs: autoencoder.model.inputs, outputs: autoencoder.model.getLayer('clip_indicators').output as tf.SymbolicTensor })
    tf.tidy(() => {
      const values = [0, 1, 1e-6, 1 - 1e-6, 0.5, 0, 1, 0.25]
      const image = tf.tensor4d(Array.from({ length: 64 }, (_, i) => values[i % 8]!).flatMap((v, i) => [v, i % 3 === 0 ? 0 : 0.5]), [1, 8, 8, 2])
      const out = (indicators.predict(image) as tf.Tensor).reshape([64, 6]).arraySync() as number[][]
      for (let i = 0; i < 64; i++) {
        const [first, second] = [values[i % 8]!, i % 3 === 0 ? 0 : 0.5]
        expect(out[i]).toEqual([Math.fround(first), second, first === 0 ? 1 : 0, second === 0 ? 1 : 0, first === 1 ? 1 : 0, 0])
      }
    })
    // Saved and loaded through tfjs' own format (the layer is registered by class name), predictions identical.
    const loaded = restoreAutoencoder(autoencoder.config, await roundTrip(autoencoder.model))
    tf.tidy(() => {
      const x = tf.clipByValue(tf.sub(tf.mul(randomImages(2, shape), 1.6), 0.3), 0, 1)
      expect(maxDifference(autoencoder.model.predict(x) as tf.Tensor, loaded.model.predict(x) as tf.Tensor)).toBe(0)
    })
    // A config saved before the option existed has no key and builds the model it was trained as, without them.
    const { clipIndicators: _omitted, ...older } = without.config
    const rebuilt = buildAutoencoder(older as ModelConfig)
    expect(rebuilt.model.countParams()).toBe(without.model.countParams())
    expect(() => buildAutoencoder({ ...older, clipIndicators: 'yes' } as ModelConfig)).toThrow(/clipIndicators must be true or false/)
    for (const model of [autoencoder, without, loaded, rebuilt]) model.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('mse loss is the batch MSE of its output; psnr loss the mean log of each image’s MSE', () => {
    const start = tf.memory().numTensors
    for (const loss of ['mse', 'psnr'] as const) {
      const autoencoder = buildAutoencoder(createModelConfig('denoiser', SHAPE, { seed: 6, ...SMALL, loss }))
      tf.tidy(() => {
        const x = randomImages(4, SHAPE, 1)
        const y = randomImages(4, SHAPE, 2)
        const perImage = meanSquaredError(y, autoencoder.model.predict(x) as tf.Tensor)
        const expected = loss === 'mse' ? tf.mean(perImage) : tf.mean(tf.log(tf.add(perImage, 1e-4)))
        expect(autoencoder.loss(x, y).dataSync()[0]).toBeCloseTo(expected.dataSync()[0]!, 5)
      })
      autoencoder.dispose()
    }
    expect(tf.memory().numTensors).toBe(start)
  })

  it('the preset model survives save → load with identical predictions and its loss option', async () => {
    const start = tf.memory().numTensors
    const config = presetModelConfig(getPreset('mnist-denoise'), SHAPE, { seed: 9, ...SMALL })
    const autoencoder = buildAutoencoder(config)
    const loaded = restoreAutoencoder(config, await roundTrip(autoencoder.model))
    tf.tidy(() => {
      const x = randomImages(3, SHAPE)
      expect(maxDifference(autoencoder.model.predict(x) as tf.Tensor, loaded.model.predict(x) as tf.Tensor)).toBeLessThan(1e-6)
      expect(maxDifference(autoencoder.loss(x, x), loaded.loss(x, x))).toBeLessThan(1e-6)
    })
    loaded.dispose()
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('a short noisy training with the preset’s options denoises held-out MNIST digits', async () => {
    const start = tf.memory().numTensors
    const mnist = await loadDataset('mnist', { limit: 512, testLimit: 100 })
    const spec = { kind: 'gaussian' as const, sigma: 0.5 }
    const config = presetModelConfig(getPreset('mnist-denoise'), SHAPE, { seed: 5, levelFilters: [8, 16, 32, 64], learningRate: 0.003 })
    const autoencoder = buildAutoencoder(config)
    // Decided when the test runs (the backend is chosen in beforeAll): WASM cannot train convolutions and must say so.
    if (!convolutionTraining()) {
      await expect(fit(autoencoder, { train: mnist.train }, { epochs: 1, batchSize: 32 })).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
      })
      autoencoder.dispose()
      expect(tf.memory().numTensors).toBe(start)
      return
    }
    const untrained = evaluateDenoising(autoencoder.model, mnist.test, SHAPE, spec).model!.psnr
    await fit(autoencoder, { train: mnist.train }, {
      epochs: 3,
      batchSize: 32,
      seed: 1,
      noise: (clean, seed) => applyNoise(clean, spec, seed) as tf.Tensor4D,
    })
    const score = evaluateDenoising(autoencoder.model, mnist.test, SHAPE, spec)
    // An untrained model outputs grey (≈ 6 dB); 48 steps are far from the preset's result but already past the
    // noisy input (≈ 9.4 dB).
    expect(untrained).toBeLessThan(score.noisy.psnr)
    expect(score.model!.psnr).toBeGreaterThan(score.noisy.psnr + 1)
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('fit: cosine learning-rate decay (learningRateDecay option)', () => {
  it('decays the rate along a half cosine from the config’s rate to 0 over the whole run', () => {
    const config = createModelConfig('dense', SHAPE, { learningRate: 0.002, learningRateDecay: 'cosine' })
    expect(scheduledLearningRate(config, 0, 10, 0)).toBeCloseTo(0.002, 10)
    expect(scheduledLearningRate(config, 5, 10, 0)).toBeCloseTo(0.001, 10)
    expect(scheduledLearningRate(config, 9, 10, 0.5)).toBeCloseTo(0.002 * 0.5 * (1 + Math.cos(Math.PI * 0.95)), 10)
    // A resumed run (epoch 7 of the same 10) continues the same curve.
    expect(scheduledLearningRate(config, 7, 10, 0.25)).toBeCloseTo(0.002 * 0.5 * (1 + Math.cos(Math.PI * 0.725)), 10)
    const constant = createModelConfig('dense', SHAPE, { learningRate: 0.002 })
    expect(scheduledLearningRate(constant, 9, 10, 0.9)).toBe(0.002)
    expect(() => scheduledLearningRate({ ...config, learningRateDecay: 'step' }, 0, 10, 0)).toThrow(/"cosine" or "none"/)
  })

  it('sets the optimizer’s rate at each step during fit, and leaves it alone without the option', async () => {
    const start = tf.memory().numTensors
    const train = { images: tf.tidy(() => randomImages(64, SHAPE).dataSync() as Float32Array), count: 64 }
    for (const decay of ['cosine', undefined]) {
      const autoencoder = buildAutoencoder(createModelConfig('dense', SHAPE, { seed: 1, learningRate: 0.004, learningRateDecay: decay }))
      const optimizer = createAdam(0.004)
      const rates: number[] = []
      await fit(autoencoder, { train }, {
        epochs: 2,
        batchSize: 16,
        optimizer,
        batchReportIntervalMs: 0,
        onBatchEnd: () => rates.push((optimizer as unknown as { learningRate: number }).learningRate),
      })
      const expected = decay
        ? Array.from({ length: 8 }, (_, step) => 0.004 * 0.5 * (1 + Math.cos((Math.PI * step) / 8)))
        : Array<number>(8).fill(0.004)
      rates.forEach((rate, index) => expect(rate).toBeCloseTo(expected[index]!, 10))
      expect(rates).toHaveLength(8)
      optimizer.dispose()
      autoencoder.dispose()
    }
    expect(tf.memory().numTensors).toBe(start)
  })
})
