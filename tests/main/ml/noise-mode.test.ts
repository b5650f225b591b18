// Training noise as the user chooses it: fresh every batch or fixed once per image (the Keras blog), kept in the
// spec text the store saves; and the validation loss of a denoising run scored noisy → clean on the same noisy images
// every epoch.
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import type { ImageSplit } from '../../../src-main/ml/datasets'
import { BottleneckError } from '../../../src-main/ml/errors'
import { evaluateReconstructions } from '../../../src-main/ml/metrics'
import {
  createTrainingNoise,
  formatNoiseSpec,
  parseNoiseSpec,
  withNoiseMode,
  type NoiseSpec,
} from '../../../src-main/ml/noise'
import { fit, type InputNoise } from '../../../src-main/ml/train'

const SHAPE: [number, number, number] = [8, 8, 1]
const IMAGE_SIZE = 64

/** `count` smooth-ish images in [0.2, 0.8] so no noise is hidden by clipping at the start. */
function split(count: number, seed: number): ImageSplit {
  const images = tf.tidy(() => tf.randomUniform([count, ...SHAPE], 0.2, 0.8, 'float32', seed).dataSync() as Float32Array)
  return { images: Float32Array.from(images), count }
}

interface Recorded {
  /** Noisy training inputs per epoch, by image index. */
  train: Map<number, Float32Array>[]
  /** Validation calls (no indices) per epoch: their seeds and noisy inputs. */
  validation: { seed: number; inputs: Float32Array }[][]
}

/** Wraps `noise` so every call is recorded; a new epoch starts when the first training batch follows validation. */
function recording(noise: InputNoise): { noise: InputNoise; recorded: Recorded } {
  const recorded: Recorded = { train: [new Map()], validation: [[]] }
  let sawValidation = false
  return {
    recorded,
    noise: (clean, seed, indices) => {
      const out = noise(clean, seed, indices)
      const values = out.dataSync() as Float32Array
      if (indices) {
        if (sawValidation) {
          recorded.train.push(new Map())
          recorded.validation.push([])
          sawValidation = false
        }
        const positions = indices.dataSync()
        positions.forEach((position, i) =>
          recorded.train.at(-1)!.set(position, values.slice(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE)),
        )
      } else {
        sawValidation = true
        recorded.validation.at(-1)!.push({ seed, inputs: Float32Array.from(values) })
      }
      return out
    },
  }
}

async function trainRecording(spec: NoiseSpec, epochs = 2) {
  const train = split(48, 1)
  const validation = split(20, 2)
  const autoencoder = buildAutoencoder(createModelConfig('dense', SHAPE, { codeSize: 4, seed: 5 }))
  const trainingNoise = createTrainingNoise(spec, train, SHAPE, 5)
  const { noise, recorded } = recording(trainingNoise.noise!)
  const history = await fit(autoencoder, { train, validation }, { epochs, batchSize: 16, seed: 5, noise })
  return { autoencoder, trainingNoise, recorded, history, train, validation }
}

let start = 0
beforeAll(async () => {
  await initBackend()
  start = tf.memory().numTensors
})
afterAll(() => expect(tf.memory().numTensors).toBe(start))

describe('noise mode in the spec text', () => {
  it('reads and writes ",fixed"; fresh is the default and is not written', () => {
    expect(parseNoiseSpec('gaussian:0.5,fixed')).toEqual({ kind: 'gaussian', sigma: 0.5, mode: 'fixed' })
    expect(parseNoiseSpec('Mask:0.3, FRESH')).toEqual({ kind: 'mask', amount: 0.3 })
    expect(formatNoiseSpec(parseNoiseSpec('salt-pepper:0.2,fixed'))).toBe('salt-pepper:0.2,fixed')
    expect(formatNoiseSpec(parseNoiseSpec('gaussian255:25,fixed'))).toBe('gaussian255:25,fixed')
    expect(formatNoiseSpec(withNoiseMode(parseNoiseSpec('speckle:0.3'), 'fixed'))).toBe('speckle:0.3,fixed')
    expect(withNoiseMode(parseNoiseSpec('speckle:0.3,fixed'), 'fresh')).toEqual({ kind: 'speckle', sigma: 0.3 })
    expect(withNoiseMode({ kind: 'none' }, 'fixed')).toEqual({ kind: 'none' })
  })

  it.each([
    ['gaussian:0.5,sometimes', /"sometimes" is not a noise mode/],
    ['gaussian:0.5,fixed,fresh', /at most one mode/],
    ['none,fixed', /no noise to fix/],
  ])('refuses %s with a sentence', (text, pattern) => {
    expect(() => parseNoiseSpec(text)).toThrow(BottleneckError)
    expect(() => parseNoiseSpec(text)).toThrow(pattern)
  })
})

