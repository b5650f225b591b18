// Glue between `fit` and a compiled chain graph: recognises the models it can run (dense, sparse, deep; conv),
// moves weights and Adam state from the tfjs model/optimizer into the graph and back, so saving, checkpoints,
// inference and resume see exactly what an eager run would have left behind.
import * as tf from '@tensorflow/tfjs'
import type { Autoencoder } from '../architectures/index'
import { positiveNumberOption } from '../architectures/chain'
import { DEFAULT_ACTIVITY_L1 } from '../architectures/sparse'
import { CompiledConvChain, validateConvChain, type ConvChainLayer, type ConvChainSpec } from './conv-chain'
import {
  CompiledDenseChain,
  compiledStepsAvailable,
  type DenseChainSpec,
  type DenseLayerSpec,
} from './dense-chain'

/** `fit` hands the optimizer model.trainableWeights in this order; a chain's graph variables must match it. */
function inTrainableOrder(model: tf.LayersModel, trainable: tf.LayerVariable[]): boolean {
  return (
    model.trainableWeights.length === trainable.length && model.trainableWeights.every((w, j) => w === trainable[j])
  )
}

/** Architectures whose loss is exactly BCE from the logits (+ the sparse model's L1 code penalty). */
const CHAIN_ARCHITECTURES = new Set(['dense', 'sparse', 'deep'])

/**
 * The dense-chain description of a model, or undefined when the model is anything else (conv, VAE, U-Net,
 * a dense model with unusual layers): those keep the eager path.
 */
export function denseChainSpec(autoencoder: Autoencoder): DenseChainSpec | undefined {
  if (!CHAIN_ARCHITECTURES.has(autoencoder.config.architecture)) return undefined
  const model = autoencoder.model
  const classes = model.layers.map((layer) => layer.getClassName())
  const denseLayers = model.layers.filter((layer) => layer.getClassName() === 'Dense')
  const expected = ['InputLayer', 'Flatten', ...denseLayers.map(() => 'Dense'), 'Activation', 'Reshape']
  if (denseLayers.length === 0 || classes.join() !== expected.join()) return undefined
  if ((model.layers.at(-2)!.getConfig() as { activation?: string }).activation !== 'sigmoid') return undefined
  const layers: DenseLayerSpec[] = []
  const trainable: tf.LayerVariable[] = []
  for (const layer of denseLayers) {
    const config = layer.getConfig() as { activation?: string; useBias?: boolean }
    if (config.useBias !== true || (config.activation !== 'relu' && config.activation !== 'linear'))
      return undefined
    const [kernel, bias] = layer.trainableWeights
    if (!kernel || !bias || layer.trainableWeights.length !== 2 || kernel.shape.length !== 2) return undefined
    layers.push({ inputUnits: kernel.shape[0]!, units: kernel.shape[1]!, activation: config.activation })
    trainable.push(kernel, bias)
  }
  const last = denseLayers.at(-1)!
  if (last.name !== 'logits' || layers.at(-1)!.activation !== 'linear') return undefined
  if (!inTrainableOrder(model, trainable)) return undefined
  const spec: DenseChainSpec = { layers }
  const codeLayer = denseLayers.findIndex((layer) => layer.name === 'code')
  if (codeLayer >= 0) spec.codeLayer = codeLayer
  if (autoencoder.config.architecture === 'sparse') {
    if (codeLayer < 0) return undefined
    spec.activityL1 = {
      layer: codeLayer,
      strength: positiveNumberOption(autoencoder.config, 'activityL1', DEFAULT_ACTIVITY_L1),
    }
  }
  return spec
}

const sameNumbers = (value: unknown, expected: number[]) =>
  (Array.isArray(value) ? value : [value, value]).join() === expected.join()

/**
 * The conv-chain description of a `conv` model (Conv2D 3×3-style relu layers, 2×2 max-pooling, nearest up-sampling,
 * linear logits → sigmoid), or undefined for anything else (a cropped decoder, strides, dilations, other layers).
 */
