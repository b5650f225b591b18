// The Keras blog's sequence-to-sequence autoencoder, on images read as sequences: each of the 28 rows is one
// timestep of 28 features. An LSTM reads the rows into the code, RepeatVector feeds the code to every step of a
// decoder LSTM, and a per-step Dense(width, sigmoid) writes each row back in [0, 1].
import * as tf from '@tensorflow/tfjs'
import { positiveIntegerOption, seededGlorot, seededOrthogonal, sigmoidImage, wrapChain } from './chain'
import type { ArchitectureDefinition } from './index'

/**
 * Applies a layer inside tf.tidy: tfjs' LSTM with unitForgetBias (Keras' default, forget-gate bias 1) leaks the
 * temporary tensors its bias initialiser concatenates; tidy frees them and keeps the weights (variables survive tidy).
 */
function applyTidily(layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor {
  return tf.tidy(() => layer.apply(x) as unknown as tf.Tensor) as unknown as tf.SymbolicTensor
}

export const seq2seq: ArchitectureDefinition = {
  name: 'seq2seq',
  description: 'LSTM over the image rows → code → RepeatVector → LSTM → Dense per row: the Keras blog seq2seq autoencoder.',
  // decoderUnits defaults to one unit per feature (28 for MNIST), as the blog's decoder LSTM has.
  defaults: { codeSize: 32 },
  build(config) {
    const [height, width, channels] = config.inputShape
    const decoderUnits = positiveIntegerOption(config, 'decoderUnits', width * channels)
    const features = width * channels
    const input = tf.input({ shape: config.inputShape, name: 'image' })
    const rows = tf.layers.reshape({ targetShape: [height, features], name: 'rows' }).apply(input)
    const code = applyTidily(
      tf.layers.lstm({
        units: config.codeSize,
        name: 'code',
        unitForgetBias: true,
        kernelInitializer: seededGlorot(config, 0),
        recurrentInitializer: seededOrthogonal(config, 1),
      }),
      rows as tf.SymbolicTensor,
    )
    const repeated = tf.layers.repeatVector({ n: height, name: 'repeat' }).apply(code)
    const decoded = applyTidily(
      tf.layers.lstm({
        units: decoderUnits,
        returnSequences: true,
        name: 'decoder_lstm',
        unitForgetBias: true,
        kernelInitializer: seededGlorot(config, 2),
        recurrentInitializer: seededOrthogonal(config, 3),
      }),
      repeated as tf.SymbolicTensor,
    )
    const logits = tf.layers
      .timeDistributed({
        layer: tf.layers.dense({ units: features, kernelInitializer: seededGlorot(config, 4) }),
        name: 'logits',
      })
      .apply(decoded) as tf.SymbolicTensor
    const model = tf.model({ inputs: input, outputs: sigmoidImage(logits, config.inputShape), name: 'autoencoder' })
    return wrapChain(config, model)
  },
  restore: (config, model) => wrapChain(config, model),
}
