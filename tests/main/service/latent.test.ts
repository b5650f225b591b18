// The Latent view's calls through the real service and inference process, on models trained tiny in setup: a dense
// model with a 2-D code (the map is the code itself), one with an 8-D code (PCA), a VAE (the generated grid) and a
// U-Net (no code at all). Results must agree with the plain inference calls on the same test images, match the
// contract's schemas, and leave no tensor behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventMessage, Image } from '../../../src-main/contract/index'
import { scratchDir } from '../support/scratch'
import { callService, createTestService, type TestService } from '../support/service-events'



async function train(service: TestService, architecture: string, codeSize: number): Promise<string> {
  const done = new Promise<EventMessage>((resolve) => {
    const stop = service.onEvent((message) => {
      if (message.name === 'training.onDone' || message.name === 'training.onError') {
        stop()
        resolve(message)
      }
    })
  })
  const run = await callService(service, 'training.start', {
    name: `${architecture} ${codeSize}`,
    architecture,
    datasetId: 'mnist',
    codeSize,
    epochs: 1,
    batchSize: 100,
    learningRate: 0.005,
    trainLimit: 500,
    testLimit: 50,
  })
  const outcome = await done
  expect(outcome, `${architecture} training`).toMatchObject({ name: 'training.onDone', payload: { status: 'completed' } })
  return run.modelId
}

const maxByteDifference = (a: Image, b: Image) => Math.max(...a.data.map((value, i) => Math.abs(value - b.data[i]!)))

