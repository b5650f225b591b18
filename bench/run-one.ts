// One benchmark run in its own process (the backend is process-wide): the seed model on MNIST with the backend
// named by BOTTLENECK_BACKEND. Prints progress on stderr and one `BENCH_RESULT {json}` line on stdout.
import { buildAutoencoder, createModelConfig } from '../src-main/ml/architectures/index'
import { initBackend } from '../src-main/ml/backend'
import { loadDataset } from '../src-main/ml/datasets'
import { fit } from '../src-main/ml/train'

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('='))) as Record<string, string>
const epochs = Number(args.epochs ?? 3)
const limit = args.limit ? Number(args.limit) : undefined
const batchSize = 256

try {
  const backend = await initBackend()
  const dataset = await loadDataset('mnist', { limit })
  const autoencoder = buildAutoencoder(createModelConfig('dense', [28, 28, 1], { seed: 1 }))
  const steps = Math.ceil(dataset.train.count / batchSize)
  const perEpoch: { epoch: number; trainSeconds: number; seconds: number; loss: number; valLoss?: number }[] = []
  let epochStart = performance.now()
  await fit(autoencoder, { train: dataset.train, validation: dataset.test }, {
    epochs,
    batchSize,
    seed: 1,
    onEpochEnd: (logs) => {
      const now = performance.now()
      perEpoch.push({ epoch: logs.epoch, trainSeconds: logs.seconds, seconds: (now - epochStart) / 1000, loss: logs.loss, valLoss: logs.val_loss })
      epochStart = now
      process.stderr.write(
        `  [${backend.name}] epoch ${logs.epoch + 1}/${epochs}: ${logs.seconds.toFixed(2)} s train, loss ${logs.loss.toFixed(4)}, val_loss ${logs.val_loss?.toFixed(4)}\n`,
      )
    },
  })
  autoencoder.dispose()
  process.stdout.write(
    `BENCH_RESULT ${JSON.stringify({
      backend: backend.name,
      threads: backend.threads,
      tfjs: backend.tfjsVersion,
      trainImages: dataset.train.count,
      steps,
      epochs: perEpoch,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  )
} catch (error) {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ error: (error as Error).message })}\n`)
  process.exitCode = 1
}
