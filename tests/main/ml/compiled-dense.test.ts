import * as tf from '@tensorflow/tfjs'
import { createRequire } from 'node:module'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig, type Autoencoder } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { buildDenseChainGraph } from '../../../src-main/ml/compiled/dense-chain'
import { createCompiledTrainer, denseChainSpec } from '../../../src-main/ml/compiled/dense-trainer'
import { savedModelBytes } from '../../../src-main/ml/compiled/graph'
import { loadDataset, type ImageDataset } from '../../../src-main/ml/datasets'
import { applyNoise, parseNoiseSpec } from '../../../src-main/ml/noise'
import { createAdam, fit, type EpochLogs } from '../../../src-main/ml/train'

let mnist: ImageDataset
let native = false

beforeAll(async () => {
  native = (await initBackend()).name === 'tensorflow'
  mnist = await loadDataset('mnist', { limit: 512, testLimit: 16 })
})

const shape: [number, number, number] = [28, 28, 1]

function batch(index: number, size = 128): tf.Tensor4D {
  const pixels = 28 * 28
  return tf.tensor4d(mnist.train.images.subarray(index * size * pixels, (index + 1) * size * pixels), [size, ...shape])
}

/** TensorFlow sessions tfjs-node holds open: each compiled model has one until disposed. */
function savedModelSessions(): number {
  const require = createRequire(import.meta.url)
  return (require('@tensorflow/tfjs-node') as { node: { getNumOfSavedModels(): number } }).node.getNumOfSavedModels()
}

function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)
}

