// The Latent view end to end in Debian's Chromium against `npm run serve` with the real inference process: two tiny
// models trained with the CLI into the server's store (a VAE, whose 2-D code is the plane, and a dense model mapped
// by PCA). Opens the view from the navigation and from a model's detail page, sees the points, clicks one and sees
// its reconstruction, walks the keyboard, interpolates, sees the VAE's grid; screenshots; fails on console errors.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { promisify } from 'node:util'
import type { Page } from 'playwright-core'
import { buildRenderer } from './support/build'
import { startServer, type RunningServer } from './support/server'
import { CHROMIUM, openBrowser, type BrowserSession } from './support/browser'
import { AppPage, openApp } from './pages/app-page'

const run = promisify(execFile)
const hasChromium = existsSync(CHROMIUM)
const VAE = 'e2e latent vae'
const DENSE = 'e2e latent dense'

async function trainWithCli(store: string, name: string, args: string[]): Promise<void> {
  await run(
    'nice',
    ['-n', '5', process.execPath, 'bin/bottleneck.js', 'train', ...args, '--limit', '2000', '--test-limit', '200',
      '--batch-size', '64', '--name', name, '--store', store],
    { env: { ...process.env, BOTTLENECK_HOME: store }, timeout: 300_000 },
  )
}

/** Opens the Latent view from the sidebar, as a user would. */
async function openLatent(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: /^Latent/ }).click()
  await page.getByRole('heading', { name: 'Latent space', level: 1 }).waitFor()
}

/** Pixels of the map's dot layer painted in one of the ten label colours, and where one of them is (CSS px) and its digit. */
async function paintedDots(
  page: Page,
): Promise<{ coloured: number; colours: number; at: { x: number; y: number } | null; digitAt: number | null }> {
  return page.evaluate(() => {
    const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']
      .map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)))
    const canvas = document.querySelector<HTMLCanvasElement>('.canvas-box canvas[aria-hidden="true"]')!
    const { width, height } = canvas
    const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data
    const seen = new Set<number>()
    let coloured = 0
    let at: { x: number; y: number } | null = null
    let digitAt: number | null = null
    const ratio = width / canvas.getBoundingClientRect().width
    for (let i = 0; i < width * height; i++) {
      // Dots are drawn at 70–85 % opacity over nothing; getImageData gives un-premultiplied colours to compare.
      if (data[i * 4 + 3]! < 150) continue
      const match = palette.findIndex(
        (rgb) => Math.abs(rgb[0]! - data[i * 4]!) + Math.abs(rgb[1]! - data[i * 4 + 1]!) + Math.abs(rgb[2]! - data[i * 4 + 2]!) < 30,
      )
      if (match < 0) continue
      coloured++
      seen.add(match)
      if (!at) {
        at = { x: (i % width) / ratio, y: Math.floor(i / width) / ratio }
        digitAt = match
      }
    }
    return { coloured, colours: seen.size, at, digitAt }
  })
}

/** Clicks the topmost dot of the map and waits for the selected point's summary, which names its digit. */
async function clickTopDot(page: Page): Promise<{ digit: number | null; summary: string }> {
  const dots = await paintedDots(page)
  const box = (await page.getByTestId('latent-map').boundingBox())!
  await page.mouse.click(box.x + dots.at!.x + 1, box.y + dots.at!.y + 1)
  const summary = page.getByTestId('sample-summary')
  await summary.waitFor({ timeout: 60_000 })
  return { digit: dots.digitAt, summary: ((await summary.textContent()) ?? '').trim() }
}

/** The map's and its legend's boxes on screen, and the window's height. */
async function mapLayout(page: Page) {
  const map = (await page.getByTestId('latent-map').boundingBox())!
  const legend = (await page.getByRole('list', { name: /Digit colours/ }).boundingBox())!
  return { map, legendBottom: legend.y + legend.height, windowHeight: page.viewportSize()!.height }
}

