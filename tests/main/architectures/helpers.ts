// Shared by the architecture tests: a save → load round trip through the tfjs layers format the store writes
// (model.json topology as JSON text + one weights buffer), and small tensor comparisons.
import * as tf from '@tensorflow/tfjs'

/** Saves `model` as the store does (JSON text + weight bytes) and loads it back as a new LayersModel. */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let captured: tf.io.ModelArtifacts | undefined
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  const json = JSON.parse(JSON.stringify({ modelTopology: captured!.modelTopology, weightSpecs: captured!.weightSpecs }))
  const bytes = new Uint8Array(tf.io.CompositeArrayBuffer.join(captured!.weightData!)).slice()
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightSpecs, weightData: bytes.buffer }))
}

/** Largest absolute difference between two tensors, as a number. */
export function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)
}

/** A deterministic batch of `count` images in [0, 1] of the given shape. */
export function randomImages(count: number, shape: readonly [number, number, number], seed = 7): tf.Tensor4D {
  return tf.randomUniform([count, ...shape], 0, 1, 'float32', seed) as tf.Tensor4D
}
