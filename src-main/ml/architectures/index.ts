// Registry of autoencoder architectures. Each architecture is one file exporting an `ArchitectureDefinition`;
// adding one is an import plus an entry in registry() below. Every model takes and returns NHWC batches
// ([batch, height, width, channels], values in [0, 1]) so training, metrics and the store treat them alike.
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from '../errors'
import { conv } from './conv'
import { deep } from './deep'
import { dense } from './dense'
import { denoiser } from './denoiser'
import { unet } from './unet'
import { seq2seq } from './seq2seq'
import { sparse } from './sparse'
import { vae } from './vae'

// Which architectures have a code lives in the contract, which the app's views share; the CLI and the trainer take it
// from here.
export { hasCodeLayer } from '../../contract/index'

export type ArchitectureName = 'dense' | 'sparse' | 'deep' | 'conv' | 'seq2seq' | 'vae' | 'unet' | 'denoiser'

export interface ModelConfig {
  architecture: ArchitectureName
  /** [height, width, channels] of one image. */
  inputShape: [number, number, number]
  codeSize: number
  learningRate: number
  /** Seeds the weight initialisers (and, in fit, the shuffle) for reproducible runs. */
  seed?: number
  /** Per-architecture options (e.g. sparsity, filters); each architecture validates its own. */
  [option: string]: unknown
}

export interface Autoencoder {
  config: ModelConfig
  /** input → reconstruction */
  model: tf.LayersModel
  /** input → code; shares its layers (and weights) with `model`. */
  encoder: tf.LayersModel | null
  /** code → reconstruction; shares its layers (and weights) with `model`. */
  decoder: tf.LayersModel | null
  /** Training loss for a batch, including any regulariser or KL term. Call inside optimizer.minimize / tf.tidy. */
  loss(inputs: tf.Tensor, targets: tf.Tensor): tf.Scalar
  dispose(): void
}

export interface ArchitectureDefinition {
  name: ArchitectureName
  /** One line for `--help` and the UI. */
  description: string
  /** Options this architecture adds to ModelConfig, with their defaults. */
  defaults?: Record<string, unknown>
  /** The code size when none is given, where it depends on the input (a conv code is pooled cells × depth). */
  defaultCodeSize?: (inputShape: readonly [number, number, number]) => number
  build(config: ModelConfig): Autoencoder
  /** Rebuilds encoder/decoder around a model loaded from disk (layers are found again by name). */
  restore(config: ModelConfig, model: tf.LayersModel): Autoencoder
}

// A function, not a constant: architecture files import helpers from this module, and a lazy table keeps that
// import cycle safe whichever file is loaded first.
function registry(): Partial<Record<ArchitectureName, ArchitectureDefinition>> {
  return {
    dense,
    sparse,
    deep,
    conv,
    seq2seq,
    vae,
    denoiser,
    unet,
  }
}

export const DEFAULT_ARCHITECTURE: ArchitectureName = 'dense'

export function listArchitectures(): ArchitectureDefinition[] {
  return Object.values(registry())
}

export function getArchitecture(name: string): ArchitectureDefinition {
  const definition = registry()[name as ArchitectureName]
  if (!definition) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `Unknown architecture "${name}"; available: ${Object.keys(registry()).join(', ')}.`,
    )
  }
  return definition
}

/** A complete config from the few things a user usually picks; architecture defaults fill the rest. */
export function createModelConfig(
  architecture: string,
  inputShape: [number, number, number],
  overrides: Partial<ModelConfig> = {},
): ModelConfig {
  const definition = getArchitecture(architecture)
  const config: ModelConfig = {
    codeSize: 32,
    learningRate: 0.001,
    ...definition.defaults,
    ...(definition.defaultCodeSize ? { codeSize: definition.defaultCodeSize(inputShape) } : {}),
    ...stripUndefined(overrides),
    architecture: definition.name,
    inputShape,
  }
  validateCommon(config)
  return config
}

export function buildAutoencoder(config: ModelConfig): Autoencoder {
  validateCommon(config)
  return getArchitecture(config.architecture).build(config)
}

export function restoreAutoencoder(config: ModelConfig, model: tf.LayersModel): Autoencoder {
  return getArchitecture(config.architecture).restore(config, model)
}

/**
 * The per-pixel error val_loss reports: the reconstruction term of the model's training loss, without a regulariser
 * (sparse's L1, the VAE's KL) and per pixel where the VAE sums over them, so every model's val_loss is on the scale
 * of its reconstructions and `eval` reproduces it. Squared error for the models that train on it (the U-Net, and the
 * denoiser when its loss option is mse or psnr), binary cross-entropy for all others.
 */
export function reconstructionMetric(config: ModelConfig): 'bce' | 'mse' {
  if (config.architecture === 'unet') return 'mse'
  if (config.architecture === 'denoiser' && (config.loss === 'mse' || config.loss === 'psnr')) return 'mse'
  return 'bce'
}

/**
 * Encoder and decoder of a model whose layers form a chain through a layer named `code`: the encoder is the model
 * up to `code`, the decoder re-applies the layers after it to a new input (so the weights are shared, not copied).
 */
export function splitAtCode(model: tf.LayersModel): { encoder: tf.LayersModel; decoder: tf.LayersModel } {
  const layers = model.layers
  const codeIndex = layers.findIndex((layer) => layer.name === 'code')
  if (codeIndex < 0) {
    throw new BottleneckError('MODEL_CORRUPT', 'The model has no layer named "code", so it cannot be split into encoder and decoder.')
  }
  const code = layers[codeIndex]!
  const encoder = tf.model({ inputs: model.inputs, outputs: code.getOutputAt(0) as tf.SymbolicTensor, name: 'encoder' })
  const codeShape = (code.outputShape as number[]).slice(1)
  const codeInput = tf.input({ shape: codeShape, name: 'code_input' })
  let x: tf.SymbolicTensor = codeInput
  for (const layer of layers.slice(codeIndex + 1)) x = layer.apply(x) as tf.SymbolicTensor
  const decoder = tf.model({ inputs: codeInput, outputs: x, name: 'decoder' })
  return { encoder, decoder }
}

/**
 * Frees the weights of models that share layers. LayersModel.dispose() counts references per layer application,
 * so disposing an encoder and its autoencoder in either order throws or leaks; freeing each variable once does not.
 */
export function disposeSharedWeights(models: readonly (tf.LayersModel | null)[]): void {
  const weights = new Set(models.flatMap((model) => model?.weights ?? []))
  for (const weight of weights) {
    // A restored Autoencoder wraps the same model as its origin; whichever is disposed second finds these freed.
    if (!(weight as unknown as { val: tf.Variable }).val.isDisposed) weight.dispose()
  }
}

function validateCommon(config: ModelConfig): void {
  const [height, width, channels] = config.inputShape
  for (const [label, value] of [
    ['height', height],
    ['width', width],
    ['channels', channels],
    ['code size', config.codeSize],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new BottleneckError('INVALID_INPUT', `The model's ${label} must be a positive integer (got ${value}).`)
    }
  }
  // The contract, the Train form and the CLI take (0, 10]: the same bounds here, or 10 passes the form and fails here.
  if (!(config.learningRate > 0 && config.learningRate <= 10)) {
    throw new BottleneckError('INVALID_INPUT', `The learning rate must be above 0 and at most 10 (got ${config.learningRate}).`)
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
