// Does the app stay responsive while it trains? Trains the seed model on full MNIST in the training process and,
// meanwhile, measures the serving process's event-loop delay (p99) and `inference.encode` round trips through the
// service (p95). Goals: event-loop p99 < 20 ms, encode p95 < 15 ms. The histogram samples every 1 ms, so its
// readings include up to 1 ms of timer resolution.
// Usage: npm run bench:responsiveness [-- --seconds 60 --interval 100]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createService } from '../src-main/service/index'
import { forkTrainer } from '../src-main/trainer/transport'

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`)
  return value
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

const seconds = option('seconds', 60)
const intervalMs = option('interval', 100)
const store = mkdtempSync(join(tmpdir(), 'bottleneck-bench-'))
const service = createService({
  storeRoot: store,
  spawn: forkTrainer({ log: () => undefined }),
  shell: 'cli',
  log: () => undefined,
})

async function call(name: string, payload: unknown = {}) {
  const envelope = await service.handle(name, payload)
  if (!envelope.ok) throw new Error(`${name}: ${envelope.error.message}`)
  return envelope.value
}

try {
  const backend = (await call('system.backend')) as {
    name: string
    threads?: number
    fallbackReason?: string
  }
  const samples = (await call('datasets.previewSamples', { datasetId: 'mnist', count: 1 })) as {
    images: unknown[]
  }
  const image = samples.images[0]

  let batches = 0
  let lastProgress: { samplesPerSecond: number; epoch: number; batch: number; batches: number } | undefined
  service.onEvent((message) => {
    if (message.name === 'training.onBatchProgress') {
      batches++
      lastProgress = message.payload
    }
  })
  const run = (await call('training.start', {
    architecture: 'dense',
    datasetId: 'mnist',
    codeSize: 32,
    epochs: 50,
    batchSize: 256,
    learningRate: 0.001,
  })) as { modelId: string }
  // Wait until batches flow, so every measurement below happens during training.
  while (!lastProgress) await new Promise((resolve) => setTimeout(resolve, 50))

  // Warm the inference process's copy of the model (the first encode loads it from disk).
  await call('inference.encode', { id: run.modelId, images: [image] })

  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  const roundTrips: number[] = []
  const endAt = performance.now() + seconds * 1000
  while (performance.now() < endAt) {
    const started = performance.now()
    await call('inference.encode', { id: run.modelId, images: [image] })
    roundTrips.push(performance.now() - started)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  loop.disable()
  const stillTraining = ((await call('training.status')) as { state: string }).state === 'running'
  await call('training.cancel')

  roundTrips.sort((a, b) => a - b)
  const ms = (nanoseconds: number) => nanoseconds / 1e6
  const figures = {
    backend: backend.name,
    threads: backend.threads,
    fallbackReason: backend.fallbackReason,
    secondsMeasured: seconds,
    trainingSamplesPerSecond: Math.round(lastProgress.samplesPerSecond),
    trainingProgressEvents: batches,
    trainingStillRunningAtEnd: stillTraining,
    encodeRoundTrips: roundTrips.length,
    encodeP50Ms: +percentile(roundTrips, 50).toFixed(2),
    encodeP95Ms: +percentile(roundTrips, 95).toFixed(2),
    encodeP99Ms: +percentile(roundTrips, 99).toFixed(2),
    encodeMaxMs: +roundTrips.at(-1)!.toFixed(2),
    eventLoopDelayP50Ms: +ms(loop.percentile(50)).toFixed(2),
    eventLoopDelayP99Ms: +ms(loop.percentile(99)).toFixed(2),
    eventLoopDelayMaxMs: +ms(loop.max).toFixed(2),
  }
  console.log(JSON.stringify(figures, null, 2))
  const loopOk = figures.eventLoopDelayP99Ms < 20
  const encodeOk = figures.encodeP95Ms < 15
  console.log(
    `event-loop delay p99 ${figures.eventLoopDelayP99Ms} ms (goal < 20: ${loopOk ? 'met' : 'MISSED'}), ` +
      `encode p95 ${figures.encodeP95Ms} ms (goal < 15: ${encodeOk ? 'met' : 'MISSED'}) on ${figures.backend}, ` +
      `while training at ${figures.trainingSamplesPerSecond} samples/s`,
  )
} finally {
  await service.close()
  rmSync(store, { recursive: true, force: true })
}
