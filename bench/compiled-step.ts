// Micro-benchmark: one training step of a dense autoencoder (batch 256, full MNIST) the eager way (fit's
// optimizer.minimize, ~100 dispatched ops) against the compiled graph (one session call), interleaved in blocks in
// ONE process so a busy shared machine slows both alike. Run: nice -n 5 npx tsx bench/compiled-step.ts [--arch dense]
// With --fit N: whole `fit` epochs instead (validation included), eager and compiled alternating epoch by epoch, and
// with --keras the Keras tutorial (bench/keras/seed.py, .venv/bench-keras) for N epochs in the same run.
import { spawnSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { buildAutoencoder, createModelConfig, type Autoencoder } from '../src-main/ml/architectures/index'
import { initBackend } from '../src-main/ml/backend'
import { createCompiledTrainer } from '../src-main/ml/compiled/dense-trainer'
import { loadDataset, mnistFolder } from '../src-main/ml/datasets'
import { shuffledIndices, createRandom } from '../src-main/ml/random'
import { createAdam, fit } from '../src-main/ml/train'

const { values: args } = parseArgs({
  options: {
    arch: { type: 'string', default: 'dense' },
    rounds: { type: 'string', default: '8' },
    steps: { type: 'string', default: '40' },
    'batch-size': { type: 'string', default: '256' },
    fit: { type: 'string' },
    keras: { type: 'boolean', default: false },
  },
})
const rounds = Number(args.rounds)
const stepsPerBlock = Number(args.steps)
const batchSize = Number(args['batch-size'])

const backend = await initBackend()
if (backend.name !== 'tensorflow') {
  console.error(`This benchmark needs native TensorFlow (got ${backend.name}); run npm run setup:native.`)
  process.exit(1)
}
const dataset = await loadDataset('mnist')
const count = dataset.train.count
const batches = Math.ceil(count / batchSize)
const images = tf.tensor4d(dataset.train.images, [count, 28, 28, 1])
const order = tf.tensor1d(shuffledIndices(count, createRandom(1)), 'int32')
const config = createModelConfig(args.arch!, [28, 28, 1], { seed: 1 })

type Step = (x: tf.Tensor4D) => tf.Scalar
function eagerStep(autoencoder: Autoencoder): { step: Step; dispose(): void } {
  const optimizer = createAdam(config.learningRate)
  const variables = autoencoder.model.trainableWeights.map((w) => w.read() as tf.Variable)
  return {
    step: (x) => optimizer.minimize(() => autoencoder.loss(x, x), true, variables) as tf.Scalar,
    dispose: () => optimizer.dispose(),
  }
}

const eagerModel = buildAutoencoder(config)
const compiledModel = buildAutoencoder(config)
const eager = eagerStep(eagerModel)
const compiledAdam = createAdam(config.learningRate)
const compiled = await createCompiledTrainer(compiledModel, compiledAdam)
if (!compiled) {
  console.error(`The ${args.arch} model cannot be compiled.`)
  process.exit(1)
}
const paths: Record<'eager' | 'compiled', Step> = { eager: eager.step, compiled: (x) => compiled.step(x, x, config.learningRate) }

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const load = () => loadavg().map((v) => v.toFixed(2)).join(' ')

async function fitBenchmark(): Promise<void> {
  const epochs = Number(args.fit)
  const runs = {
    eager: { model: eagerModel, optimizer: createAdam(config.learningRate), compiledSteps: false, train: [] as number[], total: [] as number[], valLoss: 0 },
    compiled: { model: compiledModel, optimizer: compiledAdam, compiledSteps: true, train: [] as number[], total: [] as number[], valLoss: 0 },
  }
  let keras: { trainSeconds: number[]; seconds: number[]; valLoss: number } | undefined
  const runKeras = () => {
    const python = '.venv/bench-keras/bin/python'
    const env = { ...process.env, TF_NUM_INTRAOP_THREADS: String(backend.threads), TF_NUM_INTEROP_THREADS: String(backend.threads) }
    const child = spawnSync(python, ['bench/keras/seed.py', '--data', mnistFolder(), '--epochs', String(epochs), '--threads', String(backend.threads)], { env, encoding: 'utf8' })
    const line = child.stdout.split('\n').find((l) => l.trim().startsWith('{'))
    if (!line) throw new Error(`Keras run failed: ${child.stderr.slice(-500)}`)
    const parsed = JSON.parse(line) as { epochs: { trainSeconds: number; seconds: number; val_loss: number }[] }
    // Each Keras run's first epoch traces its tf.function; the steady epochs of both runs (before and after ours) count.
    const steadyEpochs = parsed.epochs.length > 1 ? parsed.epochs.slice(1) : parsed.epochs
    keras = {
      trainSeconds: [...(keras?.trainSeconds ?? []), ...steadyEpochs.map((e) => e.trainSeconds)],
      seconds: [...(keras?.seconds ?? []), ...steadyEpochs.map((e) => e.seconds)],
      valLoss: parsed.epochs.at(-1)!.val_loss,
    }
    process.stderr.write(`  keras: ${parsed.epochs.map((e) => e.trainSeconds.toFixed(2)).join(', ')} s train/epoch (load ${load()})\n`)
  }
  const loadBefore = load()
  if (args.keras) runKeras()
  for (let epoch = 0; epoch < epochs; epoch++) {
    const sequence = epoch % 2 === 0 ? (['compiled', 'eager'] as const) : (['eager', 'compiled'] as const)
    for (const name of sequence) {
      const run = runs[name]
      const started = performance.now()
      await fit(run.model, { train: dataset.train, validation: dataset.test }, {
        epochs: epoch + 1, initialEpoch: epoch, batchSize, seed: 1, optimizer: run.optimizer, compiledSteps: run.compiledSteps,
        onEpochEnd: (logs) => {
          run.train.push(logs.seconds)
          run.valLoss = logs.val_loss!
        },
      })
      run.total.push((performance.now() - started) / 1000)
      process.stderr.write(`  epoch ${epoch + 1} ${name}: ${run.train.at(-1)!.toFixed(2)} s train, ${run.total.at(-1)!.toFixed(2)} s with validation, val_loss ${run.valLoss.toFixed(4)} (load ${load()})\n`)
    }
  }
  if (args.keras) runKeras()
  // Steady state: epochs after the first, as npm run bench reports them.
  const steady = (values: number[]) => median(values.length > 1 ? values.slice(1) : values)
  const summary = {
    architecture: args.arch, epochs, batchSize, threads: backend.threads,
    eager: { trainSecondsPerEpoch: +steady(runs.eager.train).toFixed(2), secondsPerEpoch: +steady(runs.eager.total).toFixed(2), valLoss: +runs.eager.valLoss.toFixed(4) },
    compiled: { trainSecondsPerEpoch: +steady(runs.compiled.train).toFixed(2), secondsPerEpoch: +steady(runs.compiled.total).toFixed(2), valLoss: +runs.compiled.valLoss.toFixed(4) },
    keras: keras && { trainSecondsPerEpoch: +median(keras.trainSeconds).toFixed(2), secondsPerEpoch: +median(keras.seconds).toFixed(2), valLoss: +keras.valLoss.toFixed(4) },
    loadAverageBefore: loadBefore, loadAverageAfter: load(),
  }
  for (const name of ['eager', 'compiled', 'keras'] as const) {
    const row = summary[name]
    if (!row) continue
    const ratio = summary.keras ? `  ours/Keras ${(row.trainSecondsPerEpoch / summary.keras.trainSecondsPerEpoch).toFixed(2)}` : ''
    console.log(`${name.padEnd(9)} ${row.trainSecondsPerEpoch} s train/epoch, ${row.secondsPerEpoch} s/epoch with validation, val BCE ${row.valLoss}${ratio}`)
  }
  console.log(`BENCH_RESULT ${JSON.stringify(summary)}`)
  runs.eager.optimizer.dispose()
}

let cursor = 0
/** Runs `steps` batches as fit does (gather from the resident tensor, step, accumulate the loss); ms per step. */
function block(step: Step, steps: number): number {
  let lossSum = tf.scalar(0)
  const started = performance.now()
  for (let i = 0; i < steps; i++) {
    const start = (cursor++ % batches) * batchSize
    const size = Math.min(batchSize, count - start)
    const loss = tf.tidy(() => step(tf.gather(images, order.slice(start, size)) as tf.Tensor4D))
    const previous = lossSum
    lossSum = tf.tidy(() => tf.add(previous, tf.mul(loss, size)))
    tf.dispose([previous, loss])
  }
  lossSum.dataSync()
  lossSum.dispose()
  return (performance.now() - started) / steps
}

function stepBenchmark(): void {
  const loadBefore = load()
  block(paths.eager, 5)
  block(paths.compiled, 5)
  const times: Record<'eager' | 'compiled', number[]> = { eager: [], compiled: [] }
  for (let round = 0; round < rounds; round++) {
    // Alternate which path goes first, so a load change inside a round does not favour one.
    const sequence = round % 2 === 0 ? (['eager', 'compiled'] as const) : (['compiled', 'eager'] as const)
    for (const name of sequence) times[name].push(block(paths[name], stepsPerBlock))
    process.stderr.write(`  round ${round + 1}/${rounds}: eager ${times.eager.at(-1)!.toFixed(2)} ms/step, compiled ${times.compiled.at(-1)!.toFixed(2)} ms/step (load ${load()})\n`)
  }
  const eagerMs = median(times.eager)
  const compiledMs = median(times.compiled)
  const result = {
    architecture: args.arch,
    batchSize,
    trainImages: count,
    batchesPerEpoch: batches,
    threads: backend.threads,
    eagerMsPerStep: +eagerMs.toFixed(2),
    compiledMsPerStep: +compiledMs.toFixed(2),
    eagerSecondsPerEpoch: +((eagerMs * batches) / 1000).toFixed(2),
    compiledSecondsPerEpoch: +((compiledMs * batches) / 1000).toFixed(2),
    speedup: +(eagerMs / compiledMs).toFixed(2),
    bestEagerMsPerStep: +Math.min(...times.eager).toFixed(2),
    bestCompiledMsPerStep: +Math.min(...times.compiled).toFixed(2),
    loadAverageBefore: loadBefore,
    loadAverageAfter: load(),
  }
  console.log(`eager    ${result.eagerMsPerStep} ms/step → ${result.eagerSecondsPerEpoch} s/epoch (train part, ${batches} steps)`)
  console.log(`compiled ${result.compiledMsPerStep} ms/step → ${result.compiledSecondsPerEpoch} s/epoch  (×${result.speedup})`)
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`)
}

if (args.fit) await fitBenchmark()
else stepBenchmark()

compiled.dispose()
compiledAdam.dispose()
eager.dispose()
eagerModel.dispose()
compiledModel.dispose()
tf.dispose([images, order])
