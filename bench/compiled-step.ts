// Micro-benchmark: one training step of a dense autoencoder (batch 256, full MNIST) the eager way (fit's
// optimizer.minimize, ~100 dispatched ops) against the compiled graph (one session call), interleaved in blocks in
// ONE process so a busy shared machine slows both alike. Run: nice -n 5 npx tsx bench/compiled-step.ts [--arch dense]
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { buildAutoencoder, createModelConfig, type Autoencoder } from '../src-main/ml/architectures/index'
import { initBackend } from '../src-main/ml/backend'
import { createCompiledTrainer } from '../src-main/ml/compiled/dense-trainer'
import { loadDataset } from '../src-main/ml/datasets'
import { shuffledIndices, createRandom } from '../src-main/ml/random'
import { createAdam } from '../src-main/ml/train'

const { values: args } = parseArgs({
  options: {
    arch: { type: 'string', default: 'dense' },
    rounds: { type: 'string', default: '8' },
    steps: { type: 'string', default: '40' },
    'batch-size': { type: 'string', default: '256' },
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

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const load = () => loadavg().map((v) => v.toFixed(2)).join(' ')
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

compiled.dispose()
compiledAdam.dispose()
eager.dispose()
eagerModel.dispose()
compiledModel.dispose()
tf.dispose([images, order])
