// The inference process's model cache on its own, with fake models whose disposal is recorded: it keeps a bounded
// number, evicts the least recently used, loads a model once however many calls race for it, and never disposes a
// model a call still holds (a photo job, a latent call waiting for its dataset), but does once it is given back.
import { describe, expect, it } from 'vitest'
import { createModelCache, type ModelSource } from '../../../src-main/trainer/model-cache'

interface FakeModel {
  name: string
}

function setup(capacity = 2) {
  const disposed: string[] = []
  const loads: string[] = []
  const versions = new Map<string, string>()
  const cache = createModelCache<FakeModel>({ capacity, dispose: (model) => disposed.push(model.name) })
  /** A model whose store version is `versions[key]` (v1 unless set); its copies are named key@version. */
  const source = (key: string): ModelSource<FakeModel> => ({
    currentVersion: () => versions.get(key) ?? 'v1',
    async load() {
      const version = versions.get(key) ?? 'v1'
      loads.push(`${key}@${version}`)
      await new Promise((resolve) => setTimeout(resolve, 1))
      return { version, value: { name: `${key}@${version}` } }
    },
  })
  const touch = (key: string) => cache.use(key, source(key), (model) => model.name)
  return { cache, source, touch, disposed, loads, versions }
}

describe('the inference model cache', () => {
  it('keeps at most its capacity, dropping and disposing the least recently used model', async () => {
    const { cache, touch, disposed, loads } = setup(2)
    await touch('a')
    await touch('b')
    await touch('a')
    await touch('c')
    expect(cache.size).toBe(2)
    expect(disposed).toEqual(['b@v1'])
    // a and c stay loaded: using them again loads nothing.
    await touch('a')
    await touch('c')
    expect(loads).toEqual(['a@v1', 'b@v1', 'c@v1'])
  })

  it('loads a model once when calls race for it (a prepare and the first stroke), and keeps that one copy', async () => {
    const { cache, source, disposed, loads } = setup()
    const names = await Promise.all([1, 2, 3].map(() => cache.use('a', source('a'), (model) => model.name)))
    expect(names).toEqual(['a@v1', 'a@v1', 'a@v1'])
    expect(loads).toEqual(['a@v1'])
    expect(cache.forget('a')).toBe(true)
    expect(disposed).toEqual(['a@v1'])
  })

  it('replaces a copy whose checkpoint changed, disposing the old one', async () => {
    const { cache, touch, disposed, versions } = setup()
    await touch('a')
    versions.set('a', 'v2')
    expect(await touch('a')).toBe('a@v2')
    expect(disposed).toEqual(['a@v1'])
    expect(cache.size).toBe(1)
  })

  it('disposes a lent model only when it is given back, whether evicted, replaced or forgotten meanwhile', async () => {
    const { cache, source, touch, disposed, versions } = setup(1)
    const evicted = await cache.acquire('a', source('a'))
    await touch('b')
    expect(disposed).toEqual([])
    evicted.release()
    evicted.release()
    expect(disposed).toEqual(['a@v1'])

    const replaced = await cache.acquire('b', source('b'))
    versions.set('b', 'v2')
    await touch('b')
    expect(disposed).toEqual(['a@v1'])
    replaced.release()
    expect(disposed).toEqual(['a@v1', 'b@v1'])

    const forgotten = await cache.acquire('b', source('b'))
    cache.forget('b')
    expect(disposed).toEqual(['a@v1', 'b@v1'])
    forgotten.release()
    expect(disposed).toEqual(['a@v1', 'b@v1', 'b@v2'])
    expect(cache.size).toBe(0)
  })

  it('gives a model deleted while it loads to the calls that waited, then disposes it instead of keeping it', async () => {
    const { cache, source, disposed } = setup()
    const waiting = cache.use('a', source('a'), (model) => model.name)
    cache.forget('a')
    expect(await waiting).toBe('a@v1')
    expect(disposed).toEqual(['a@v1'])
    expect(cache.size).toBe(0)
  })

  it('returns the model when the work fails, and keeps nothing of a load that fails', async () => {
    const { cache, source, disposed } = setup(1)
    await expect(cache.use('a', source('a'), () => Promise.reject(new Error('bad image')))).rejects.toThrow(
      'bad image',
    )
    cache.forget('a')
    expect(disposed).toEqual(['a@v1'])
    const broken: ModelSource<FakeModel> = {
      currentVersion: () => 'v1',
      load: () => Promise.reject(new Error('damaged weights')),
    }
    await expect(cache.acquire('b', broken)).rejects.toThrow('damaged weights')
    expect(cache.size).toBe(0)
    // The next call tries again rather than waiting on the failed load.
    expect(await cache.use('b', source('b'), (model) => model.name)).toBe('b@v1')
  })
})
