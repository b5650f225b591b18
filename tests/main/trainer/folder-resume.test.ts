// Resuming, in the app, a model of an image folder whose input is not the patches the app cuts by default (16×16
// greyscale from colour photos): the folder is cut to the model's own input again, so the run goes on. (A model the
// CLI streamed from a folder is continued by the CLI only: tests/main/service/streamed-resume.test.ts.)
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scratchDir } from '../support/scratch'
import { saveUntrainedModel } from '../support/untrained-models'
import { createTestService, runEnded, waitForEvent, type TestService } from '../support/service-events'

/** `count` colour photos of 40×30 with a gradient each, so patches differ. */
async function writePhotos(folder: string, count: number): Promise<void> {
  mkdirSync(folder, { recursive: true })
  for (let index = 0; index < count; index++) {
    const [width, height] = [40, 30]
    const pixels = Buffer.alloc(width * height * 3)
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * (index + 3)) % 256
    await sharp(pixels, { raw: { width, height, channels: 3 } })
      .png()
      .toFile(join(folder, `photo-${index}.png`))
  }
}

describe('resuming a model of 16×16 grey patches of colour photos', () => {
  let service: TestService
  let storeRoot: string
  let photos: string
  beforeAll(async () => {
    const scratch = scratchDir('folder-resume')
    storeRoot = join(scratch, 'store')
    photos = join(scratch, 'photos')
    await writePhotos(photos, 4)
    service = createTestService(storeRoot)
  })
  afterAll(async () => {
    await service?.close()
  })

  it('trains on patches of the model’s own size and channels', { timeout: 180_000 }, async () => {
    const modelId = await saveUntrainedModel(storeRoot, {
      architecture: 'dense',
      shape: [16, 16, 1],
      name: 'grey patches',
      options: { codeSize: 4, seed: 1 },
      dataset: { spec: `folder:${photos}`, name: 'photos', trainCount: 16, testCount: 4 },
      batchSize: 8,
    })
    const ended = waitForEvent(service, runEnded)
    const resumed = await service.handle('training.resume', { id: modelId, epochs: 1 })
    expect(resumed).toMatchObject({ ok: true, value: { modelId } })
    expect((await ended).payload).toMatchObject({ modelId, status: 'completed', epochs: 1 })
  })
})
