// A whole training step of a dense autoencoder (Dense layers with ReLU/linear, sigmoid out, BCE from the logits,
// tfjs' Adam) written as ONE TensorFlow graph and run with one session call per batch through tfjs-node's SavedModel
// support, instead of ~100 eagerly dispatched ops. Native (tensorflow) backend only; `fit` falls back to eager.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from '../errors'
import { EPSILON } from '../metrics'
import { DataType, GraphBuilder, savedModelBytes, type SignatureDef, type TensorInfo } from './graph'

export interface DenseLayerSpec {
  inputUnits: number
  units: number
  activation: 'relu' | 'linear'
}

/** A chain of Dense layers whose last layer gives the logits of a sigmoid image. */
export interface DenseChainSpec {
  layers: DenseLayerSpec[]
  /** The sparse model's L1 activity penalty on one layer's output (mean over the batch of the summed |code|). */
  activityL1?: { layer: number; strength: number }
}

export interface AdamSettings {
  beta1: number
  beta2: number
  epsilon: number
}

/** Weights in the order of the model's trainable weights: kernel, bias of layer 0, then layer 1, … */
export interface ChainState {
  params: tf.Tensor[]
  firstMoments: tf.Tensor[]
  secondMoments: tf.Tensor[]
}

interface SavedModelSignature {
  predict(inputs: tf.NamedTensorMap): tf.NamedTensorMap
  dispose(): void
}
interface TfjsNode {
  node: { loadSavedModel(path: string, tags: string[], signature: string): Promise<SavedModelSignature> }
}

const require = createRequire(import.meta.url)

function paramShapes(spec: DenseChainSpec): number[][] {
  return spec.layers.flatMap((layer) => [[layer.inputUnits, layer.units], [layer.units]])
}

const float = (name: string, shape: number[]): TensorInfo => ({ name, dtype: DataType.float, shape })

/** Hyper-parameters fed per step as one vector, so a step uploads one small tensor besides the batch. */
const HYPER = ['negLearningRate', 'firstBiasCorrection', 'secondBiasCorrection', 'pixelCount', 'activityGradScale', 'batchStart', 'batchSize'] as const

