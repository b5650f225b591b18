import * as tf from '@tensorflow/tfjs'
import { createRequire } from 'node:module'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { buildConvChainGraph, CompiledConvChain, convChainShapes, type ConvChainLayer, type ConvChainSpec } from '../../../src-main/ml/compiled/conv-chain'
import { convChainSpec, createCompiledTrainer } from '../../../src-main/ml/compiled/dense-trainer'
import { savedModelBytes } from '../../../src-main/ml/compiled/graph'
import { loadDataset, type ImageDataset } from '../../../src-main/ml/datasets'
import { binaryCrossEntropyFromLogitsLoss } from '../../../src-main/ml/metrics'
import { createAdam } from '../../../src-main/ml/train'

let mnist: ImageDataset
let native = false

beforeAll(async () => {
  native = (await initBackend()).name === 'tensorflow'
  mnist = await loadDataset('mnist', { limit: 256, testLimit: 16 })
})

const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }
const conv = (inChannels: number, filters: number, activation: 'relu' | 'linear' = 'relu', padding: 'same' | 'valid' = 'same'): ConvChainLayer =>
  ({ kind: 'conv', inChannels, filters, kernel: [3, 3], padding, activation })
const pool = (padding: 'same' | 'valid' = 'same'): ConvChainLayer => ({ kind: 'maxPool', size: 2, padding })
const up: ConvChainLayer = { kind: 'upSample', size: 2 }

/** The Keras blog's denoising autoencoder: Conv 32 → pool → Conv 32 → pool (7×7×32) → mirrored with up-sampling. */
const denoising: ConvChainSpec = {
  inputShape: [28, 28, 1],
  layers: [conv(1, 32), pool(), conv(32, 32), pool(), conv(32, 32), up, conv(32, 32), up, conv(32, 1, 'linear')],
}
/** The blog's first conv model (Bottleneck's `conv`): odd 'same' pooling 7 → 4 and a 'valid' conv 16 → 14. */
const blogConv: ConvChainSpec = {
  inputShape: [28, 28, 1],
  layers: [conv(1, 16), pool(), conv(16, 8), pool(), conv(8, 8), pool(), conv(8, 8), up, conv(8, 8), up, conv(8, 16, 'relu', 'valid'), up, conv(16, 1, 'linear')],
}

/** The same chain as tfjs layers (eager), with seeded initial weights. */
function eagerModel(spec: ConvChainSpec): tf.Sequential {
  const model = tf.sequential()
  spec.layers.forEach((layer, i) => {
    const inputShape = i === 0 ? { inputShape: spec.inputShape } : {}
    if (layer.kind === 'conv') {
      model.add(tf.layers.conv2d({
        ...inputShape, filters: layer.filters, kernelSize: layer.kernel, padding: layer.padding, activation: layer.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 10 + i }), biasInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: 50 + i }),
      }))
    } else if (layer.kind === 'maxPool') {
      model.add(tf.layers.maxPooling2d({ ...inputShape, poolSize: layer.size, padding: layer.padding }))
    } else {
      model.add(tf.layers.upSampling2d({ ...inputShape, size: [layer.size, layer.size] }))
    }
  })
  return model
}

function batch(index: number, size: number): tf.Tensor4D {
  const pixels = 28 * 28
  return tf.tensor4d(mnist.train.images.subarray(index * size * pixels, (index + 1) * size * pixels), [size, 28, 28, 1])
}

function savedModelSessions(): number {
  const require = createRequire(import.meta.url)
  return (require('@tensorflow/tfjs-node') as { node: { getNumOfSavedModels(): number } }).node.getNumOfSavedModels()
}

function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)
}

