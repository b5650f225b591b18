// A long session in the app, compressed: through the real service and inference process, a user draws with many
// models of different architectures (a prepare and a stroke as each is picked, then a stroke after stroke), compares,
// opens latent maps, interpolations and a VAE's grid, denoises photos, retrains (re-saves) a model and deletes
// another. After a warm-up round the inference process must hold as many tensors and bytes after every further
// round, and no more models than it keeps loaded: a process that grows over hours is slow, then killed.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DenoiseDone, Image, Noise } from '../../../src-main/contract/index'
import type { ModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { encodePng } from '../../../src-main/ml/image-io'
import { openStore } from '../../../src-main/store/index'
import { KEPT_JOBS } from '../../../src-main/trainer/denoise-jobs'
import { MODELS_KEPT_LOADED } from '../../../src-main/trainer/model-cache'
import { syntheticPhoto } from '../../../scripts/make-test-photos'
import { scratchDir } from '../support/scratch'
import { callService, createTestService, type TestService } from '../support/service-events'
import { idxImages, saveUntrainedModel } from '../support/untrained-models'

interface SessionModel {
  architecture: string
  shape: [number, number, number]
  options: Partial<ModelConfig>
  /** Has a code: encode, decode and the latent calls apply. */
  coded: boolean
}

const TEST_IMAGES = 64
const SMALL: [number, number, number] = [16, 16, 1]
/** Nine models of eight architectures, more than the inference process keeps loaded, so switching evicts. */
const MODELS: SessionModel[] = [
  { architecture: 'dense', shape: SMALL, options: { codeSize: 2 }, coded: true },
  { architecture: 'sparse', shape: SMALL, options: { codeSize: 8 }, coded: true },
  { architecture: 'deep', shape: SMALL, options: { codeSize: 8, hiddenUnits: [32, 16] }, coded: true },
  { architecture: 'conv', shape: SMALL, options: { codeSize: 8, filters: [4, 4] }, coded: true },
  { architecture: 'vae', shape: SMALL, options: { codeSize: 2, hiddenUnits: 16 }, coded: true },
  { architecture: 'seq2seq', shape: SMALL, options: { codeSize: 8 }, coded: true },
  { architecture: 'denoiser', shape: SMALL, options: { levelFilters: [4, 8, 8] }, coded: false },
  { architecture: 'unet', shape: [16, 16, 3], options: { filters: 4 }, coded: false },
  { architecture: 'dense', shape: [28, 28, 1], options: { codeSize: 8 }, coded: true },
]
const STROKES_PER_MODEL = 5
const ROUNDS = 4

/** A stroke-like drawing for the model's input: a diagonal band that moves with `step`. */
function drawing([height, width, channels]: [number, number, number], step: number): Image {
  const data = new Array<number>(height * width * channels)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++)
        data[(y * width + x) * channels + c] = Math.abs(x - y - (step % 5)) < 2 ? 255 : 0
  return { width, height, channels: channels as 1 | 3, data }
}