describe.skipIf(!hasChromium)('the Latent view in the browser', () => {
  let server: RunningServer
  let session: BrowserSession
  let app: AppPage
  const figures: Record<string, unknown> = {}

  beforeAll(async () => {
    mkdirSync('tests/e2e/screenshots', { recursive: true })
    await buildRenderer()
    server = await startServer()
    await trainWithCli(server.store, VAE, ['--arch', 'vae', '--epochs', '2', '--learning-rate', '0.005'])
    await trainWithCli(server.store, DENSE, ['--arch', 'dense', '--code-size', '16', '--epochs', '1', '--learning-rate', '0.01'])
    ;({ session, app } = await openApp(server.url, { width: 1280, height: 800 }))
  })

  afterAll(async () => {
    writeFileSync('tests/e2e/screenshots/latent-figures.json', JSON.stringify(figures, null, 2))
    console.log(`latent view figures: ${JSON.stringify(figures)}`)
    await session?.close()
    await server?.stop()
  })

  it('maps the VAE’s test codes on the plane, coloured by digit with a legend', async () => {
    const page = session.page
    await openLatent(page)
    await page.getByLabel('Model', { exact: true }).selectOption({ label: `${VAE} · vae · code 2` })
    await page.getByText(/2,000 of the 10,000 test images of MNIST, at their 2-D codes/).waitFor({ timeout: 120_000 })
    // The map is as large as the window lets it be, with the whole of it and its legend on screen.
    const layout = await mapLayout(page)
    figures.mapAt1280x800 = Math.round(layout.map.width)
    expect(layout.map.width).toBe(layout.map.height)
    expect(layout.map.width).toBeGreaterThan(500)
    expect(layout.legendBottom).toBeLessThanOrEqual(layout.windowHeight)
    await expect(page.getByRole('list', { name: /Digit colours/ }).getByRole('button').count()).resolves.toBe(10)
    const dots = await paintedDots(page)
    expect(dots.coloured).toBeGreaterThan(1000)
    expect(dots.colours).toBe(10)
    // Hiding a digit takes its dots off the map.
    await page.getByRole('list', { name: /Digit colours/ }).getByRole('button', { name: '1' }).click()
    expect((await paintedDots(page)).colours).toBe(9)
    await page.getByRole('list', { name: /Digit colours/ }).getByRole('button', { name: '1' }).click()
  })

  it('shows a clicked point’s digit beside its reconstruction, and moves with the arrow keys', async () => {
    const page = session.page
    const clicked = await clickTopDot(page)
    // The point picked is the dot clicked: the summary names the digit of the dot's colour.
    expect(clicked.summary).toMatch(new RegExp(`^Test image \\d+ · digit ${clicked.digit} · PSNR [\\d.]+ dB`))
    const summary = page.getByTestId('sample-summary')
    const reconstruction = page.getByRole('img', { name: /^Reconstruction of test image \d+$/ })
    // The reconstruction is painted, not blank.
    const lit = await reconstruction.evaluate((canvas) => {
      const c = canvas as HTMLCanvasElement
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data
      let sum = 0
      for (let i = 0; i < data.length; i += 4) sum += data[i]!
      return sum
    })
    expect(lit).toBeGreaterThan(0)
    const first = await summary.textContent()
    await page.getByTestId('latent-map').focus()
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => summary.textContent(), { timeout: 30_000 }).not.toBe(first)
  })

  it('interpolates between two points chosen with A and B, and steps along the line with the slider', async () => {
    const page = session.page
    const map = page.getByTestId('latent-map')
    await map.focus()
    await page.keyboard.press('a')
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowDown')
    await page.keyboard.press('b')
    const strip = page.getByRole('group', { name: '10 decoded images from A to B' })
    await strip.waitFor({ timeout: 60_000 })
    await expect(strip.getByRole('img').count()).resolves.toBe(10)
    const slider = page.getByLabel('Position along the line from A to B')
    await slider.focus()
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight')
    await page.getByText('Step 5 of 10, t = 0.44 from A to B').waitFor()
    await page.getByLabel('Images along the line').selectOption('16')
    await page.getByRole('group', { name: '16 decoded images from A to B' }).waitFor({ timeout: 60_000 })
    // Typed ends: test image 3 (a 0) to test image 2 (a 1), far apart on the map.
    await page.getByLabel('Start (A): test image number').fill('3')
    await page.getByLabel('Start (A): test image number').dispatchEvent('change')
    await page.getByLabel('End (B): test image number').fill('2')
    await page.getByLabel('End (B): test image number').dispatchEvent('change')
    await page.getByText('B · #2 · digit 1').waitFor({ timeout: 60_000 })
    await page.getByText('A · #3 · digit 0').waitFor()
    // The VAE's generated grid, with its range.
    await page.getByRole('img', { name: /^Digits the VAE generates: 15 × 15 codes/ }).waitFor({ timeout: 60_000 })
    await page.getByText(/5%–95% quantiles: z from −1\.64 to 1\.64/).first().waitFor()
    // Two pictures: the map with the selection, then the interpolation and the grid below it.
    await page.locator('main').evaluate((main) => main.scrollTo(0, 0))
    await page.waitForTimeout(200)
    await app.screenshot('11-latent')
    await page.getByRole('heading', { name: 'Interpolation through the code' }).scrollIntoViewIfNeeded()
    await page.waitForTimeout(200)
    await app.screenshot('11-latent-interpolation')
  })

  it('stays smooth with the whole 10,000-image test set on the map', async () => {
    const page = session.page
    await page.locator('main').evaluate((main) => main.scrollTo(0, 0))
    const started = Date.now()
    await page.getByLabel('Test images on the map').selectOption('10000')
    await page.getByText(/^10,000 of the 10,000 test images/).waitFor({ timeout: 120_000 })
    const mapMs = Date.now() - started
    expect((await paintedDots(page)).coloured).toBeGreaterThan(5000)
    const timings = await page.evaluate(async () => {
      const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
      const map = document.querySelector<HTMLCanvasElement>('[data-testid="latent-map"]')!
      const rect = map.getBoundingClientRect()
      // Hover: each move hit-tests and repaints the overlay synchronously.
      const moves = 200
      let start = performance.now()
      for (let i = 0; i < moves; i++) {
        map.dispatchEvent(
          new PointerEvent('pointermove', {
            clientX: rect.left + 40 + ((i * 7) % (rect.width - 80)),
            clientY: rect.top + 40 + ((i * 13) % (rect.height - 80)),
            bubbles: true,
          }),
        )
      }
      const hoverMs = (performance.now() - start) / moves
      // A full repaint of every dot: hide, then show again, digit 1 from the legend.
      const button = Array.from(document.querySelectorAll<HTMLButtonElement>('.legend-item'))[1]!
      // Two figures: the view's own work (the click handler and Vue's flush, which redraws every dot), and the
      // same until two frames later (Chromium rasterising and compositing, with --disable-gpu in software).
      const drawn: number[] = []
      const shown: number[] = []
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
      for (let i = 0; i < 6; i++) {
        start = performance.now()
        button.click()
        await new Promise((resolve) => setTimeout(resolve, 0))
        drawn.push(performance.now() - start)
        await frame()
        shown.push(performance.now() - start)
      }
      return { hoverMs, repaintMs: median(drawn), repaintShownMs: median(shown) }
    })
    figures.tenThousand = { mapMs, ...timings }
    // Smooth: a hover well within a 60 Hz frame; redrawing all 10,000 dots within a few frames (the machine running
    // this is shared and headless Chromium rasterises in software, so the on-screen figure is only reported).
    expect(timings.hoverMs).toBeLessThan(8)
    expect(timings.repaintMs).toBeLessThan(100)
    await page.getByLabel('Test images on the map').selectOption('2000')
    await page.getByText(/^2,000 of the 10,000 test images/).waitFor({ timeout: 60_000 })
  })

  it('opens from a model’s detail page and maps a 16-value code by PCA', async () => {
    const page = session.page
    await app.switchTo('models')
    await page.getByRole('link', { name: DENSE, exact: true }).click()
    await page.getByRole('button', { name: `Latent space of ${DENSE}` }).click()
    await page.getByRole('heading', { name: 'Latent space', level: 1 }).waitFor()
    await page.getByText(/The 16-value codes are projected on their first two principal components/).waitFor({
      timeout: 120_000,
    })
    await expect(page.getByLabel('Model', { exact: true }).inputValue()).resolves.not.toBe('')
    expect((await paintedDots(page)).coloured).toBeGreaterThan(1000)
    // A dense model generates nothing from a prior: no grid card.
    await expect(page.getByRole('heading', { name: 'Generated from the prior' }).count()).resolves.toBe(0)
    await app.screenshot('12-latent-pca')
  })

  it('fills a 1600×1000 window with a larger map, and a click on it still picks the dot under the pointer', async () => {
    const large = await openBrowser({ width: 1600, height: 1000 })
    try {
      const largeApp = new AppPage(large.page)
      await largeApp.open(server.url)
      await openLatent(large.page)
      await large.page.getByLabel('Model', { exact: true }).selectOption({ label: `${VAE} · vae · code 2` })
      await large.page.getByText(/at their 2-D codes/).waitFor({ timeout: 120_000 })
      const layout = await mapLayout(large.page)
      figures.mapAt1600x1000 = Math.round(layout.map.width)
      expect(layout.map.width).toBe(layout.map.height)
      expect(layout.map.width).toBeGreaterThan(700)
      expect(layout.legendBottom).toBeLessThanOrEqual(layout.windowHeight)
      // Drawn at the screen's pixel ratio: one canvas pixel per CSS pixel here, not a stretched small bitmap.
      const bitmapWidth = await large.page.getByTestId('latent-map').evaluate((canvas) => (canvas as HTMLCanvasElement).width)
      expect(bitmapWidth).toBe(Math.round(layout.map.width))
      const clicked = await clickTopDot(large.page)
      expect(clicked.summary).toMatch(new RegExp(`^Test image \\d+ · digit ${clicked.digit} · `))
      await largeApp.screenshot('14-latent-1600x1000')
      expect(large.consoleErrors).toEqual([])
    } finally {
      await large.close()
    }
  })

  it('holds its layout at 1024×700 in the dark theme', async () => {
    const dark = await openBrowser({ width: 1024, height: 700, colorScheme: 'dark' })
    try {
      const darkApp = new AppPage(dark.page)
      await darkApp.open(server.url)
      await openLatent(dark.page)
      await dark.page.getByLabel('Model', { exact: true }).selectOption({ label: `${VAE} · vae · code 2` })
      await dark.page.getByText(/at their 2-D codes/).waitFor({ timeout: 120_000 })
      await dark.page.getByRole('img', { name: /^Digits the VAE generates/ }).waitFor({ timeout: 60_000 })
      const overflow = await dark.page.evaluate(() => {
        const main = document.querySelector('main')!
        return Math.max(document.documentElement.scrollWidth - window.innerWidth, main.scrollWidth - main.clientWidth)
      })
      expect(overflow, 'the Latent view overflows horizontally at 1024 px').toBeLessThanOrEqual(0)
      await darkApp.screenshot('13-dark-latent-1024x700')
      expect(dark.consoleErrors).toEqual([])
    } finally {
      await dark.close()
    }
  })

  it('logged no console errors', () => {
    expect(session.consoleErrors).toEqual([])
  })
})
