// The app's per-image scores for a model of images smaller than SSIM's 11×11 window (10×10 IDX), through the real
// service and inference process: reconstructions, denoised images and latent samples come with MSE and PSNR and
// without SSIM, instead of failing, match the contract's schemas and leave no tensor behind.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Metrics } from '../../../src-main/contract/index'
import { scratchDir } from '../support/scratch'
import { callService, createTestService, type TestService } from '../support/service-events'
import { idxImages, saveUntrainedModel } from '../support/untrained-models'

/** An IDX image file of `count` greyscale images of side × side. */
const image = (seed: number) => ({
  width: 10,
  height: 10,
  channels: 1 as const,
  data: Array.from({ length: 100 }, (_, i) => (i * 7 + seed * 31) % 256),
})

function expectPsnrWithoutSsim(metrics: Metrics[] | undefined, count: number) {
  expect(metrics).toHaveLength(count)
  for (const score of metrics!) {
    expect(Number.isFinite(score.psnr)).toBe(true)
    expect(score.mse).toBeGreaterThan(0)
    expect(score).not.toHaveProperty('ssim')
  }
}

describe('per-image scores of a model for 10×10 images', () => {
  let service: TestService
  let modelId: string

  beforeAll(async () => {
    const scratch = scratchDir('small-images')
    const images = join(scratch, 'idx 10x10')
    mkdirSync(images)
    writeFileSync(join(images, 'train-images-idx3-ubyte'), idxImages(20, 10))
    writeFileSync(join(images, 't10k-images-idx3-ubyte'), idxImages(8, 10))
    // Untrained weights score just as well for this: no training needed.
    const store = join(scratch, 'store')
    modelId = await saveUntrainedModel(store, {
      architecture: 'dense',
      shape: [10, 10, 1],
      name: 'tiny',
      options: { codeSize: 4, seed: 1 },
      dataset: { spec: `idx:${images}`, name: 'idx 10x10', trainCount: 20, testCount: 8 },
      batchSize: 8,
    })
    service = createTestService(store)
  })

  afterAll(async () => {
    await service?.close()
  })

  it('reconstructs and denoises with MSE and PSNR, without SSIM, leaking no tensors', async () => {
    await callService(service, 'inference.reconstruct', { id: modelId, images: [image(0)] })
    const before = await service.hosts.inference.request('memory', {})
    const reconstructed = await callService(service, 'inference.reconstruct', {
      id: modelId,
      images: [image(1), image(2)],
    })
    expectPsnrWithoutSsim(reconstructed.metrics, 2)
    const denoised = await callService(service, 'inference.denoise', {
      id: modelId,
      images: [image(1), image(2)],
      noise: { type: 'gaussian', stddev: 0.3 },
      baselines: ['median'],
    })
    expectPsnrWithoutSsim(denoised.metrics, 2)
    const after = await service.hosts.inference.request('memory', {})
    expect(after.numTensors).toBe(before.numTensors)
  })

  it('shows latent samples of its test images with MSE and PSNR, without SSIM', async () => {
    const { samples } = await callService(service, 'latent.samples', {
      id: modelId,
      indices: [0, 7],
    })
    expectPsnrWithoutSsim(
      samples.map((sample) => sample.metrics),
      2,
    )
  })
})