describe('a long session in the inference process', () => {
  let service: TestService
  let store: string
  let dataset: string
  let photo: string
  const ids: string[] = []

  beforeAll(async () => {
    await initBackend()
    store = scratchDir('long-session')
    dataset = join(store, 'digits')
    mkdirSync(dataset)
    writeFileSync(join(dataset, 'train-images-idx3-ubyte'), idxImages(8, 16))
    writeFileSync(join(dataset, 't10k-images-idx3-ubyte'), idxImages(TEST_IMAGES, 16))
    photo = Buffer.from(await encodePng(syntheticPhoto(48, 40, 5))).toString('base64')
    for (const [index, model] of MODELS.entries())
      ids.push(await saveModel(`${model.architecture} ${index}`, model))
    service = createTestService(store)
  })

  afterAll(async () => {
    await service?.close()
  })

  function saveModel(name: string, model: SessionModel): Promise<string> {
    return saveUntrainedModel(store, {
      architecture: model.architecture,
      shape: model.shape,
      name,
      options: { seed: 3, ...model.options },
      dataset: { spec: `idx:${dataset}`, name: 'digits', trainCount: 8, testCount: TEST_IMAGES },
    })
  }

  const memory = () => service.hosts.inference.request('memory', {})

  /** Picking a model in Draw: the view prepares it and the first stroke follows at once, so the two race. */
  async function draw(id: string, model: SessionModel, strokes: number): Promise<void> {
    const [, first] = await Promise.all([
      callService(service, 'inference.prepare', { id }),
      callService(service, 'inference.reconstruct', {
        id,
        images: [drawing(model.shape, 0)],
        withCodes: model.coded,
      }),
    ])
    expect(first.images).toHaveLength(1)
    for (let step = 1; step < strokes; step++) {
      await callService(service, 'inference.reconstruct', {
        id,
        images: [drawing(model.shape, step)],
        withCodes: model.coded,
      })
    }
  }

  /** Starts denoising `source` (base64 PNG); `done` is its done event, listened for before the start can answer. */
  async function startDenoising(
    id: string,
    source: string,
    options: { noise?: Noise; tileSize?: number } = {},
  ) {
    const job: { id?: string } = {}
    let progressed!: () => void
    const firstProgress = new Promise<void>((resolve) => (progressed = resolve))
    const done = new Promise<DenoiseDone>((resolve) => {
      const stop = service.onEvent((message) => {
        if (message.name === 'inference.onDenoiseProgress' && message.payload.done > 0) progressed()
        if (message.name === 'inference.onDenoiseDone' && message.payload.jobId === job.id) {
          stop()
          resolve(message.payload)
        }
      })
    })
    const started = await callService(service, 'inference.denoiseImage', {
      id,
      source: { name: 'garden.png', base64: source },
      ...options,
    })
    job.id = started.jobId
    return { jobId: started.jobId, firstProgress, done }
  }

  async function denoisePhoto(id: string, noise?: Noise): Promise<void> {
    const { jobId, done } = await startDenoising(id, photo, noise ? { noise } : {})
    expect(await done).toMatchObject({ status: 'completed' })
    for (const image of ['denoised', 'difference'] as const)
      await callService(service, 'inference.denoiseResult', { jobId, image, gain: 4 })
  }

  /** A checkpoint of the model saved under its id, as a training's next epoch does: its loaded copy is stale. */
  async function retrain(id: string, epochs: number): Promise<void> {
    const { record, autoencoder } = await openStore(store).load(id)
    try {
      const { id: _id, formatVersion: _format, updatedAt: _updated, ...metadata } = record.metadata
      await openStore(store).save({ id, metadata: { ...metadata, epochs }, model: autoencoder.model })
    } finally {
      autoencoder.dispose()
    }
  }

  /** One slice of the session: every model in turn, in every view that takes it. */
  async function round(number: number): Promise<void> {
    // The model used last, still loaded, retrained meanwhile (a checkpoint saved under its id): its old weights go.
    const retrained = ids.at(-1)!
    await retrain(retrained, number + 1)
    await draw(retrained, MODELS.at(-1)!, 2)
    // A model made, tried and deleted: the process must drop it too.
    const scratch = await saveModel(`scratch ${number}`, MODELS[0]!)
    await draw(scratch, MODELS[0]!, 2)
    await callService(service, 'models.delete', { id: scratch })

    for (const [index, model] of MODELS.entries()) {
      const id = ids[index]!
      await draw(id, model, STROKES_PER_MODEL)
      // Compare: a noisy batch through the model.
      await callService(service, 'inference.denoise', {
        id,
        images: [drawing(model.shape, 1), drawing(model.shape, 2)],
        noise: { type: 'gaussian', stddev: 0.2 },
      })
      if (model.coded) {
        const { codes } = await callService(service, 'inference.encode', {
          id,
          images: [drawing(model.shape, 3)],
        })
        await callService(service, 'inference.decode', { id, codes })
      }
      if (model.coded && model.shape[0] === 16) {
        await callService(service, 'latent.map', { id, limit: TEST_IMAGES })
        await callService(service, 'latent.samples', { id, indices: [0, 1, 2] })
        await callService(service, 'latent.interpolate', { id, from: 0, to: 5, steps: 4 })
      }
      if (model.architecture === 'vae') await callService(service, 'latent.generate', { id, n: 3 })
      if (model.architecture === 'unet') {
        // The photo as it is, then with synthetic noise: two results kept, as the view keeps the one before.
        await denoisePhoto(id)
        await denoisePhoto(id, { type: 'gaussian', stddev: 0.1 })
      }
    }
  }

  it('holds as many tensors and bytes after every round as after the first, and at most the models it keeps', async () => {
    await round(0)
    const warm = await memory()
    const rounds = [warm]
    for (let number = 1; number < ROUNDS; number++) {
      await round(number)
      rounds.push(await memory())
    }
    const figures = rounds.map(({ numTensors, numBytes, cachedModels, keptDenoiseJobs }) => ({
      numTensors,
      numBytes,
      cachedModels,
      keptDenoiseJobs,
    }))
    // Every round ends with the same models loaded (the last ones used), so the figures are equal, not just close.
    expect(figures).toEqual(
      rounds.map(() => ({ ...figures[0]!, cachedModels: MODELS_KEPT_LOADED, keptDenoiseJobs: KEPT_JOBS })),
    )
  })

  it('finishes a photo whose model is retrained and pushed out of the cache meanwhile, then frees its copy', async () => {
    const unetIndex = MODELS.findIndex((model) => model.architecture === 'unet')
    const unet = ids[unetIndex]!
    const others = MODELS.map((model, index) => ({ model, id: ids[index]! }))
      .filter(({ model }) => model.architecture !== 'unet')
      .slice(0, MODELS_KEPT_LOADED)
    for (const { model, id } of others) await draw(id, model, 1)
    const before = await memory()
    const large = Buffer.from(await encodePng(syntheticPhoto(560, 420, 6))).toString('base64')
    const job = await startDenoising(unet, large, { tileSize: 64 })
    let finishedAt = Infinity
    void job.done.then(() => (finishedAt = Date.now()))
    await job.firstProgress
    await retrain(unet, 50)
    // Draw loads the new checkpoint (the job's copy leaves the cache), then other models push that one out too.
    await draw(unet, MODELS[unetIndex]!, 1)
    for (const { model, id } of others) await draw(id, model, 1)
    const replacedAt = Date.now()
    expect(await job.done).toMatchObject({ status: 'completed' })
    // Otherwise the test proves nothing: the job was still running when its model was replaced and evicted.
    expect(finishedAt).toBeGreaterThanOrEqual(replacedAt)
    const { numTensors, numBytes, cachedModels } = await memory()
    expect({ numTensors, numBytes, cachedModels }).toEqual({
      numTensors: before.numTensors,
      numBytes: before.numBytes,
      cachedModels: before.cachedModels,
    })
  })
})