describe('latent calls with a trained model', () => {
  let service: TestService
  const ids = { plane: '', wide: '', vae: '', unet: '' }

  beforeAll(async () => {
    const store = scratchDir('latent-service')
    service = createTestService(store)
    ids.plane = await train(service, 'dense', 2)
    ids.wide = await train(service, 'dense', 8)
    ids.vae = await train(service, 'vae', 2)
    ids.unet = await train(service, 'unet', 8)
  })

  afterAll(async () => {
    await service?.close()
  })

  it('maps a 2-D code as it is: each point is the code inference.encode gives for that test image', async () => {
    const map = await callService(service, 'latent.map', { id: ids.plane, limit: 3000 })
    expect(map).toMatchObject({ modelId: ids.plane, method: 'code', dimensions: 2, count: 3000, testCount: 10000 })
    expect(map.points).toHaveLength(6000)
    expect(map.labels).toHaveLength(3000)
    expect(new Set(map.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
    const preview = await callService(service, 'datasets.previewSamples', {
      datasetId: 'mnist',
      split: 'test',
      count: 5,
      offset: 0,
    })
    expect(map.labels!.slice(0, 5)).toEqual(preview.labels)
    const encoded = await callService(service, 'inference.encode', { id: ids.plane, images: preview.images })
    encoded.codes.forEach((code, i) => {
      // Encoding bytes (0–255) and the float test set agree to rounding; points carry four significant digits.
      expect(map.points[2 * i]).toBeCloseTo(code[0]!, 2)
      expect(map.points[2 * i + 1]).toBeCloseTo(code[1]!, 2)
    })
  })

  it('maps a wider code by PCA, with the share of variance each axis explains', async () => {
    const map = await callService(service, 'latent.map', { id: ids.wide, limit: 500 })
    expect(map).toMatchObject({ method: 'pca', dimensions: 8, count: 500 })
    const [first, second] = map.explainedRatio!
    expect(first).toBeGreaterThan(0)
    expect(second).toBeGreaterThan(0)
    expect(first).toBeGreaterThanOrEqual(second)
    expect(first + second).toBeLessThanOrEqual(1.0001)
    // Projections are centred: the mean of each axis is (close to) zero.
    const mean = (axis: 0 | 1) => map.points.filter((_, i) => i % 2 === axis).reduce((a, b) => a + b, 0) / 500
    const spread = Math.max(...map.points.map(Math.abs))
    expect(Math.abs(mean(0))).toBeLessThan(0.01 * spread)
    expect(Math.abs(mean(1))).toBeLessThan(0.01 * spread)
  })

  it('returns a point’s digit, label, code and reconstruction, as inference.reconstruct would', async () => {
    const { samples } = await callService(service, 'latent.samples', {
      id: ids.plane,
      indices: [7, 9999],
    })
    expect(samples.map((sample) => sample.index)).toEqual([7, 9999])
    const preview = await callService(service, 'datasets.previewSamples', {
      datasetId: 'mnist',
      split: 'test',
      count: 1,
      offset: 7,
    })
    expect(samples[0]!.label).toBe(preview.labels![0])
    expect(samples[0]!.original.data).toEqual(preview.images[0]!.data)
    const rebuilt = await callService(service, 'inference.reconstruct', {
      id: ids.plane,
      images: [samples[0]!.original],
    })
    expect(maxByteDifference(samples[0]!.reconstruction, rebuilt.images[0]!)).toBeLessThanOrEqual(2)
    expect(samples[0]!.code).toHaveLength(2)
    expect(samples[0]!.metrics.psnr).toBeCloseTo(rebuilt.metrics[0]!.psnr, 0)
  })

  it('interpolates through the code: the ends are the two reconstructions, the middle differs from both', async () => {
    const result = await callService(service, 'latent.interpolate', {
      id: ids.wide,
      from: 3,
      to: 4,
      steps: 7,
    })
    expect(result.images).toHaveLength(7)
    expect(result.from.index).toBe(3)
    expect(result.to.index).toBe(4)
    expect(result.from.label).toBeTypeOf('number')
    const rebuilt = await callService(service, 'inference.reconstruct', {
      id: ids.wide,
      images: [result.from.original, result.to.original],
    })
    expect(maxByteDifference(result.images[0]!, rebuilt.images[0]!)).toBeLessThanOrEqual(2)
    expect(maxByteDifference(result.images[6]!, rebuilt.images[1]!)).toBeLessThanOrEqual(2)
    expect(maxByteDifference(result.images[3]!, result.images[0]!)).toBeGreaterThan(2)
    expect(maxByteDifference(result.images[3]!, result.images[6]!)).toBeGreaterThan(2)
  })

  it("draws a VAE's generated grid over the prior's quantiles, the same every time", async () => {
    const grid = await callService(service, 'latent.generate', { id: ids.vae, n: 6, from: 0.05, to: 0.95 })
    expect(grid.image).toMatchObject({ width: 6 * 28, height: 6 * 28, channels: 1 })
    expect(grid.zFrom).toBeCloseTo(-1.6449, 3)
    expect(grid.zTo).toBeCloseTo(1.6449, 3)
    expect(Math.max(...grid.image.data)).toBeGreaterThan(0)
    const again = await callService(service, 'latent.generate', { id: ids.vae, n: 6 })
    expect(again.image.data).toEqual(grid.image.data)
    // The VAE's latent map is its z_mean, 2-D.
    const map = await callService(service, 'latent.map', { id: ids.vae, limit: 200 })
    expect(map).toMatchObject({ method: 'code', dimensions: 2 })
    // Spread over the plane, not collapsed (z_mean is linear: no ReLU unit can die on a tiny run).
    for (const axis of [0, 1]) {
      const values = map.points.filter((_, i) => i % 2 === axis)
      expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(0.01)
    }
  })

  it('says in a sentence why a model has no latent space, no generated grid, or no such test image', async () => {
    const payloads = {
      'latent.map': { id: ids.unet },
      'latent.samples': { id: ids.unet, indices: [0] },
      'latent.interpolate': { id: ids.unet, from: 0, to: 1 },
    }
    for (const [name, payload] of Object.entries(payloads)) {
      const answer = await service.handle(name, payload)
      expect(answer, name).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
      if (!answer.ok) expect(answer.error.message).toMatch(/unet model has no single code layer/)
    }
    const grid = await service.handle('latent.generate', { id: ids.plane })
    expect(grid).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    if (!grid.ok) expect(grid.error.message).toMatch(/Only a VAE can generate/)
    const far = await service.handle('latent.samples', { id: ids.plane, indices: [10_000] })
    expect(far).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    const unknown = await service.handle('latent.map', { id: 'aaaaaaaaaaaa' })
    expect(unknown).toMatchObject({ ok: false, error: { code: 'MODEL_NOT_FOUND' } })
    const name = await service.handle('latent.map', { id: 'dense' })
    expect(name).toMatchObject({ ok: false, error: { code: 'MODEL_NOT_FOUND' } })
  })

  it('leaves no tensor behind in the inference process', async () => {
    const everything = async () => {
      for (const id of [ids.plane, ids.vae]) {
        await callService(service, 'latent.map', { id, limit: 1000 })
        await callService(service, 'latent.samples', { id, indices: [1, 2, 3] })
        await callService(service, 'latent.interpolate', { id, from: 1, to: 2, steps: 5 })
      }
      await callService(service, 'latent.generate', { id: ids.vae, n: 4 })
      await service.handle('latent.map', { id: ids.unet })
    }
    await everything()
    const before = await service.hosts.inference.request('memory', {})
    await everything()
    const after = await service.hosts.inference.request('memory', {})
    expect(after.numTensors).toBe(before.numTensors)
  })
})
