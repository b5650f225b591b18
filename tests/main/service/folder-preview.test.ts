// datasets.previewSamples cuts an added image folder to the patch size and channels asked, so the model page can run
// a model the CLI trained on 48×48 patches on that folder's test patches; other datasets refuse a patch size.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { scratchDir } from '../support/scratch'
import { callService, createTestService, type TestService } from '../support/service-events'
import { saveUntrainedModel } from '../support/untrained-models'

/** `count` small colour photos (72×60, a different pattern each) in `folder`. */
async function writePhotos(folder: string, count: number): Promise<void> {
  mkdirSync(folder, { recursive: true })
  for (let photo = 0; photo < count; photo++) {
    const pixels = Buffer.alloc(72 * 60 * 3).map((_, i) => (i * (7 + photo)) % 256)
    await sharp(pixels, { raw: { width: 72, height: 60, channels: 3 } })
      .png()
      .toFile(join(folder, `photo-${photo}.png`))
  }
}

const sizes = (images: { width: number; height: number; channels: number }[]) =>
  images.map(({ width, height, channels }) => `${width}×${height}×${channels}`)

describe('the test patches of an added image folder, cut to a size', () => {
  const scratch = scratchDir('folder-preview')
  const storeRoot = join(scratch, 'store')
  const photos = join(scratch, 'photos')
  let service: TestService
  let folderId: string

  beforeAll(async () => {
    await initBackend('cpu')
    await writePhotos(photos, 4)
    service = createTestService(storeRoot)
    folderId = (await callService(service, 'datasets.addImageFolder', { path: photos }))!.id
  })

  afterAll(async () => {
    await service.close()
  })

  it('are 64×64 patches with the photos’ channels when no size is asked', async () => {
    const preview = await callService(service, 'datasets.previewSamples', {
      datasetId: folderId,
      split: 'test',
      count: 2,
    })
    expect(sizes(preview.images)).toEqual(['64×64×3', '64×64×3'])
  })

  it('come back at the patch size and channels asked, and a model of that input takes them', async () => {
    const preview = await callService(service, 'datasets.previewSamples', {
      datasetId: folderId,
      split: 'test',
      count: 3,
      patchSize: 48,
      channels: 3,
    })
    expect(sizes(preview.images)).toEqual(['48×48×3', '48×48×3', '48×48×3'])
    const grey = await callService(service, 'datasets.previewSamples', {
      datasetId: folderId,
      split: 'test',
      count: 1,
      patchSize: 48,
      channels: 1,
    })
    expect(sizes(grey.images)).toEqual(['48×48×1'])

    const id = await saveUntrainedModel(storeRoot, {
      architecture: 'unet',
      shape: [48, 48, 3],
      name: 'photos at 48',
      dataset: { spec: `folder:${photos}`, name: 'photos', trainCount: 4, testCount: 3 },
    })
    const rebuilt = await callService(service, 'inference.reconstruct', { id, images: preview.images })
    expect(sizes(rebuilt.images)).toEqual(['48×48×3', '48×48×3', '48×48×3'])
  })

  it('refuses a patch size the folder cannot be cut to, in the request’s words', async () => {
    expect(
      await service.handle('datasets.previewSamples', { datasetId: folderId, patchSize: 4 }),
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', message: expect.stringContaining('patchSize') },
    })
  })

  it('refuses a patch size for MNIST, whose images have one size, rather than answer with 28×28 images', async () => {
    expect(await service.handle('datasets.previewSamples', { datasetId: 'mnist', patchSize: 48 })).toEqual({
      ok: false,
      error: {
        code: 'INVALID_INPUT',
        message:
          'Only image folders are cut into patches of a chosen size; the images of “MNIST” have one size of their ' +
          'own. Ask for them without a patch size or channels.',
      },
    })
  })
})
