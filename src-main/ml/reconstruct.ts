// The reconstruction and the code of a batch in one forward pass, as the Draw and Compare views ask for them.
// Asking the autoencoder and then its encoder runs the encoder twice and pays tfjs' per-call overhead twice; on
// native TensorFlow a compiled chain (dense, sparse, deep, conv) answers from one session call instead of a dozen
// eager ops. Measured on the seed model with a request every 20 ms, as drawing sends them: two predict calls
// 3–4 ms, one eager pass 2.8 ms, the compiled session 0.7 ms (p50).
import * as tf from '@tensorflow/tfjs'
import type { Autoencoder } from './architectures/index'
import { CompiledConvChain } from './compiled/conv-chain'
import { CompiledDenseChain } from './compiled/dense-chain'
import { convChainSpec, denseChainSpec } from './compiled/dense-trainer'
import { compiledStepsAvailable, type CompiledChainSession } from './compiled/session'

export interface Reconstruction {
  reconstruction: tf.Tensor
  /** The code, one row per image (a variational encoder's mean); null for models without a code. */
  code: tf.Tensor2D | null
}

export interface Reconstructor {
  /** Call inside tf.tidy. `batch` is [n, height, width, channels]; the reconstruction has the same shape. */
  run(batch: tf.Tensor4D, withCode: boolean): Reconstruction
  /** Whether a compiled TensorFlow session answers (native backend, chain architectures). */
  readonly compiled: boolean
  dispose(): void
}

/** Adam's constants: unused by predict, but the chain graphs are built with them. */
const UNUSED_ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }

function codeRows(code: tf.Tensor, count: number): tf.Tensor2D {
  return code.reshape([count, -1])
}

/** The encoder's code for a batch, one row per image (call inside tf.tidy). */
export function encodeRows(encoder: tf.LayersModel, batch: tf.Tensor4D): tf.Tensor2D {
  const output = encoder.predict(batch) as tf.Tensor | tf.Tensor[]
  // Variational encoders return [mean, logVar, sample]; the mean is the code a person wants to see.
  return codeRows(Array.isArray(output) ? output[0]! : output, batch.shape[0])
}

/** tfjs models: one model with both outputs where the code is a tensor of the autoencoder's own graph. */
function eagerReconstructor(autoencoder: Autoencoder): Reconstructor {
  const { model, encoder } = autoencoder
  const separately = (batch: tf.Tensor4D, withCode: boolean): Reconstruction => {
    const reconstruction = model.predict(batch) as tf.Tensor
    if (!withCode || !encoder) return { reconstruction, code: null }
    return { reconstruction, code: encodeRows(encoder, batch) }
  }
  let both: tf.LayersModel | undefined
  if (encoder) {
    try {
      both = tf.model({ inputs: model.inputs, outputs: [model.outputs[0]!, encoder.outputs[0]!] })
    } catch {
      // The encoder is a model of its own (not split out of this graph): ask the two in turn.
    }
  }
  return {
    compiled: false,
    run(batch, withCode) {
      if (!withCode || !both) return separately(batch, withCode)
      const [reconstruction, code] = both.predict(batch) as tf.Tensor[]
      return { reconstruction: reconstruction!, code: codeRows(code!, batch.shape[0]) }
    },
    dispose() {
      // `both` shares the autoencoder's layers and owns no weights.
    },
  }
}

async function compiledSession(autoencoder: Autoencoder): Promise<CompiledChainSession<tf.Tensor> | undefined> {
  if (!compiledStepsAvailable()) return undefined
  const dense = denseChainSpec(autoencoder)
  if (dense) return CompiledDenseChain.create(dense, UNUSED_ADAM)
  const conv = convChainSpec(autoencoder)
  if (conv) return CompiledConvChain.create(conv, UNUSED_ADAM) as Promise<CompiledChainSession<tf.Tensor>>
  return undefined
}

/**
 * The fastest available way to reconstruct with this model's current weights. The compiled session holds a copy
 * of the weights: build a new reconstructor after the weights change, and dispose the old one.
 */
export async function createReconstructor(autoencoder: Autoencoder): Promise<Reconstructor> {
  let session: CompiledChainSession<tf.Tensor> | undefined
  try {
    session = await compiledSession(autoencoder)
    session?.setState({ params: autoencoder.model.trainableWeights.map((weight) => weight.read()) })
  } catch {
    // The session only answers faster than the eager pass, with the same numbers: one that cannot be built or given
    // these weights must not cost the user the model. `compiled: false` says which path answers.
    session?.dispose()
    session = undefined
  }
  if (!session) return eagerReconstructor(autoencoder)
  const compiled = session
  const inputSize = autoencoder.config.inputShape.reduce((a, b) => a * b, 1)
  const flat = compiled instanceof CompiledDenseChain
  return {
    compiled: true,
    run(batch, withCode) {
      const count = batch.shape[0]
      const { reconstruction, code } = compiled.predictWithCode(flat ? batch.reshape([count, inputSize]) : batch)
      return {
        reconstruction: reconstruction.reshape(batch.shape),
        code: withCode && code ? codeRows(code, count) : null,
      }
    },
    dispose() {
      compiled.dispose()
    },
  }
}
