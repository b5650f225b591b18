// Training on a folder of the user's own photos from the app, end to end in Debian's Chromium against `npm run serve`:
// a folder of generated photos of mixed sizes and kinds, with a damaged JPEG, an empty PNG, a text file and a
// subfolder, is added; the Train view names what it skips and why; one tiny epoch of a U-Net shows its samples; the
// Denoise view offers the new model. Any console error fails the run.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { encodePng } from '../../src-main/ml/image-io'
import { syntheticPhoto } from '../../scripts/make-test-photos'
import { buildRenderer } from './support/build'
import { startServer, type RunningServer } from './support/server'
import { CHROMIUM, type BrowserSession } from './support/browser'
import { TrainPage, openApp } from './pages/app-page'

const hasChromium = existsSync(CHROMIUM)

/** Five readable photos (one greyscale, one smaller than a patch, one in a subfolder) and three files that are not. */
async function writePhotoFolder(folder: string): Promise<void> {
  mkdirSync(join(folder, 'trip'), { recursive: true })
  writeFileSync(join(folder, 'beach.png'), await encodePng(syntheticPhoto(320, 240, 1)))
  writeFileSync(join(folder, 'hills.png'), await encodePng(syntheticPhoto(200, 150, 2)))
  writeFileSync(join(folder, 'thumb.png'), await encodePng(syntheticPhoto(64, 48, 3)))
  writeFileSync(join(folder, 'old.png'), await encodePng(syntheticPhoto(180, 180, 4, 1)))
  writeFileSync(join(folder, 'trip', 'street.png'), await encodePng(syntheticPhoto(256, 192, 5)))
  const jpeg = await sharp(await encodePng(syntheticPhoto(160, 120, 6)))
    .jpeg()
    .toBuffer()
  writeFileSync(join(folder, 'cut-off.jpg'), jpeg.subarray(0, jpeg.length >> 1))
  writeFileSync(join(folder, 'empty.png'), Buffer.alloc(0))
  writeFileSync(join(folder, 'notes.txt'), 'not a photo')
}

describe.skipIf(!hasChromium)('training on a folder of photos in the browser', () => {
  let server: RunningServer
  let session: BrowserSession
  let scratch: string

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'bottleneck-e2e-folder-'))
    await writePhotoFolder(join(scratch, 'Fotos von Zoë'))
    await buildRenderer()
    server = await startServer()
    ;({ session } = await openApp(server.url, { width: 1280, height: 900 }))
  })

  afterAll(async () => {
    await session?.close()
    await server?.stop()
    if (scratch) rmSync(scratch, { recursive: true, force: true })
  })

  it('adds the folder, says what it skips, trains a U-Net on it and offers the model in Denoise', async () => {
    const page = session.page
    const train = new TrainPage(page)
    await train.addImageFolder(join(scratch, 'Fotos von Zoë'))

    // The notice, then the form itself, which keeps saying it: patches of the readable photos, and the skipped files.
    await page
      .locator('.toast')
      .filter({ hasText: '7 images found; 2 cannot be read and are skipped (cut-off.jpg, empty.png)' })
      .waitFor()
    await expect(
      page.getByLabel('Dataset', { exact: true }).locator('option:checked').textContent(),
    ).resolves.toBe('Fotos von Zoë')
    await expect(page.getByTestId('dataset-contents').textContent()).resolves.toBe(
      '64×64×3 patches cut from 5 images: 2,048 training / 256 test',
    )
    const skipped = page.locator('details.skipped-files')
    await skipped.locator('summary').click()
    await expect(skipped.locator('summary').textContent()).resolves.toContain(
      '2 files cannot be read and are skipped',
    )
    await expect(skipped.locator('li').allTextContents()).resolves.toEqual([
      expect.stringMatching(/^Cannot read cut-off\.jpg: /),
      'Cannot read empty.png: the file is empty (0 bytes).',
    ])

    // Dense would only take 64×64 pictures; the form says so, and not for the U-Net.
    await expect(page.getByTestId('patch-size-note').textContent()).resolves.toContain('Pick U-Net')
    await page.getByLabel('Architecture', { exact: true }).selectOption('unet')
    await expect(page.getByTestId('patch-size-note').count()).resolves.toBe(0)
    await page.getByLabel('Noise type').selectOption('gaussian')
    await page.getByLabel('Batch size', { exact: true }).fill('8')
    await page.getByLabel('Batch size', { exact: true }).dispatchEvent('change')
    await train.train({ epochs: 1, limit: 32, name: 'zoë photos unet' })

    await page
      .getByRole('group', { name: 'Test images and their reconstructions' })
      .waitFor({ timeout: 120_000 })
    await train.waitUntilFinished(120_000)
    await expect(page.getByRole('img', { name: /^Reconstruction \d/ }).count()).resolves.toBeGreaterThan(0)

    await page.getByRole('button', { name: 'Try it in Denoise' }).click()
    await page.getByRole('heading', { name: 'Denoise photos' }).waitFor()
    await expect(page.getByLabel('Denoiser').locator('option:checked').textContent()).resolves.toContain(
      'zoë photos unet',
    )
    await page.getByText('Drop a photo here').waitFor()

    expect(session.consoleErrors).toEqual([])
  })
})
