// End to end in Debian's Chromium against `npm run serve` with the real trainer: train a small model, draw with it
// (and time the round trips, idle and during training), compare a dropped PNG, rename and delete the model.
// Screenshots of every view go to tests/e2e/screenshots/; any console error fails the run.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { runCli } from '../main/support/cli'
import { buildRenderer } from './support/build'
import { startServer, type RunningServer } from './support/server'
import { CHROMIUM, openBrowser, type BrowserSession } from './support/browser'
import { AppPage, ComparePage, DrawPage, ModelsPage, TrainPage, openApp } from './pages/app-page'

const MODEL = 'e2e dense'
const RENAMED = 'e2e dense (renamed)'
const CLI_MODEL = 'e2e trained by the CLI'
const hasChromium = existsSync(CHROMIUM)

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN
}

/** A handwritten-looking "7", dark on white like a scan, so the view must invert it. */
async function sevenPng(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="112" height="112">
    <rect width="112" height="112" fill="white"/>
    <path d="M28 30 L84 30 L50 92" stroke="black" stroke-width="11" fill="none" stroke-linecap="round"/></svg>`
  return sharp(Buffer.from(svg)).png().toBuffer()
}

describe.skipIf(!hasChromium)('Bottleneck in the browser', () => {
  let server: RunningServer
  let session: BrowserSession
  let app: AppPage
  const figures: Record<string, unknown> = {}

  beforeAll(async () => {
    mkdirSync('tests/e2e/screenshots', { recursive: true })
    await buildRenderer()
    server = await startServer()
    ;({ session, app } = await openApp(server.url, { width: 1280, height: 800 }))
  })

  afterAll(async () => {
    writeFileSync('tests/e2e/screenshots/figures.json', JSON.stringify(figures, null, 2))
    await session?.close()
    await server?.stop()
  })

  it('shows the Train view with the seed recipe, then trains a small model for one epoch', async () => {
    const page = session.page
    await expect(page.getByLabel('Architecture').inputValue()).resolves.toBe('dense')
    await expect(page.getByLabel('Code size').inputValue()).resolves.toBe('32')
    // The recipes come from the real service: the seed is keras-simple, and mnist-denoise fills the whole form.
    await expect(page.getByLabel('Recipe').inputValue()).resolves.toBe('keras-simple')
    await page.getByLabel('Recipe').selectOption('mnist-denoise')
    await expect(page.getByLabel('Architecture').inputValue()).resolves.toBe('denoiser')
    await expect(page.getByLabel('Epochs').inputValue()).resolves.toBe('11')
    await expect(page.getByLabel('Batch size').inputValue()).resolves.toBe('64')
    await expect(page.getByLabel('Noise type').inputValue()).resolves.toBe('gaussian')
    await page.getByLabel('Recipe').selectOption('keras-simple')
    await expect(page.getByLabel('Architecture').inputValue()).resolves.toBe('dense')
    await expect(page.getByLabel('Noise type').inputValue()).resolves.toBe('none')
    await app.screenshot('01-train-empty')
    const train = new TrainPage(page)
    await train.train({ epochs: 1, limit: 2000, name: MODEL })
    await train.waitForFirstBatch()
    await expect(page.getByText(/Backend: \w+/).textContent()).resolves.toMatch(
      /Backend: (tensorflow|wasm|cpu)/,
    )
    await app.screenshot('02-train-running')
    await train.waitUntilFinished()
    await page.getByRole('img', { name: 'Reconstruction 1', exact: true }).waitFor()
    await app.screenshot('03-train-finished')
  })

  it('draws a stroke and shows the model input, code and reconstruction, quickly', async () => {
    const page = session.page
    await app.switchTo('draw')
    const draw = new DrawPage(page)
    await draw.pad().waitFor()
    await draw.clearTimings()
    await draw.stroke([
      [0.3, 0.2],
      [0.7, 0.2],
      [0.45, 0.85],
    ])
    await draw.latency().waitFor()
    await expect(page.getByRole('group', { name: /^Latent code: 32 values/ }).count()).resolves.toBe(1)
    // The first round trip loads the model into the inference process; steady state is what a user feels.
    figures.drawFirstRoundTripMs = (await draw.roundTrips())[0]
    await draw.clearTimings()
    // More strokes, each move a request (latest wins), to get a latency sample.
    for (let i = 0; i < 6; i++) {
      await draw.stroke([
        [0.2 + i * 0.1, 0.5],
        [0.3 + i * 0.1, 0.6],
        [0.2 + i * 0.1, 0.7],
      ])
    }
    await page.waitForTimeout(300)
    const idle = await draw.roundTrips()
    expect(idle.length).toBeGreaterThan(5)
    figures.drawIdle = {
      samples: idle.length,
      p50: percentile(idle, 50),
      p95: percentile(idle, 95),
      max: Math.max(...idle),
    }
    // The same round trip without pointer traffic competing for the page: step the noise slider, one request a step.
    await draw.clearTimings()
    const slider = page.getByLabel('Noise level')
    await slider.focus()
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press(i < 15 ? 'ArrowRight' : 'ArrowLeft')
      await page.waitForTimeout(80)
    }
    const steady = await draw.roundTrips()
    figures.drawIdleSlider = {
      samples: steady.length,
      p50: percentile(steady, 50),
      p95: percentile(steady, 95),
      max: Math.max(...steady),
    }
    await app.screenshot('04-draw')
    // Keyboard: Ctrl+Z takes back the last stroke, Delete clears the pad, and Ctrl+Z brings a cleared drawing back.
    await draw.pad().focus()
    const before = await page.getByRole('img', { name: /as the model sees it/ }).screenshot()
    await page.keyboard.press('Control+z')
    await expect
      .poll(async () => Buffer.compare(await page.getByRole('img', { name: /as the model sees it/ }).screenshot(), before))
      .not.toBe(0)
    await page.keyboard.press('Delete')
    await page.getByText('Start drawing on the left.').waitFor()
    await expect(page.getByRole('button', { name: /^Undo/ }).isDisabled()).resolves.toBe(false)
    await page.keyboard.press('Control+z')
    await page.getByText('Start drawing on the left.').waitFor({ state: 'detached' })
    await page.keyboard.press('Delete')
    await page.getByText('Start drawing on the left.').waitFor()
  })

  it('keeps drawing responsive while another model trains', async () => {
    const page = session.page
    await app.switchTo('train')
    const train = new TrainPage(page)
    // Long enough to draw beside: compiled steps train 2,000 images × 3 epochs in well under a second.
    await train.train({ epochs: 30, limit: 20000, name: 'e2e background' })
    await train.waitForFirstBatch()
    await app.switchTo('draw')
    const draw = new DrawPage(page)
    await draw.pad().waitFor()
    await draw.clearTimings()
    // Draw for as long as the trainer is busy, then keep only the round trips that started before it finished.
    const training = page.locator('nav .mini-progress')
    for (let i = 0; i < 60 && (await training.isVisible()); i++) {
      await draw.stroke([
        [0.25, 0.2 + (i % 8) * 0.05],
        [0.75, 0.25 + (i % 8) * 0.05],
        [0.5, 0.8],
      ])
    }
    const trainingEnded = await page.evaluate(() => performance.now())
    const busy = (
      await page.evaluate(() =>
        performance
          .getEntriesByName('bottleneck:draw-round-trip')
          .map((e) => ({ start: e.startTime, duration: e.duration })),
      )
    )
      .filter((entry) => entry.start < trainingEnded)
      .map((entry) => entry.duration)
    expect(busy.length).toBeGreaterThan(5)
    figures.drawDuringTraining = {
      samples: busy.length,
      p50: percentile(busy, 50),
      p95: percentile(busy, 95),
      max: Math.max(...busy),
    }
    await app.screenshot('05-draw-during-training')
    await app.switchTo('train')
    if (await page.getByRole('button', { name: 'Cancel' }).isVisible()) {
      await page.getByRole('button', { name: 'Cancel' }).click()
      await page.getByRole('button', { name: 'Start training' }).waitFor({ timeout: 120_000 })
    }
  })

  it('decodes a dropped PNG and shows its reconstruction with PSNR and SSIM', async () => {
    const page = session.page
    await app.switchTo('compare')
    const compare = new ComparePage(page)
    await compare.dropFile('seven.png', 'image/png', await sevenPng())
    const row = compare.row('seven.png')
    await row.getByText(/PSNR [\d.]+ dB/).waitFor({ timeout: 60_000 })
    await expect(row.getByText(/SSIM [\d.]+/).count()).resolves.toBe(1)
    await page.getByLabel('Synthetic noise type').selectOption('gaussian')
    await row.getByRole('img', { name: 'Noisy seven.png' }).waitFor()
    await page.getByRole('button', { name: 'Add test samples' }).click()
    await expect.poll(() => compare.rows().count(), { timeout: 60_000 }).toBe(9)
    // With noise, the classical filters run on the same noisy images in the real inference process.
    const filters = page.getByRole('region', { name: 'Against classical filters' })
    await filters.getByText(/Mean over the 9 images below/).waitFor({ timeout: 60_000 })
    await expect(filters.getByRole('row').count()).resolves.toBe(7) // header, the model, four filters, noisy input
    await page.waitForTimeout(300)
    await app.screenshot('06-compare')
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Save codes (CSV)' }).click(),
    ])
    const csvText = readFileSync((await csv.path())!, 'utf8')
    expect(csvText.split('\n')[0]).toBe(['image', ...Array.from({ length: 32 }, (_, i) => `code_${i}`)].join(','))
    expect(csvText.split('\n')[1]).toMatch(/^seven\.png,/)
    const [png] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save PNG' }).click()])
    expect(readFileSync((await png.path())!).subarray(1, 4).toString()).toBe('PNG')
  })

  it('lists the model, shows its detail page, renames it and deletes it', async () => {
    const page = session.page
    await app.switchTo('models')
    const models = new ModelsPage(page)
    await models.row(MODEL).waitFor()
    await app.screenshot('07-models')
    await page.getByRole('link', { name: MODEL, exact: true }).click()
    await page.getByRole('img', { name: 'Reconstruction 1', exact: true }).waitFor({ timeout: 60_000 })
    await app.screenshot('08-model-detail')
    await page.getByRole('button', { name: 'Back to all models' }).click()
    // The web shell has no native dialogs, so export and import ask for a folder path.
    const exportsFolder = join(server.store, 'exports')
    mkdirSync(exportsFolder, { recursive: true })
    await page.getByRole('button', { name: `Export ${MODEL}` }).click()
    await page.getByRole('dialog').getByLabel('Destination folder').fill(exportsFolder)
    await page.getByRole('dialog').getByRole('button', { name: 'Export' }).click()
    const exported = (await app.toast().filter({ hasText: 'Exported' }).textContent())!
    const exportedPath = /to (\/.+)\.\s*×?$/.exec(exported.trim())?.[1]
    expect(exportedPath && existsSync(join(exportedPath, 'bottleneck.json'))).toBe(true)
    await models.rename(MODEL, RENAMED)
    await models.remove(RENAMED)
    await expect(models.row(RENAMED).count()).resolves.toBe(0)
    await page.getByRole('button', { name: 'Import model…' }).first().click()
    await page.getByRole('dialog').getByLabel('Model folder').fill(exportedPath!)
    await page.getByRole('dialog').getByRole('button', { name: 'Import' }).click()
    await models.row(MODEL).waitFor({ timeout: 60_000 })
  })

  it('holds its layout at 1024×700 and follows a dark OS theme', async () => {
    const dark = await openBrowser({ width: 1024, height: 700, colorScheme: 'dark' })
    try {
      const darkApp = new AppPage(dark.page)
      await darkApp.open(
        server.url.replace(/\?token=.*/, `?token=${new URL(server.url).searchParams.get('token')}`),
      )
      const background = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor)
      expect(background).toBe('rgb(20, 22, 27)')
      await darkApp.screenshot('09-dark-train-1024x700')
      for (const view of ['draw', 'compare', 'models'] as const) {
        await darkApp.switchTo(view)
        await dark.page.waitForTimeout(200)
        // The main area scrolls vertically; nothing in it may need a horizontal scroll bar.
        const overflow = await dark.page.evaluate(() => {
          const main = document.querySelector('main')!
          return Math.max(
            document.documentElement.scrollWidth - window.innerWidth,
            main.scrollWidth - main.clientWidth,
          )
        })
        expect(overflow, `${view} overflows horizontally at 1024 px`).toBeLessThanOrEqual(0)
        await darkApp.screenshot(`10-dark-${view}-1024x700`)
      }
      expect(dark.consoleErrors).toEqual([])
    } finally {
      await dark.close()
    }
  })

  it('finds the model again after the app restarts on the same store', async () => {
    const page = session.page
    // Leave the page first: a server going away under an open page is a (correct) console error of its own.
    await page.goto('about:blank')
    const store = server.store
    await server.stop({ keepStore: true })
    server = await startServer(120_000, { store })
    await app.open(server.url)
    await app.switchTo('models')
    await new ModelsPage(page).row(MODEL).waitFor({ timeout: 60_000 })
    await app.screenshot('11-models-after-restart')
  })

  it('shows a model the CLI trains into the same store while the page is open, and drops one deleted by hand', async () => {
    const page = session.page
    await app.switchTo('models')
    const models = new ModelsPage(page)
    const trained = await runCli(
      ['train', '--limit', '256', '--test-limit', '256', '--epochs', '1', '--name', CLI_MODEL, '--json'],
      { store: server.store },
    )
    expect(trained.code, trained.stderr).toBe(0)
    // No reload and no click: the service's watch of the models folder tells the page.
    await models.row(CLI_MODEL).waitFor({ timeout: 15_000 })
    const { id } = JSON.parse(trained.stdout) as { id: string }
    rmSync(join(server.store, 'models', id), { recursive: true, force: true })
    await models.row(CLI_MODEL).waitFor({ state: 'detached', timeout: 15_000 })
  })

  it('logged no console errors', () => {
    expect(session.consoleErrors).toEqual([])
  })
})