describe('conv chain graph', () => {
  it('follows the image shapes through the chain and writes a SavedModel TensorFlow\'s reader parses', () => {
    expect(convChainShapes(denoising).map((s) => s.join('x'))).toEqual(
      ['28x28x1', '28x28x32', '14x14x32', '14x14x32', '7x7x32', '7x7x32', '14x14x32', '14x14x32', '28x28x32', '28x28x1'])
    expect(convChainShapes(blogConv)[6]!.join('x')).toBe('4x4x8')
    const { nodes, signatures } = buildConvChainGraph(denoising, ADAM)
    const require = createRequire(import.meta.url)
    const messages = require('@tensorflow/tfjs-node/dist/proto/api_pb') as {
      SavedModel: { deserializeBinary(bytes: Uint8Array): { getMetaGraphsList(): { getGraphDef(): { getNodeList(): { getName(): string; getOp(): string; getAttrMap(): { get(key: string): { getList(): { getIList(): number[] } } | undefined } }[] } }[] } }
    }
    const [metaGraph] = messages.SavedModel.deserializeBinary(savedModelBytes(nodes, signatures)).getMetaGraphsList()
    const parsed = metaGraph!.getGraphDef().getNodeList()
    expect(parsed.map((n) => n.getName())).toEqual(nodes.map((n) => n.name))
    const maxPool = parsed.find((n) => n.getOp() === 'MaxPool')!
    expect(maxPool.getAttrMap().get('ksize')!.getList().getIList()).toEqual([1, 2, 2, 1])
    for (const op of ['Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPoolGrad', 'ResizeNearestNeighborGrad', 'ReluGrad', 'BiasAddGrad']) {
      expect(parsed.some((n) => n.getOp() === op)).toBe(true)
    }
  })

  it('refuses chains it cannot express, with a reason', () => {
    expect(() => buildConvChainGraph({ inputShape: [28, 28, 1], layers: [conv(1, 1, 'relu')] }, ADAM)).toThrow(/linear convolution/)
    expect(() => buildConvChainGraph({ inputShape: [28, 28, 1], layers: [conv(1, 4), pool(), conv(4, 1, 'linear')] }, ADAM)).toThrow(/14×14×1 images from 28×28×1/)
    expect(() => buildConvChainGraph({ inputShape: [28, 28, 1], layers: [conv(2, 1, 'linear')] }, ADAM)).toThrow(/2 channels after 1/)
  })
})

