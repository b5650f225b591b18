// Graph pieces every compiled chain (dense, conv) builds the same way: the variables with their init and weights
// signatures, the predict signature, the train inputs, Keras' BCE from the logits and the train signatures. The
// chains supply only what differs: their layers' forward and backward passes.
import { EPSILON } from '../metrics'
import { DataType, type GraphBuilder, type SignatureDef, type TensorInfo } from './graph'

const INT32 = { kind: 'type', value: DataType.int32 } as const
const FLOAT = { kind: 'type', value: DataType.float } as const

export const float = (name: string, shape: number[]): TensorInfo => ({ name, dtype: DataType.float, shape })

/**
 * The hyper-parameters a train step reads, fed as one vector so a step uploads one small tensor besides the batch;
 * CompiledChainSession builds it in this order. activityGradScale is the sparse model's L1 term (0 elsewhere).
 */
export const CHAIN_HYPER = [
  'negLearningRate',
  'firstBiasCorrection',
  'secondBiasCorrection',
  'pixelCount',
  'activityGradScale',
  'batchStart',
  'batchSize',
] as const

/** Weights and Adam's two moments as variables, and the signatures that set (init) and read (weights) them all. */
export function chainVariables(
  g: GraphBuilder,
  shapes: number[][],
): {
  params: string[]
  firstMoments: string[]
  secondMoments: string[]
  init: SignatureDef
  weights: SignatureDef
} {
  const params = shapes.map((shape, j) => g.variable(`param${j}`, shape))
  const firstMoments = shapes.map((shape, j) => g.variable(`m${j}`, shape))
  const secondMoments = shapes.map((shape, j) => g.variable(`v${j}`, shape))
  const initInputs: Record<string, TensorInfo> = {}
  const initAssigns: string[] = []
  const weightOutputs: Record<string, TensorInfo> = {}
  for (const [group, handles] of [
    ['param', params],
    ['m', firstMoments],
    ['v', secondMoments],
  ] as const) {
    handles.forEach((handle, j) => {
      const value = g.placeholder(`init/${group}${j}`, shapes[j]!)
      initInputs[`${group}${j}`] = float(`${value}:0`, shapes[j]!)
      initAssigns.push(g.assign(`init/assign_${group}${j}`, handle, value))
      weightOutputs[`${group}${j}`] = float(`${g.read(`weights/${group}${j}`, handle)}:0`, shapes[j]!)
    })
  }
  g.after('init/done', g.scalar('init/zero', 0), initAssigns)
  return {
    params,
    firstMoments,
    secondMoments,
    init: { inputs: initInputs, outputs: { done: float('init/done:0', []) } },
    weights: { inputs: {}, outputs: weightOutputs },
  }
}

/** predict: σ(logits) as `y`, and the output of the code layer as `code` when the chain names one. */
export function predictSignature(
  g: GraphBuilder,
  shapes: { input: number[]; output: number[] },
  forward: (prefix: string, x: string) => { logits: string; activations: string[] },
  code?: { layer: number; shape: number[] },
): SignatureDef {
  const x = g.placeholder('predict/x', shapes.input)
  const { logits, activations } = forward('predict', x)
  g.unary('Sigmoid', 'predict/y', logits)
  const outputs: Record<string, TensorInfo> = { y: float('predict/y:0', shapes.output) }
  if (code) {
    const node = g.unary('Identity', 'predict/code', activations[code.layer + 1]!)
    outputs.code = float(`${node}:0`, code.shape)
  }
  return { inputs: { x: float('predict/x:0', shapes.input) }, outputs }
}

/**
 * Keras' clipped binary cross-entropy of σ(z) against y, averaged over each image's `pixelAxes`, then over the batch
 * (`batchAxis`), exactly as metrics.binaryCrossEntropyFromLogitsLoss computes it. Returns σ(z) too: the backward
 * pass starts from (σ(z) − y)/n.
 */
