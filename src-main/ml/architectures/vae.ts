// The Keras blog's variational autoencoder: Dense 256 → (z_mean, z_log_var) → z = z_mean + σ·ε → Dense 256 →
// pixels. Sampling happens only inside the training loss; the saved `model` is the deterministic path
// image → z_mean → reconstruction, built from stock layers only, so the store saves and reloads it as plain tfjs
// layers JSON (no custom layer to register) and predictions are reproducible. z_mean and z_log_var come from one
// Dense layer (`z_params`, 2 × code units) split by cropping, so z_log_var's weights travel with the saved model and a
// reloaded VAE can resume training.
//
// Loss (explicit, as the blog computes it): reconstruction = binary cross-entropy SUMMED over the pixels
// (Keras' mean × 784), plus KL(q(z|x) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²); both averaged over the batch.
import * as tf from '@tensorflow/tfjs'
import { binaryCrossEntropyFromLogitsLoss } from '../metrics'
import { createRandom, deriveSeed, tfjsSeed } from '../random'
import { positiveIntegerOption, seededGlorot, sigmoidImage } from './chain'
import { disposeSharedWeights, splitAtCode, type ArchitectureDefinition, type Autoencoder, type ModelConfig } from './index'

export interface VariationalAutoencoder extends Autoencoder {
  /** [z_mean, z_log_var] for a batch of images (deterministic). */
  encodeDistribution(images: tf.Tensor): [tf.Tensor2D, tf.Tensor2D]
  /** z = z_mean + exp(½ z_log_var)·ε with ε ~ N(0, I) drawn from `seed`: same seed, same sample. */
  sample(zMean: tf.Tensor2D, zLogVar: tf.Tensor2D, seed: number): tf.Tensor2D
}

export function isVariational(autoencoder: Autoencoder): autoencoder is VariationalAutoencoder {
  return typeof (autoencoder as Partial<VariationalAutoencoder>).sample === 'function'
}

function wrap(config: ModelConfig, model: tf.LayersModel): VariationalAutoencoder {
  const { encoder, decoder } = splitAtCode(model)
  const codeSize = config.codeSize
  const pixels = config.inputShape[0] * config.inputShape[1] * config.inputShape[2]
  const grid = model.getLayer('z_params_grid').getOutputAt(0) as tf.SymbolicTensor
  const zLogVarOut = tf.layers.flatten({ name: 'z_log_var' }).apply(
    tf.layers.cropping2D({ cropping: [[1, 0], [0, 0]], name: 'z_log_var_crop' }).apply(grid),
  ) as tf.SymbolicTensor
  const distribution = tf.model({
    inputs: model.inputs,
    outputs: [model.getLayer('code').getOutputAt(0) as tf.SymbolicTensor, zLogVarOut],
    name: 'vae_encoder_distribution',
  })
  // z → logits, through the same decoder layers (shared weights), for the loss.
  const layers = model.layers
  const codeIndex = layers.findIndex((layer) => layer.name === 'code')
  const logitsIndex = layers.findIndex((layer) => layer.name === 'logits')
  const zInput = tf.input({ shape: [codeSize], name: 'z' })
  let x: tf.SymbolicTensor = zInput
  for (const layer of layers.slice(codeIndex + 1, logitsIndex + 1)) x = layer.apply(x) as tf.SymbolicTensor
  const decoderLogits = tf.model({ inputs: zInput, outputs: x, name: 'vae_decoder_logits' })
  // One seed per loss call, drawn from the run's seed: a seeded run samples the same ε batch after batch.
  const nextSeed = createRandom(config.seed === undefined ? undefined : deriveSeed(config.seed, 3000))
  const sample = (zMean: tf.Tensor2D, zLogVar: tf.Tensor2D, seed: number) =>
    tf.tidy(() => tf.add(zMean, tf.mul(tf.exp(tf.mul(0.5, zLogVar)), tf.randomNormal(zMean.shape, 0, 1, 'float32', tfjsSeed(seed))))) as tf.Tensor2D
  let disposed = false
  return {
    config,
    model,
    encoder,
    decoder,
    encodeDistribution: (images) => distribution.predict(images) as [tf.Tensor2D, tf.Tensor2D],
    sample,
    loss(inputs, targets) {
      const [zMean, zLogVar] = distribution.apply(inputs, { training: true }) as [tf.Tensor2D, tf.Tensor2D]
      const z = sample(zMean, zLogVar, Math.floor(nextSeed() * 0x7fff_ffff))
      const logits = decoderLogits.apply(z, { training: true }) as tf.Tensor
      const reconstruction = tf.mul(pixels, binaryCrossEntropyFromLogitsLoss(targets, logits))
      const kl = tf.mean(tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, zLogVar), tf.square(zMean)), tf.exp(zLogVar)), -1)))
      return tf.add(reconstruction, kl) as tf.Scalar
    },
    dispose() {
      if (!disposed) disposeSharedWeights([model, encoder, decoder, distribution, decoderLogits])
      disposed = true
    },
  }
}

export const vae: ArchitectureDefinition = {
  name: 'vae',
  description: 'Variational autoencoder (Dense 256, 2-D code by default): z_mean is the code, sampling in the loss only.',
  defaults: { codeSize: 2, hiddenUnits: 256 },
  build(config) {
    const hidden = positiveIntegerOption(config, 'hiddenUnits', 256)
    const [height, width, channels] = config.inputShape
    const codeSize = config.codeSize
    const input = tf.input({ shape: config.inputShape, name: 'image' })
    const flat = tf.layers.flatten({ name: 'flatten' }).apply(input)
    const h = tf.layers
      .dense({ units: hidden, activation: 'relu', name: 'encoder_hidden', kernelInitializer: seededGlorot(config, 0) })
      .apply(flat)
    const params = tf.layers
      .dense({ units: 2 * codeSize, name: 'z_params', kernelInitializer: seededGlorot(config, 1) })
      .apply(h)
    // Row 0 is z_mean, row 1 is z_log_var: stock layers (reshape + crop) stand in for a slice layer tfjs lacks.
    const grid = tf.layers.reshape({ targetShape: [2, codeSize, 1], name: 'z_params_grid' }).apply(params)
    const meanRow = tf.layers.cropping2D({ cropping: [[0, 1], [0, 0]], name: 'z_mean_crop' }).apply(grid)
    const zMean = tf.layers.flatten({ name: 'code' }).apply(meanRow)
    const d = tf.layers
      .dense({ units: hidden, activation: 'relu', name: 'decoder_hidden', kernelInitializer: seededGlorot(config, 2) })
      .apply(zMean)
    const logits = tf.layers
      .dense({ units: height * width * channels, name: 'logits', kernelInitializer: seededGlorot(config, 3) })
      .apply(d) as tf.SymbolicTensor
    const model = tf.model({ inputs: input, outputs: sigmoidImage(logits, config.inputShape), name: 'autoencoder' })
    return wrap(config, model)
  },
  restore: wrap,
}
