// The inputs of a chain's train signatures, the same for dense and conv chains: the per-step hyper-parameter vector
// unpacked into named scalars, and the batch — fed as x (train), or gathered here from the resident images at the
// batch's positions in the shuffled order (train_indexed), which spares fit an eager slice/gather/reshape per
// batch. TensorFlow prunes the branch a signature does not need.
import { DataType, type GraphBuilder } from './graph'

const INT32 = { kind: 'type', value: DataType.int32 } as const

export function trainInputs<Name extends string>(
  g: GraphBuilder,
  hyperNames: readonly (Name | 'batchStart' | 'batchSize')[],
  inputShape: number[],
  targetShape: number[],
): { hyper: Record<Name | 'batchStart' | 'batchSize', string>; x: string; y: string } {
  const hyperInput = g.placeholder('train/hyper', [hyperNames.length])
  const unpacked = g.node('Unpack', 'train/hyper_values', [hyperInput], {
    T: { kind: 'type', value: DataType.float },
    num: { kind: 'int', value: hyperNames.length },
    axis: { kind: 'int', value: 0 },
  })
  const hyper = Object.fromEntries(hyperNames.map((name, i) => [name, `${unpacked}:${i}`])) as Record<
    Name | 'batchStart' | 'batchSize',
    string
  >
  const asIndex = (name: string, value: string) =>
    g.node(
      'Reshape',
      `train/${name}`,
      [
        g.node('Cast', `train/${name}_int`, [value], {
          SrcT: { kind: 'type', value: DataType.float },
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
    { Tparams: { kind: 'type', value: DataType.float }, Tindices: INT32, Taxis: INT32 },
  )
  const x = g.placeholderWithDefault('train/x', gathered, inputShape)
  const y = g.placeholderWithDefault('train/y', x, targetShape)
  return { hyper, x, y }
}
