import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { loadDataset, type ImageDataset } from '../../../src-main/ml/datasets'
import { evaluateReconstructions } from '../../../src-main/ml/metrics'
import { fit, type BatchProgress } from '../../../src-main/ml/train'

let mnist: ImageDataset

beforeAll(async () => {
  await initBackend()
  mnist = await loadDataset('mnist', { limit: 2000, testLimit: 500 })
})

function model(seed: number) {
  return buildAutoencoder(createModelConfig('dense', [28, 28, 1], { seed }))
}

describe('fit', () => {
  it('lowers the validation loss on 2,000 MNIST digits, reports progress and frees every tensor', async () => {
    const start = tf.memory().numTensors
    const autoencoder = model(1)
    const shape = [28, 28, 1] as const
    const before = evaluateReconstructions(autoencoder.model, mnist.test, shape, { metrics: ['bce'] }).mean
      .bce!
    const batches: BatchProgress[] = []
    const history = await fit(
      autoencoder,
      { train: mnist.train, validation: mnist.test },
      { epochs: 3, batchSize: 64, seed: 1, batchReportIntervalMs: 0, onBatchEnd: (p) => batches.push(p) },
    )
    expect(history.cancelled).toBe(false)
    expect(history.epochs.map((e) => e.epoch)).toEqual([0, 1, 2])
    const valLosses = history.epochs.map((e) => e.val_loss!)
    expect(valLosses[0]!).toBeLessThan(before)
    expect(valLosses[2]!).toBeLessThan(valLosses[0]!)
    expect(valLosses[2]!).toBeLessThan(0.3)
    expect(batches.length).toBe(3 * Math.ceil(2000 / 64))
    expect(batches.at(-1)!.etaSeconds).toBe(0)
    expect(batches.every((b) => Number.isFinite(b.loss) && b.samplesPerSecond > 0)).toBe(true)
    // val_loss is the same number evaluation gives afterwards.
    const after = evaluateReconstructions(autoencoder.model, mnist.test, shape, { metrics: ['bce'] }).mean
      .bce!
    expect(after).toBeCloseTo(valLosses[2]!, 6)
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('is reproducible with a seed and differs with another', async () => {
    const run = async (seed: number) => {
      const autoencoder = model(seed)
      const train = { ...mnist.train, images: mnist.train.images.subarray(0, 500 * 784), count: 500 }
      const history = await fit(autoencoder, { train }, { epochs: 1, batchSize: 100, seed })
      autoencoder.dispose()
      return history.epochs[0]!.loss
    }
    const first = await run(7)
    expect(await run(7)).toBeCloseTo(first, 6)
    expect(await run(8)).not.toBeCloseTo(first, 6)
  })

  it('stops between batches when the signal aborts, keeping finished epochs', async () => {
    const start = tf.memory().numTensors
    const autoencoder = model(2)
    const controller = new AbortController()
    const history = await fit(
      autoencoder,
      { train: mnist.train },
      {
        epochs: 5,
        batchSize: 100,
        batchReportIntervalMs: 0,
        onBatchEnd: (p) => {
          if (p.epoch === 1 && p.batch === 2) controller.abort()
        },
        signal: controller.signal,
      },
    )
    expect(history.cancelled).toBe(true)
    expect(history.epochs.map((e) => e.epoch)).toEqual([0])
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('resumes at initialEpoch and awaits onEpochEnd before going on', async () => {
    const autoencoder = model(3)
    const seen: string[] = []
    const history = await fit(
      autoencoder,
      { train: { ...mnist.train, images: mnist.train.images.subarray(0, 300 * 784), count: 300 } },
      {
        epochs: 4,
        initialEpoch: 2,
        batchSize: 100,
        onEpochEnd: async (logs) => {
          await new Promise((resolve) => setTimeout(resolve, 20))
          seen.push(`end ${logs.epoch}`)
        },
        onBatchEnd: (p) => seen.push(`batch ${p.epoch}`),
        batchReportIntervalMs: 1e9,
      },
    )
    expect(history.epochs.map((e) => e.epoch)).toEqual([2, 3])
    expect(seen).toEqual(['batch 2', 'end 2', 'batch 3', 'end 3'])
    autoencoder.dispose()
  })

  it('ends as diverged, before the epoch is saved, when val_loss is not a number though the loss is', async () => {
    // Weights blown up by an epoch's last step show only in val_loss; NaN test pixels give the same val_loss here.
    const start = tf.memory().numTensors
    const autoencoder = model(4)
    const train = { ...mnist.train, images: mnist.train.images.subarray(0, 200 * 784), count: 200 }
    const validation = { images: new Float32Array(10 * 784).fill(Number.NaN), count: 10 }
    const saved: number[] = []
    const run = fit(
      autoencoder,
      { train, validation },
      { epochs: 2, batchSize: 100, onEpochEnd: (logs) => void saved.push(logs.epoch) },
    )
    await expect(run).rejects.toMatchObject({
      code: 'TRAINING_DIVERGED',
      message: 'Training diverged in epoch 1 (val_loss is NaN); try a smaller learning rate.',
    })
    expect(saved).toEqual([])
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('corrupts only the inputs with the noise hook, with a fresh reproducible seed per batch', async () => {
    const start = tf.memory().numTensors
    const train = { ...mnist.train, images: mnist.train.images.subarray(0, 400 * 784), count: 400 }
    const run = async () => {
      const autoencoder = model(6)
      const seeds: number[] = []
      const sums: [number, number][] = []
      const loss = autoencoder.loss
      // Spy on what the loss sees: the noised inputs and the clean targets.
      autoencoder.loss = (inputs, targets) => {
        sums.push([tf.sum(inputs).dataSync()[0]!, tf.sum(targets).dataSync()[0]!])
        return loss(inputs, targets)
      }
      await fit(
        autoencoder,
        { train },
        {
          epochs: 2,
          batchSize: 100,
          seed: 6,
          // The spy above wraps autoencoder.loss, which only the eager step calls.
          compiledSteps: false,
          noise: (clean, seed) => {
            seeds.push(seed)
            return tf.zerosLike(clean)
          },
        },
      )
      autoencoder.dispose()
      return { seeds, sums }
    }
    const first = await run()
    expect(first.seeds).toHaveLength(8)
    expect(new Set(first.seeds).size).toBe(8)
    expect((await run()).seeds).toEqual(first.seeds)
    expect(first.sums).toHaveLength(8)
    for (const [inputs, targets] of first.sums) {
      expect(inputs).toBe(0)
      expect(targets).toBeGreaterThan(100 * 50)
    }
    expect(tf.memory().numTensors).toBe(start)
  })

  // val_loss is the reconstruction term of the training loss, per pixel, so every model's is on one scale.
  const split = (images: ImageDataset['train'], count: number) => ({
    ...images,
    images: images.images.subarray(0, count * 784),
    count,
  })

  it('reports a VAE’s val_loss as its reconstructions’ binary cross-entropy per pixel, not its summed loss + KL', async () => {
    const start = tf.memory().numTensors
    const vae = buildAutoencoder(createModelConfig('vae', [28, 28, 1], { seed: 7 }))
    const validation = split(mnist.test, 200)
    const history = await fit(
      vae,
      { train: split(mnist.train, 500), validation },
      { epochs: 1, batchSize: 100, seed: 7 },
    )
    const epoch = history.epochs[0]!
    const scores = evaluateReconstructions(vae.model, validation, [28, 28, 1], {
      metrics: ['bce', 'mse'],
    }).mean
    expect(epoch.loss).toBeGreaterThan(50) // summed over 784 pixels, plus the KL term
    expect(epoch.val_loss!).toBeCloseTo(scores.bce!, 6)
    vae.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('reports a U-Net’s val_loss as its reconstructions’ squared error, the loss it trains on', async (context) => {
    if (!tf.getKernel('Conv2DBackpropFilter', tf.getBackend())) context.skip() // WASM cannot train convolutions
    const start = tf.memory().numTensors
    const unet = buildAutoencoder(createModelConfig('unet', [28, 28, 1], { seed: 7, filters: 4 }))
    const validation = split(mnist.test, 100)
    const history = await fit(
      unet,
      { train: split(mnist.train, 200), validation },
      { epochs: 1, batchSize: 50, seed: 7 },
    )
    const scores = evaluateReconstructions(unet.model, validation, [28, 28, 1], {
      metrics: ['bce', 'mse'],
    }).mean
    expect(history.epochs[0]!.val_loss!).toBeCloseTo(scores.mse!, 6)
    expect(scores.mse!).not.toBeCloseTo(scores.bce!, 2)
    unet.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })
})
