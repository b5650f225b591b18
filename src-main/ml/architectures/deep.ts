// The Keras blog's deep autoencoder: the image flattened, Dense 128 → 64 → 32 (the code) → 64 → 128 (all relu),
// then Dense(pixels, sigmoid). The hidden widths are an option; the decoder mirrors the encoder.
import * as tf from '@tensorflow/tfjs'
import { seededGlorot, sigmoidImage, unitsOption, wrapChain } from './chain'
import type { ArchitectureDefinition } from './index'

export const deep: ArchitectureDefinition = {
  name: 'deep',
  description: 'Dense 128 → 64 → code → 64 → 128 → pixels (relu, sigmoid out): the Keras blog deep autoencoder.',
  defaults: { codeSize: 32, hiddenUnits: [128, 64] },
  build(config) {
    const hidden = unitsOption(config, 'hiddenUnits', [128, 64])
    const [height, width, channels] = config.inputShape
    let layerIndex = 0
    const denseLayer = (units: number, name: string, activation: 'relu' | 'linear' = 'relu') =>
      tf.layers.dense({ units, activation, name, kernelInitializer: seededGlorot(config, layerIndex++) })
    const input = tf.input({ shape: config.inputShape, name: 'image' })
    let x = tf.layers.flatten({ name: 'flatten' }).apply(input) as tf.SymbolicTensor
    hidden.forEach((units, i) => (x = denseLayer(units, `encoder_${i + 1}`).apply(x) as tf.SymbolicTensor))
    x = denseLayer(config.codeSize, 'code').apply(x) as tf.SymbolicTensor
    ;[...hidden].reverse().forEach((units, i) => (x = denseLayer(units, `decoder_${i + 1}`).apply(x) as tf.SymbolicTensor))
    const logits = denseLayer(height * width * channels, 'logits', 'linear').apply(x) as tf.SymbolicTensor
    const model = tf.model({ inputs: input, outputs: sigmoidImage(logits, config.inputShape), name: 'autoencoder' })
    return wrapChain(config, model)
  },
  restore: (config, model) => wrapChain(config, model),
}
