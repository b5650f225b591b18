import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig, restoreAutoencoder } from '../../../src-main/ml/architectures/index'
import { meanCodeActivation } from '../../../src-main/ml/architectures/sparse'
import { isVariational } from '../../../src-main/ml/architectures/vae'
import { initBackend } from '../../../src-main/ml/backend'
import { binaryCrossEntropyLoss } from '../../../src-main/ml/metrics'
import { fit } from '../../../src-main/ml/train'
import { getPreset, listPresets, presetModelConfig, presetSettings } from '../../../src-main/ml/presets'
import { maxDifference, randomImages, roundTrip } from './helpers'

const SHAPE: [number, number, number] = [28, 28, 1]

beforeAll(async () => {
  await initBackend()
})

describe('sparse autoencoder', () => {
  it('adds the L1 activity penalty on the code (1e-4 per image, batch-averaged) to the reconstruction loss', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('sparse', SHAPE, { seed: 4 }))
    expect(autoencoder.config.activityL1).toBe(1e-4)
    tf.tidy(() => {
      const x = randomImages(8, SHAPE)
      const code = autoencoder.encoder!.predict(x) as tf.Tensor
      const reconstruction = autoencoder.model.predict(x) as tf.Tensor
      const expected = binaryCrossEntropyLoss(x, reconstruction).dataSync()[0]! + 1e-4 * (tf.sum(tf.abs(code)).dataSync()[0]! / 8)
      expect(autoencoder.loss(x, x).dataSync()[0]).toBeCloseTo(expected, 5)
      expect(tf.sum(code).dataSync()[0]).toBeGreaterThan(0)
    })
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('reports the mean code activation over a split, batch by batch', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('sparse', SHAPE, { seed: 5 }))
    const images = randomImages(30, SHAPE)
    const split = { images: images.dataSync() as Float32Array, count: 30 }
    const expected = tf.tidy(() => tf.mean(autoencoder.encoder!.predict(images) as tf.Tensor).dataSync()[0]!)
    expect(meanCodeActivation(autoencoder, split, 7)).toBeCloseTo(expected, 5)
    images.dispose()
    autoencoder.dispose()
    const denoiser = buildAutoencoder(createModelConfig('denoiser', SHAPE, { seed: 1, levelFilters: [4, 8, 16, 32] }))
    expect(() => meanCodeActivation(denoiser, split)).toThrow(/no separate encoder/)
    denoiser.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('refuses a nonsense penalty with a message naming the option', () => {
    expect(() => buildAutoencoder(createModelConfig('sparse', SHAPE, { activityL1: -1 }))).toThrow(/activityL1/)
  })
})

