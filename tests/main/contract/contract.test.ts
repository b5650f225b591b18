// The contract's schemas are the only gate between an untrusted page and the service: every call must accept a
// well-formed payload and refuse wrong types, missing fields, oversized arrays and path-like ids with a typed error.
import { describe, expect, it } from 'vitest'
import {
  ApiError,
  CALL_NAMES,
  EVENT_NAMES,
  LIMITS,
  calls,
  createApi,
  events,
  isApiErrorLike,
  parseInput,
  type CallName,
  type Envelope,
} from '../../../src-main/contract/index'

const image = (width = 28, height = 28, channels: 1 | 3 | 4 = 1, value = 128) => ({
  width,
  height,
  channels,
  data: new Array<number>(width * height * channels).fill(value),
})

const validPayloads: Record<CallName, unknown> = {
  'models.list': {},
  'models.get': { id: 'a1b2c3d4e5f6' },
  'models.rename': { id: 'a1b2c3d4e5f6', name: 'My digits' },
  'models.delete': { id: 'a1b2c3d4e5f6' },
  'models.restoreVersion': { id: 'a1b2c3d4e5f6' },
  'models.import': { path: '/home/me/exported-model' },
  'models.export': { id: 'a1b2c3d4e5f6', path: '/home/me/exports' },
  'datasets.builtIns': {},
  'datasets.list': {},
  'datasets.addIdxFolder': { path: '/data/emnist', name: 'EMNIST' },
  'datasets.addImageFolder': { path: '/data/faces' },
  'datasets.remove': { id: 'folder-1a2b3c4d5e6f' },
  'datasets.previewSamples': { datasetId: 'mnist', split: 'test', count: 8 },
  'training.start': {
    architecture: 'dense',
    datasetId: 'mnist',
    codeSize: 32,
    epochs: 3,
    batchSize: 256,
    learningRate: 0.001,
    noise: { type: 'gaussian', stddev: 0.5 },
    trainLimit: 2000,
    options: { hiddenUnits: [128, 64] },
  },
  'training.cancel': {},
  'training.resume': { id: 'a1b2c3d4e5f6', epochs: 10 },
  'training.status': {},
  'training.presets': {},
  'inference.prepare': { id: 'a1b2c3d4e5f6' },
  'inference.encode': { id: 'a1b2c3d4e5f6', images: [image(), image()] },
  'inference.decode': { id: 'a1b2c3d4e5f6', codes: [[0.1, 0.2, 0.3]] },
  'inference.reconstruct': { id: 'a1b2c3d4e5f6', images: [image()] },
  'inference.denoise': {
    id: 'a1b2c3d4e5f6',
    images: [image()],
    noise: { type: 'saltPepper', amount: 0.2 },
    baselines: ['median5', 'nlm'],
  },
  // Latent view (its own refusals are in latent-contract.test.ts).
  'latent.map': { id: 'a1b2c3d4e5f6', limit: 5000 },
  'latent.samples': { id: 'a1b2c3d4e5f6', indices: [0, 9999] },
  'latent.interpolate': { id: 'a1b2c3d4e5f6', from: 3, to: 7, steps: 12 },
  'latent.generate': { id: 'a1b2c3d4e5f6', n: 15, from: 0.05, to: 0.95 },
  // Denoise view (its own refusals are in denoise-contract.test.ts).
  'inference.denoiseImage': { id: 'a1b2c3d4e5f6', source: { name: 'photo.png', base64: 'iVBORw0KGgo=' } },
  'inference.cancelDenoise': { jobId: 'denoise-abc-123' },
  'inference.denoiseResult': { jobId: 'denoise-abc-123', image: 'difference', gain: 8 },
  'system.backend': {},
  'system.versions': {},
  'system.paths': {},
}

