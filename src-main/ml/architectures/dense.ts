// The seed model, as in the Keras blog's "simplest possible autoencoder": the image flattened to one vector,
// one ReLU layer of `codeSize` units (the code), one sigmoid layer back to the image size.
import * as tf from '@tensorflow/tfjs'
import { binaryCrossEntropyFromLogitsLoss } from '../metrics'
import { deriveSeed } from '../random'
import { disposeSharedWeights, splitAtCode, type ArchitectureDefinition, type Autoencoder, type ModelConfig } from './index'

function glorotUniform(config: ModelConfig, layerIndex: number) {
  // Keras' default kernel initialiser; seeded per layer so two layers never draw the same numbers.
  return tf.initializers.glorotUniform(
    config.seed === undefined ? {} : { seed: deriveSeed(config.seed, layerIndex) },
  )
}

function wrap(config: ModelConfig, model: tf.LayersModel): Autoencoder {
  const { encoder, decoder } = splitAtCode(model)
  const logitsModel = tf.model({ inputs: model.inputs, outputs: model.getLayer('logits').getOutputAt(0) as tf.SymbolicTensor })
  let disposed = false
  return {
    config,
    model,
    encoder,
    decoder,
    loss: (inputs, targets) =>
      binaryCrossEntropyFromLogitsLoss(targets, logitsModel.apply(inputs, { training: true }) as tf.Tensor),
    dispose() {
      if (!disposed) disposeSharedWeights([model, encoder, decoder])
      disposed = true
    },
  }
}

export const dense: ArchitectureDefinition = {
  name: 'dense',
  description: 'Input → Dense(code, relu) → Dense(pixels, sigmoid): the Keras tutorial seed model.',
  build(config) {
    const [height, width, channels] = config.inputShape
    const input = tf.input({ shape: config.inputShape, name: 'image' })
    const flat = tf.layers.flatten({ name: 'flatten' }).apply(input)
    const code = tf.layers
      .dense({ units: config.codeSize, activation: 'relu', name: 'code', kernelInitializer: glorotUniform(config, 0) })
      .apply(flat)
    // Dense(pixels, sigmoid) written as two layers so training can take the loss from the logits (see metrics).
    const logits = tf.layers
      .dense({ units: height * width * channels, name: 'logits', kernelInitializer: glorotUniform(config, 1) })
      .apply(code)
    const pixels = tf.layers.activation({ activation: 'sigmoid', name: 'sigmoid' }).apply(logits)
    const reconstruction = tf.layers.reshape({ targetShape: config.inputShape, name: 'reconstruction' }).apply(pixels)
    const model = tf.model({ inputs: input, outputs: reconstruction as tf.SymbolicTensor, name: 'autoencoder' })
    return wrap(config, model)
  },
  restore: wrap,
}
