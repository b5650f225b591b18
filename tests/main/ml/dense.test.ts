import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import {
  buildAutoencoder,
  createModelConfig,
  restoreAutoencoder,
} from '../../../src-main/ml/architectures/index'

beforeAll(async () => {
  await initBackend()
})

describe('dense seed model', () => {
  it('has the Keras tutorial shapes: 784 → 32 (relu, "code") → 784 (sigmoid)', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('dense', [28, 28, 1], { seed: 3 }))
    expect(autoencoder.model.inputs[0]!.shape).toEqual([null, 28, 28, 1])
    expect(autoencoder.model.outputs[0]!.shape).toEqual([null, 28, 28, 1])
    expect(autoencoder.encoder!.outputs[0]!.shape).toEqual([null, 32])
    expect(autoencoder.decoder!.inputs[0]!.shape).toEqual([null, 32])
    expect(autoencoder.model.getLayer('code').getConfig().activation).toBe('relu')
    expect(autoencoder.model.weights.map((w) => w.shape)).toEqual([[784, 32], [32], [32, 784], [784]])
    expect(autoencoder.model.countParams()).toBe(784 * 32 + 32 + 32 * 784 + 784)
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('initialises like Keras (glorot uniform kernels, zero biases) and reproducibly with a seed', () => {
    const start = tf.memory().numTensors
    const a = buildAutoencoder(createModelConfig('dense', [28, 28, 1], { seed: 11 }))
    const b = buildAutoencoder(createModelConfig('dense', [28, 28, 1], { seed: 11 }))
    const c = buildAutoencoder(createModelConfig('dense', [28, 28, 1], { seed: 12 }))
    const [kernelA, biasA] = a.model.getWeights().map((w) => w.dataSync())
    const limit = Math.sqrt(6 / (784 + 32))
    expect(Math.max(...kernelA!.map(Math.abs))).toBeLessThanOrEqual(limit)
    expect(Math.max(...kernelA!.map(Math.abs))).toBeGreaterThan(limit * 0.95)
    expect(Array.from(biasA!).every((v) => v === 0)).toBe(true)
    expect(a.model.getWeights()[0]!.dataSync()).toEqual(b.model.getWeights()[0]!.dataSync())
    expect(a.model.getWeights()[0]!.dataSync()).not.toEqual(c.model.getWeights()[0]!.dataSync())
    tf.dispose([...a.model.getWeights(), ...b.model.getWeights(), ...c.model.getWeights()])
    ;[a, b, c].forEach((autoencoder) => autoencoder.dispose())
    expect(tf.memory().numTensors).toBe(start)
  })

  it('decoder(encoder(x)) equals autoencoder(x), also after restoring from the full model', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('dense', [28, 28, 1], { seed: 5, codeSize: 16 }))
    const restored = restoreAutoencoder(autoencoder.config, autoencoder.model)
    tf.tidy(() => {
      const x = tf.randomUniform([6, 28, 28, 1], 0, 1, 'float32', 9)
      const direct = autoencoder.model.predict(x) as tf.Tensor
      const composed = autoencoder.decoder!.predict(autoencoder.encoder!.predict(x) as tf.Tensor) as tf.Tensor
      const viaRestored = restored.decoder!.predict(restored.encoder!.predict(x) as tf.Tensor) as tf.Tensor
      expect(tf.max(tf.abs(tf.sub(direct, composed))).dataSync()[0]).toBeLessThan(1e-6)
      expect(tf.max(tf.abs(tf.sub(direct, viaRestored))).dataSync()[0]).toBeLessThan(1e-6)
      const values = direct.dataSync()
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...values)).toBeLessThanOrEqual(1)
    })
    autoencoder.dispose()
    restored.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('refuses unknown architectures and nonsense sizes with a readable error', () => {
    expect(() => createModelConfig('transformer', [28, 28, 1])).toThrow(/Unknown architecture "transformer"/)
    expect(() => createModelConfig('dense', [28, 28, 1], { codeSize: 0 })).toThrow(/code size/)
  })
})
