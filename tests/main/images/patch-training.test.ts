// Training from an image folder: supervised and Noise2Void loops improve the model, report, cancel, free tensors.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { buildUnet } from '../../../src-main/ml/architectures/unet'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { openImageFolder } from '../../../src-main/ml/folder-dataset'
import { fitPatches } from '../../../src-main/ml/patch-training'
import { parseNoiseSpec } from '../../../src-main/ml/noise'
import { BottleneckError } from '../../../src-main/ml/errors'
import { writeTestPhotos } from '../../../scripts/make-test-photos'

let dir: string
let startTensors: number
beforeAll(async () => {
  // Native TensorFlow when built, else plain JS; wasm has no kernel for convolution gradients.
  await initBackend('tensorflow').catch(() => tf.setBackend('cpu'))
  dir = await mkdtemp(join(tmpdir(), 'bottleneck-patches-'))
  await writeTestPhotos(dir, 4, 96, 96)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  startTensors = tf.memory().numTensors
})
afterEach(() => {
  expect(tf.memory().numTensors).toBe(startTensors)
})

const config = () => createModelConfig('unet', [32, 32, 3], { seed: 1, learningRate: 0.003, filters: 8 })

describe('fitPatches', () => {
  it('supervised denoising: val_loss falls over two short epochs, with progress reports', async () => {
    const folder = await openImageFolder(dir, { patchSize: 32, seed: 1, validationFraction: 0.25 })
    const model = buildUnet(config())
    const batches: number[] = []
    const history = await fitPatches(model, folder, {
      epochs: 2,
      stepsPerEpoch: 12,
      batchSize: 8,
      mode: { kind: 'supervised', noise: parseNoiseSpec('gaussian255:25') },
      validationPatches: 16,
      batchReportIntervalMs: 0,
      onBatchEnd: (progress) => batches.push(progress.batch),
    })
    expect(history.cancelled).toBe(false)
    expect(history.epochs.map((e) => e.epoch)).toEqual([0, 1])
    expect(batches.length).toBe(24)
    // Noisy input MSE at σ = 25/255 is about 0.0096; the model must already beat the identity.
    expect(history.epochs[1]!.val_loss!).toBeLessThan(0.0096)
    expect(history.epochs[1]!.val_loss!).toBeLessThan(history.epochs[0]!.val_loss!)
    model.dispose()
  })

  it('Noise2Void runs on masked batches, stops when aborted, and is refused for a model without a masked loss', async () => {
    const folder = await openImageFolder(dir, { patchSize: 32, seed: 2 })
    const model = buildUnet(config())
    const controller = new AbortController()
    const history = await fitPatches(model, folder, {
      epochs: 3,
      stepsPerEpoch: 4,
      batchSize: 4,
      mode: { kind: 'noise2void', noise: parseNoiseSpec('gaussian255:25'), blindSpot: { fraction: 0.02 } },
      validationPatches: 4,
      onEpochEnd: (logs) => {
        expect(Number.isFinite(logs.loss)).toBe(true)
        controller.abort()
      },
      signal: controller.signal,
    })
    expect(history.cancelled).toBe(true)
    expect(history.epochs.length).toBe(1)
    model.dispose()

    const dense = buildAutoencoder(createModelConfig('dense', [32, 32, 3], { seed: 1 }))
    const error = await fitPatches(dense, folder, {
      epochs: 1,
      stepsPerEpoch: 1,
      batchSize: 2,
      validationPatches: 0,
      mode: { kind: 'noise2void' },
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BottleneckError)
    expect((error as BottleneckError).message).toMatch(/unet/)
    dense.dispose()
  })

  it('ends as diverged, before the epoch is saved, when val_loss is not a number though the loss is', async () => {
    // Weights blown up by an epoch's last step show only in val_loss; NaN validation pixels give the same val_loss.
    const folder = await openImageFolder(dir, { patchSize: 32, seed: 3 })
    const source = {
      ...folder,
      validationPatches: async (count: number) => new Float32Array(count * 32 * 32 * 3).fill(Number.NaN),
    }
    const model = buildAutoencoder(createModelConfig('dense', [32, 32, 3], { seed: 1 }))
    const saved: number[] = []
    const run = fitPatches(model, source, {
      epochs: 2,
      stepsPerEpoch: 2,
      batchSize: 4,
      validationPatches: 4,
      mode: { kind: 'clean' },
      onEpochEnd: (logs) => void saved.push(logs.epoch),
    })
    await expect(run).rejects.toMatchObject({
      code: 'TRAINING_DIVERGED',
      message: 'Training diverged in epoch 1 (val_loss is NaN); try a smaller learning rate.',
    })
    expect(saved).toEqual([])
    model.dispose()
  })
})