/** The graph and its signatures: init (set weights and moments), train / train_indexed, weights (read them), predict. */
export function buildDenseChainGraph(spec: DenseChainSpec, adam: AdamSettings): { nodes: GraphBuilder['nodes']; signatures: Record<string, SignatureDef> } {
  const g = new GraphBuilder()
  const shapes = paramShapes(spec)
  const inputSize = spec.layers[0]!.inputUnits
  const outputSize = spec.layers.at(-1)!.units
  const params = shapes.map((shape, j) => g.variable(`param${j}`, shape))
  const firstMoments = shapes.map((shape, j) => g.variable(`m${j}`, shape))
  const secondMoments = shapes.map((shape, j) => g.variable(`v${j}`, shape))
  const signatures: Record<string, SignatureDef> = {}

  // init: assign every variable from an input.
  const initInputs: Record<string, TensorInfo> = {}
  const initAssigns: string[] = []
  for (const [group, handles] of [['param', params], ['m', firstMoments], ['v', secondMoments]] as const) {
    handles.forEach((handle, j) => {
      const value = g.placeholder(`init/${group}${j}`, shapes[j]!)
      initInputs[`${group}${j}`] = float(`${value}:0`, shapes[j]!)
      initAssigns.push(g.assign(`init/assign_${group}${j}`, handle, value))
    })
  }
  g.after('init/done', g.scalar('init/zero', 0), initAssigns)
  signatures.init = { inputs: initInputs, outputs: { done: float('init/done:0', []) } }

  // weights: read every variable.
  const weightOutputs: Record<string, TensorInfo> = {}
  for (const [group, handles] of [['param', params], ['m', firstMoments], ['v', secondMoments]] as const) {
    handles.forEach((handle, j) => {
      weightOutputs[`${group}${j}`] = float(`${g.read(`weights/${group}${j}`, handle)}:0`, shapes[j]!)
    })
  }
  signatures.weights = { inputs: {}, outputs: weightOutputs }

  const forward = (prefix: string, x: string) => {
    const values = params.map((handle, j) => g.read(`${prefix}/read_param${j}`, handle))
    const activations = [x]
    let logits = x
    spec.layers.forEach((layer, i) => {
      const z = g.binary('BiasAdd', `${prefix}/z${i}`, g.matMul(`${prefix}/matmul${i}`, activations[i]!, values[2 * i]!), values[2 * i + 1]!)
      if (i === spec.layers.length - 1) logits = z
      activations.push(layer.activation === 'relu' ? g.unary('Relu', `${prefix}/a${i}`, z) : z)
    })
    return { values, activations, logits }
  }

  // predict: the reconstruction.
  {
    const x = g.placeholder('predict/x', [-1, inputSize])
    const { logits } = forward('predict', x)
    g.unary('Sigmoid', 'predict/y', logits)
    signatures.predict = { inputs: { x: float('predict/x:0', [-1, inputSize]) }, outputs: { y: float('predict/y:0', [-1, outputSize]) } }
  }

  // train: forward, loss, hand-written backward pass, tfjs' Adam update of every variable.
  const hyperInput = g.placeholder('train/hyper', [HYPER.length])
  const unpacked = g.node('Unpack', 'train/hyper_values', [hyperInput], {
    T: { kind: 'type', value: DataType.float },
    num: { kind: 'int', value: HYPER.length },
    axis: { kind: 'int', value: 0 },
  })
  const hyper = Object.fromEntries(HYPER.map((name, i) => [name, `${unpacked}:${i}`])) as Record<(typeof HYPER)[number], string>
  // x is either fed (train) or gathered here from the resident images in the shuffled order (train_indexed): the
  // second spares fit's eager slice/gather/reshape per batch. TensorFlow prunes the branch that is not needed.
  const asIndex = (name: string, value: string) =>
    g.node('Reshape', `train/${name}`, [
      g.node('Cast', `train/${name}_int`, [value], { SrcT: { kind: 'type', value: DataType.float }, DstT: { kind: 'type', value: DataType.int32 } }),
      g.intVector(`train/${name}_shape`, [1]),
    ], { T: { kind: 'type', value: DataType.int32 }, Tshape: { kind: 'type', value: DataType.int32 } })
  const images = g.placeholder('train/images', [-1, inputSize])
  const order = g.placeholder('train/order', [-1], DataType.int32)
  const batchIndices = g.node('Slice', 'train/batch_indices', [order, asIndex('batch_start', hyper.batchStart), asIndex('batch_size', hyper.batchSize)], {
    T: { kind: 'type', value: DataType.int32 },
    Index: { kind: 'type', value: DataType.int32 },
  })
  const gathered = g.node('GatherV2', 'train/gathered', [images, batchIndices, g.intVector('train/gather_axis', [0], [])], {
    Tparams: { kind: 'type', value: DataType.float },
    Tindices: { kind: 'type', value: DataType.int32 },
    Taxis: { kind: 'type', value: DataType.int32 },
  })
  const x = g.placeholderWithDefault('train/x', gathered, [-1, inputSize])
  const y = g.placeholderWithDefault('train/y', x, [-1, outputSize])
  const { values, activations, logits } = forward('train', x)
  const axis0 = g.intVector('train/axis0', [0])
  const axis1 = g.intVector('train/axis1', [1])
  const one = g.scalar('train/one', 1)

  // The loss value is Keras' clipped BCE of σ(z), exactly as metrics.binaryCrossEntropyFromLogitsLoss computes it.
  const p = g.unary('Sigmoid', 'train/p', logits)
  const clipped = g.node('ClipByValue', 'train/p_clipped', [p, g.scalar('train/eps', EPSILON), g.scalar('train/one_minus_eps', 1 - EPSILON)], {
    T: { kind: 'type', value: DataType.float },
  })
  const terms = g.binary('AddV2', 'train/bce_terms',
    g.binary('Mul', 'train/y_log_p', y, g.unary('Log', 'train/log_p', clipped)),
    g.binary('Mul', 'train/1my_log_1mp', g.binary('Sub', 'train/1my', one, y), g.unary('Log', 'train/log_1mp', g.binary('Sub', 'train/1mp', one, clipped))))
  let loss = g.reduce('Mean', 'train/bce', g.unary('Neg', 'train/bce_per_image', g.reduce('Mean', 'train/bce_terms_mean', terms, axis1)), axis0)
  if (spec.activityL1) {
    const code = activations[spec.activityL1.layer + 1]!
    const l1 = g.reduce('Mean', 'train/l1_mean', g.reduce('Sum', 'train/l1_sum', g.unary('Abs', 'train/l1_abs', code), axis1), axis0)
    loss = g.binary('AddV2', 'train/loss_total', loss, g.binary('Mul', 'train/l1_term', g.scalar('train/l1_strength', spec.activityL1.strength), l1))
  }

  // Backward: dL/dz = (σ(z) − y)/n for the logits, then MatMul/BiasAddGrad/ReluGrad layer by layer.
  const gradients: string[] = new Array<string>(params.length)
  let dz = g.binary('Div', 'train/d_logits', g.binary('Sub', 'train/p_minus_y', p, y), hyper.pixelCount)
  for (let i = spec.layers.length - 1; i >= 0; i--) {
    gradients[2 * i] = g.matMul(`train/d_kernel${i}`, activations[i]!, dz, true, false)
    gradients[2 * i + 1] = g.node('BiasAddGrad', `train/d_bias${i}`, [dz], { T: { kind: 'type', value: DataType.float } })
    if (i === 0) break
    let da = g.matMul(`train/d_a${i - 1}`, dz, values[2 * i]!, false, true)
    if (spec.activityL1?.layer === i - 1) {
      const sign = g.unary('Sign', `train/l1_sign`, activations[i]!)
      da = g.binary('AddV2', `train/d_a${i - 1}_with_l1`, da, g.binary('Mul', 'train/d_l1', sign, hyper.activityGradScale))
    }
    dz = spec.layers[i - 1]!.activation === 'relu' ? g.binary('ReluGrad', `train/d_z${i - 1}`, da, activations[i]!) : da
  }

  // Adam as tfjs computes it (same operations in the same order), so eager and compiled runs agree to float noise.
  const beta1 = g.scalar('train/beta1', adam.beta1)
  const oneMinusBeta1 = g.scalar('train/one_minus_beta1', 1 - adam.beta1)
  const beta2 = g.scalar('train/beta2', adam.beta2)
  const oneMinusBeta2 = g.scalar('train/one_minus_beta2', 1 - adam.beta2)
  const epsilon = g.scalar('train/adam_epsilon', adam.epsilon)
  const assigns: string[] = []
  params.forEach((handle, j) => {
    const grad = gradients[j]!
    const m = g.read(`train/read_m${j}`, firstMoments[j]!)
    const v = g.read(`train/read_v${j}`, secondMoments[j]!)
    const mNew = g.binary('AddV2', `train/m_new${j}`, g.binary('Mul', `train/m_decay${j}`, m, beta1), g.binary('Mul', `train/m_grad${j}`, grad, oneMinusBeta1))
    const vNew = g.binary('AddV2', `train/v_new${j}`, g.binary('Mul', `train/v_decay${j}`, v, beta2),
      g.binary('Mul', `train/v_grad${j}`, g.unary('Square', `train/grad_sq${j}`, grad), oneMinusBeta2))
    const step = g.binary('Div', `train/step_ratio${j}`, g.binary('Div', `train/m_hat${j}`, mNew, hyper.firstBiasCorrection),
      g.binary('AddV2', `train/denominator${j}`, g.unary('Sqrt', `train/sqrt_v_hat${j}`, g.binary('Div', `train/v_hat${j}`, vNew, hyper.secondBiasCorrection)), epsilon))
    const updated = g.binary('AddV2', `train/param_new${j}`, g.binary('Mul', `train/step${j}`, step, hyper.negLearningRate), values[j]!)
    assigns.push(g.assign(`train/assign_m${j}`, firstMoments[j]!, mNew))
    assigns.push(g.assign(`train/assign_v${j}`, secondMoments[j]!, vNew))
    // A graph has no program order: every weight write waits for every forward read, so no layer sees a new weight.
    assigns.push(g.assign(`train/assign_param${j}`, handle, updated, values))
  })
  g.after('train/loss', loss, assigns)
  signatures.train = {
    inputs: {
      x: float('train/x:0', [-1, inputSize]),
      y: float('train/y:0', [-1, outputSize]),
      hyper: float('train/hyper:0', [HYPER.length]),
    },
    outputs: { loss: float('train/loss:0', []) },
  }
  signatures.train_indexed = {
    inputs: {
      images: float('train/images:0', [-1, inputSize]),
      order: { name: 'train/order:0', dtype: DataType.int32, shape: [-1] },
      hyper: float('train/hyper:0', [HYPER.length]),
    },
    outputs: { loss: float('train/loss:0', []) },
  }
  return { nodes: g.nodes, signatures }
}

