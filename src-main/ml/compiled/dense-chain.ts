// A whole training step of a dense autoencoder (Dense layers with ReLU/linear, sigmoid out, BCE from the logits,
// tfjs' Adam) written as ONE TensorFlow graph and run with one session call per batch through tfjs-node's SavedModel
// support, instead of ~100 eagerly dispatched ops. Native (tensorflow) backend only; `fit` falls back to eager.
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from '../errors'
import { adamUpdates } from './adam-graph'
import { bceFromLogits, chainVariables, predictSignature, trainInputs, trainSignatures } from './chain-graph'
import { DataType, GraphBuilder, type SignatureDef } from './graph'
import { CompiledChainSession, loadSignatures, type AdamSettings, type Signatures } from './session'

export { compiledStepsAvailable, type AdamSettings, type ChainState } from './session'

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
  /** The layer whose output is the model's code (the encoder's end): `predict` then returns it beside `y`. */
  codeLayer?: number
}

function paramShapes(spec: DenseChainSpec): number[][] {
  return spec.layers.flatMap((layer) => [[layer.inputUnits, layer.units], [layer.units]])
}

/** The graph and its signatures: init (set weights and moments), train / train_indexed, weights (read them), predict. */
export function buildDenseChainGraph(
  spec: DenseChainSpec,
  adam: AdamSettings,
): { nodes: GraphBuilder['nodes']; signatures: Record<string, SignatureDef> } {
  const g = new GraphBuilder()
  const shapes = paramShapes(spec)
  const inputSize = spec.layers[0]!.inputUnits
  const outputSize = spec.layers.at(-1)!.units
  const { params, firstMoments, secondMoments, init, weights } = chainVariables(g, shapes)
  const signatures: Record<string, SignatureDef> = { init, weights }

  const forward = (prefix: string, x: string) => {
    const values = params.map((handle, j) => g.read(`${prefix}/read_param${j}`, handle))
    const activations = [x]
    let logits = x
    spec.layers.forEach((layer, i) => {
      const z = g.binary(
        'BiasAdd',
        `${prefix}/z${i}`,
        g.matMul(`${prefix}/matmul${i}`, activations[i]!, values[2 * i]!),
        values[2 * i + 1]!,
      )
      if (i === spec.layers.length - 1) logits = z
      activations.push(layer.activation === 'relu' ? g.unary('Relu', `${prefix}/a${i}`, z) : z)
    })
    return { values, activations, logits }
  }

  // predict: the reconstruction, and the code when the spec names its layer.
  const code = spec.codeLayer
  signatures.predict = predictSignature(
    g,
    { input: [-1, inputSize], output: [-1, outputSize] },
    forward,
    code === undefined ? undefined : { layer: code, shape: [-1, spec.layers[code]!.units] },
  )

  // train: forward, loss, hand-written backward pass, tfjs' Adam update of every variable.
  const { hyper, x, y } = trainInputs(g, [-1, inputSize], [-1, outputSize])
  const { values, activations, logits } = forward('train', x)
  const axis0 = g.intVector('train/axis0', [0])
  const axis1 = g.intVector('train/axis1', [1])

  // The loss value is Keras' clipped BCE of σ(z), exactly as metrics.binaryCrossEntropyFromLogitsLoss computes it.
  const bce = bceFromLogits(g, logits, y, { pixels: axis1, batch: axis0 })
  const p = bce.p
  let loss = bce.loss
  if (spec.activityL1) {
    const code = activations[spec.activityL1.layer + 1]!
    const l1 = g.reduce(
      'Mean',
      'train/l1_mean',
      g.reduce('Sum', 'train/l1_sum', g.unary('Abs', 'train/l1_abs', code), axis1),
      axis0,
    )
    loss = g.binary(
      'AddV2',
      'train/loss_total',
      loss,
      g.binary('Mul', 'train/l1_term', g.scalar('train/l1_strength', spec.activityL1.strength), l1),
    )
  }

  // Backward: dL/dz = (σ(z) − y)/n for the logits, then MatMul/BiasAddGrad/ReluGrad layer by layer.
  const gradients: string[] = new Array<string>(params.length)
  let dz = g.binary('Div', 'train/d_logits', g.binary('Sub', 'train/p_minus_y', p, y), hyper.pixelCount)
  for (let i = spec.layers.length - 1; i >= 0; i--) {
    gradients[2 * i] = g.matMul(`train/d_kernel${i}`, activations[i]!, dz, true, false)
    gradients[2 * i + 1] = g.node('BiasAddGrad', `train/d_bias${i}`, [dz], {
      T: { kind: 'type', value: DataType.float },
    })
    if (i === 0) break
    let da = g.matMul(`train/d_a${i - 1}`, dz, values[2 * i]!, false, true)
    if (spec.activityL1?.layer === i - 1) {
      const sign = g.unary('Sign', `train/l1_sign`, activations[i]!)
      da = g.binary(
        'AddV2',
        `train/d_a${i - 1}_with_l1`,
        da,
        g.binary('Mul', 'train/d_l1', sign, hyper.activityGradScale),
      )
    }
    dz =
      spec.layers[i - 1]!.activation === 'relu'
        ? g.binary('ReluGrad', `train/d_z${i - 1}`, da, activations[i]!)
        : da
  }

  // Adam as tfjs computes it (same operations in the same order), so eager and compiled runs agree to float noise.
  const assigns = adamUpdates(g, adam, { params, values, gradients, firstMoments, secondMoments, hyper })
  g.after('train/loss', loss, assigns)
  Object.assign(signatures, trainSignatures([-1, inputSize], [-1, outputSize]))
  return { nodes: g.nodes, signatures }
}

/** The compiled training step of one dense chain (see CompiledChainSession for the calls). */
export class CompiledDenseChain extends CompiledChainSession<tf.Tensor2D> {
  private constructor(
    readonly spec: DenseChainSpec,
    adam: AdamSettings,
    signatures: Signatures,
  ) {
    super(adam, signatures, paramShapes(spec), {
      valuesPerImage: spec.layers.at(-1)!.units,
      activityL1: spec.activityL1?.strength ?? 0,
    })
  }

  static async create(spec: DenseChainSpec, adam: AdamSettings): Promise<CompiledDenseChain> {
    if (spec.layers.length === 0 || spec.layers.at(-1)!.activation !== 'linear') {
      throw new BottleneckError(
        'INVALID_INPUT',
        'A compiled dense chain needs at least one layer, the last one linear (the logits).',
      )
    }
    return new CompiledDenseChain(spec, adam, await loadSignatures(buildDenseChainGraph(spec, adam)))
  }
}
