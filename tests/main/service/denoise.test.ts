// Photo denoising through the service with a real inference process: a photo sent as bytes (or a typed path in the
// web shell) is decoded by image-io, denoised tile by tile with progress events, scored against its reference, and
// its pictures come back as PNGs; cancel, broken files, size mismatches and the desktop app's path rule are checked,
// and the inference process holds no tensors afterwards beyond the cached model.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { calls, type CallName, type DenoiseDone, type EventMessage } from '../../../src-main/contract/index'
import { initBackend } from '../../../src-main/ml/backend'
import { encodePng } from '../../../src-main/ml/image-io'
import { createService } from '../../../src-main/service/index'
import { forkTrainer } from '../../../src-main/trainer/transport'
import { syntheticPhoto } from '../../../scripts/make-test-photos'
import { scratchDir } from '../support/scratch'
import { saveUntrainedModel } from '../support/untrained-models'

type TestService = ReturnType<typeof createService>

async function call<T = Record<string, unknown>>(
  service: TestService,
  name: CallName,
  payload: unknown = {},
) {
  const envelope = await service.handle(name, payload)
  if (!envelope.ok) throw new Error(`${name} failed: ${envelope.error.code} ${envelope.error.message}`)
  return calls[name].output.parse(envelope.value) as T
}

async function failure(service: TestService, name: CallName, payload: unknown) {
  const envelope = await service.handle(name, payload)
  if (envelope.ok) throw new Error(`${name} should have failed`)
  return envelope.error
}

function collectEvents(service: TestService, job: { id?: string }) {
  const progress: number[] = []
  let resolveDone!: (done: DenoiseDone) => void
  const done = new Promise<DenoiseDone>((resolve) => (resolveDone = resolve))
  const stop = service.onEvent((message: EventMessage) => {
    if (message.name === 'inference.onDenoiseProgress' && message.payload.jobId === job.id)
      progress.push(message.payload.done)
    if (message.name === 'inference.onDenoiseDone' && message.payload.jobId === job.id) {
      stop()
      resolveDone(message.payload)
    }
  })
  return { progress, done }
}

const saveModel = (store: string, architecture: string, shape: [number, number, number]) =>
  saveUntrainedModel(store, {
    architecture,
    shape,
    name: `${architecture} for photos`,
    options: { filters: 4 },
  })

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

