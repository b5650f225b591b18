// The seed model, as in the Keras blog's "simplest possible autoencoder": the image flattened to one vector,
// one ReLU layer of `codeSize` units (the code), one sigmoid layer back to the image size.
import * as tf from '@tensorflow/tfjs'
import { seededGlorot, sigmoidImage, wrapChain } from './chain'
import type { ArchitectureDefinition, ModelConfig } from './index'

/** Input → Dense(code, relu) → Dense(pixels) logits → sigmoid image; the sparse model is the same network. */
export function denseAutoencoderModel(config: ModelConfig): tf.LayersModel {
  const [height, width, channels] = config.inputShape
  const input = tf.input({ shape: config.inputShape, name: 'image' })
  const flat = tf.layers.flatten({ name: 'flatten' }).apply(input)
  const code = tf.layers
    .dense({ units: config.codeSize, activation: 'relu', name: 'code', kernelInitializer: seededGlorot(config, 0) })
    .apply(flat)
  // Dense(pixels, sigmoid) written as two layers so training can take the loss from the logits (see metrics).
  const logits = tf.layers
    .dense({ units: height * width * channels, name: 'logits', kernelInitializer: seededGlorot(config, 1) })
    .apply(code) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: sigmoidImage(logits, config.inputShape), name: 'autoencoder' })
}

export const dense: ArchitectureDefinition = {
  name: 'dense',
  description: 'Input → Dense(code, relu) → Dense(pixels, sigmoid): the Keras tutorial seed model.',
  build: (config) => wrapChain(config, denseAutoencoderModel(config)),
  restore: (config, model) => wrapChain(config, model),
}