export function convChainSpec(autoencoder: Autoencoder): ConvChainSpec | undefined {
  if (autoencoder.config.architecture !== 'conv') return undefined
  const model = autoencoder.model
  const classes = model.layers.map((layer) => layer.getClassName())
  if (classes[0] !== 'InputLayer' || classes.at(-2) !== 'Activation' || classes.at(-1) !== 'Reshape')
    return undefined
  if ((model.layers.at(-2)!.getConfig() as { activation?: string }).activation !== 'sigmoid') return undefined
  const inputShape = autoencoder.config.inputShape
  let channels = inputShape[2]
  const layers: ConvChainLayer[] = []
  const trainable: tf.LayerVariable[] = []
  let codeLayer: number | undefined
  for (const layer of model.layers.slice(1, -2)) {
    const config = layer.getConfig() as Record<string, unknown>
    if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') return undefined
    const className = layer.getClassName()
    if (className === 'Conv2D') {
      const [kernel, bias] = layer.trainableWeights
      const activation = config.activation
      const padding = config.padding
      if (
        !kernel ||
        !bias ||
        layer.trainableWeights.length !== 2 ||
        kernel.shape.length !== 4 ||
        config.useBias !== true
      )
        return undefined
      if ((activation !== 'relu' && activation !== 'linear') || (padding !== 'same' && padding !== 'valid'))
        return undefined
      if (!sameNumbers(config.strides, [1, 1]) || !sameNumbers(config.dilationRate, [1, 1])) return undefined
      layers.push({
        kind: 'conv',
        inChannels: channels,
        filters: kernel.shape[3]!,
        kernel: [kernel.shape[0]!, kernel.shape[1]!],
        padding,
        activation,
      })
      trainable.push(kernel, bias)
      channels = kernel.shape[3]!
    } else if (className === 'MaxPooling2D') {
      const size = (config.poolSize as number[] | undefined)?.[0]
      const padding = config.padding
      if (
        size === undefined ||
        !sameNumbers(config.poolSize, [size, size]) ||
        (padding !== 'same' && padding !== 'valid')
      )
        return undefined
      if (config.strides != null && !sameNumbers(config.strides, [size, size])) return undefined
      layers.push({ kind: 'maxPool', size, padding })
    } else if (className === 'UpSampling2D') {
      const size = (config.size as number[] | undefined)?.[0]
      if (
        size === undefined ||
        !sameNumbers(config.size, [size, size]) ||
        (config.interpolation ?? 'nearest') !== 'nearest'
      )
        return undefined
      layers.push({ kind: 'upSample', size })
    } else {
      return undefined
    }
    if (layer.name === 'code') codeLayer = layers.length - 1
  }
  if (model.layers.at(-3)?.name !== 'logits') return undefined
  if (!inTrainableOrder(model, trainable)) return undefined
  const spec: ConvChainSpec = { inputShape: [...inputShape], layers }
  if (codeLayer !== undefined) spec.codeLayer = codeLayer
  try {
    validateConvChain(spec)
  } catch {
    return undefined
  }
  return spec
}

/** The parts of tfjs' AdamOptimizer the state transfer touches (protected in its typings). */
interface AdamInternals {
  beta1: number
  beta2: number
  epsilon: number
  iterations_: number
  accBeta1: tf.Variable
  accBeta2: tf.Variable
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[]
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[]
}

function adamInternals(optimizer: tf.Optimizer): AdamInternals | undefined {
  if (optimizer.getClassName() !== 'Adam') return undefined
  const adam = optimizer as unknown as AdamInternals
  // `iterations` (public) also initialises tfjs' lazily created counter.
  const numbers = [adam.beta1, adam.beta2, adam.epsilon, optimizer.iterations]
  if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined
  if (!(adam.accBeta1 instanceof tf.Variable) || !(adam.accBeta2 instanceof tf.Variable)) return undefined
  if (!Array.isArray(adam.accumulatedFirstMoment) || !Array.isArray(adam.accumulatedSecondMoment))
    return undefined
  return adam
}

export interface CompiledTrainer {
  /** One Adam step; `inputs`/`targets` are image batches of any shape [batch, …]. Returns the loss (caller disposes). */
  step(inputs: tf.Tensor, targets: tf.Tensor, learningRate: number): tf.Scalar
  /**
   * The step on `order[start … start+size)` of the resident `images` [count, …] (targets = inputs), gathered inside
   * the graph: what fit uses when no noise hook has to see the batch.
   */
  stepIndexed(
    images: tf.Tensor,
    order: tf.Tensor1D,
    start: number,
    size: number,
    learningRate: number,
  ): tf.Scalar
  /** Writes the graph's weights into the model and its moments into the optimizer. */
  syncBack(): void
  dispose(): void
}

export interface CompiledTrainerOptions {
  /** Compile `conv` models too (default true); false keeps them on the eager step. */
  convChains?: boolean
}

