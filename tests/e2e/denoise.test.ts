// The Denoise view end to end in Debian's Chromium against `npm run serve` with the real inference process: a small
// U-Net trained here in seconds (a few patch steps on generated photos) denoises a dropped noisy PNG with its clean
// reference; PSNR/SSIM appear, the divider moves, zoom stays in sync, and the result exports as PNG. Screenshot in
// tests/e2e/screenshots/11-denoise.png; any console error fails the run.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { buildAutoencoder, createModelConfig } from '../../src-main/ml/architectures/index'
import { initBackend } from '../../src-main/ml/backend'
import { openImageFolder } from '../../src-main/ml/folder-dataset'
import { encodePng } from '../../src-main/ml/image-io'
import { addNoise } from '../../src-main/ml/denoise-image'
import { fitPatches } from '../../src-main/ml/patch-training'
import { openStore } from '../../src-main/store/index'
import { syntheticPhoto, writeTestPhotos } from '../../scripts/make-test-photos'
import { buildRenderer } from './support/build'
import { startServer, type RunningServer } from './support/server'
import { CHROMIUM, type BrowserSession } from './support/browser'
import { AppPage, openApp } from './pages/app-page'

const hasChromium = existsSync(CHROMIUM)
const SIGMA = 25 / 255

/** A supervised U-Net (σ = 25) from a few patch steps on generated photos: seconds, and it already helps. */
async function trainSmallUnet(storeRoot: string, scratch: string): Promise<string> {
  await initBackend()
  const folder = join(scratch, 'photos')
  await writeTestPhotos(folder, 6, 160, 160)
  const images = await openImageFolder(folder, { patchSize: 48, seed: 1 })
  const autoencoder = buildAutoencoder(
    // Seeded weights and patches, so the model (and the margin asserted below) is the same on every run.
    createModelConfig('unet', [48, 48, 3], { filters: 8, learningRate: 0.002, seed: 1 }),
  )
  try {
    const history = await fitPatches(autoencoder, images, {
      epochs: 1,
      stepsPerEpoch: 300,
      batchSize: 8,
      mode: { kind: 'supervised', noise: { kind: 'gaussian', sigma: SIGMA } },
      validationPatches: 0,
      seed: 1,
    })
    const record = await openStore(storeRoot).save({
      metadata: {
        name: 'e2e photo unet',
        config: autoencoder.config,
        dataset: { spec: `folder:${folder}`, name: 'generated photos', trainCount: 6, testCount: 0 },
        noise: 'gaussian255:25',
        backend: { name: tf.getBackend(), tfjsVersion: tf.version.tfjs },
        epochs: 1,
        targetEpochs: 1,
        batchSize: 8,
        history: history.epochs,
      },
      model: autoencoder.model,
    })
    return record.id
  } finally {
    autoencoder.dispose()
  }
}