describe('denseChainSpec', () => {
  it('describes the seed, sparse and deep models layer by layer, and declines the others', () => {
    const seed = buildAutoencoder(createModelConfig('dense', shape, { seed: 1 }))
    const sparse = buildAutoencoder(createModelConfig('sparse', shape, { seed: 1, activityL1: 2e-4 }))
    const deep = buildAutoencoder(createModelConfig('deep', shape, { seed: 1 }))
    const conv = buildAutoencoder(createModelConfig('conv', shape, { seed: 1 }))
    try {
      expect(denseChainSpec(seed)).toEqual({
        layers: [
          { inputUnits: 784, units: 32, activation: 'relu' },
          { inputUnits: 32, units: 784, activation: 'linear' },
        ],
        // The code is the first layer's output: predict returns it beside the reconstruction.
        codeLayer: 0,
      })
      expect(denseChainSpec(sparse)?.activityL1).toEqual({ layer: 0, strength: 2e-4 })
      expect(denseChainSpec(deep)?.layers.map((l) => l.units)).toEqual([128, 64, 32, 64, 128, 784])
      expect(denseChainSpec(deep)?.codeLayer).toBe(2)
      expect(denseChainSpec(conv)).toBeUndefined()
    } finally {
      for (const model of [seed, sparse, deep, conv]) model.dispose()
    }
  })

  it('writes a SavedModel that TensorFlow\'s own protobuf reader parses back (tags, signatures, nodes)', () => {
    const { nodes, signatures } = buildDenseChainGraph(
      { layers: [{ inputUnits: 784, units: 32, activation: 'relu' }, { inputUnits: 32, units: 784, activation: 'linear' }] },
      { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    )
    const require = createRequire(import.meta.url)
    const messages = require('@tensorflow/tfjs-node/dist/proto/api_pb') as {
      SavedModel: { deserializeBinary(bytes: Uint8Array): { getMetaGraphsList(): SavedMetaGraph[] } }
    }
    interface SavedMetaGraph {
      getMetaInfoDef(): { getTagsList(): string[] }
      getGraphDef(): { getNodeList(): { getName(): string; getOp(): string; getInputList(): string[] }[] }
      getSignatureDefMap(): { keys(): Iterable<string> }
    }
    const [metaGraph, ...rest] = messages.SavedModel.deserializeBinary(savedModelBytes(nodes, signatures)).getMetaGraphsList()
    expect(rest).toHaveLength(0)
    expect(metaGraph!.getMetaInfoDef().getTagsList()).toEqual(['serve'])
    expect([...metaGraph!.getSignatureDefMap().keys()].sort()).toEqual(['init', 'predict', 'train', 'train_indexed', 'weights'])
    const parsed = metaGraph!.getGraphDef().getNodeList()
    expect(parsed.map((n) => n.getName())).toEqual(nodes.map((n) => n.name))
    const assign = parsed.find((n) => n.getName() === 'train/assign_param0')!
    expect(assign.getOp()).toBe('AssignVariableOp')
    expect(assign.getInputList()).toContain('^train/read_param3')
  })
})

/** Trains two copies of one model on the same batches, eagerly and compiled, and compares every number. */
async function compareSteps(architecture: string, overrides: Record<string, unknown>, denoise: boolean) {
  const config = createModelConfig(architecture, shape, { seed: 7, ...overrides })
  const eager: Autoencoder = buildAutoencoder(config)
  const compiled: Autoencoder = buildAutoencoder(config)
  const eagerAdam = createAdam(config.learningRate)
  const compiledAdam = createAdam(config.learningRate)
  const trainer = (await createCompiledTrainer(compiled, compiledAdam))!
  expect(trainer).toBeDefined()
  const variables = eager.model.trainableWeights.map((w) => w.read() as tf.Variable)
  const lossDifferences: number[] = []
  const losses: number[] = []
  try {
    for (let step = 0; step < 4; step++) {
      const clean = batch(step)
      // Denoising: a noisy input, the clean image as target (what fit does with a noise function). Seeded, step 0
      // included (applyNoise keeps seed 0 a seed), so every run compares the same numbers. With fresh random noise
      // about one run in 80 failed: a pre-activation landed within rounding of ReLU's kink (1.8e-7 in one probe),
      // the two graphs' last-bit differences put that sample on either side, and the unit's weights moved apart by
      // one sample's share of their gradient (6.6e-5 after four steps). That is rounding, not a wrong step.
      const inputs = denoise ? applyNoise(clean, parseNoiseSpec('gaussian:0.3'), step) : clean
      const eagerLoss = tf.tidy(() => eagerAdam.minimize(() => eager.loss(inputs, clean), true, variables) as tf.Scalar)
      const compiledLoss = trainer.step(inputs, clean, config.learningRate)
      losses.push(eagerLoss.dataSync()[0]!)
      lossDifferences.push(Math.abs(eagerLoss.dataSync()[0]! - compiledLoss.dataSync()[0]!))
      tf.dispose([eagerLoss, compiledLoss, clean, inputs])
    }
    trainer.syncBack()
    const weightDifference = Math.max(
      ...eager.model.trainableWeights.map((w, j) => maxDifference(w.read(), compiled.model.trainableWeights[j]!.read())),
    )
    const eagerState = await eagerAdam.getWeights()
    const compiledState = await compiledAdam.getWeights()
    const momentDifference = Math.max(...eagerState.map((w, j) => maxDifference(w.tensor, compiledState[j]!.tensor)))
    const iterations = [eagerState[0]!.tensor.dataSync()[0], compiledState[0]!.tensor.dataSync()[0]]
    tf.dispose([eagerState[0]!.tensor, compiledState[0]!.tensor])
    return { losses, lossDifferences, weightDifference, momentDifference, iterations }
  } finally {
    trainer.dispose()
    eagerAdam.dispose()
    compiledAdam.dispose()
    eager.dispose()
    compiled.dispose()
  }
}

describe.runIf(process.env.BOTTLENECK_BACKEND === undefined || process.env.BOTTLENECK_BACKEND === 'tensorflow')('compiled dense training step', () => {
  for (const [architecture, overrides, denoise] of [
    ['dense', {}, false],
    ['dense', {}, true],
    ['sparse', { activityL1: 1e-3 }, false],
    ['deep', {}, false],
  ] as const) {
    it(`matches the eager step for ${architecture}${denoise ? ' (denoising)' : ''}: losses, weights and Adam moments within 1e-5, no leaked tensors or sessions`, async () => {
      if (!native) return expect.fail('native TensorFlow is not available (run npm run setup:native)')
      const start = tf.memory().numTensors
      const sessions = savedModelSessions()
      const result = await compareSteps(architecture, overrides, denoise)
      expect(result.losses[3]!).toBeLessThan(result.losses[0]!)
      expect(Math.max(...result.lossDifferences)).toBeLessThan(1e-5)
      expect(result.weightDifference).toBeLessThan(1e-5)
      expect(result.momentDifference).toBeLessThan(1e-5)
      expect(result.iterations).toEqual([4, 4])
      expect(tf.memory().numTensors).toBe(start)
      expect(savedModelSessions()).toBe(sessions)
    })
  }

  it('gathers batches inside the graph exactly as from fed batches, and refuses a batch outside the images', async () => {
    if (!native) return expect.fail('native TensorFlow is not available')
    const start = tf.memory().numTensors
    const config = createModelConfig('dense', shape, { seed: 5 })
    const [a, b] = [buildAutoencoder(config), buildAutoencoder(config)]
    const [adamA, adamB] = [createAdam(0.001), createAdam(0.001)]
    const [fed, indexed] = [(await createCompiledTrainer(a, adamA))!, (await createCompiledTrainer(b, adamB))!]
    const images = tf.tensor4d(mnist.train.images, [mnist.train.count, ...shape])
    const order = tf.tensor1d(Int32Array.from({ length: mnist.train.count }, (_, i) => (i * 37) % mnist.train.count), 'int32')
    try {
      for (const [begin, size] of [[0, 128], [128, 128], [448, 64]] as const) {
        const batchImages = tf.tidy(() => tf.gather(images, order.slice(begin, size)))
        const [lossA, lossB] = [fed.step(batchImages, batchImages, 0.001), indexed.stepIndexed(images, order, begin, size, 0.001)]
        expect(lossB.dataSync()[0]).toBeCloseTo(lossA.dataSync()[0]!, 6)
        tf.dispose([batchImages, lossA, lossB])
      }
      expect(() => indexed.stepIndexed(images, order, 500, 64, 0.001)).toThrow(/outside the 512 training images/)
      fed.syncBack()
      indexed.syncBack()
      expect(Math.max(...a.model.trainableWeights.map((w, j) => maxDifference(w.read(), b.model.trainableWeights[j]!.read())))).toBeLessThan(1e-6)
    } finally {
      fed.dispose()
      indexed.dispose()
      tf.dispose([images, order])
      for (const model of [a, b]) model.dispose()
      adamA.dispose()
      adamB.dispose()
    }
    expect(tf.memory().numTensors).toBe(start)
  })

  it('continues from an optimizer that already took eager steps (resume), and its weights keep training eagerly', async () => {
    if (!native) return expect.fail('native TensorFlow is not available')
    const start = tf.memory().numTensors
    const config = createModelConfig('dense', shape, { seed: 3 })
    const [a, b] = [buildAutoencoder(config), buildAutoencoder(config)]
    const [adamA, adamB] = [createAdam(0.001), createAdam(0.001)]
    const step = (model: Autoencoder, adam: tf.Optimizer, x: tf.Tensor) =>
      tf.tidy(() => adam.minimize(() => model.loss(x, x), true, model.model.trainableWeights.map((w) => w.read() as tf.Variable)) as tf.Scalar)
    try {
      // Both: two eager steps; then A: two more eager, B: two compiled; then both one more eager step.
      for (let i = 0; i < 2; i++) {
        const x = batch(i)
        tf.dispose([step(a, adamA, x), step(b, adamB, x), x])
      }
      const trainer = (await createCompiledTrainer(b, adamB))!
      for (let i = 2; i < 4; i++) {
        const x = batch(i)
        tf.dispose([step(a, adamA, x), trainer.step(x, x, 0.001), x])
      }
      trainer.syncBack()
      trainer.dispose()
      const x = batch(0)
      const [lossA, lossB] = [step(a, adamA, x), step(b, adamB, x)]
      expect(Math.abs(lossA.dataSync()[0]! - lossB.dataSync()[0]!)).toBeLessThan(1e-5)
      const difference = Math.max(...a.model.trainableWeights.map((w, j) => maxDifference(w.read(), b.model.trainableWeights[j]!.read())))
      expect(difference).toBeLessThan(1e-5)
      tf.dispose([lossA, lossB, x])
    } finally {
      adamA.dispose()
      adamB.dispose()
      a.dispose()
      b.dispose()
    }
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe.runIf(process.env.BOTTLENECK_BACKEND === undefined || process.env.BOTTLENECK_BACKEND === 'tensorflow')('fit with compiledSteps', () => {
  async function run(compiledSteps: boolean, abortAfterBatches?: number) {
    const config = createModelConfig('dense', shape, { seed: 11 })
    const autoencoder = buildAutoencoder(config)
    const optimizer = createAdam(config.learningRate)
    const controller = new AbortController()
    const epochs: { logs: EpochLogs; kernel: Float32Array; iterations: number }[] = []
    let batches = 0
    try {
      const history = await fit(autoencoder, { train: mnist.train, validation: mnist.test }, {
        epochs: 2,
        batchSize: 64,
        seed: 11,
        compiledSteps,
        optimizer,
        signal: controller.signal,
        batchReportIntervalMs: 0,
        onBatchEnd: () => {
          if (++batches === abortAfterBatches) controller.abort()
        },
        // What a checkpoint would save: the model's weights and the optimizer's state, read at the epoch's end.
        onEpochEnd: async (logs) => {
          const state = await optimizer.getWeights()
          epochs.push({ logs, kernel: autoencoder.model.trainableWeights[0]!.read().dataSync() as Float32Array, iterations: state[0]!.tensor.dataSync()[0]! })
          state[0]!.tensor.dispose()
        },
      })
      const weights = autoencoder.model.getWeights().map((w) => w.dataSync().slice())
      return { history, epochs, weights }
    } finally {
      optimizer.dispose()
      autoencoder.dispose()
    }
  }

  it('trains like the eager fit (losses, val_loss, weights, optimizer state at each epoch end) and frees every tensor', async () => {
    if (!native) return expect.fail('native TensorFlow is not available')
    const start = tf.memory().numTensors
    const eager = await run(false)
    const compiled = await run(true)
    expect(compiled.history.epochs).toHaveLength(2)
    compiled.epochs.forEach((epoch, i) => {
      const reference = eager.epochs[i]!
      expect(Math.abs(epoch.logs.loss - reference.logs.loss)).toBeLessThan(1e-5)
      expect(Math.abs(epoch.logs.val_loss! - reference.logs.val_loss!)).toBeLessThan(1e-5)
      expect(Math.max(...epoch.kernel.map((v, k) => Math.abs(v - reference.kernel[k]!)))).toBeLessThan(1e-4)
      expect(epoch.iterations).toBe(reference.iterations)
    })
    const difference = Math.max(...compiled.weights.map((w, j) => Math.max(...w.map((v, k) => Math.abs(v - eager.weights[j]![k]!)))))
    expect(difference).toBeLessThan(1e-4)
    expect(tf.memory().numTensors).toBe(start)
  })

  it('leaves the model with every step taken when cancelled mid-epoch', async () => {
    if (!native) return expect.fail('native TensorFlow is not available')
    const eager = await run(false, 5)
    const compiled = await run(true, 5)
    expect(compiled.history.cancelled).toBe(true)
    const difference = Math.max(...compiled.weights.map((w, j) => Math.max(...w.map((v, k) => Math.abs(v - eager.weights[j]![k]!)))))
    expect(difference).toBeLessThan(1e-5)
    // And the steps did change the weights (the comparison is not between two untouched models).
    const untouched = buildAutoencoder(createModelConfig('dense', shape, { seed: 11 }))
    const initial = untouched.model.getWeights()[0]!.dataSync()
    expect(Math.max(...compiled.weights[0]!.map((v, k) => Math.abs(v - initial[k]!)))).toBeGreaterThan(1e-3)
    untouched.dispose()
  })
})

describe('createCompiledTrainer fallback', () => {
  it('declines models it cannot compile, so fit keeps the eager path', async () => {
    // A VAE (sampling, two losses) is neither a dense nor a conv chain.
    const conv = buildAutoencoder(createModelConfig('vae', shape, { seed: 1 }))
    const adam = createAdam(0.001)
    try {
      expect(await createCompiledTrainer(conv, adam)).toBeUndefined()
      const seed = buildAutoencoder(createModelConfig('dense', shape, { seed: 1 }))
      const sgd = tf.train.sgd(0.1)
      try {
        expect(await createCompiledTrainer(seed, sgd)).toBeUndefined()
      } finally {
        seed.dispose()
        sgd.dispose()
      }
    } finally {
      conv.dispose()
      adam.dispose()
    }
  })
})