/** Whether this process can run compiled steps: only tfjs-node's native backend runs SavedModel sessions. */
export function compiledStepsAvailable(): boolean {
  return tf.getBackend() === 'tensorflow'
}

/** One loaded training graph with its own TensorFlow session; its variables live in that session. */
export class CompiledDenseChain {
  private disposed = false

  private constructor(
    readonly spec: DenseChainSpec,
    private readonly adam: AdamSettings,
    private readonly signatures: Record<'init' | 'train' | 'train_indexed' | 'weights' | 'predict', SavedModelSignature>,
  ) {}

  static async create(spec: DenseChainSpec, adam: AdamSettings): Promise<CompiledDenseChain> {
    if (!compiledStepsAvailable()) {
      throw new BottleneckError('BACKEND_UNAVAILABLE', 'Compiled training steps need the native TensorFlow backend.')
    }
    if (spec.layers.length === 0 || spec.layers.at(-1)!.activation !== 'linear') {
      throw new BottleneckError('INVALID_INPUT', 'A compiled dense chain needs at least one layer, the last one linear (the logits).')
    }
    const { node } = require('@tensorflow/tfjs-node') as TfjsNode
    const { nodes, signatures } = buildDenseChainGraph(spec, adam)
    // A fresh folder per graph: tfjs-node reuses one session per (path, tags), which is what lets the four
    // signatures share variables, and what would wrongly share them between two models loaded from one path.
    const folder = await mkdtemp(join(tmpdir(), 'bottleneck-graph-'))
    const loaded: SavedModelSignature[] = []
    try {
      await writeFile(join(folder, 'saved_model.pb'), savedModelBytes(nodes, signatures))
      const names = ['init', 'train', 'train_indexed', 'weights', 'predict'] as const
      for (const name of names) loaded.push(await node.loadSavedModel(folder, ['serve'], name))
      return new CompiledDenseChain(spec, adam, Object.fromEntries(names.map((name, i) => [name, loaded[i]!])) as CompiledDenseChain['signatures'])
    } catch (error) {
      for (const signature of loaded) signature.dispose()
      throw new BottleneckError('BACKEND_UNAVAILABLE', 'TensorFlow could not load the compiled training step.', error)
    } finally {
      // The session holds the graph in memory; the file is no longer needed.
      await rm(folder, { recursive: true, force: true })
    }
  }

