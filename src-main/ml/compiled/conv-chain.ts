// A whole training step of a convolutional autoencoder (a chain of Conv2D relu/linear, 2×2 max-pooling and nearest
// up-sampling, linear logits, sigmoid out, BCE from the logits, tfjs' Adam) as ONE TensorFlow graph, run with one
// session call per batch like the dense chain. Native (tensorflow) backend only. Op names and attributes follow
// TensorFlow 2.16's op registry (nn_ops.cc, image_ops.cc).
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from '../errors'
import { adamUpdates } from './adam-graph'
import { bceFromLogits, chainVariables, predictSignature, trainInputs, trainSignatures } from './chain-graph'
import { DataType, GraphBuilder, type Attr, type SignatureDef } from './graph'
import { CompiledChainSession, loadSignatures, type AdamSettings, type Signatures } from './session'

export type ConvChainLayer =
  | {
      kind: 'conv'
      inChannels: number
      filters: number
      kernel: [number, number]
      padding: 'same' | 'valid'
      activation: 'relu' | 'linear'
    }
  | { kind: 'maxPool'; size: number; padding: 'same' | 'valid' }
  | { kind: 'upSample'; size: number }

/** A chain of image layers from [height, width, channels] to logits of the same shape (the last layer: linear conv). */
export interface ConvChainSpec {
  inputShape: [number, number, number]
  layers: ConvChainLayer[]
  /** The layer whose output is the model's code (the encoder's end): `predict` then returns it beside `y`. */
  codeLayer?: number
}

/** [height, width, channels] after every layer; index 0 is the input. */
export function convChainShapes(spec: ConvChainSpec): [number, number, number][] {
  const shapes: [number, number, number][] = [spec.inputShape]
  for (const layer of spec.layers) {
    const [h, w, c] = shapes.at(-1)!
    if (layer.kind === 'conv') {
      const [kh, kw] = layer.kernel
      shapes.push(layer.padding === 'same' ? [h, w, layer.filters] : [h - kh + 1, w - kw + 1, layer.filters])
    } else if (layer.kind === 'maxPool') {
      const s = layer.size
      shapes.push(
        layer.padding === 'same'
          ? [Math.ceil(h / s), Math.ceil(w / s), c]
          : [Math.floor((h - s) / s) + 1, Math.floor((w - s) / s) + 1, c],
      )
    } else {
      shapes.push([h * layer.size, w * layer.size, c])
    }
  }
  return shapes
}

/** Kernel [kh, kw, in, out] and bias [out] of every conv layer, in the model's trainable-weight order. */
export function convParamShapes(spec: ConvChainSpec): number[][] {
  return spec.layers.flatMap((layer) =>
    layer.kind === 'conv' ? [[...layer.kernel, layer.inChannels, layer.filters], [layer.filters]] : [],
  )
}

/** Rejects chains the graph cannot express, with a message that says why. */
export function validateConvChain(spec: ConvChainSpec): void {
  const fail = (message: string) => {
    throw new BottleneckError('INVALID_INPUT', `A compiled conv chain ${message}`)
  }
  const last = spec.layers.at(-1)
  if (!last || last.kind !== 'conv' || last.activation !== 'linear')
    fail('must end with a linear convolution (the logits).')
  const shapes = convChainShapes(spec)
  spec.layers.forEach((layer, i) => {
    if (layer.kind === 'conv' && layer.inChannels !== shapes[i]![2])
      fail(`has a convolution expecting ${layer.inChannels} channels after ${shapes[i]![2]}.`)
    if (layer.kind !== 'conv' && (!Number.isInteger(layer.size) || layer.size < 1))
      fail('needs whole pooling and up-sampling factors.')
  })
  if (shapes.some(([h, w]) => h < 1 || w < 1)) fail('shrinks the image to nothing.')
  if (shapes.at(-1)!.join() !== spec.inputShape.join())
    fail(`produces ${shapes.at(-1)!.join('×')} images from ${spec.inputShape.join('×')} ones.`)
}

const T: Record<string, Attr> = { T: { kind: 'type', value: DataType.float } }
const NHWC: Attr = { kind: 'string', value: 'NHWC' }
const padding = (value: 'same' | 'valid'): Attr => ({ kind: 'string', value: value.toUpperCase() })
const window = (size: number): Attr => ({ kind: 'ints', value: [1, size, size, 1] })
const UNIT_STRIDES: Attr = { kind: 'ints', value: [1, 1, 1, 1] }
/** The attributes a layer's forward op and its gradient op share. */
const convAttrs = (layer: { padding: 'same' | 'valid' }) => ({
  ...T,
  strides: UNIT_STRIDES,
  padding: padding(layer.padding),
  data_format: NHWC,
})
const poolAttrs = (layer: { size: number; padding: 'same' | 'valid' }) => ({
  ...T,
  ksize: window(layer.size),
  strides: window(layer.size),
  padding: padding(layer.padding),
  data_format: NHWC,
})
// tfjs' UpSampling2D is resizeNearestNeighbor without corner alignment or half-pixel centres: out[i] = in[i/2].
const NEAREST_ATTRS = {
  ...T,
  align_corners: { kind: 'bool', value: false },
  half_pixel_centers: { kind: 'bool', value: false },
} satisfies Record<string, Attr>