describe('photo denoising through the service', () => {
  let service: TestService
  let store: string
  let unetId: string
  let denseId: string
  let photo: Buffer
  const logs: string[] = []

  beforeAll(async () => {
    await initBackend()
    store = scratchDir('denoise-service')
    unetId = await saveModel(store, 'unet', [32, 32, 3])
    denseId = await saveModel(store, 'dense', [28, 28, 1])
    photo = await encodePng(syntheticPhoto(300, 200, 11))
    service = createService({
      storeRoot: store,
      spawn: forkTrainer({ log: (line) => logs.push(line) }),
      shell: 'test',
      log: (level, message) => logs.push(`${level} ${message}`),
    })
  })

  afterAll(async () => {
    await service?.close()
  })

  it('denoises a photo sent as bytes with synthetic noise: progress, PSNR/SSIM against the clean photo, PNGs', async () => {
    const job: { id?: string } = {}
    const events = collectEvents(service, job)
    const started = await call<{ jobId: string; width: number; height: number; tiles: number }>(
      service,
      'inference.denoiseImage',
      {
        id: unetId,
        source: { name: 'garden.png', base64: base64(photo) },
        noise: { type: 'gaussian', stddev: 0.1 },
        tileSize: 128,
      },
    )
    const jobId = (job.id = started.jobId)
    expect(started).toMatchObject({ width: 300, height: 200, channels: 3 })
    expect(started.tiles).toBeGreaterThan(1)
    const done = await events.done
    expect(done).toMatchObject({
      status: 'completed',
      images: ['input', 'denoised', 'difference', 'reference', 'error'],
    })
    expect(events.progress.at(-1)).toBe(started.tiles)
    // The input is the noisy photo, scored against the clean one it came from.
    expect(done.metrics!.input.psnr).toBeGreaterThan(15)
    expect(done.metrics!.input.psnr).toBeLessThan(25)
    expect(done.metrics!.input.ssim).toBeLessThan(0.9)
    for (const image of ['input', 'denoised', 'reference', 'difference', 'error'] as const) {
      const result = await call<{ png: string; width: number; height: number }>(
        service,
        'inference.denoiseResult',
        {
          jobId,
          image,
          gain: 8,
        },
      )
      const meta = await sharp(Buffer.from(result.png, 'base64')).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 300, 200])
      expect(meta.channels).toBe(image === 'difference' || image === 'error' ? 1 : 3)
    }
    // The reference is the clean photo as decoded: identical pixels to what was sent.
    const reference = await call<{ png: string }>(service, 'inference.denoiseResult', {
      jobId,
      image: 'reference',
    })
    const [sent, back] = await Promise.all(
      [photo, Buffer.from(reference.png, 'base64')].map((png) => sharp(png).raw().toBuffer()),
    )
    expect(back!.equals(sent!)).toBe(true)
    // Amplification is exact: 8× the 1× map (where not clipped).
    const [one, eight] = await Promise.all(
      [1, 8].map(async (gain) => {
        const result = await call<{ png: string }>(service, 'inference.denoiseResult', {
          jobId,
          image: 'difference',
          gain,
        })
        return sharp(Buffer.from(result.png, 'base64')).raw().toBuffer()
      }),
    )
    let checked = 0
    for (let i = 0; i < one!.length; i++) {
      if (eight![i]! < 255) {
        expect(Math.abs(eight![i]! - one![i]! * 8)).toBeLessThanOrEqual(4)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(1000)
  })

  it('takes a typed path in the web shell, and a clean reference that must match its size', async () => {
    const dir = scratchDir('denoise-photos')
    const clean = syntheticPhoto(120, 96, 12)
    const noisy = {
      ...clean,
      data: clean.data.map((v, i) => Math.min(1, Math.max(0, v + (i % 5) * 0.02 - 0.04))),
    }
    await writeFile(join(dir, 'noisy.png'), await encodePng(noisy))
    await writeFile(join(dir, 'clean.png'), await encodePng(clean))
    const job: { id?: string } = {}
    const events = collectEvents(service, job)
    job.id = (
      await call<{ jobId: string }>(service, 'inference.denoiseImage', {
        id: unetId,
        source: { path: join(dir, 'noisy.png') },
        reference: { name: 'clean.png', base64: base64(await readFile(join(dir, 'clean.png'))) },
      })
    ).jobId
    const done = await events.done
    expect(done.status).toBe('completed')
    expect(done.images).toContain('error')
    expect(done.metrics!.input.psnr).toBeGreaterThan(25)

    const mismatch = await failure(service, 'inference.denoiseImage', {
      id: unetId,
      source: { path: join(dir, 'noisy.png') },
      reference: { name: 'other.png', base64: base64(photo) },
    })
    expect(mismatch.message).toBe(
      'The reference "other.png" is 300×200 but "noisy.png" is 120×96; a clean reference must be the same picture at the same size.',
    )
    // Its own code: the view sets such a reference aside and keeps the photo (an unreadable one is not kept).
    expect(mismatch.code).toBe('REFERENCE_MISMATCH')
  })

  it('cancels a running job between tiles', async () => {
    const big = await encodePng(syntheticPhoto(900, 700, 13))
    const job: { id?: string } = {}
    const events = collectEvents(service, job)
    const jobId = (job.id = (
      await call<{ jobId: string }>(service, 'inference.denoiseImage', {
        id: unetId,
        source: { name: 'big.png', base64: base64(big) },
        tileSize: 96,
      })
    ).jobId)
    expect(await call(service, 'inference.cancelDenoise', { jobId })).toEqual({ cancelled: true })
    const done = await events.done
    expect(done).toMatchObject({ status: 'cancelled', images: [] })
    expect(await call(service, 'inference.cancelDenoise', { jobId })).toEqual({ cancelled: false })
    const gone = await failure(service, 'inference.denoiseResult', { jobId, image: 'denoised' })
    expect(gone.message).toContain('failed or was cancelled')
  })

  it('refuses broken files, wrong-size models and unknown jobs with sentences', async () => {
    const broken = await failure(service, 'inference.denoiseImage', {
      id: unetId,
      source: { name: 'holiday.jpg', base64: base64(new TextEncoder().encode('not a photo at all')) },
    })
    expect(broken).toEqual({
      code: 'IMAGE_UNREADABLE',
      message:
        'Cannot read "holiday.jpg": it is not an image in a supported format (PNG, JPEG, WebP, TIFF, GIF).',
    })
    const truncated = await failure(service, 'inference.denoiseImage', {
      id: unetId,
      source: { name: 'cut.png', base64: base64(photo.subarray(0, Math.floor(photo.length / 2))) },
    })
    expect(truncated.message).toMatch(/^Cannot read "cut.png": /)
    const wrongModel = await failure(service, 'inference.denoiseImage', {
      id: denseId,
      source: { name: 'garden.png', base64: base64(photo) },
    })
    expect(wrongModel.message).toContain(
      'only takes 28×28 images and "garden.png" is 300×200. Pick a U-Net model (unet)',
    )
    const missing = await failure(service, 'inference.denoiseImage', {
      id: unetId,
      source: { path: join(store, 'nowhere.png') },
    })
    expect(missing).toMatchObject({ code: 'FILE_NOT_FOUND' })
    const unknown = await failure(service, 'inference.denoiseResult', {
      jobId: 'denoise-none',
      image: 'input',
    })
    expect(unknown.message).toContain('no longer kept')
    // Failures leave nothing behind: the process holds only its cached models' weights.
    const memory = await service.hosts.inference.request('memory', {})
    expect(memory.cachedModels).toBeGreaterThan(0)
    const again = await service.hosts.inference.request('memory', {})
    expect(again.numTensors).toBe(memory.numTensors)
  })

  it('leaks no tensors over a whole job', async () => {
    const before = await service.hosts.inference.request('memory', {})
    const job: { id?: string } = {}
    const events = collectEvents(service, job)
    job.id = (
      await call<{ jobId: string }>(service, 'inference.denoiseImage', {
        id: unetId,
        source: { name: 'garden.png', base64: base64(photo) },
        noise: { type: 'saltPepper', amount: 0.1 },
      })
    ).jobId
    expect((await events.done).status).toBe('completed')
    const after = await service.hosts.inference.request('memory', {})
    expect(after.numTensors).toBe(before.numTensors)
  })
})

describe('photo denoising in the desktop app', () => {
  it('refuses a path sent by the page: files come from drops and dialogs there', async () => {
    const store = scratchDir('denoise-desktop')
    const service = createService({
      storeRoot: store,
      spawn: forkTrainer({ log: () => undefined }),
      shell: 'test',
      log: () => undefined,
      dialogs: { chooseFolder: async () => undefined, chooseSaveFolder: async () => undefined },
    })
    try {
      const envelope = await service.handle('inference.denoiseImage', {
        id: 'a1b2c3d4e5f6',
        source: { path: '/etc/passwd' },
      })
      expect(envelope).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
      if (!envelope.ok) expect(envelope.error.message).toContain('drop the photo')
    } finally {
      await service.close()
    }
  })
})
