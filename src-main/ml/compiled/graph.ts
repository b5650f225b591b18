// TensorFlow GraphDef / SavedModel construction in plain TypeScript: nodes with typed attributes, serialised with
// the minimal protobuf writer into a `saved_model.pb` that TF_LoadSessionFromSavedModel (tfjs-node) can load.
// Field numbers follow TensorFlow 2.16's graph.proto, node_def.proto, attr_value.proto, meta_graph.proto.
import { ProtoWriter } from './protobuf'

/** TensorFlow's DataType enum (types.proto). */
export const DataType = { float: 1, int32: 3, resource: 20 } as const
export type DataTypeCode = (typeof DataType)[keyof typeof DataType]

/** A shape; -1 is an unknown dimension. */
export type Shape = readonly number[]

export type Attr =
  | { kind: 'type'; value: DataTypeCode }
  | { kind: 'shape'; value: Shape }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'tensor'; dtype: DataTypeCode; shape: Shape; content: Float32Array | Int32Array }

export interface NodeDef {
  name: string
  op: string
  /** "name", "name:1", or "^name" for a control dependency (which must come after the data inputs). */
  inputs: string[]
  attrs: Record<string, Attr>
}

export interface TensorInfo {
  /** "node:output" */
  name: string
  dtype: DataTypeCode
  shape: Shape
}

export interface SignatureDef {
  inputs: Record<string, TensorInfo>
  outputs: Record<string, TensorInfo>
}

/** The GraphDef version TensorFlow 2.16 writes (TF_GRAPH_DEF_VERSION in core/public/version.h). */
const GRAPH_DEF_PRODUCER = 1766

function shapeProto(shape: Shape): ProtoWriter {
  const proto = new ProtoWriter()
  for (const size of shape) proto.bytes(2, new ProtoWriter().int(1, size))
  return proto
}

function attrProto(attr: Attr): ProtoWriter {
  const proto = new ProtoWriter()
  switch (attr.kind) {
    case 'string':
      return proto.bytes(2, attr.value)
    case 'int':
      return proto.int(3, attr.value)
    case 'bool':
      return proto.int(5, attr.value)
    case 'type':
      return proto.int(6, attr.value)
    case 'ints':
      // AttrValue.list (1) → ListValue.i (3), packed.
      return proto.bytes(1, new ProtoWriter().packedInts(3, attr.value))
    case 'shape':
      return proto.bytes(7, shapeProto(attr.value))
    case 'tensor': {
      const content = new Uint8Array(attr.content.buffer, attr.content.byteOffset, attr.content.byteLength)
      return proto.bytes(
        8,
        new ProtoWriter().int(1, attr.dtype).bytes(2, shapeProto(attr.shape)).bytes(4, content),
      )
    }
  }
}

function nodeProto(node: NodeDef): ProtoWriter {
  const proto = new ProtoWriter().bytes(1, node.name).bytes(2, node.op)
  for (const input of node.inputs) proto.bytes(3, input)
  for (const [key, attr] of Object.entries(node.attrs)) {
    proto.bytes(5, new ProtoWriter().bytes(1, key).bytes(2, attrProto(attr)))
  }
  return proto
}

function tensorInfoProto(info: TensorInfo): ProtoWriter {
  // tfjs-node reads every signature tensor's shape, so it is always written (an empty shape is a scalar).
  return new ProtoWriter().bytes(1, info.name).int(2, info.dtype).bytes(3, shapeProto(info.shape))
}

/** Serialises a one-MetaGraph SavedModel (tag "serve") holding `nodes` and the named signatures. */
export function savedModelBytes(
  nodes: readonly NodeDef[],
  signatures: Record<string, SignatureDef>,
): Uint8Array {
  const graph = new ProtoWriter()
  for (const node of nodes) graph.bytes(1, nodeProto(node))
  graph.bytes(4, new ProtoWriter().int(1, GRAPH_DEF_PRODUCER))
  // stripped_default_attrs: the loader fills in every attribute left at its op-registry default.
  const metaInfo = new ProtoWriter().bytes(4, 'serve').int(7, true)
  const metaGraph = new ProtoWriter().bytes(1, metaInfo).bytes(2, graph)
  for (const [key, signature] of Object.entries(signatures)) {
    const def = new ProtoWriter()
    for (const [name, info] of Object.entries(signature.inputs))
      def.bytes(1, new ProtoWriter().bytes(1, name).bytes(2, tensorInfoProto(info)))
    for (const [name, info] of Object.entries(signature.outputs))
      def.bytes(2, new ProtoWriter().bytes(1, name).bytes(2, tensorInfoProto(info)))
    def.bytes(3, 'tensorflow/serving/predict')
    metaGraph.bytes(5, new ProtoWriter().bytes(1, key).bytes(2, def))
  }
  return new ProtoWriter().int(1, 1).bytes(2, metaGraph).finish()
}