/** For each call, payloads that must be refused, with a word the error message should contain. */
const invalidPayloads: Partial<Record<CallName, [unknown, string][]>> = {
  'models.list': [
    [{ unexpected: 1 }, 'unexpected'],
    ['models', 'object'],
  ],
  'models.get': [
    [{}, 'id'],
    [{ id: 42 }, 'id'],
    [{ id: '../../etc/passwd' }, 'model id'],
    [{ id: '/home/me/.bottleneck/models/x' }, 'model id'],
    [{ id: 'C:\\models\\x' }, 'model id'],
    [{ id: '~/model' }, 'model id'],
    [{ id: '' }, 'id'],
  ],
  'models.rename': [
    [{ id: 'a1b2c3d4e5f6' }, 'name'],
    [{ id: 'a1b2c3d4e5f6', name: '   ' }, 'empty'],
    [{ id: 'a1b2c3d4e5f6', name: 'bad\u0007name' }, 'control'],
    [{ id: 'a1b2c3d4e5f6', name: 'x'.repeat(500) }, 'name'],
  ],
  'models.delete': [[{ id: 'models/../..' }, 'model id']],
  'models.restoreVersion': [
    [{}, 'id'],
    [{ id: '../a1b2c3d4e5f6' }, 'model id'],
    [{ id: 'a1b2c3d4e5f6', version: 'v000001' }, 'version'],
  ],
  'models.import': [
    [{ path: 42 }, 'path'],
    [{ path: 'a\0b' }, 'NUL'],
  ],
  'models.export': [[{ path: '/tmp' }, 'id']],
  'datasets.previewSamples': [
    [{ datasetId: 'mnist', count: 100_000 }, 'count'],
    [{ datasetId: 'mnist', split: 'validation' }, 'split'],
    [{ datasetId: '/data/mnist' }, 'dataset id'],
    [{ datasetId: 'folder-1a2b3c4d5e6f', patchSize: 4 }, 'patchSize'],
    [{ datasetId: 'folder-1a2b3c4d5e6f', patchSize: 2048 }, 'patchSize'],
    [{ datasetId: 'folder-1a2b3c4d5e6f', patchSize: 48.5 }, 'patchSize'],
    [{ datasetId: 'folder-1a2b3c4d5e6f', patchSize: '48' }, 'patchSize'],
    [{ datasetId: 'folder-1a2b3c4d5e6f', patchSize: 48, channels: 4 }, 'channels'],
    [{ datasetId: 'folder-1a2b3c4d5e6f', patchSize: 1024, count: 10 }, 'fewer'],
    [{ datasetId: 'folder-1a2b3c4d5e6f', patch_size: 48 }, 'patch_size'],
  ],
  'training.start': [
    [{ ...(validPayloads['training.start'] as object), epochs: '3' }, 'epochs'],
    [{ ...(validPayloads['training.start'] as object), architecture: 'transformer' }, 'architecture'],
    [{ ...(validPayloads['training.start'] as object), learningRate: -1 }, 'learningRate'],
    [{ ...(validPayloads['training.start'] as object), codeSize: 1.5 }, 'codeSize'],
    [{ ...(validPayloads['training.start'] as object), datasetId: '../mnist' }, 'dataset id'],
    [{ ...(validPayloads['training.start'] as object), noise: { type: 'gaussian', stddev: 7 } }, 'stddev'],
    [{ ...(validPayloads['training.start'] as object), storeRoot: '/tmp/elsewhere' }, 'storeRoot'],
    [{ architecture: 'dense' }, 'datasetId'],
  ],
  'training.resume': [[{ id: 'a1b2c3d4e5f6', epochs: 0 }, 'epochs']],
  'inference.encode': [
    [{ id: 'a1b2c3d4e5f6', images: [] }, 'empty'],
    [{ id: 'a1b2c3d4e5f6', images: [{ ...image(), width: 27 }] }, 'width × height × channels'],
    [{ id: 'a1b2c3d4e5f6', images: [{ ...image(), channels: 2 }] }, 'channels'],
    [{ id: 'a1b2c3d4e5f6', images: [{ ...image(), width: 5000 }] }, 'width'],
    [{ id: 'a1b2c3d4e5f6', images: [image(28, 28, 1, 300)] }, '0–255'],
    [{ id: 'a1b2c3d4e5f6', images: [image(28, 28, 1, 0.5)] }, '0–255'],
    [{ id: 'a1b2c3d4e5f6', images: [{ ...image(), data: 'AAAA' }] }, '0–255'],
    [
      { id: 'a1b2c3d4e5f6', images: Array.from({ length: LIMITS.maxBatchImages + 1 }, () => image(2, 2)) },
      'images',
    ],
  ],
  'inference.decode': [
    [{ id: 'a1b2c3d4e5f6', codes: [[Number.NaN]] }, 'finite'],
    [{ id: 'a1b2c3d4e5f6', codes: [] }, 'codes'],
  ],
  'inference.denoise': [
    [{ id: 'a1b2c3d4e5f6', images: [image()], noise: { type: 'poisson' } }, 'noise'],
    [{ id: 'a1b2c3d4e5f6', images: [image()], baselines: ['median'] }, 'needs a noise'],
    [
      { id: 'a1b2c3d4e5f6', images: [image()], noise: { type: 'none' }, baselines: ['median'] },
      'needs a noise',
    ],
    [
      {
        id: 'a1b2c3d4e5f6',
        images: [image()],
        noise: { type: 'mask', amount: 0.3 },
        baselines: ['bilateral'],
      },
      'baselines',
    ],
    [
      {
        id: 'a1b2c3d4e5f6',
        images: [image()],
        noise: { type: 'mask', amount: 0.3 },
        baselines: ['nlm', 'nlm'],
      },
      'twice',
    ],
  ],
  'system.paths': [[null, 'object']],
}

