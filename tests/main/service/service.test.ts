// The service end to end with real trainer processes (forked through tsx) and a temporary store: every call
// refuses bad payloads with a typed error and the processes stay up; a tiny training produces a model whose
// inference results match the contract's output schemas; inference leaks no tensors; paths follow the shell's rules.
import { homedir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CALL_NAMES,
  TrainingConfigSchema,
  calls,
  type CallName,
  type EventMessage,
  type Image,
  type Preset,
} from '../../../src-main/contract/index'
import { listPresets } from '../../../src-main/ml/presets'
import { createService } from '../../../src-main/service/index'
import { forkTrainer } from '../../../src-main/trainer/transport'
import { medianFilter } from '../../../src-main/ml/baselines'
import { scratchDir } from '../support/scratch'

type TestService = ReturnType<typeof createService>

async function call(service: TestService, name: CallName, payload: unknown = {}) {
  const envelope = await service.handle(name, payload)
  if (!envelope.ok) throw new Error(`${name} failed: ${envelope.error.code} ${envelope.error.message}`)
  // Every real result must match the schema the UI was promised.
  return calls[name].output.parse(envelope.value) as never
}

function waitForEvent(
  service: TestService,
  predicate: (message: EventMessage) => boolean,
): Promise<EventMessage> {
  return new Promise((resolve) => {
    const stop = service.onEvent((message) => {
      if (predicate(message)) {
        stop()
        resolve(message)
      }
    })
  })
}

const image = () => ({
  width: 28,
  height: 28,
  channels: 1 as const,
  data: Array.from({ length: 784 }, (_, i) => (i * 7) % 256),
})