describe.skipIf(!hasChromium)('the Denoise view in the browser', () => {
  let server: RunningServer
  let session: BrowserSession
  let app: AppPage
  let scratch: string

  beforeAll(async () => {
    mkdirSync('tests/e2e/screenshots', { recursive: true })
    scratch = mkdtempSync(join(tmpdir(), 'bottleneck-e2e-denoise-'))
    await buildRenderer()
    server = await startServer()
    await trainSmallUnet(server.store, scratch)
    ;({ session, app } = await openApp(server.url, { width: 1280, height: 800 }))
  })

  afterAll(async () => {
    await session?.close()
    await server?.stop()
    if (scratch) rmSync(scratch, { recursive: true, force: true })
  })

  it('denoises a dropped noisy photo against its clean reference, with a slider, synced zoom and export', async () => {
    const page = session.page
    await page.locator('body').click({ position: { x: 1, y: 1 } })
    await page.keyboard.press('Control+6')
    await page.getByRole('heading', { name: 'Denoise photos' }).waitFor()
    await expect(page.getByLabel('Denoiser').inputValue()).resolves.not.toBe('')
    await page.getByText('Drop a photo here').waitFor()

    // A clean generated photo (not one the model saw) and the same photo with Gaussian noise σ = 25.
    const clean = syntheticPhoto(420, 300, 99)
    const noisy = addNoise(clean, { kind: 'gaussian', sigma: SIGMA }, 5)
    const files = [
      { name: 'street-noisy.png', base64: (await encodePng(noisy)).toString('base64') },
      { name: 'street-clean.png', base64: (await encodePng(clean)).toString('base64') },
    ]
    const dataTransfer = await page.evaluateHandle((list) => {
      const transfer = new DataTransfer()
      for (const { name, base64 } of list) {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
        transfer.items.add(new File([bytes], name, { type: 'image/png' }))
      }
      return transfer
    }, files)
    await page.dispatchEvent('section.denoise', 'drop', { dataTransfer })

    await page.getByText(/Denoised in .* MP\/s/).waitFor({ timeout: 120_000 })
    const metrics = page.getByLabel('Quality against the clean reference')
    await metrics.waitFor()
    const text = (await metrics.textContent()) ?? ''
    const [inputPsnr, outputPsnr] = [...text.matchAll(/PSNR (\d+\.\d+) dB/g)].map((m) => Number(m[1]))
    expect(inputPsnr).toBeGreaterThan(18)
    expect(inputPsnr).toBeLessThan(23)
    console.log(`denoise e2e: noisy input ${inputPsnr} dB, denoised ${outputPsnr} dB`)
    // Even this briefly trained U-Net removes noise: better than its noisy input.
    expect(outputPsnr).toBeGreaterThan(inputPsnr! + 0.3)
    expect(text).toContain('against reference “street-clean.png”')
    await page.getByRole('img', { name: 'Denoised' }).waitFor()
    await page.getByRole('img', { name: 'Absolute difference' }).waitFor()
    await expect(
      page.getByRole('img', { name: 'Denoised' }).evaluate((img) => (img as HTMLImageElement).naturalWidth),
    ).resolves.toBe(420)

    // Drag the divider to a quarter of the pane.
    const pane = page.getByRole('group', { name: /^Before and after/ })
    const box = (await pane.boundingBox())!
    const handle = page.getByRole('slider', { name: 'Before and after divider' })
    const handleBox = (await handle.boundingBox())!
    await page.mouse.move(handleBox.x + handleBox.width / 2, handleBox.y + handleBox.height / 2)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.25, handleBox.y + handleBox.height / 2, { steps: 5 })
    await page.mouse.up()
    const split = Number(await handle.getAttribute('aria-valuenow'))
    expect(split).toBeGreaterThanOrEqual(22)
    expect(split).toBeLessThanOrEqual(28)

    // Zoom with the keyboard in one pane: the difference pane follows.
    await pane.focus()
    await page.keyboard.press('+')
    await page.keyboard.press('+')
    const difference = page.getByRole('group', { name: /^Absolute difference/ })
    await expect(difference.getAttribute('data-zoom')).resolves.toBe('1.563')
    await expect(pane.getAttribute('data-zoom')).resolves.toBe('1.563')
    await page.getByLabel('Difference amplification').selectOption('16')
    await page.getByText('≥ 16/255').waitFor()
    // Focusing the pane scrolled the view; a screenshot from the top shows it as a user first sees it.
    await page.locator('main.content').evaluate((main) => main.scrollTo(0, 0))
    await app.screenshot('11-denoise')

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export denoised PNG' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('street-noisy.denoised.png')
    const saved = join(scratch, 'exported.png')
    await download.saveAs(saved)
    const meta = await sharp(await readFile(saved)).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 420, 300])

    // The smallest window the app supports, in the dark theme: the layout must still hold.
    await page.setViewportSize({ width: 1024, height: 700 })
    await page.emulateMedia({ colorScheme: 'dark' })
    await pane.focus()
    await page.keyboard.press('0')
    await expect(pane.getAttribute('data-zoom')).resolves.toBe('1.000')
    await page.locator('main.content').evaluate((main) => main.scrollTo(0, 0))
    await app.screenshot('12-denoise-dark-1024x700')

    expect(session.consoleErrors).toEqual([])
  })
})