describe('contract schemas', () => {
  it('lists every call and event once, as namespace.method', () => {
    expect(new Set(CALL_NAMES).size).toBe(CALL_NAMES.length)
    expect([...CALL_NAMES].sort()).toEqual(Object.keys(calls).sort())
    expect([...EVENT_NAMES].sort()).toEqual(Object.keys(events).sort())
    for (const name of [...CALL_NAMES, ...EVENT_NAMES]) expect(name).toMatch(/^[a-z]+\.[a-zA-Z]+$/)
    for (const name of CALL_NAMES) expect(calls[name].doc.length).toBeGreaterThan(10)
  })

  it.each(CALL_NAMES)('%s accepts a well-formed payload', (name) => {
    const result = parseInput(name, validPayloads[name])
    expect(result).toMatchObject({ ok: true })
  })

  const invalidCases = Object.entries(invalidPayloads).flatMap(([name, cases]) =>
    cases!.map(([payload, word], index) => ({ name: name as CallName, payload, word, index })),
  )
  it.each(invalidCases)('$name refuses bad payload #$index with a typed error', ({ name, payload, word }) => {
    const result = parseInput(name, payload)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.code).toBe('INVALID_INPUT')
    expect(result.error.message.toLowerCase()).toContain(word.toLowerCase())
    expect(result.error.message).not.toMatch(/\n\s+at /) // a sentence, not a stack
  })

  it.each(CALL_NAMES)('%s refuses a payload of the wrong type', (name) => {
    for (const payload of [undefined, 42, 'text', [1, 2]]) {
      const result = parseInput(name, payload)
      expect(result.ok).toBe(false)
    }
  })

  it('refuses a 10^8-element image array quickly, without looking at the elements', () => {
    const huge = new Array(100_000_000) // sparse: as long as a hostile payload, no memory
    const started = performance.now()
    const result = parseInput('inference.encode', {
      id: 'a1b2c3d4e5f6',
      images: [{ width: 4096, height: 4096, channels: 4, data: huge }],
    })
    const elapsed = performance.now() - started
    expect(result.ok).toBe(false)
    expect(elapsed).toBeLessThan(250)
  })

  it('refuses 10^8-element arrays in every list field quickly (lists of images, of codes, option values)', () => {
    const huge = () => new Array(100_000_000)
    const cases: [CallName, unknown][] = [
      ['inference.encode', { id: 'a1b2c3d4e5f6', images: huge() }],
      ['inference.reconstruct', { images: huge() }], // id missing too: every field is still checked
      ['inference.denoise', { id: 'a1b2c3d4e5f6', images: huge() }],
      ['inference.decode', { id: 'a1b2c3d4e5f6', codes: huge() }],
      ['inference.decode', { id: 'a1b2c3d4e5f6', codes: [huge()] }],
      [
        'training.start',
        { ...(validPayloads['training.start'] as object), options: { hiddenUnits: huge() } },
      ],
    ]
    for (const [name, payload] of cases) {
      const started = performance.now()
      const result = parseInput(name, payload)
      expect(result.ok, name).toBe(false)
      expect(performance.now() - started, name).toBeLessThan(250)
    }
  })

  it('refuses option records with too many keys before parsing their values', () => {
    const manyKeys = Object.fromEntries(
      Array.from({ length: 1000 }, (_, i) => [`k${i}`, new Array(100_000_000)]),
    )
    const result = parseInput('training.start', {
      ...(validPayloads['training.start'] as object),
      options: manyKeys,
    })
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
    if (!result.ok) expect(result.error.message).toContain('at most 32 entries')
  })

  it('refuses codes longer than the cap and batches over the total value cap', () => {
    const longCode = parseInput('inference.decode', { id: 'a1b2c3d4e5f6', codes: [new Array(100_000_000)] })
    expect(longCode.ok).toBe(false)
    const big = image(2048, 2048, 4, 0) // 16.7 M values: exactly at the per-request cap
    expect(parseInput('inference.encode', { id: 'a1b2c3d4e5f6', images: [big] }).ok).toBe(true)
    const tooMany = parseInput('inference.encode', { id: 'a1b2c3d4e5f6', images: [big, image(2, 2)] })
    expect(tooMany).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } })
  })

  it('takes a patch size and channels to cut an image folder to, up to a batch of images in all', () => {
    const asked = { datasetId: 'folder-1a2b3c4d5e6f', split: 'test', count: 5, patchSize: 1024, channels: 3 }
    expect(parseInput('datasets.previewSamples', asked)).toEqual({ ok: true, value: { ...asked, offset: 0 } })
  })

  it('fills defaults the service relies on', () => {
    const result = parseInput('datasets.previewSamples', { datasetId: 'mnist' })
    expect(result).toEqual({ ok: true, value: { datasetId: 'mnist', split: 'train', count: 16, offset: 0 } })
  })
})