describe('deep autoencoder', () => {
  it('has the Keras blog layers 784-128-64-32-64-128-784', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('deep', SHAPE, { seed: 1 }))
    const kernels = autoencoder.model.weights.filter((w) => w.name.includes('kernel')).map((w) => w.shape)
    expect(kernels).toEqual([[784, 128], [128, 64], [64, 32], [32, 64], [64, 128], [128, 784]])
    expect(autoencoder.model.getLayer('code').getConfig().activation).toBe('relu')
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('conv autoencoder', () => {
  it('matches the Keras blog model: 16-8-8 filters, a 4×4×8 code, 4,385 parameters', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('conv', SHAPE, { seed: 1 }))
    expect(autoencoder.model.countParams()).toBe(4385)
    expect(autoencoder.model.getLayer('code').outputShape).toEqual([null, 4, 4, 8])
    expect(autoencoder.model.getLayer('decoder_conv_3').outputShape).toEqual([null, 14, 14, 16])
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('handles other image sizes: the code depth follows the code size, the output is cropped back', () => {
    const start = tf.memory().numTensors
    for (const [shape, code] of [
      [[32, 32, 3], [4, 4, 8]],
      [[20, 20, 1], [3, 3, 8]],
      [[40, 24, 1], [5, 3, 8]],
    ] as const) {
      const cells = code[0] * code[1]
      const autoencoder = buildAutoencoder(createModelConfig('conv', [...shape], { seed: 1, codeSize: cells * 8 }))
      expect(autoencoder.model.outputs[0]!.shape).toEqual([null, ...shape])
      expect(autoencoder.encoder!.outputs[0]!.shape).toEqual([null, ...code])
      autoencoder.dispose()
    }
    expect(() => buildAutoencoder(createModelConfig('conv', SHAPE, { codeSize: 100 }))).toThrow(/multiple of 16/)
    expect(tf.memory().numTensors).toBe(start)
  })

  it('gives any image size the blog’s 8-deep code when no code size is asked for', () => {
    expect(createModelConfig('conv', [28, 28, 1]).codeSize).toBe(128)
    // 32×20 pools to 4×3: 128 would not divide into it.
    expect(createModelConfig('conv', [32, 20, 1]).codeSize).toBe(96)
    expect(createModelConfig('conv', [32, 20, 1], { codeSize: 48 }).codeSize).toBe(48)
  })
})

describe('seq2seq autoencoder', () => {
  it('reads the 28 rows as 28 timesteps of 28 features and writes 28 rows back', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('seq2seq', SHAPE, { seed: 1, codeSize: 16 }))
    expect(autoencoder.model.getLayer('rows').outputShape).toEqual([null, 28, 28])
    expect(autoencoder.model.getLayer('code').outputShape).toEqual([null, 16])
    expect(autoencoder.model.getLayer('repeat').outputShape).toEqual([null, 28, 16])
    expect(autoencoder.model.getLayer('decoder_lstm').outputShape).toEqual([null, 28, 28])
    expect(autoencoder.model.getLayer('logits').outputShape).toEqual([null, 28, 28])
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('variational autoencoder', () => {
  it('has a 2-D code by default and a deterministic model path (z_mean, no sampling)', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('vae', SHAPE, { seed: 1 }))
    expect(autoencoder.config.codeSize).toBe(2)
    expect(isVariational(autoencoder)).toBe(true)
    tf.tidy(() => {
      const x = randomImages(5, SHAPE)
      expect(maxDifference(autoencoder.model.predict(x) as tf.Tensor, autoencoder.model.predict(x) as tf.Tensor)).toBe(0)
      if (!isVariational(autoencoder)) throw new Error('not a VAE')
      const [zMean, zLogVar] = autoencoder.encodeDistribution(x)
      expect(zMean.shape).toEqual([5, 2])
      expect(zLogVar.shape).toEqual([5, 2])
      expect(maxDifference(zMean, autoencoder.encoder!.predict(x) as tf.Tensor)).toBe(0)
    })
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('samples reproducibly under a seed, and the sample follows z_mean and exp(½ z_log_var)', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('vae', SHAPE, { seed: 1 }))
    if (!isVariational(autoencoder)) throw new Error('not a VAE')
    tf.tidy(() => {
      const zMean = tf.fill([4000, 2], 3) as tf.Tensor2D
      const zLogVar = tf.fill([4000, 2], Math.log(0.25)) as tf.Tensor2D
      const a = autoencoder.sample(zMean, zLogVar, 17)
      expect(maxDifference(a, autoencoder.sample(zMean, zLogVar, 17))).toBe(0)
      expect(maxDifference(a, autoencoder.sample(zMean, zLogVar, 18))).toBeGreaterThan(0)
      expect(maxDifference(autoencoder.sample(zMean, zLogVar, 0), autoencoder.sample(zMean, zLogVar, 0))).toBe(0)
      const { mean, variance } = tf.moments(a)
      expect(mean.dataSync()[0]).toBeCloseTo(3, 1)
      expect(Math.sqrt(variance.dataSync()[0]!)).toBeCloseTo(0.5, 1)
    })
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('gives the same training loss sequence for the same seed, a different one for another seed', () => {
    const start = tf.memory().numTensors
    const losses = (seed: number) => {
      const autoencoder = buildAutoencoder(createModelConfig('vae', SHAPE, { seed }))
      const values = tf.tidy(() => {
        const x = randomImages(6, SHAPE)
        return [0, 1, 2].map(() => autoencoder.loss(x, x).dataSync()[0]!)
      })
      autoencoder.dispose()
      return values
    }
    const first = losses(8)
    expect(losses(8)).toEqual(first)
    expect(losses(9)).not.toEqual(first)
    // Summed BCE over 784 pixels (≈ 784 · ln 2 for an untrained sigmoid) plus a small KL: the blog's scale.
    expect(first[0]!).toBeGreaterThan(400)
    expect(first[0]!).toBeLessThan(700)
    // Fresh ε each call: the loss is stochastic across calls.
    expect(new Set(first).size).toBeGreaterThan(1)
    expect(tf.memory().numTensors).toBe(start)
  })

  it('restores z_log_var with the saved model, so a reloaded VAE resumes training with the same loss', async () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('vae', SHAPE, { seed: 10 }))
    const restored = restoreAutoencoder(autoencoder.config, await roundTrip(autoencoder.model))
    tf.tidy(() => {
      const x = randomImages(6, SHAPE)
      if (!isVariational(autoencoder) || !isVariational(restored)) throw new Error('not a VAE')
      expect(maxDifference(autoencoder.encodeDistribution(x)[1], restored.encodeDistribution(x)[1])).toBe(0)
      expect(restored.loss(x, x).dataSync()[0]).toBe(autoencoder.loss(x, x).dataSync()[0])
    })
    autoencoder.dispose()
    restored.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('denoising through fit', () => {
  it('corrupts only the inputs, with fresh noise for every batch, and keeps the targets clean', async () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('deep', SHAPE, { seed: 1 }))
    const images = randomImages(64, SHAPE)
    const split = { images: images.dataSync() as Float32Array, count: 64 }
    images.dispose()
    const seen: { inputSum: number; targetSum: number }[] = []
    const seeds: number[] = []
    const originalLoss = autoencoder.loss
    autoencoder.loss = (inputs, targets) => {
      seen.push({ inputSum: tf.sum(inputs).dataSync()[0]!, targetSum: tf.sum(targets).dataSync()[0]! })
      return originalLoss(inputs, targets)
    }
    await fit(autoencoder, { train: split }, {
      epochs: 2,
      batchSize: 16,
      seed: 2,
      shuffle: false,
      // The spy above wraps autoencoder.loss, which only the eager step calls (deep is compiled by default).
      compiledSteps: false,
      noise: (clean, seed) => {
        seeds.push(seed)
        return tf.onesLike(clean)
      },
    })
    expect(seen).toHaveLength(8)
    expect(seen.every(({ inputSum }) => inputSum === 16 * 784)).toBe(true)
    // Targets are the clean images: epoch 2 sees the same clean batches as epoch 1 (no shuffle).
    expect(seen.slice(4).map((s) => s.targetSum)).toEqual(seen.slice(0, 4).map((s) => s.targetSum))
    expect(seen.every(({ targetSum }) => targetSum < 16 * 784 * 0.6)).toBe(true)
    expect(new Set(seeds).size).toBe(8)
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('presets', () => {
  it('resolve to valid model configs, and an unknown name says which exist', () => {
    for (const preset of listPresets()) {
      const config = presetModelConfig(preset)
      expect(config.architecture).toBe(preset.architecture)
      expect(config.inputShape).toEqual([28, 28, 1])
    }
    expect(getPreset('mnist-denoise').noise).toBe('gaussian:0.5')
    expect(() => getPreset('mnist-magic')).toThrow(/Unknown preset "mnist-magic"; available: mnist-denoise/)
  })

  it('settle every training value, and refuse a preset whose options training could not pass on', () => {
    const denoise = getPreset('mnist-denoise')
    expect(presetSettings(denoise)).toEqual({
      architecture: 'denoiser',
      dataset: 'mnist',
      codeSize: presetModelConfig(denoise).codeSize,
      learningRate: 0.001,
      epochs: 11,
      batchSize: 64,
      noise: 'gaussian:0.5',
    })
    const edited = { ...denoise, options: { ...denoise.options, levelFilters: [8, 16, 32, 64] } }
    expect(() => presetSettings(edited)).toThrow(/sets levelFilters, which training cannot pass on/)
  })
})
