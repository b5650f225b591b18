// The list of added datasets: a dataset can be taken off it again (MNIST cannot), adds that overlap all land, and a
// damaged list file is reported and left as it is instead of being written over.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratchDir } from '../support/scratch'
import { callService, createTestService, type TestService } from '../support/service-events'

async function imageFolder(parent: string, name: string): Promise<string> {
  const folder = join(parent, name)
  mkdirSync(folder)
  const pixels = Buffer.alloc(80 * 80).map((_, i) => (i * 13 + name.length) % 256)
  await sharp(pixels, { raw: { width: 80, height: 80, channels: 1 } })
    .png()
    .toFile(join(folder, 'photo.png'))
  return folder
}

describe('the list of added datasets', () => {
  const storeRoot = scratchDir('dataset-list-store')
  const folders = scratchDir('dataset-list-folders')
  let service: TestService

  beforeAll(() => {
    service = createTestService(storeRoot)
  })

  afterAll(async () => {
    await service.close()
  })

  const listedIds = async () => (await callService(service, 'datasets.list')).map((dataset) => dataset.id)

  it('keeps every dataset of adds that overlap', async () => {
    const paths = await Promise.all(['one', 'two', 'three', 'four'].map((name) => imageFolder(folders, name)))
    const added = await Promise.all(
      paths.map((path) => callService(service, 'datasets.addImageFolder', { path })),
    )
    expect(await listedIds()).toEqual(expect.arrayContaining(added.map((dataset) => dataset!.id)))
  })

  it('takes an added dataset off the list, and then no training can start on it', async () => {
    const added = await callService(service, 'datasets.addImageFolder', {
      path: await imageFolder(folders, 'gone'),
    })
    expect(await callService(service, 'datasets.remove', { id: added!.id })).toEqual({ removed: true })
    expect(await listedIds()).not.toContain(added!.id)
    expect(await callService(service, 'datasets.remove', { id: added!.id })).toEqual({ removed: false })
    const start = await service.handle('training.start', {
      architecture: 'conv',
      datasetId: added!.id,
      codeSize: 8,
      epochs: 1,
      batchSize: 8,
      learningRate: 0.001,
    })
    expect(start).toMatchObject({ ok: false, error: { code: 'DATASET_NOT_FOUND' } })
  })

  it('keeps MNIST on the list', async () => {
    expect(await service.handle('datasets.remove', { id: 'mnist' })).toEqual({
      ok: false,
      error: { code: 'INVALID_INPUT', message: 'MNIST comes with Bottleneck and stays on the list.' },
    })
    expect(await listedIds()).toContain('mnist')
  })

  it('reports a damaged list file and leaves it as it is', async () => {
    const listFile = join(storeRoot, 'datasets.json')
    writeFileSync(listFile, '[{"id": "folder-1", "name": "holiday photos", ')
    expect(await listedIds()).toEqual(['mnist'])
    const folder = await imageFolder(folders, 'after-damage')
    for (const attempt of [
      service.handle('datasets.addImageFolder', { path: folder }),
      service.handle('datasets.remove', { id: 'folder-1' }),
    ]) {
      expect(await attempt).toEqual({
        ok: false,
        error: {
          code: 'STORE_ERROR',
          message: `The list of added datasets (${listFile}) cannot be read: it is not valid JSON. Move it away or delete it to add datasets again; the datasets' own files are not in it.`,
        },
      })
    }
    expect(readFileSync(listFile, 'utf8')).toBe('[{"id": "folder-1", "name": "holiday photos", ')
  })
})