describe.runIf(process.env.BOTTLENECK_BACKEND === undefined || process.env.BOTTLENECK_BACKEND === 'tensorflow')('compiled conv training step', () => {
  for (const [name, spec, denoise] of [['denoising 32-32', denoising, true], ['blog conv 16-8-8', blogConv, false]] as const) {
    it(`matches the eager step for the ${name} model: losses, weights and Adam moments within 1e-5, no leaked tensors or sessions`, async () => {
      if (!native) return expect.fail('native TensorFlow is not available (run npm run setup:native)')
      const start = tf.memory().numTensors
      const sessions = savedModelSessions()
      const model = eagerModel(spec)
      const adam = tf.train.adam(0.001, ADAM.beta1, ADAM.beta2, ADAM.epsilon)
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
      const chain = await CompiledConvChain.create(spec, ADAM)
      const losses: number[] = []
      const lossDifferences: number[] = []
      try {
        chain.setState({ params: variables })
        for (let step = 1; step <= 3; step++) {
          const clean = batch(step - 1, 64)
          const inputs = denoise ? tf.tidy(() => tf.clipByValue(tf.add(clean, tf.randomNormal(clean.shape, 0, 0.5, 'float32', step)), 0, 1)) : clean
          const eagerLoss = tf.tidy(() => adam.minimize(() => binaryCrossEntropyFromLogitsLoss(clean, model.apply(inputs) as tf.Tensor), true, variables) as tf.Scalar)
          const compiledLoss = chain.trainStep(inputs as tf.Tensor4D, clean, 0.001, step)
          losses.push(eagerLoss.dataSync()[0]!)
          lossDifferences.push(Math.abs(eagerLoss.dataSync()[0]! - compiledLoss.dataSync()[0]!))
          tf.dispose([eagerLoss, compiledLoss, clean, inputs])
        }
        const state = chain.readState()
        const eagerMoments = await adam.getWeights()
        try {
          expect(losses[2]!).toBeLessThan(losses[0]!)
          expect(Math.max(...lossDifferences)).toBeLessThan(1e-5)
          expect(Math.max(...variables.map((w, j) => maxDifference(w, state.params[j]!)))).toBeLessThan(1e-5)
          // getWeights: [iterations, m0, v0, m1, v1, …]
          const count = variables.length
          expect(Math.max(...state.firstMoments.map((m, j) => maxDifference(m, eagerMoments[1 + j]!.tensor)))).toBeLessThan(1e-5)
          expect(Math.max(...state.secondMoments.map((v, j) => maxDifference(v, eagerMoments[1 + count + j]!.tensor)))).toBeLessThan(1e-5)
          // The compiled prediction is the eager model's sigmoid output.
          const x = batch(3, 8)
          const [eagerOut, compiledOut] = [tf.tidy(() => tf.sigmoid(model.apply(x) as tf.Tensor)), chain.predict(x)]
          expect(maxDifference(eagerOut, compiledOut)).toBeLessThan(1e-5)
          tf.dispose([x, eagerOut, compiledOut])
        } finally {
          tf.dispose([...state.params, ...state.firstMoments, ...state.secondMoments, ...eagerMoments.map((w) => w.tensor)])
        }
      } finally {
        chain.dispose()
        adam.dispose()
        model.dispose()
      }
      expect(tf.memory().numTensors).toBe(start)
      expect(savedModelSessions()).toBe(sessions)
    })
  }

  it('gathers batches inside the graph exactly as from fed batches, and refuses a batch outside the images', async () => {
    if (!native) return expect.fail('native TensorFlow is not available')
    const start = tf.memory().numTensors
    const model = eagerModel(denoising)
    const [fed, indexed] = [await CompiledConvChain.create(denoising, ADAM), await CompiledConvChain.create(denoising, ADAM)]
    const images = tf.tensor4d(mnist.train.images, [mnist.train.count, 28, 28, 1])
    const order = tf.tensor1d(Int32Array.from({ length: mnist.train.count }, (_, i) => (i * 37) % mnist.train.count), 'int32')
    try {
      fed.setState({ params: model.trainableWeights.map((w) => w.read()) })
      indexed.setState({ params: model.trainableWeights.map((w) => w.read()) })
      let step = 0
      for (const [begin, size] of [[0, 64], [64, 32]] as const) {
        step++
        const batchImages = tf.tidy(() => tf.gather(images, order.slice(begin, size)))
        const [lossA, lossB] = [fed.trainStep(batchImages, batchImages, 0.001, step), indexed.trainStepIndexed(images, order, begin, size, 0.001, step)]
        expect(lossB.dataSync()[0]).toBeCloseTo(lossA.dataSync()[0]!, 6)
        tf.dispose([batchImages, lossA, lossB])
      }
      expect(() => indexed.trainStepIndexed(images, order, 250, 64, 0.001, 3)).toThrow(/outside the 256 training images/)
      const [a, b] = [fed.readState(), indexed.readState()]
      expect(Math.max(...a.params.map((w, j) => maxDifference(w, b.params[j]!)))).toBeLessThan(1e-6)
      for (const state of [a, b]) tf.dispose([...state.params, ...state.firstMoments, ...state.secondMoments])
    } finally {
      fed.dispose()
      indexed.dispose()
      tf.dispose([images, order])
      model.dispose()
    }
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('convChainSpec', () => {
  it('describes the conv architecture layer by layer (the 16-8-8 blog model) and declines cropped or non-conv models', () => {
    const model = buildAutoencoder(createModelConfig('conv', [28, 28, 1], { seed: 1 }))
    const wide = buildAutoencoder(createModelConfig('conv', [28, 28, 1], { seed: 1, filters: [32, 32] }))
    const cropped = buildAutoencoder(createModelConfig('conv', [30, 30, 1], { seed: 1 }))
    const dense = buildAutoencoder(createModelConfig('dense', [28, 28, 1], { seed: 1 }))
    try {
      // The code is the third pooling's 4×4×8 output (layer 5): predict returns it beside the reconstruction.
      expect(convChainSpec(model)).toEqual({ ...blogConv, codeLayer: 5 })
      expect(convChainSpec(wide)!.layers[0]).toEqual(conv(1, 32))
      expect(cropped.model.layers.some((layer) => layer.getClassName() === 'Cropping2D')).toBe(true)
      expect(convChainSpec(cropped)).toBeUndefined()
      expect(convChainSpec(dense)).toBeUndefined()
    } finally {
      for (const autoencoder of [model, wide, cropped, dense]) autoencoder.dispose()
    }
  })
})

describe.runIf(process.env.BOTTLENECK_BACKEND === undefined || process.env.BOTTLENECK_BACKEND === 'tensorflow')('createCompiledTrainer with conv chains', () => {
  it('can be turned off (convChains: false); on, its steps and syncBack leave the model and Adam as the eager steps do', async () => {
    if (!native) return expect.fail('native TensorFlow is not available')
    const start = tf.memory().numTensors
    const sessions = savedModelSessions()
    const config = createModelConfig('conv', [28, 28, 1], { seed: 4 })
    const [eager, compiled] = [buildAutoencoder(config), buildAutoencoder(config)]
    const [eagerAdam, compiledAdam] = [createAdam(config.learningRate), createAdam(config.learningRate)]
    const variables = eager.model.trainableWeights.map((w) => w.read() as tf.Variable)
    try {
      expect(await createCompiledTrainer(compiled, compiledAdam, { convChains: false })).toBeUndefined()
      // One eager step on both first: the compiled trainer must pick up existing Adam moments (a resume).
      const first = batch(0, 32)
      tf.dispose([
        tf.tidy(() => eagerAdam.minimize(() => eager.loss(first, first), true, variables)!),
        tf.tidy(() => compiledAdam.minimize(() => compiled.loss(first, first), true, compiled.model.trainableWeights.map((w) => w.read() as tf.Variable))!),
        first,
      ])
      const trainer = (await createCompiledTrainer(compiled, compiledAdam, { convChains: true }))!
      expect(trainer).toBeDefined()
      const images = tf.tensor4d(mnist.train.images, [mnist.train.count, 28, 28, 1])
      const order = tf.tensor1d(Int32Array.from({ length: mnist.train.count }, (_, i) => (i * 11) % mnist.train.count), 'int32')
      try {
        for (const [begin, size] of [[0, 64], [64, 64], [128, 32]] as const) {
          const x = tf.tidy(() => tf.gather(images, order.slice(begin, size)))
          const eagerLoss = tf.tidy(() => eagerAdam.minimize(() => eager.loss(x, x), true, variables) as tf.Scalar)
          const compiledLoss = begin === 64 ? trainer.step(x, x, config.learningRate) : trainer.stepIndexed(images, order, begin, size, config.learningRate)
          expect(Math.abs(eagerLoss.dataSync()[0]! - compiledLoss.dataSync()[0]!)).toBeLessThan(1e-5)
          tf.dispose([x, eagerLoss, compiledLoss])
        }
        trainer.syncBack()
      } finally {
        trainer.dispose()
        tf.dispose([images, order])
      }
      expect(Math.max(...variables.map((w, j) => maxDifference(w, compiled.model.trainableWeights[j]!.read())))).toBeLessThan(1e-5)
      const [eagerState, compiledState] = [await eagerAdam.getWeights(), await compiledAdam.getWeights()]
      expect(Math.max(...eagerState.map((w, j) => maxDifference(w.tensor, compiledState[j]!.tensor)))).toBeLessThan(1e-5)
      expect(compiledState[0]!.tensor.dataSync()[0]).toBe(4)
      tf.dispose([...eagerState, ...compiledState].map((w) => w.tensor))
    } finally {
      eagerAdam.dispose()
      compiledAdam.dispose()
      eager.dispose()
      compiled.dispose()
    }
    expect(tf.memory().numTensors).toBe(start)
    expect(savedModelSessions()).toBe(sessions)
  })
})
