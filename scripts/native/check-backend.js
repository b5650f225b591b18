// Proves tfjs-node's native backend works in this process: it loads, computes known values, and trains a small
// conv model one step with a finite loss. setup:native runs it in a fresh child; prints one JSON line.
// Usage: node scripts/native/check-backend.js [--load-only]
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const loadOnly = process.argv.includes('--load-only')

function finish(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`)
  process.exit(result.ok ? 0 : 1)
}

function firstLine(error) {
  return String(error?.message ?? error).split('\n')[0]
}

function sameValues(actual, expected, tolerance = 1e-5) {
  const flatActual = actual.flat(Infinity)
  const flatExpected = expected.flat(Infinity)
  return (
    flatActual.length === flatExpected.length &&
    flatActual.every((value, i) => Math.abs(value - flatExpected[i]) <= tolerance)
  )
}

let tf
const loadStarted = Date.now()
try {
  tf = require('@tensorflow/tfjs-node')
} catch (error) {
  finish({ ok: false, step: 'load', error: firstLine(error) })
}
const info = {
  backend: tf.getBackend(),
  tensorflowVersion: tf.backend().binding?.TF_Version ?? null,
  tfjsNodeVersion: tf.version['tfjs-node'],
  loadMs: Date.now() - loadStarted,
}
if (info.backend !== 'tensorflow')
  finish({ ok: false, step: 'load', error: `the active backend is ${info.backend}, not tensorflow`, ...info })
// scripts/native/binding-patch.js: TensorFlow must hold its own copy of a JavaScript array, not lend its memory.
{
  const probe = new Float32Array([1, 2, 3, 4])
  const tensor = tf.tensor1d(probe)
  // tfjs-node hands the values to TensorFlow at the tensor's first use; until then it keeps the array itself.
  tf.add(tensor, 0).dispose()
  probe[0] = 42
  const copied = tensor.dataSync()[0] === 1
  tensor.dispose()
  if (!copied)
    finish({
      ok: false,
      step: 'load',
      error: "this addon lends JavaScript arrays' memory to TensorFlow (built without Bottleneck's binding patch)",
      ...info,
    })
}
if (loadOnly) finish({ ok: true, ...info })

try {
  const tensorsAtStart = tf.memory().numTensors

  const product = tf.tidy(() =>
    tf
      .matMul(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
        tf.tensor2d([
          [5, 6],
          [7, 8],
        ]),
      )
      .arraySync(),
  )
  if (
    !sameValues(product, [
      [19, 22],
      [43, 50],
    ])
  )
    throw new Error(`matMul gave ${JSON.stringify(product)}, expected [[19,22],[43,50]]`)

  // A 3x3 kernel of ones over a 4x4 image of ones, 'valid' padding: every output pixel sums nine ones.
  const convolved = tf.tidy(() =>
    tf.conv2d(tf.ones([1, 4, 4, 1]), tf.ones([3, 3, 1, 1]), 1, 'valid').arraySync(),
  )
  if (
    !sameValues(convolved, [
      [
        [[9], [9]],
        [[9], [9]],
      ],
    ])
  )
    throw new Error(`conv2d gave ${JSON.stringify(convolved)}, expected 9s`)

  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  })
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' })
  const images = tf.randomUniform([16, 8, 8, 1], 0, 1, 'float32', 42)
  const labels = tf.tidy(() =>
    tf.cast(tf.greater(tf.mean(images, [1, 2, 3]), 0.5), 'float32').reshape([16, 1]),
  )
  const history = await model.fit(images, labels, { batchSize: 16, epochs: 1, verbose: 0 })
  const loss = history.history.loss[0]
  tf.dispose([images, labels])
  model.dispose()
  if (!Number.isFinite(loss)) throw new Error(`the conv training step gave a loss of ${loss}`)

  const leaked = tf.memory().numTensors - tensorsAtStart
  if (leaked !== 0) throw new Error(`${leaked} tensors were left undisposed`)
  finish({ ok: true, ...info, matMul: product, convLoss: loss })
} catch (error) {
  finish({ ok: false, step: 'check', error: firstLine(error), ...info })
}
