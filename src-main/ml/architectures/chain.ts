// What the chain-shaped autoencoders (dense, sparse, deep, conv, seq2seq) share: seeded Keras-default initialisers and
// the wrapper that turns a model whose layers run in one line through `code` and `logits` into an Autoencoder.
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from '../errors'
import { binaryCrossEntropyFromLogitsLoss } from '../metrics'
import { deriveSeed } from '../random'
import { disposeSharedWeights, splitAtCode, type Autoencoder, type ModelConfig } from './index'

/** Keras' default kernel initialiser, seeded per layer so two layers never draw the same numbers. */
export function seededGlorot(config: ModelConfig, layerIndex: number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform(config.seed === undefined ? {} : { seed: deriveSeed(config.seed, layerIndex) })
}

/** Keras' default recurrent initialiser (orthogonal), seeded likewise. */
export function seededOrthogonal(config: ModelConfig, layerIndex: number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.orthogonal(config.seed === undefined ? {} : { seed: deriveSeed(config.seed, layerIndex) })
}

/** Reads a positive number option, with a message that names the option when it is wrong. */
export function positiveNumberOption(config: ModelConfig, name: string, fallback: number): number {
  const value = config[name] ?? fallback
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new BottleneckError('INVALID_INPUT', `The option "${name}" must be a positive number (got ${String(value)}).`)
  }
  return value
}

/** Reads a positive whole-number option (units, filters). */
export function positiveIntegerOption(config: ModelConfig, name: string, fallback: number): number {
  const value = config[name] ?? fallback
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new BottleneckError('INVALID_INPUT', `The option "${name}" must be a positive whole number (got ${String(value)}).`)
  }
  return value as number
}

/** Reads a list of positive whole numbers (layer widths, filters), with a readable error otherwise. */
export function unitsOption(config: ModelConfig, name: string, fallback: readonly number[]): number[] {
  const value = config[name] ?? fallback
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => Number.isInteger(v) && v > 0)) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `The option "${name}" must be a list of positive whole numbers (got ${JSON.stringify(value)}).`,
    )
  }
  return value as number[]
}

export interface ChainOptions {
  /** Extra training-loss term computed from the code (e.g. the sparse model's L1 activity penalty). */
  codePenalty?: (code: tf.Tensor) => tf.Scalar
}

/**
 * The model must contain a layer named `code` (splitAtCode cuts there) and a layer named `logits` right before the
 * final sigmoid: training takes BCE from the logits, which is cheaper and steadier than through the sigmoid.
 */
export function wrapChain(config: ModelConfig, model: tf.LayersModel, options: ChainOptions = {}): Autoencoder {
  const { encoder, decoder } = splitAtCode(model)
  const logits = model.getLayer('logits').getOutputAt(0) as tf.SymbolicTensor
  const code = model.getLayer('code').getOutputAt(0) as tf.SymbolicTensor
  const penalty = options.codePenalty
  const trainingModel = penalty
    ? tf.model({ inputs: model.inputs, outputs: [logits, code] })
    : tf.model({ inputs: model.inputs, outputs: logits })
  let disposed = false
  return {
    config,
    model,
    encoder,
    decoder,
    loss(inputs, targets) {
      const outputs = trainingModel.apply(inputs, { training: true })
      if (!penalty) return binaryCrossEntropyFromLogitsLoss(targets, outputs as tf.Tensor)
      const [logitsValue, codeValue] = outputs as tf.Tensor[]
      return tf.add(binaryCrossEntropyFromLogitsLoss(targets, logitsValue!), penalty(codeValue!)) as tf.Scalar
    },
    dispose() {
      if (!disposed) disposeSharedWeights([model, encoder, decoder, trainingModel])
      disposed = true
    },
  }
}

/** The image → logits → sigmoid → image tail every chain model ends with. */
export function sigmoidImage(logits: tf.SymbolicTensor, inputShape: [number, number, number]): tf.SymbolicTensor {
  const pixels = tf.layers.activation({ activation: 'sigmoid', name: 'sigmoid' }).apply(logits)
  return tf.layers.reshape({ targetShape: inputShape, name: 'reconstruction' }).apply(pixels) as tf.SymbolicTensor
}