/**
 * A compiled trainer for this model and optimizer, or undefined when the eager path must be used (another backend,
 * another architecture, another optimizer).
 */
export async function createCompiledTrainer(
  autoencoder: Autoencoder,
  optimizer: tf.Optimizer,
  options: CompiledTrainerOptions = {},
): Promise<CompiledTrainer | undefined> {
  if (!compiledStepsAvailable()) return undefined
  const adam = adamInternals(optimizer)
  if (!adam) return undefined
  const denseSpec = denseChainSpec(autoencoder)
  const convSpec = denseSpec || options.convChains === false ? undefined : convChainSpec(autoencoder)
  if (!denseSpec && !convSpec) return undefined
  const variables = autoencoder.model.trainableWeights
  const moments = (list: AdamInternals['accumulatedFirstMoment']) =>
    list.length === variables.length ? list.map((entry) => entry.variable as tf.Tensor) : undefined
  const settings = { beta1: adam.beta1, beta2: adam.beta2, epsilon: adam.epsilon }
  // Both chains take image batches in their own layout: flat rows (dense) or NHWC images (conv).
  const batchShape = denseSpec ? [-1, denseSpec.layers[0]!.inputUnits] : [-1, ...convSpec!.inputShape]
  let chain: CompiledDenseChain | CompiledConvChain
  try {
    chain = denseSpec
      ? await CompiledDenseChain.create(denseSpec, settings)
      : await CompiledConvChain.create(convSpec!, settings)
  } catch {
    // A TensorFlow build that cannot load the graph still trains, eagerly: the compiled step is only a speed-up.
    return undefined
  }
  try {
    chain.setState({
      params: variables.map((weight) => weight.read()),
      firstMoments: moments(adam.accumulatedFirstMoment),
      secondMoments: moments(adam.accumulatedSecondMoment),
    })
  } catch (error) {
    chain.dispose()
    throw error
  }
  let iterations = optimizer.iterations
  let flat: { source: tf.Tensor; view: tf.Tensor } | undefined
  // The two chains share one calling convention; the casts only restate the batch layout chosen above.
  const compiled = chain as unknown as {
    trainStep(x: tf.Tensor, y: tf.Tensor, learningRate: number, step: number): tf.Scalar
    trainStepIndexed(
      images: tf.Tensor,
      order: tf.Tensor1D,
      start: number,
      size: number,
      learningRate: number,
      step: number,
    ): tf.Scalar
  }
  return {
    step(inputs, targets, learningRate) {
      iterations++
      return tf.tidy(() => {
        const x = inputs.reshape(batchShape)
        const y = targets === inputs ? x : targets.reshape(batchShape)
        return compiled.trainStep(x, y, learningRate, iterations)
      })
    },
    stepIndexed(images, order, start, size, learningRate) {
      if (flat?.source !== images) {
        flat?.view.dispose()
        // A reshape shares the images' buffer: no copy of the training set. Kept, since fit calls this inside tf.tidy.
        flat = { source: images, view: tf.keep(images.reshape(batchShape)) }
      }
      iterations++
      return compiled.trainStepIndexed(flat.view, order, start, size, learningRate, iterations)
    },
    syncBack() {
      const state = chain.readState()
      try {
        variables.forEach((weight, j) => weight.write(state.params[j]!))
        const store = (
          list: AdamInternals['accumulatedFirstMoment'],
          values: tf.Tensor[],
          suffix: string,
        ) => {
          values.forEach((value, j) => {
            const entry = list[j]
            if (entry) entry.variable.assign(value)
            else
              list[j] = {
                originalName: `${(variables[j]!.read() as tf.Variable).name}/${suffix}`,
                variable: value.variable(false),
              }
          })
        }
        store(adam.accumulatedFirstMoment, state.firstMoments, 'm')
        store(adam.accumulatedSecondMoment, state.secondMoments, 'v')
        // What tfjs' own setWeights does with a restored iteration count.
        adam.iterations_ = iterations
        tf.tidy(() => {
          adam.accBeta1.assign(tf.pow(adam.beta1, iterations + 1))
          adam.accBeta2.assign(tf.pow(adam.beta2, iterations + 1))
        })
      } finally {
        tf.dispose([...state.params, ...state.firstMoments, ...state.secondMoments])
      }
    },
    dispose() {
      flat?.view.dispose()
      chain.dispose()
    },
  }
}