describe('fixed and fresh training noise', () => {
  it('fixed: every training image gets the same noisy input in every epoch', async () => {
    const { autoencoder, trainingNoise, recorded, train } = await trainRecording(parseNoiseSpec('gaussian:0.3,fixed'), 3)
    expect(recorded.train).toHaveLength(3)
    for (const epoch of recorded.train) expect(epoch.size).toBe(train.count)
    let changedPixels = 0
    for (let index = 0; index < train.count; index++) {
      const first = recorded.train[0]!.get(index)!
      expect(Array.from(recorded.train[1]!.get(index)!)).toEqual(Array.from(first))
      expect(Array.from(recorded.train[2]!.get(index)!)).toEqual(Array.from(first))
      const clean = train.images.subarray(index * IMAGE_SIZE, (index + 1) * IMAGE_SIZE)
      changedPixels += first.filter((value, i) => Math.abs(value - clean[i]!) > 1e-6).length
    }
    // Really noisy, not the clean image gathered back: σ = 0.3 moves almost every pixel.
    expect(changedPixels / (train.count * IMAGE_SIZE)).toBeGreaterThan(0.99)
    trainingNoise.dispose()
    autoencoder.dispose()
  })

  it('fresh: the same image gets different noise in each epoch', async () => {
    const { autoencoder, trainingNoise, recorded, train } = await trainRecording(parseNoiseSpec('gaussian:0.3'), 2)
    for (let index = 0; index < train.count; index++) {
      expect(Array.from(recorded.train[1]!.get(index)!)).not.toEqual(Array.from(recorded.train[0]!.get(index)!))
    }
    trainingNoise.dispose()
    autoencoder.dispose()
  })

  it('fixed noise has the spec\'s statistics and depends on the seed', () => {
    const train = split(200, 3)
    const fixedNoise = (seed: number) => {
      const made = createTrainingNoise(parseNoiseSpec('gaussian:0.1,fixed'), train, SHAPE, seed)
      const values = tf.tidy(() => {
        const indices = tf.range(0, train.count, 1, 'int32') as tf.Tensor1D
        return made.noise!(tf.zeros([train.count, ...SHAPE]) as tf.Tensor4D, 0, indices).dataSync() as Float32Array
      })
      made.dispose()
      return values
    }
    const a = fixedNoise(1)
    const differences = a.map((value, i) => value - train.images[i]!)
    const mean = differences.reduce((sum, v) => sum + v, 0) / differences.length
    const std = Math.sqrt(differences.reduce((sum, v) => sum + (v - mean) ** 2, 0) / differences.length)
    expect(Math.abs(mean)).toBeLessThan(0.005)
    expect(Math.abs(std - 0.1)).toBeLessThan(0.005)
    expect(Array.from(fixedNoise(1))).toEqual(Array.from(a))
    expect(Array.from(fixedNoise(2))).not.toEqual(Array.from(a))
  })

  it('"none" needs no noise function and holds nothing', () => {
    const made = createTrainingNoise({ kind: 'none' }, split(4, 1), SHAPE)
    expect(made.noise).toBeUndefined()
    made.dispose()
  })
})

describe('validation loss of a denoising run', () => {
  it.each(['gaussian:0.3', 'gaussian:0.3,fixed'])(
    'with %s it is noisy → clean, on the same noisy images every epoch',
    async (text) => {
      const { autoencoder, trainingNoise, recorded, history, validation } = await trainRecording(parseNoiseSpec(text), 2)
      const [first, second] = recorded.validation
      expect(first!.length).toBeGreaterThan(0)
      expect(second!.map((call) => call.seed)).toEqual(first!.map((call) => call.seed))
      expect(second!.map((call) => Array.from(call.inputs))).toEqual(first!.map((call) => Array.from(call.inputs)))
      expect(Array.from(first![0]!.inputs)).not.toEqual(Array.from(validation.images.subarray(0, first![0]!.inputs.length)))

      // The last val_loss is the final model's BCE from those noisy inputs to the clean images…
      const replay = (clean: tf.Tensor4D) => tf.tensor4d(second![0]!.inputs, clean.shape)
      const noisyToClean = evaluateReconstructions(autoencoder.model, validation, SHAPE, {
        metrics: ['bce'],
        batchSize: validation.count,
        transformInputs: replay,
      }).mean.bce!
      expect(history.epochs.at(-1)!.val_loss).toBeCloseTo(noisyToClean, 5)
      // …which is not what clean inputs give.
      const cleanToClean = evaluateReconstructions(autoencoder.model, validation, SHAPE, { metrics: ['bce'] }).mean.bce!
      expect(Math.abs(noisyToClean - cleanToClean)).toBeGreaterThan(1e-4)
      trainingNoise.dispose()
      autoencoder.dispose()
    },
  )

  it('without noise it stays clean → clean', async () => {
    const train = split(32, 1)
    const validation = split(10, 2)
    const autoencoder = buildAutoencoder(createModelConfig('dense', SHAPE, { codeSize: 4, seed: 5 }))
    const history = await fit(autoencoder, { train, validation }, { epochs: 1, batchSize: 16, seed: 5 })
    const clean = evaluateReconstructions(autoencoder.model, validation, SHAPE, { metrics: ['bce'] }).mean.bce!
    expect(history.epochs[0]!.val_loss).toBeCloseTo(clean, 6)
    autoencoder.dispose()
  })
})
