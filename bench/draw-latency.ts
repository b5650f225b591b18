// Draw → reconstruction latency as a user feels it (issue #5: p95 < 16 ms, idle and while a model trains), measured
// in Debian's Chromium against the real `npm run serve` (service + trainer processes) on a throw-away store.
// The Draw view times each round trip with the User Timing API (request out → code and reconstruction back); this
// script trains the seed model briefly from the Train view, then steps the Draw view's noise slider (one request per
// step, as a person dragging it does) with nothing else running, and again while the seed recipe trains on full
// MNIST in the app's training process. Never run as a test: the figures depend on the machine.
//   npx tsx bench/draw-latency.ts [--samples 300] [--gap 40]
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { openBrowser } from '../tests/e2e/support/browser'
import { buildRenderer } from '../tests/e2e/support/build'
import { startServer } from '../tests/e2e/support/server'
import { AppPage, DrawPage, TrainPage } from '../tests/e2e/pages/app-page'

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`)
  return value
}

function summary(durations: number[]) {
  const sorted = [...durations].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
  const round = (value: number) => Math.round(value * 100) / 100
  return { samples: sorted.length, p50: round(at(50)), p95: round(at(95)), p99: round(at(99)), max: round(sorted.at(-1)!) }
}

const samples = option('samples', 300)
const gapMs = option('gap', 40)

await buildRenderer()
const server = await startServer()
const session = await openBrowser({ width: 1280, height: 800 })
const results: Record<string, unknown> = { samples, gapMs, cores: (await import('node:os')).availableParallelism() }
try {
  const { page } = session
  const app = new AppPage(page)
  await app.open(server.url)
  const train = new TrainPage(page)
  await train.train({ epochs: 1, limit: 2000, name: 'latency seed' })
  await train.waitUntilFinished()
  await app.switchTo('draw')
  const draw = new DrawPage(page)
  await draw.pad().waitFor()
  await draw.stroke([
    [0.3, 0.2],
    [0.7, 0.2],
    [0.45, 0.85],
  ])
  await draw.latency().waitFor()

  /** Steps the noise slider back and forth: each step re-encodes the drawing, one request at a time. */
  async function measure(label: string): Promise<void> {
    const slider = page.getByLabel('Noise level')
    await slider.focus()
    // Warm-up steps (model load, JIT), not counted.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press(i % 2 ? 'ArrowLeft' : 'ArrowRight')
      await page.waitForTimeout(gapMs)
    }
    await draw.clearTimings()
    const load = loadavg()[0]
    for (let i = 0; i < samples; i++) {
      await page.keyboard.press(Math.floor(i / 10) % 2 ? 'ArrowLeft' : 'ArrowRight')
      await page.waitForTimeout(gapMs)
    }
    await page.waitForTimeout(200)
    results[label] = { ...summary(await draw.roundTrips()), loadAverageAtStart: load, loadAverageAtEnd: loadavg()[0] }
    console.log(label, JSON.stringify(results[label]))
  }

  await measure('idle')
  await app.switchTo('train')
  await train.train({ epochs: 50, limit: 60000, name: 'latency background' })
  await train.waitForFirstBatch()
  await app.switchTo('draw')
  await draw.pad().waitFor()
  // The view starts empty again after a switch: a stroke first, so slider steps have a drawing to send.
  await draw.stroke([
    [0.3, 0.2],
    [0.7, 0.2],
    [0.45, 0.85],
  ])
  await measure('whileTraining')
  if (!(await page.locator('nav .mini-progress').isVisible())) {
    throw new Error('the background training ended before the measurement did; the second figure is not valid')
  }
  await app.switchTo('train')
  await page.getByRole('button', { name: 'Cancel' }).click()
  if (session.consoleErrors.length) console.warn('console errors:', session.consoleErrors)
} finally {
  await session.close()
  await server.stop()
}
mkdirSync('bench/results', { recursive: true })
const file = join('bench/results', `draw-latency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(file, JSON.stringify(results, null, 2))
console.log(`written ${file}`)
