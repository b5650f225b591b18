// Models to and from bytes in the tfjs "layers-model" format (model.json + weights.bin, what tfjs-node's file://
// writes), through an in-memory IOHandler so it works on every backend. Loading checks what tfjs would not:
// missing or short weight files, byte counts against the manifest, NaN weights.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { BottleneckError } from '../ml/errors'

export interface SerializedModel {
  modelJson: string
  weights: Uint8Array
}

export async function serializeModel(model: tf.LayersModel): Promise<SerializedModel> {
  let captured: tf.io.ModelArtifacts | undefined
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
  if (!captured?.weightData || !captured.weightSpecs) throw new Error('tfjs produced no weights to save')
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(captured.weightData))
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs} (Bottleneck)`,
    convertedBy: null,
    modelTopology: captured.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: captured.weightSpecs }],
  }
  return { modelJson: JSON.stringify(modelJson), weights }
}

const BYTES_PER_VALUE: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 }
/** Shard names must be plain file names in the model folder: a manifest cannot make us read elsewhere. */
const SHARD_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/

interface Manifest {
  modelTopology: object
  weightSpecs: tf.io.WeightsManifestEntry[]
  paths: string[]
}

/**
 * `modelFolder` is the model's own folder, which every message about a model names; its files live in one of its
 * version folders (or in it, for a plain exported folder).
 */
function corrupt(modelFolder: string, problem: string, detail?: unknown): BottleneckError {
  return new BottleneckError('MODEL_CORRUPT', `The model in ${modelFolder} cannot be loaded: ${problem}.`, detail)
}

async function readManifest(folder: string, modelFolder: string): Promise<Manifest> {
  let text: string
  try {
    text = await readFile(join(folder, 'model.json'), 'utf8')
  } catch (error) {
    throw corrupt(modelFolder, 'model.json is missing or unreadable', error)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw corrupt(modelFolder, 'model.json is not valid JSON (truncated?)', error)
  }
  const record = json as { modelTopology?: unknown; weightsManifest?: unknown }
  if (typeof record.modelTopology !== 'object' || record.modelTopology === null || !Array.isArray(record.weightsManifest)) {
    throw corrupt(modelFolder, 'model.json is not a TensorFlow.js layers model (no modelTopology or weightsManifest)')
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = []
  const paths: string[] = []
  for (const group of record.weightsManifest as { paths?: unknown; weights?: unknown }[]) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) throw corrupt(modelFolder, 'its weights manifest is malformed')
    for (const path of group.paths) {
      if (typeof path !== 'string' || !SHARD_NAME.test(path)) throw corrupt(modelFolder, `the weight file name "${String(path)}" is not allowed`)
      paths.push(path)
    }
    for (const spec of group.weights as unknown[]) {
      if (typeof spec !== 'object' || spec === null || typeof (spec as { name?: unknown }).name !== 'string') {
        throw corrupt(modelFolder, 'its weights manifest has an entry without a name')
      }
    }
    weightSpecs.push(...(group.weights as tf.io.WeightsManifestEntry[]))
  }
  return { modelTopology: record.modelTopology, weightSpecs, paths }
}

function expectedBytes(modelFolder: string, spec: tf.io.WeightsManifestEntry): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype
  const bytes = BYTES_PER_VALUE[dtype]
  if (!bytes || !Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw corrupt(modelFolder, `the weight "${String(spec.name)}" has an unusable dtype or shape`)
  }
  return bytes * spec.shape.reduce((a, b) => a * b, 1)
}

/**
 * Reads and checks model.json and its weight files in `folder`; returns what tf.loadLayersModel needs. Damage is
 * reported as the model's in `modelFolder`.
 */
export async function readModelArtifacts(folder: string, modelFolder = folder): Promise<tf.io.ModelArtifacts> {
  const manifest = await readManifest(folder, modelFolder)
  const buffers: Uint8Array[] = []
  for (const path of manifest.paths) {
    try {
      buffers.push(await readFile(join(folder, path)))
    } catch (error) {
      throw corrupt(modelFolder, `its weight file ${path} is missing`, error)
    }
  }
  const weights = Buffer.concat(buffers)
  const expected = manifest.weightSpecs.reduce((total, spec) => total + expectedBytes(modelFolder, spec), 0)
  if (weights.length !== expected) {
    throw corrupt(
      modelFolder,
      `${manifest.paths.join(' + ')} holds ${weights.length} bytes but model.json lists ${expected} bytes of weights${weights.length < expected ? ' (truncated)' : ''}`,
    )
  }
  let offset = 0
  for (const spec of manifest.weightSpecs) {
    const size = expectedBytes(modelFolder, spec)
    if (spec.dtype === 'float32' && !spec.quantization) {
      // Copy to an aligned buffer: Buffer.concat's offset need not be a multiple of 4.
      const values = new Float32Array(weights.buffer.slice(weights.byteOffset + offset, weights.byteOffset + offset + size))
      if (!values.every(Number.isFinite)) throw corrupt(modelFolder, `the weight "${spec.name}" contains NaN or infinite values`)
    }
    offset += size
  }
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length)
  return { modelTopology: manifest.modelTopology, weightSpecs: manifest.weightSpecs, weightData, format: 'layers-model' }
}

/** The top-level layer classes of a layers-model topology, in order; null when it has no readable list. */
function layerClasses(topology: object): string[] | null {
  const top = topology as { model_config?: { config?: unknown }; config?: unknown }
  const config = (top.model_config?.config ?? top.config) as { layers?: unknown } | undefined
  if (!config || !Array.isArray(config.layers)) return null
  return config.layers.map((layer: { class_name?: unknown } | null) => String(layer?.class_name))
}

/**
 * Loads a model without deserialising its topology: the architecture is rebuilt from bottleneck.json's config by
 * our own code, and only the weights come from the folder. tfjs' fromConfig trusts the graph it reads (it can loop
 * forever on a damaged one, or allocate whatever a config names); here model.json is data we compare, never run.
 * `build` gets model.json's topology, read once with the weights, to refuse a mismatch before it builds anything.
 */
export async function loadWeightsInto<T>(
  folder: string,
  modelFolder: string,
  build: (modelTopology: unknown) => { model: tf.LayersModel; result: T; dispose(): void },
): Promise<T> {
  const artifacts = await readModelArtifacts(folder, modelFolder)
  const built = build(artifacts.modelTopology)
  try {
    const { model } = built
    const expected = layerClasses(model.toJSON(null, false) as object)
    const found = layerClasses(artifacts.modelTopology as object)
    if (!found) throw corrupt(modelFolder, 'model.json has no usable list of layers')
    if (expected && found.join() !== expected.join()) {
      throw corrupt(
        modelFolder,
        `model.json does not match its own configuration (bottleneck.json): it lists ${found.length} layers ` +
          `(${summarise(found)}) where the model it describes has ${expected.length} ` +
          `(${summarise(expected)}); it was damaged or made by an incompatible version`,
      )
    }
    const specs = artifacts.weightSpecs ?? []
    const weights = model.weights
    if (specs.length !== weights.length) {
      throw corrupt(
        modelFolder,
        `model.json does not match its own configuration (bottleneck.json): it has ${specs.length} weight tensors where the model needs ${weights.length}`,
      )
    }
    const data = new Uint8Array(artifacts.weightData as ArrayBuffer)
    let offset = 0
    const values = specs.map((spec, index) => {
      const size = expectedBytes(modelFolder, spec)
      const shape = weights[index]!.shape as number[]
      if (spec.dtype !== 'float32' || spec.quantization) {
        throw corrupt(modelFolder, `the weight "${spec.name}" is stored as ${spec.quantization?.dtype ?? spec.dtype}; Bottleneck saves float32 only`)
      }
      if (spec.shape.length !== shape.length || spec.shape.some((size, axis) => size !== shape[axis])) {
        throw corrupt(
          modelFolder,
          `model.json does not match its own configuration (bottleneck.json): the weight "${spec.name}" is ` +
            `${spec.shape.join('×')} where the model needs ${shape.join('×')}`,
        )
      }
      const array = new Float32Array(data.slice(offset, offset + size).buffer)
      offset += size
      return array
    })
    tf.tidy(() => model.setWeights(values.map((array, index) => tf.tensor(array, weights[index]!.shape as number[], 'float32'))))
    return built.result
  } catch (error) {
    built.dispose()
    throw error
  }
}

function summarise(classes: string[]): string {
  return classes.length <= 8 ? classes.join(', ') : `${classes.slice(0, 8).join(', ')}, …`
}

/** Optimizer state (Adam's step count and moments) so a resumed run continues exactly where it stopped. */
export async function serializeOptimizer(optimizer: tf.Optimizer): Promise<SerializedModel> {
  const named = await optimizer.getWeights()
  const specs = named.map(({ name, tensor }) => ({ name, shape: tensor.shape, dtype: 'float32' }))
  const arrays = await Promise.all(named.map(({ tensor }) => tensor.data() as Promise<Float32Array>))
  // getWeights hands out fresh tensors for the iteration count; the moments are the optimizer's own variables.
  named.forEach(({ tensor }) => {
    if (!(tensor instanceof tf.Variable)) tensor.dispose()
  })
  const total = arrays.reduce((sum, values) => sum + values.length, 0)
  const weights = new Float32Array(total)
  let offset = 0
  for (const values of arrays) {
    weights.set(values, offset)
    offset += values.length
  }
  return {
    modelJson: JSON.stringify({ optimizer: optimizer.getClassName(), weights: specs }),
    weights: new Uint8Array(weights.buffer),
  }
}

/** What the optimizer files of a version hold: a state we restored, none (or another optimizer's), or damage. */
export type OptimizerRestore = 'restored' | 'none' | { damaged: string }

interface OptimizerWeightSpec {
  name: string
  shape: number[]
}

/**
 * Why the weight list of optimizer.json cannot be restored, or undefined when it can. tfjs' setWeights trusts its
 * input (a missing list crashes in `reduce`, a wrong count or shape only fails later, mid-training), so it is
 * checked here first: every tfjs optimizer saves its step count first, as a scalar; Adam then its first moments and
 * its second moments, one of each per variable, in the same order.
 */
function optimizerSpecsProblem(weights: unknown, className: string): string | undefined {
  if (!Array.isArray(weights) || weights.length === 0) return 'optimizer.json lists no weights'
  const usable = (spec: unknown): spec is OptimizerWeightSpec => {
    const { name, shape } = (spec ?? {}) as { name?: unknown; shape?: unknown }
    return typeof name === 'string' && Array.isArray(shape) && shape.every((size) => Number.isInteger(size) && size >= 0)
  }
  if (!weights.every(usable)) return 'optimizer.json lists a weight without a usable name or shape'
  if (weights[0]!.shape.length !== 0) return 'optimizer.json does not start with the step count'
  if (className === 'Adam') {
    const moments = weights.slice(1)
    const half = moments.length / 2
    const paired = Number.isInteger(half) && moments.slice(0, half).every((first, index) => sameShape(first.shape, moments[half + index]!.shape))
    if (!paired) return 'optimizer.json does not list one first and one second moment of the same shape per variable'
  }
  return undefined
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((size, axis) => size === b[axis])
}

/**
 * Restores the optimizer state saved in `folder` into `optimizer`. Nothing is set unless all of it checks out, so
 * on 'none' or damage the optimizer is as fresh as it was.
 */
export async function restoreOptimizerState(folder: string, optimizer: tf.Optimizer): Promise<OptimizerRestore> {
  let specText: string
  let bytes: Uint8Array
  try {
    specText = await readFile(join(folder, 'optimizer.json'), 'utf8')
    bytes = await readFile(join(folder, 'optimizer.bin'))
  } catch {
    return 'none'
  }
  let parsed: { optimizer?: unknown; weights?: unknown } | null
  try {
    parsed = JSON.parse(specText) as typeof parsed
  } catch {
    return { damaged: 'optimizer.json is not valid JSON' }
  }
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.optimizer !== 'string') {
    return { damaged: 'optimizer.json does not name its optimizer' }
  }
  // Another optimizer's state (a model trained by another version) is not damage, just not ours to restore.
  if (parsed.optimizer !== optimizer.getClassName()) return 'none'
  const problem = optimizerSpecsProblem(parsed.weights, parsed.optimizer)
  if (problem) return { damaged: problem }
  const specs = parsed.weights as OptimizerWeightSpec[]
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~3)))
  const needed = specs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0)
  if (bytes.length % 4 !== 0 || values.length !== needed) return { damaged: 'optimizer.bin does not match optimizer.json' }
  if (!values.every(Number.isFinite)) return { damaged: 'optimizer.bin contains NaN or infinite values' }
  if (!Number.isInteger(values[0]) || values[0]! < 0) return { damaged: 'its step count is not a whole number' }
  let offset = 0
  const named = specs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1)
    const tensor = tf.tensor(values.subarray(offset, offset + size), spec.shape)
    offset += size
    return { name: spec.name, tensor }
  })
  try {
    await optimizer.setWeights(named)
  } finally {
    tf.dispose(named.map(({ tensor }) => tensor))
  }
  return 'restored'
}