describe('createApi', () => {
  it('namespaces calls, unwraps results and throws ApiError with code and message', async () => {
    const sent: [string, unknown][] = []
    const api = createApi({
      async invoke(name, payload): Promise<Envelope<unknown>> {
        sent.push([name, payload])
        if (name === 'models.get')
          return { ok: false, error: { code: 'MODEL_NOT_FOUND', message: 'No such model.' } }
        return { ok: true, value: [] }
      },
      subscribe: () => () => undefined,
    })
    await expect(api.models.list()).resolves.toEqual([])
    const failure = await api.models.get({ id: 'a1b2c3d4e5f6' }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(ApiError)
    expect(failure).toMatchObject({ code: 'MODEL_NOT_FOUND', message: 'No such model.' })
    expect(sent).toEqual([
      ['models.list', {}],
      ['models.get', { id: 'a1b2c3d4e5f6' }],
    ])
  })

  it('routes event subscriptions by name and lets a custom error factory replace ApiError', async () => {
    const subscribed: string[] = []
    const api = createApi(
      {
        invoke: async () => ({ ok: false, error: { code: 'CANCELLED', message: 'Stopped.' } }),
        subscribe(name) {
          subscribed.push(name)
          return () => undefined
        },
      },
      (code, message) => ({ name: 'ApiError', code, message }),
    )
    api.training.onEpochEnd(() => undefined)
    api.models.onChanged(() => undefined)
    expect(subscribed).toEqual(['training.onEpochEnd', 'models.onChanged'])
    const failure = await api.training.cancel().catch((error: unknown) => error)
    expect(failure).not.toBeInstanceOf(Error)
    expect(isApiErrorLike(failure)).toBe(true)
  })

  it('offers models.restoreVersion to both shells, whose list says which unreadable folder it can restore', async () => {
    const sent: [string, unknown][] = []
    const restored = { id: 'a1b2c3d4e5f6', name: 'digits' }
    const api = createApi({
      async invoke(name, payload): Promise<Envelope<unknown>> {
        sent.push([name, payload])
        return { ok: true, value: restored }
      },
      subscribe: () => () => undefined,
    })
    await expect(api.models.restoreVersion({ id: 'a1b2c3d4e5f6' })).resolves.toEqual(restored)
    expect(sent).toEqual([['models.restoreVersion', { id: 'a1b2c3d4e5f6' }]])

    const folder = {
      id: 'a1b2c3d4e5f6',
      folder: '/store/models/a1b2c3d4e5f6',
      reason: 'Its pointer is gone.',
    }
    const list = calls['models.list'].output
    expect(list.safeParse({ models: [], unreadable: [folder] }).success).toBe(true)
    expect(
      list.safeParse({ models: [], unreadable: [{ ...folder, restorableVersion: 'v000002' }] }).success,
    ).toBe(true)
    expect(
      list.safeParse({ models: [], unreadable: [{ ...folder, restorableVersion: '../v2' }] }).success,
    ).toBe(false)
  })

  it("offers the desktop shell's save reports as api.files.onSaved, with a schema for each outcome", () => {
    const subscribed: string[] = []
    const api = createApi({
      invoke: async () => ({ ok: true, value: null }),
      subscribe(name) {
        subscribed.push(name)
        return () => undefined
      },
    })
    api.files.onSaved(() => undefined)
    expect(subscribed).toEqual(['files.onSaved'])
    const schema = events['files.onSaved']
    expect(schema.safeParse({ fileName: 'a.png', outcome: 'saved', path: '/home/ada/a.png' }).success).toBe(
      true,
    )
    expect(
      schema.safeParse({ fileName: 'a.png', outcome: 'failed', reason: 'The disk is full.' }).success,
    ).toBe(true)
    expect(schema.safeParse({ fileName: 'a.png', outcome: 'lost' }).success).toBe(false)
  })
})