/**
 * Builds a float32 graph node by node. Each helper returns the name of the node's first output, so expressions
 * read like the maths they compute.
 */
export class GraphBuilder {
  readonly nodes: NodeDef[] = []
  private readonly used = new Set<string>()

  node(op: string, name: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    if (this.used.has(name)) throw new Error(`Graph node ${name} is defined twice.`)
    this.used.add(name)
    this.nodes.push({ name, op, inputs, attrs })
    return name
  }

  private static readonly T: Record<string, Attr> = { T: { kind: 'type', value: DataType.float } }

  placeholder(name: string, shape: Shape, dtype: DataTypeCode = DataType.float): string {
    return this.node('Placeholder', name, [], {
      dtype: { kind: 'type', value: dtype },
      shape: { kind: 'shape', value: shape },
    })
  }

  /** A float input that, when not fed, takes the value of `fallback` (whose inputs are then needed instead). */
  placeholderWithDefault(name: string, fallback: string, shape: Shape): string {
    return this.node('PlaceholderWithDefault', name, [fallback], {
      dtype: { kind: 'type', value: DataType.float },
      shape: { kind: 'shape', value: shape },
    })
  }

  scalar(name: string, value: number): string {
    return this.node('Const', name, [], {
      dtype: { kind: 'type', value: DataType.float },
      value: { kind: 'tensor', dtype: DataType.float, shape: [], content: Float32Array.of(value) },
    })
  }

  intVector(name: string, values: number[], shape: Shape = [values.length]): string {
    return this.node('Const', name, [], {
      dtype: { kind: 'type', value: DataType.int32 },
      value: { kind: 'tensor', dtype: DataType.int32, shape, content: Int32Array.from(values) },
    })
  }

  /** A resource variable; `sharedName` makes every signature of the session address the same storage. */
  variable(name: string, shape: Shape): string {
    return this.node('VarHandleOp', name, [], {
      dtype: { kind: 'type', value: DataType.float },
      shape: { kind: 'shape', value: shape },
      shared_name: { kind: 'string', value: name },
      container: { kind: 'string', value: '' },
    })
  }

  read(name: string, handle: string, control: string[] = []): string {
    return this.node('ReadVariableOp', name, [handle, ...control.map((c) => `^${c}`)], {
      dtype: { kind: 'type', value: DataType.float },
    })
  }

  assign(name: string, handle: string, value: string, control: string[] = []): string {
    return this.node('AssignVariableOp', name, [handle, value, ...control.map((c) => `^${c}`)], {
      dtype: { kind: 'type', value: DataType.float },
    })
  }

  unary(op: string, name: string, x: string): string {
    return this.node(op, name, [x], GraphBuilder.T)
  }

  binary(op: string, name: string, x: string, y: string): string {
    return this.node(op, name, [x, y], GraphBuilder.T)
  }

  matMul(name: string, a: string, b: string, transposeA = false, transposeB = false): string {
    return this.node('MatMul', name, [a, b], {
      ...GraphBuilder.T,
      transpose_a: { kind: 'bool', value: transposeA },
      transpose_b: { kind: 'bool', value: transposeB },
    })
  }

  /** Sum or Mean over `axes`. */
  reduce(op: 'Sum' | 'Mean', name: string, x: string, axes: string): string {
    return this.node(op, name, [x, axes], {
      ...GraphBuilder.T,
      Tidx: { kind: 'type', value: DataType.int32 },
      keep_dims: { kind: 'bool', value: false },
    })
  }

  /** An Identity of `x` that runs only after every op in `control`: how a fetched output forces side effects. */
  after(name: string, x: string, control: string[]): string {
    return this.node('Identity', name, [x, ...control.map((c) => `^${c}`)], GraphBuilder.T)
  }
}