  private check(): void {
    if (this.disposed) throw new BottleneckError('INVALID_INPUT', 'This compiled training step has been disposed.')
  }

  /** Sets weights and Adam moments (missing moments start at zero). */
  setState(state: { params: tf.Tensor[]; firstMoments?: tf.Tensor[]; secondMoments?: tf.Tensor[] }): void {
    this.check()
    const shapes = paramShapes(this.spec)
    if (state.params.length !== shapes.length) {
      throw new BottleneckError('INVALID_INPUT', `Expected ${shapes.length} weight tensors, got ${state.params.length}.`)
    }
    tf.tidy(() => {
      const inputs: tf.NamedTensorMap = {}
      shapes.forEach((shape, j) => {
        inputs[`param${j}`] = state.params[j]!.reshape(shape)
        inputs[`m${j}`] = state.firstMoments?.[j]?.reshape(shape) ?? tf.zeros(shape)
        inputs[`v${j}`] = state.secondMoments?.[j]?.reshape(shape) ?? tf.zeros(shape)
      })
      tf.dispose(this.signatures.init.predict(inputs))
    })
  }

  /** Current weights and moments; the caller owns (and disposes) the tensors. */
  readState(): ChainState {
    this.check()
    const outputs = this.signatures.weights.predict({})
    const count = paramShapes(this.spec).length
    const pick = (group: string) => Array.from({ length: count }, (_, j) => outputs[`${group}${j}`]!)
    return { params: pick('param'), firstMoments: pick('m'), secondMoments: pick('v') }
  }