describe('service with trainer processes', () => {
  let service: TestService
  let modelId: string
  const logs: string[] = []

  beforeAll(async () => {
    const store = scratchDir('service')
    service = createService({
      storeRoot: store,
      spawn: forkTrainer({ log: (line) => logs.push(line) }),
      shell: 'test',
      log: (level, message) => logs.push(`${level} ${message}`),
    })
    const done = waitForEvent(
      service,
      (message) => message.name === 'training.onDone' || message.name === 'training.onError',
    )
    const run = (await call(service, 'training.start', {
      architecture: 'dense',
      datasetId: 'mnist',
      codeSize: 8,
      epochs: 2,
      batchSize: 64,
      learningRate: 0.01,
      trainLimit: 600,
      testLimit: 100,
    })) as { modelId: string }
    modelId = run.modelId
    const outcome = await done
    expect(outcome).toMatchObject({ name: 'training.onDone', payload: { status: 'completed', epochs: 2 } })
  })

  afterAll(async () => {
    await service?.close()
  })

  it('refuses malformed payloads for every call with INVALID_INPUT, and both processes stay alive', async () => {
    const trainingPid = service.hosts.training.pid
    const inferencePid = service.hosts.inference.pid
    const hostile: [string, unknown][] = [
      ['a number', 42],
      ['a string', 'x'],
      ['an array', []],
      ['a path as id', { id: '../../etc' }],
      ['a 10^8-element array', { images: new Array(100_000_000), codes: new Array(100_000_000) }],
    ]
    for (const name of CALL_NAMES) {
      for (const [what, payload] of hostile) {
        const envelope = await service.handle(name, payload)
        expect(envelope.ok, `${name} accepted ${what}`).toBe(false)
        if (!envelope.ok) expect(envelope.error.code).toBe('INVALID_INPUT')
      }
    }
    expect(await service.handle('no.suchCall', {})).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_CALL' },
    })
    const status = (await call(service, 'training.status')) as { trainer: { alive: boolean; pid: number } }
    expect(status.trainer).toMatchObject({ alive: true, pid: trainingPid })
    expect(service.hosts.inference.pid).toBe(inferencePid)
    expect(() => process.kill(trainingPid!, 0)).not.toThrow()
    expect(() => process.kill(inferencePid!, 0)).not.toThrow()
  })

  it('lists and describes the trained model with its history', async () => {
    const list = (await call(service, 'models.list')) as { models: { id: string }[]; unreadable: unknown[] }
    expect(list.models.map((model) => model.id)).toContain(modelId)
    expect(list.unreadable).toEqual([])
    const detail = (await call(service, 'models.get', { id: modelId })) as {
      name: string
      history: { epoch: number; loss: number }[]
      epochs: number
      metrics?: Record<string, number>
    }
    expect(detail.epochs).toBe(2)
    // Left unnamed, it is named as the CLI names one: architecture, code size, dataset.
    expect(detail).toMatchObject({ name: 'dense 8 on MNIST' })
    // How it was trained: on the 600 images it was limited to, in batches of 64.
    expect(detail).toMatchObject({ trainCount: 600, batchSize: 64 })
    expect(detail.history.map((entry) => entry.epoch)).toEqual([1, 2])
    expect(detail.history[1]!.loss).toBeLessThan(detail.history[0]!.loss)
    // The finished run keeps its test scores, as a CLI run does.
    expect(Object.keys(detail.metrics ?? {}).sort()).toEqual(['bce', 'meanCodeActivation', 'mse', 'psnr', 'ssim'])
    expect(detail.metrics!.psnr).toBeGreaterThan(0)
  })

  it('never resolves a name or a path where an id is expected', async () => {
    await call(service, 'models.rename', { id: modelId, name: 'digits' })
    for (const id of ['digits', 'models', 'tmp']) {
      expect(await service.handle('models.get', { id })).toMatchObject({
        ok: false,
        error: { code: 'MODEL_NOT_FOUND' },
      })
    }
    expect(await service.handle('models.get', { id: '/tmp' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' },
    })
  })

  it('prepares a model ahead of use, and says so when there is no such model', async () => {
    expect(await call(service, 'inference.prepare', { id: modelId })).toEqual({ ready: true })
    expect(await service.handle('inference.prepare', { id: 'aaaaaaaaaaaa' })).toMatchObject({
      ok: false,
      error: { code: 'MODEL_NOT_FOUND' },
    })
  })

  it('answers encode, decode, reconstruct and denoise in the contract shapes, without leaking tensors', async () => {
    const codes = (await call(service, 'inference.encode', { id: modelId, images: [image(), image()] })) as {
      codes: number[][]
    }
    expect(codes.codes).toHaveLength(2)
    expect(codes.codes[0]).toHaveLength(8)
    const before = await service.hosts.inference.request('memory', {})
    for (let i = 0; i < 3; i++) {
      await call(service, 'inference.encode', { id: modelId, images: [image()] })
      await call(service, 'inference.decode', { id: modelId, codes: codes.codes })
      const reconstructed = (await call(service, 'inference.reconstruct', {
        id: modelId,
        images: [image()],
      })) as {
        metrics: { psnr: number }[]
      }
      expect(reconstructed.metrics[0]!.psnr).toBeGreaterThan(0)
      expect(reconstructed).not.toHaveProperty('codes')
      // The Draw view's single round trip: the same codes inference.encode gives, with the reconstruction.
      const both = (await call(service, 'inference.reconstruct', {
        id: modelId,
        images: [image(), image()],
        withCodes: true,
      })) as { codes: number[][]; images: unknown[] }
      expect(both.images).toHaveLength(2)
      expect(both.codes).toEqual(codes.codes)
      const denoised = (await call(service, 'inference.denoise', {
        id: modelId,
        images: [image()],
        noise: { type: 'gaussian', stddev: 0.3 },
      })) as { noisy?: unknown[]; metrics?: unknown[] }
      expect(denoised.noisy).toHaveLength(1)
      expect(denoised.metrics).toHaveLength(1)
    }
    const after = await service.hosts.inference.request('memory', {})
    expect(after.numTensors).toBe(before.numTensors)
  })

  it('restores the same noisy images with the classical filters asked for, and refuses them without noise', async () => {
    const before = await service.hosts.inference.request('memory', {})
    const denoised = (await call(service, 'inference.denoise', {
      id: modelId,
      images: [image(), image()],
      noise: { type: 'gaussian', stddev: 0.5 },
      baselines: ['median', 'nlm'],
    })) as { noisy: Image[]; baselines: { name: string; images: Image[] }[] }
    expect(denoised.baselines.map((baseline) => baseline.name)).toEqual(['median', 'nlm'])
    expect(denoised.baselines.every((baseline) => baseline.images.length === 2)).toBe(true)
    // The median of the noisy image the answer returns (both 8-bit, so within one step of rounding).
    const noisy = denoised.noisy[0]!
    const expected = medianFilter({ data: Float32Array.from(noisy.data, (v) => v / 255), height: 28, width: 28, channels: 1 }, 3)
    const median = denoised.baselines[0]!.images[0]!.data
    expect(Math.max(...median.map((v, i) => Math.abs(v / 255 - expected.data[i]!)))).toBeLessThanOrEqual(1 / 255 + 1e-6)
    expect(median).not.toEqual(noisy.data)
    const refused = await service.handle('inference.denoise', { id: modelId, images: [image()], baselines: ['median'] })
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringMatching(/noise/) } })
    const after = await service.hosts.inference.request('memory', {})
    expect(after.numTensors).toBe(before.numTensors)
  })

  it('explains shape mismatches and wrong code sizes as INVALID_INPUT', async () => {
    const small = { width: 10, height: 10, channels: 1, data: new Array(100).fill(0) }
    const shape = await service.handle('inference.encode', { id: modelId, images: [small] })
    expect(shape).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    if (!shape.ok) expect(shape.error.message).toContain('28×28')
    const code = await service.handle('inference.decode', { id: modelId, codes: [[1, 2, 3]] })
    expect(code).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
  })

  it('lists the CLI presets on built-in data with every value a training run needs, mnist-denoise included', async () => {
    const presets = (await call(service, 'training.presets')) as Preset[]
    // photo-denoise trains on a folder of the user's photos, which only the CLI is given.
    expect(presets.map((preset) => preset.name)).toEqual(
      listPresets()
        .map((preset) => preset.name)
        .filter((name) => name !== 'photo-denoise'),
    )
    expect(presets.find((preset) => preset.name === 'mnist-denoise')).toMatchObject({
      architecture: 'denoiser',
      datasetId: 'mnist',
      epochs: 11,
      batchSize: 64,
      learningRate: 0.001,
      noise: { type: 'gaussian', stddev: 0.5 },
    })
    expect(presets.find((preset) => preset.name === 'keras-simple')).toMatchObject({
      architecture: 'dense',
      codeSize: 32,
      epochs: 50,
      batchSize: 256,
      noise: { type: 'none' },
    })
    // Each one is a config training.start accepts as it is.
    for (const preset of presets) {
      const config = {
        architecture: preset.architecture,
        datasetId: preset.datasetId,
        codeSize: preset.codeSize,
        epochs: preset.epochs,
        batchSize: preset.batchSize,
        learningRate: preset.learningRate,
        ...(preset.noise.type === 'none' ? {} : { noise: preset.noise }),
      }
      expect(TrainingConfigSchema.safeParse(config).success, preset.name).toBe(true)
    }
  })

  it('previews dataset samples with labels and describes the built-in MNIST', async () => {
    const preview = (await call(service, 'datasets.previewSamples', { datasetId: 'mnist', count: 3 })) as {
      images: unknown[]
      labels: number[]
    }
    expect(preview.images).toHaveLength(3)
    expect(preview.labels).toEqual([5, 0, 4]) // the first MNIST training digits
    const builtIns = (await call(service, 'datasets.builtIns')) as { trainCount: number }[]
    expect(builtIns[0]).toMatchObject({ id: 'mnist', trainCount: 60000, testCount: 10000, width: 28 })
    expect(await service.handle('datasets.previewSamples', { datasetId: 'nothere' })).toMatchObject({
      ok: false,
      error: { code: 'DATASET_NOT_FOUND' },
    })
  })

  it('in the web shell requires typed paths (no dialogs) and exports/imports a model', async () => {
    expect(await service.handle('models.import', {})).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' },
    })
    const target = scratchDir('export')
    const exported = (await call(service, 'models.export', { id: modelId, path: target })) as { path: string }
    expect(exported.path.startsWith(target)).toBe(true)
    const original = (await call(service, 'models.get', { id: modelId })) as { name: string }
    const imported = (await call(service, 'models.import', { path: exported.path })) as {
      id: string
      name: string
    }
    expect(imported.id).not.toBe(modelId)
    // The copy sits next to the original, so it gets a name of its own.
    expect(imported.name).toBe(`${original.name} (2)`)
    expect(await call(service, 'models.delete', { id: imported.id })).toEqual({ deleted: true })
    // Exported again into the same folder: a folder of its own next to the first, not a refusal.
    const again = (await call(service, 'models.export', { id: modelId, path: target })) as { path: string }
    expect(again.path).toBe(`${exported.path} (2)`)
  })

  it('in the web shell takes "~" as the home folder and refuses relative paths, which the page cannot see', async () => {
    const relative = await service.handle('models.export', { id: modelId, path: 'exports' })
    expect(relative).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    expect(!relative.ok && relative.error.message).toMatch(/^"exports" is not a full path; type the folder's whole path/)
    const missing = 'bottleneck-test-no-such-folder-' + Date.now().toString(36)
    const fromHome = await service.handle('datasets.addIdxFolder', { path: `~/${missing}` })
    expect(fromHome).toMatchObject({ ok: false })
    expect(!fromHome.ok && fromHome.error.message).toContain(join(homedir(), missing))
  })

  it('keeps a denoising run’s scores noisy → clean next to those on clean inputs', async () => {
    const done = waitForEvent(service, (message) => message.name === 'training.onDone')
    const run = (await call(service, 'training.start', {
      architecture: 'dense',
      datasetId: 'mnist',
      codeSize: 8,
      epochs: 1,
      batchSize: 64,
      learningRate: 0.01,
      noise: { type: 'gaussian', stddev: 0.5 },
      trainLimit: 300,
      testLimit: 50,
    })) as { modelId: string }
    expect((await done).payload).toMatchObject({ status: 'completed' })
    const detail = (await call(service, 'models.get', { id: run.modelId })) as { metrics: Record<string, number> }
    for (const key of ['psnr', 'ssim', 'denoisingPsnr', 'denoisingSsim', 'noisyInputPsnr', 'noisyInputSsim']) {
      expect(Number.isFinite(detail.metrics[key]), key).toBe(true)
    }
    // σ = 0.5 leaves about 9.4 dB (the published MNIST figure), whatever the model does.
    expect(detail.metrics.noisyInputPsnr).toBeGreaterThan(9)
    expect(detail.metrics.noisyInputPsnr).toBeLessThan(10)
    expect(await call(service, 'models.delete', { id: run.modelId })).toEqual({ deleted: true })
  })

  it('refuses a second training while one runs, and cancels within a batch', async () => {
    const started = (await call(service, 'training.start', {
      architecture: 'dense',
      datasetId: 'mnist',
      codeSize: 8,
      epochs: 3,
      batchSize: 8,
      learningRate: 0.01,
      trainLimit: 2000,
      testLimit: 100,
    })) as { runId: string }
    const busy = await service.handle('training.start', {
      architecture: 'dense',
      datasetId: 'mnist',
      codeSize: 8,
      epochs: 1,
      batchSize: 8,
      learningRate: 0.01,
    })
    expect(busy).toMatchObject({ ok: false, error: { code: 'TRAINING_BUSY' } })
    await waitForEvent(service, (message) => message.name === 'training.onBatchProgress')
    const done = waitForEvent(service, (message) => message.name === 'training.onDone')
    const cancelledAt = performance.now()
    expect(await call(service, 'training.cancel')).toEqual({ cancelled: true })
    const outcome = await done
    const latency = performance.now() - cancelledAt
    expect(outcome.payload).toMatchObject({ runId: started.runId, status: 'cancelled' })
    // One batch of 8 images takes milliseconds; the trainer yields at least every 50 ms.
    expect(latency).toBeLessThan(2000)
    expect(((await call(service, 'training.status')) as { state: string }).state).toBe('idle')
  })
})

describe('service with native dialogs (desktop shell)', () => {
  it('takes paths only from the dialog and answers null when the user cancels', async () => {
    const store = scratchDir('dialogs')
    const asked: string[] = []
    const service = createService({
      storeRoot: store,
      spawn: forkTrainer({ log: () => undefined }),
      shell: 'electron',
      dialogs: {
        async chooseFolder(title) {
          asked.push(title)
          return undefined
        },
        async chooseSaveFolder(title) {
          asked.push(title)
          return undefined
        },
      },
      log: () => undefined,
    })
    try {
      expect(await service.handle('models.import', { path: '/etc' })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_INPUT' },
      })
      expect(await service.handle('models.import', {})).toEqual({ ok: true, value: null })
      expect(await service.handle('datasets.addIdxFolder', {})).toEqual({ ok: true, value: null })
      expect(asked).toHaveLength(2)
      const versions = await service.handle('system.versions', {})
      expect(versions).toMatchObject({ ok: true, value: { shell: 'electron', nativeDialogs: true } })
    } finally {
      await service.close()
    }
  })
})
