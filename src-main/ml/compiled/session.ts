// The loaded side of a compiled training graph, shared by the dense and conv chains: the SavedModel's five
// signatures (init, train, train_indexed, weights, predict) in one TensorFlow session that holds the variables,
// and the calls fit makes on them. Each chain supplies its graph, its weight shapes and what its loss averages over.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from '../errors'
import { savedModelBytes, type GraphBuilder, type SignatureDef } from './graph'

export interface AdamSettings {
  beta1: number
  beta2: number
  epsilon: number
}

/** Weights in the order of the model's trainable weights (kernel, bias of the first layer, then the next, …). */
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
const SIGNATURES = ['init', 'train', 'train_indexed', 'weights', 'predict'] as const
export type Signatures = Record<(typeof SIGNATURES)[number], SavedModelSignature>

/** Whether this process can run compiled steps: only tfjs-node's native backend runs SavedModel sessions. */
export function compiledStepsAvailable(): boolean {
  return tf.getBackend() === 'tensorflow'
}

/** Writes the graph as a SavedModel and loads its signatures into one session. */
export async function loadSignatures(graph: {
  nodes: GraphBuilder['nodes']
  signatures: Record<string, SignatureDef>
}): Promise<Signatures> {
  if (!compiledStepsAvailable()) {
    throw new BottleneckError(
      'BACKEND_UNAVAILABLE',
      'Compiled training steps need the native TensorFlow backend.',
    )
  }
  const { node } = require('@tensorflow/tfjs-node') as TfjsNode
  // A fresh folder per graph: tfjs-node reuses one session per (path, tags), which is what lets the signatures
  // share variables, and what would wrongly share them between two models loaded from one path.
  const folder = await mkdtemp(join(tmpdir(), 'bottleneck-graph-'))
  const loaded: SavedModelSignature[] = []
  try {
    await writeFile(join(folder, 'saved_model.pb'), savedModelBytes(graph.nodes, graph.signatures))
    for (const name of SIGNATURES) loaded.push(await node.loadSavedModel(folder, ['serve'], name))
    return Object.fromEntries(SIGNATURES.map((name, i) => [name, loaded[i]!])) as Signatures
  } catch (error) {
    for (const signature of loaded) signature.dispose()
    throw new BottleneckError(
      'BACKEND_UNAVAILABLE',
      'TensorFlow could not load the compiled training step.',
      error,
    )
  } finally {
    // The session holds the graph in memory; the file is no longer needed.
    await rm(folder, { recursive: true, force: true })
  }
}

/** One loaded training graph with its own TensorFlow session; its variables live in that session. */
export abstract class CompiledChainSession<Batch extends tf.Tensor> {
  private disposed = false

  protected constructor(
    private readonly adam: AdamSettings,
    private readonly signatures: Signatures,
    private readonly shapes: number[][],
    /** How many values the loss averages per image, and the L1 activity strength on the code (0: none). */
    private readonly loss: { valuesPerImage: number; activityL1: number },
  ) {}

  /** The per-step hyper-parameter vector the chain's graph reads, in CHAIN_HYPER's order. */
  private hyper(learningRate: number, step: number, start: number, batch: number): tf.Tensor1D {
    const { beta1, beta2 } = this.adam
    return tf.tensor1d([
      -learningRate,
      1 - Math.pow(beta1, step),
      1 - Math.pow(beta2, step),
      batch * this.loss.valuesPerImage,
      // d(l1 · mean_batch Σ|code|)/d code = l1 · sign(code) / batch, scaled in tfjs' order: (dy·l1)/batch.
      Math.fround(this.loss.activityL1) / batch,
      // Indices up to 2^24 are exact in float32.
      start,
      batch,
    ])
  }

  private check(): void {
    if (this.disposed)
      throw new BottleneckError('INVALID_INPUT', 'This compiled training step has been disposed.')
  }

  /** Sets weights and Adam moments (missing moments start at zero). */
  setState(state: { params: tf.Tensor[]; firstMoments?: tf.Tensor[]; secondMoments?: tf.Tensor[] }): void {
    this.check()
    const shapes = this.shapes
    if (state.params.length !== shapes.length) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `Expected ${shapes.length} weight tensors, got ${state.params.length}.`,
      )
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
    const pick = (group: string) => this.shapes.map((_, j) => outputs[`${group}${j}`]!)
    return { params: pick('param'), firstMoments: pick('m'), secondMoments: pick('v') }
  }

  /**
   * One Adam step on a batch; `step` is 1-based (tfjs' iterations + 1). Returns the batch loss (caller disposes).
   * `targets` may be the inputs themselves (plain autoencoders) or clean images (denoising).
   */
  trainStep(inputs: Batch, targets: Batch, learningRate: number, step: number): tf.Scalar {
    this.check()
    const hyper = this.hyper(learningRate, step, 0, inputs.shape[0]!)
    try {
      return this.signatures.train.predict({ x: inputs, y: targets, hyper }).loss as tf.Scalar
    } finally {
      hyper.dispose()
    }
  }

  /**
   * The same step on the images `order[start … start+size)` of `images` (targets = inputs), gathered inside the
   * graph. TensorFlow receives the resident tensors without a copy.
   */
  trainStepIndexed(
    images: Batch,
    order: tf.Tensor1D,
    start: number,
    size: number,
    learningRate: number,
    step: number,
  ): tf.Scalar {
    this.check()
    if (start < 0 || size < 1 || start + size > order.shape[0]) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `The batch ${start}…${start + size} is outside the ${order.shape[0]} training images.`,
      )
    }
    const hyper = this.hyper(learningRate, step, start, size)
    try {
      return this.signatures.train_indexed.predict({ images, order, hyper }).loss as tf.Scalar
    } finally {
      hyper.dispose()
    }
  }

  /** The reconstruction (sigmoid output) for a batch. */
  predict(inputs: Batch): Batch {
    return this.predictWithCode(inputs).reconstruction
  }

  /** The reconstruction and, when the chain knows its code layer, the code, from one session call. */
  predictWithCode(inputs: Batch): { reconstruction: Batch; code: tf.Tensor | null } {
    this.check()
    const outputs = this.signatures.predict.predict({ x: inputs })
    return { reconstruction: outputs.y as Batch, code: outputs.code ?? null }
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    for (const signature of Object.values(this.signatures)) signature.dispose()
  }
}