export function bceFromLogits(
  g: GraphBuilder,
  logits: string,
  y: string,
  axes: { pixels: string; batch: string },
): { p: string; loss: string } {
  const one = g.scalar('train/one', 1)
  const p = g.unary('Sigmoid', 'train/p', logits)
  const clipped = g.node(
    'ClipByValue',
    'train/p_clipped',
    [p, g.scalar('train/eps', EPSILON), g.scalar('train/one_minus_eps', 1 - EPSILON)],
    { T: FLOAT },
  )
  const terms = g.binary(
    'AddV2',
    'train/bce_terms',
    g.binary('Mul', 'train/y_log_p', y, g.unary('Log', 'train/log_p', clipped)),
    g.binary(
      'Mul',
      'train/1my_log_1mp',
      g.binary('Sub', 'train/1my', one, y),
      g.unary('Log', 'train/log_1mp', g.binary('Sub', 'train/1mp', one, clipped)),
    ),
  )
  const perImage = g.reduce('Mean', 'train/bce_terms_mean', terms, axes.pixels)
  const loss = g.reduce('Mean', 'train/bce', g.unary('Neg', 'train/bce_per_image', perImage), axes.batch)
  return { p, loss }
}

/**
 * The inputs of the train signatures: the per-step hyper-parameter vector unpacked into named scalars, and the
 * batch — fed as x (train), or gathered here from the resident images at the batch's positions in the shuffled
 * order (train_indexed), which spares fit an eager slice/gather/reshape per batch. TensorFlow prunes the branch a
 * signature does not need.
 */
export function trainInputs(
  g: GraphBuilder,
  inputShape: number[],
  targetShape: number[],
): { hyper: Record<(typeof CHAIN_HYPER)[number], string>; x: string; y: string } {
  const hyperInput = g.placeholder('train/hyper', [CHAIN_HYPER.length])
  const unpacked = g.node('Unpack', 'train/hyper_values', [hyperInput], {
    T: FLOAT,
    num: { kind: 'int', value: CHAIN_HYPER.length },
    axis: { kind: 'int', value: 0 },
  })
  const hyper = Object.fromEntries(CHAIN_HYPER.map((name, i) => [name, `${unpacked}:${i}`])) as Record<
    (typeof CHAIN_HYPER)[number],
    string
  >
  const asIndex = (name: string, value: string) =>
    g.node(
      'Reshape',
      `train/${name}`,
      [
        g.node('Cast', `train/${name}_int`, [value], {
          SrcT: FLOAT,
          DstT: INT32,
        }),
        g.intVector(`train/${name}_shape`, [1]),
      ],
      { T: INT32, Tshape: INT32 },
    )
  const images = g.placeholder('train/images', inputShape)
  const order = g.placeholder('train/order', [-1], DataType.int32)
  const batchIndices = g.node(
    'Slice',
    'train/batch_indices',
    [order, asIndex('batch_start', hyper.batchStart), asIndex('batch_size', hyper.batchSize)],
    { T: INT32, Index: INT32 },
  )
  const gathered = g.node(
    'GatherV2',
    'train/gathered',
    [images, batchIndices, g.intVector('train/gather_axis', [0], [])],
    { Tparams: FLOAT, Tindices: INT32, Taxis: INT32 },
  )
  const x = g.placeholderWithDefault('train/x', gathered, inputShape)
  const y = g.placeholderWithDefault('train/y', x, targetShape)
  return { hyper, x, y }
}

/** The train (fed batch) and train_indexed (batch gathered from the resident images) signatures; both give the loss. */
export function trainSignatures(
  inputShape: number[],
  targetShape: number[],
): { train: SignatureDef; train_indexed: SignatureDef } {
  const hyper = float('train/hyper:0', [CHAIN_HYPER.length])
  const outputs = { loss: float('train/loss:0', []) }
  return {
    train: {
      inputs: { x: float('train/x:0', inputShape), y: float('train/y:0', targetShape), hyper },
      outputs,
    },
    train_indexed: {
      inputs: {
        images: float('train/images:0', inputShape),
        order: { name: 'train/order:0', dtype: DataType.int32, shape: [-1] },
        hyper,
      },
      outputs,
    },
  }
}