  /**
   * One Adam step on a batch; `step` is 1-based (tfjs' iterations + 1). Returns the batch loss (caller disposes).
   * `targets` may be the inputs themselves (plain autoencoders) or clean images (denoising).
   */
  trainStep(inputs: tf.Tensor2D, targets: tf.Tensor2D, learningRate: number, step: number): tf.Scalar {
    this.check()
    const hyper = this.hyper(learningRate, step, 0, inputs.shape[0])
    try {
      return this.signatures.train.predict({ x: inputs, y: targets, hyper }).loss as tf.Scalar
    } finally {
      hyper.dispose()
    }
  }

  /**
   * The same step on the images `order[start … start+size)` of `images` [count, pixels] (targets = inputs), gathered
   * inside the graph. TensorFlow receives the resident tensors without a copy.
   */
  trainStepIndexed(images: tf.Tensor2D, order: tf.Tensor1D, start: number, size: number, learningRate: number, step: number): tf.Scalar {
    this.check()
    if (start < 0 || size < 1 || start + size > order.shape[0]) {
      throw new BottleneckError('INVALID_INPUT', `The batch ${start}…${start + size} is outside the ${order.shape[0]} training images.`)
    }
    const hyper = this.hyper(learningRate, step, start, size)
    try {
      return this.signatures.train_indexed.predict({ images, order, hyper }).loss as tf.Scalar
    } finally {
      hyper.dispose()
    }
  }

  private hyper(learningRate: number, step: number, start: number, batch: number): tf.Tensor1D {
    const outputSize = this.spec.layers.at(-1)!.units
    const { beta1, beta2 } = this.adam
    const l1 = this.spec.activityL1?.strength ?? 0
    return tf.tensor1d([
      -learningRate,
      1 - Math.pow(beta1, step),
      1 - Math.pow(beta2, step),
      batch * outputSize,
      // d(l1 · mean_batch Σ|code|)/d code = l1 · sign(code) / batch, scaled in tfjs' order: (dy·l1)/batch.
      Math.fround(l1) / batch,
      // Indices up to 2^24 are exact in float32.
      start,
      batch,
    ])
  }

  /** The reconstruction (sigmoid output) for a batch of flattened images. */
  predict(inputs: tf.Tensor2D): tf.Tensor2D {
    this.check()
    return this.signatures.predict.predict({ x: inputs }).y as tf.Tensor2D
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    for (const signature of Object.values(this.signatures)) signature.dispose()
  }
}