/** The graph and its signatures: init, train / train_indexed, weights, predict (as the dense chain's). */
export function buildConvChainGraph(
  spec: ConvChainSpec,
  adam: AdamSettings,
): { nodes: GraphBuilder['nodes']; signatures: Record<string, SignatureDef> } {
  validateConvChain(spec)
  const g = new GraphBuilder()
  const shapes = convParamShapes(spec)
  const imageShapes = convChainShapes(spec)
  const imageShape = [-1, ...spec.inputShape]
  const { params, firstMoments, secondMoments, init, weights } = chainVariables(g, shapes)
  const signatures: Record<string, SignatureDef> = { init, weights }

  /** activations[i] is layer i's input; outputs are activations[i + 1]. */
  const forward = (prefix: string, x: string) => {
    const values = params.map((handle, j) => g.read(`${prefix}/read_param${j}`, handle))
    const activations = [x]
    let logits = x
    let paramIndex = 0
    spec.layers.forEach((layer, i) => {
      const input = activations[i]!
      if (layer.kind === 'conv') {
        const conv = g.node('Conv2D', `${prefix}/conv${i}`, [input, values[paramIndex]!], convAttrs(layer))
        const z = g.node('BiasAdd', `${prefix}/z${i}`, [conv, values[paramIndex + 1]!], {
          ...T,
          data_format: NHWC,
        })
        paramIndex += 2
        if (i === spec.layers.length - 1) logits = z
        activations.push(layer.activation === 'relu' ? g.unary('Relu', `${prefix}/a${i}`, z) : z)
      } else if (layer.kind === 'maxPool') {
        activations.push(g.node('MaxPool', `${prefix}/pool${i}`, [input], poolAttrs(layer)))
      } else {
        const [h, w] = imageShapes[i + 1]!
        activations.push(
          g.node(
            'ResizeNearestNeighbor',
            `${prefix}/up${i}`,
            [input, g.intVector(`${prefix}/up${i}_size`, [h, w])],
            NEAREST_ATTRS,
          ),
        )
      }
    })
    return { values, activations, logits }
  }

  const code = spec.codeLayer
  signatures.predict = predictSignature(
    g,
    { input: imageShape, output: imageShape },
    forward,
    code === undefined ? undefined : { layer: code, shape: [-1, ...imageShapes[code + 1]!] },
  )

  const { hyper, x, y } = trainInputs(g, imageShape, imageShape)
  const { values, activations, logits } = forward('train', x)

  // Keras' clipped BCE of σ(z), per image over all pixels then over the batch, as the dense graph computes it.
  const { p, loss } = bceFromLogits(g, logits, y, {
    pixels: g.intVector('train/pixel_axes', [1, 2, 3]),
    batch: g.intVector('train/axis0', [0]),
  })

  // Backward, layer by layer from dL/dz = (σ(z) − y)/n, with TensorFlow's own gradient kernels (the ones tfjs-node's
  // eager gradients call too).
  const gradients: string[] = new Array<string>(params.length)
  let upstream = g.binary('Div', 'train/d_logits', g.binary('Sub', 'train/p_minus_y', p, y), hyper.pixelCount)
  let paramIndex = params.length
  for (let i = spec.layers.length - 1; i >= 0; i--) {
    const layer = spec.layers[i]!
    const input = activations[i]!
    const output = activations[i + 1]!
    if (layer.kind === 'conv') {
      paramIndex -= 2
      const dz =
        layer.activation === 'relu' ? g.binary('ReluGrad', `train/d_z${i}`, upstream, output) : upstream
      gradients[paramIndex] = g.node(
        'Conv2DBackpropFilter',
        `train/d_kernel${i}`,
        [input, g.intVector(`train/kernel${i}_shape`, shapes[paramIndex]!), dz],
        convAttrs(layer),
      )
      gradients[paramIndex + 1] = g.node('BiasAddGrad', `train/d_bias${i}`, [dz], { ...T, data_format: NHWC })
      if (i === 0) break
      const inputShape = g.node('Shape', `train/a${i}_shape`, [input], {
        ...T,
        out_type: { kind: 'type', value: DataType.int32 },
      })
      upstream = g.node(
        'Conv2DBackpropInput',
        `train/d_a${i}`,
        [inputShape, values[paramIndex]!, dz],
        convAttrs(layer),
      )
    } else if (layer.kind === 'maxPool') {
      if (i === 0) break
      upstream = g.node('MaxPoolGrad', `train/d_a${i}`, [input, output, upstream], poolAttrs(layer))
    } else {
      if (i === 0) break
      const [h, w] = imageShapes[i]!
      upstream = g.node(
        'ResizeNearestNeighborGrad',
        `train/d_a${i}`,
        [upstream, g.intVector(`train/d_a${i}_size`, [h, w])],
        NEAREST_ATTRS,
      )
    }
  }

  // Adam as tfjs computes it (same operations in the same order), so eager and compiled runs agree to float noise.
  const assigns = adamUpdates(g, adam, { params, values, gradients, firstMoments, secondMoments, hyper })
  g.after('train/loss', loss, assigns)
  Object.assign(signatures, trainSignatures(imageShape, imageShape))
  return { nodes: g.nodes, signatures }
}

/** The compiled training step of one conv chain (see CompiledChainSession for the calls). */
export class CompiledConvChain extends CompiledChainSession<tf.Tensor4D> {
  private constructor(
    readonly spec: ConvChainSpec,
    adam: AdamSettings,
    signatures: Signatures,
  ) {
    super(adam, signatures, convParamShapes(spec), {
      valuesPerImage: spec.inputShape.reduce((a, b) => a * b, 1),
      activityL1: 0,
    })
  }

  static async create(spec: ConvChainSpec, adam: AdamSettings): Promise<CompiledConvChain> {
    return new CompiledConvChain(spec, adam, await loadSignatures(buildConvChainGraph(spec, adam)))
  }
}
