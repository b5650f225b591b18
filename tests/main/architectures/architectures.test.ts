import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  buildAutoencoder,
  createModelConfig,
  listArchitectures,
} from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { loadDataset, type ImageSplit } from '../../../src-main/ml/datasets'
import { evaluateReconstructions } from '../../../src-main/ml/metrics'
import { applyNoise } from '../../../src-main/ml/noise'
import { fit } from '../../../src-main/ml/train'
import { openStore } from '../../../src-main/store/index'
import { maxDifference, randomImages } from './helpers'

const SHAPE: [number, number, number] = [28, 28, 1]
let train: ImageSplit

beforeAll(async () => {
  await initBackend()
  const mnist = await loadDataset('mnist', { limit: 512, testLimit: 1 })
  train = mnist.train
})

function subset(split: ImageSplit, count: number): ImageSplit {
  return { images: split.images.subarray(0, count * 784), count, labels: split.labels?.subarray(0, count) }
}

// Per architecture: the code shape a user would see, and a training budget small enough for a slow CPU backend.
const CASES = [
  { name: 'sparse', code: [32], images: 512, epochs: 2 },
  { name: 'deep', code: [32], images: 512, epochs: 2 },
  { name: 'conv', code: [4, 4, 8], images: 256, epochs: 2 },
  { name: 'seq2seq', code: [32], images: 64, epochs: 2 },
  { name: 'vae', code: [2], images: 512, epochs: 2 },
  { name: 'denoiser', code: null, images: 128, epochs: 1 },
] as const

describe('architecture registry', () => {
  it('offers every Keras-blog architecture plus the denoiser', () => {
    const names = listArchitectures().map((definition) => definition.name)
    for (const { name } of CASES) expect(names).toContain(name)
  })
})

describe.each(CASES)('$name autoencoder', ({ name, code, images, epochs }) => {
  it('maps NHWC batches in [0, 1] to the same shape, through a code of the expected shape', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig(name, SHAPE, { seed: 1 }))
    expect(autoencoder.model.inputs[0]!.shape).toEqual([null, ...SHAPE])
    expect(autoencoder.model.outputs[0]!.shape).toEqual([null, ...SHAPE])
    tf.tidy(() => {
      const x = randomImages(3, SHAPE)
      const y = autoencoder.model.predict(x) as tf.Tensor
      expect(y.shape).toEqual([3, ...SHAPE])
      const values = y.dataSync()
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...values)).toBeLessThanOrEqual(1)
      if (code === null) {
        expect(autoencoder.encoder).toBeNull()
        expect(autoencoder.decoder).toBeNull()
      } else {
        const codes = autoencoder.encoder!.predict(x) as tf.Tensor
        expect(codes.shape).toEqual([3, ...code])
        expect(autoencoder.decoder!.inputs[0]!.shape).toEqual([null, ...code])
        // The encoder and decoder share the autoencoder's weights: composing them is the autoencoder.
        expect(maxDifference(autoencoder.decoder!.predict(codes) as tf.Tensor, y)).toBeLessThan(1e-5)
      }
    })
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('predicts identically after a save → load round trip through the model store', async () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig(name, SHAPE, { seed: 2 }))
    const root = await mkdtemp(join(tmpdir(), 'bottleneck-arch-'))
    try {
      const store = openStore(root)
      const saved = await store.save({
        metadata: {
          name: `${name} round trip`,
          config: autoencoder.config,
          dataset: { spec: 'mnist', name: 'MNIST', trainCount: 0, testCount: 0 },
          backend: { name: tf.getBackend(), tfjsVersion: tf.version.tfjs },
          epochs: 0,
          targetEpochs: 0,
          batchSize: 32,
          history: [],
        },
        model: autoencoder.model,
      })
      const { autoencoder: restored } = await store.load(saved.id)
      expect(restored.config.architecture).toBe(name)
      const x = randomImages(4, SHAPE, 3)
      tf.tidy(() => {
        expect(
          maxDifference(autoencoder.model.predict(x) as tf.Tensor, restored.model.predict(x) as tf.Tensor),
        ).toBe(0)
        if (code !== null) {
          const original = autoencoder.encoder!.predict(x) as tf.Tensor
          expect(maxDifference(original, restored.encoder!.predict(x) as tf.Tensor)).toBe(0)
          expect(
            maxDifference(
              autoencoder.decoder!.predict(original) as tf.Tensor,
              restored.decoder!.predict(original) as tf.Tensor,
            ),
          ).toBe(0)
        }
      })
      x.dispose()
      restored.dispose()
    } finally {
      autoencoder.dispose()
      await rm(root, { recursive: true, force: true })
    }
    expect(tf.memory().numTensors).toBe(start)
  })

  it(`lowers the reconstruction loss in ${epochs} short epoch(s) on ${images} MNIST digits`, async () => {
    const start = tf.memory().numTensors
    // tfjs' WASM backend has no convolution gradient kernels (Conv2DBackpropFilter): there, conv models must be
    // refused with a sentence that names the way out, before any training starts.
    if (tf.getBackend() === 'wasm' && (name === 'conv' || name === 'denoiser')) {
      const autoencoder = buildAutoencoder(createModelConfig(name, SHAPE, { seed: 3 }))
      await expect(
        fit(autoencoder, { train: subset(train, images) }, { epochs: 1, batchSize: 32 }),
      ).rejects.toMatchObject({
        code: 'BACKEND_UNAVAILABLE',
        message: expect.stringMatching(/setup:native/),
      })
      autoencoder.dispose()
      expect(tf.memory().numTensors).toBe(start)
      return
    }
    const data = subset(train, images)
    const autoencoder = buildAutoencoder(createModelConfig(name, SHAPE, { seed: 3 }))
    // The denoiser is trained as it is meant to be used: noisy inputs, clean targets.
    const noise = name === 'denoiser' ? { kind: 'gaussian' as const, sigma: 0.5 } : null
    const transformInputs = noise
      ? (clean: tf.Tensor4D, at: number) => applyNoise(clean, noise, 99 + at) as tf.Tensor4D
      : undefined
    const score = () =>
      evaluateReconstructions(autoencoder.model, data, SHAPE, { metrics: ['bce'], transformInputs }).mean.bce!
    const before = score()
    const history = await fit(
      autoencoder,
      { train: data },
      {
        epochs,
        batchSize: 32,
        seed: 3,
        noise: noise ? (clean, seed) => applyNoise(clean, noise, seed) as tf.Tensor4D : undefined,
      },
    )
    const after = score()
    expect(history.epochs).toHaveLength(epochs)
    expect(history.epochs.every((logs) => Number.isFinite(logs.loss))).toBe(true)
    expect(after).toBeLessThan(before)
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('the learning rate a model takes', () => {
  it('is above 0 and at most 10, the bounds the Train form and the CLI allow', () => {
    for (const learningRate of [1e-6, 10]) {
      expect(createModelConfig('dense', [28, 28, 1], { learningRate }).learningRate).toBe(learningRate)
    }
    for (const learningRate of [0, -1, 10.5, Number.NaN]) {
      expect(() => createModelConfig('dense', [28, 28, 1], { learningRate })).toThrow(
        /learning rate must be above 0 and at most 10/,
      )
    }
  })
})
