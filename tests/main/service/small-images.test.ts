// The app's per-image scores for a model of images smaller than SSIM's 11×11 window (10×10 IDX), through the real
// service and inference process: reconstructions, denoised images and latent samples come with MSE and PSNR and
// without SSIM, instead of failing, match the contract's schemas and leave no tensor behind.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { calls, type CallName, type Metrics } from '../../../src-main/contract/index'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { createService } from '../../../src-main/service/index'
import { openStore } from '../../../src-main/store/index'
import { forkTrainer } from '../../../src-main/trainer/transport'
import { scratchDir } from '../support/scratch'

type TestService = ReturnType<typeof createService>

async function call<T>(service: TestService, name: CallName, payload: unknown): Promise<T> {
  const envelope = await service.handle(name, payload)
  if (!envelope.ok) throw new Error(`${name} failed: ${envelope.error.code} ${envelope.error.message}`)
  return calls[name].output.parse(envelope.value) as T
}

/** An IDX image file of `count` greyscale images of side × side. */
function idxImages(count: number, side: number): Buffer {
  const header = Buffer.alloc(16)
  header.writeUInt32BE(0x0803, 0)
  header.writeUInt32BE(count, 4)
  header.writeUInt32BE(side, 8)
  header.writeUInt32BE(side, 12)
  return Buffer.concat([
    header,
    Buffer.from(Array.from({ length: count * side * side }, (_, i) => (i * 53) % 256)),
  ])
}

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
    const autoencoder = buildAutoencoder(createModelConfig('dense', [10, 10, 1], { codeSize: 4, seed: 1 }))
    const store = join(scratch, 'store')
    const record = await openStore(store).save({
      metadata: {
        name: 'tiny',
        config: autoencoder.config,
        dataset: { spec: `idx:${images}`, name: 'idx 10x10', trainCount: 20, testCount: 8 },
        backend: { name: tf.getBackend(), tfjsVersion: tf.version.tfjs },
        epochs: 0,
        targetEpochs: 0,
        batchSize: 8,
        history: [],
      },
      model: autoencoder.model,
    })
    autoencoder.dispose()
    modelId = record.id
    service = createService({
      storeRoot: store,
      spawn: forkTrainer({ log: () => {} }),
      shell: 'test',
      log: () => {},
    })
  })

  afterAll(async () => {
    await service?.close()
  })

  it('reconstructs and denoises with MSE and PSNR, without SSIM, leaking no tensors', async () => {
    await call(service, 'inference.reconstruct', { id: modelId, images: [image(0)] })
    const before = await service.hosts.inference.request('memory', {})
    const reconstructed = await call<{ metrics: Metrics[] }>(service, 'inference.reconstruct', {
      id: modelId,
      images: [image(1), image(2)],
    })
    expectPsnrWithoutSsim(reconstructed.metrics, 2)
    const denoised = await call<{ metrics?: Metrics[] }>(service, 'inference.denoise', {
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
    const { samples } = await call<{ samples: { metrics: Metrics }[] }>(service, 'latent.samples', {
      id: modelId,
      indices: [0, 7],
    })
    expectPsnrWithoutSsim(
      samples.map((sample) => sample.metrics),
      2,
    )
  })
})
