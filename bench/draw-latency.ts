// Draw → reconstruction latency as a user feels it (issue #5: p95 < 16 ms, idle and while a model trains), measured
// in Debian's Chromium against the real `npm run serve` (service + trainer processes) on a throw-away store.
// The Draw view times each round trip with the User Timing API (request out → code and reconstruction back); this
// script trains the seed model briefly from the Train view, then measures two ways of changing the drawing, with
// nothing else running and again while the seed recipe trains on full MNIST in the app's training process:
//   pen     one long stroke drawn with the mouse, one pointer move per sample (the pad sends at most one request
//           per animation frame, as when a person draws);
//   slider  keyboard steps of the noise slider. Chromium holds the answer to a request sent from a key press until
//           the frame that key press asked for is drawn (its input-response scheduling), so these round trips
//           include up to one frame (16.7 ms) of waiting that the pen's do not; the answer is on screen in the
//           same frame either way.
// Never run as a test: the figures depend on the machine.
//   npm run bench:draw -- [--samples 300] [--gap 40]   (vite-node, as the e2e helpers it shares run under vitest)
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
let browser: Awaited<ReturnType<typeof openBrowser>> | undefined
// The server runs detached (its own process group, with two trainer processes): Ctrl-C or a kill of this script must
// stop it and the browser too, or they outlive the benchmark with their temporary store.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.allSettled([browser?.close(), server.stop()]).then(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  })
}
const session = (browser = await openBrowser({ width: 1280, height: 800 }))
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

  /** One drawing step per sample: a pointer move within one long stroke on the pad (`pen`), or a keyboard step
   *  of the noise slider (`slider`). Either re-encodes the drawing; one request is in flight at a time. */
  async function stimulate(stimulus: 'pen' | 'slider', count: number): Promise<void> {
    if (stimulus === 'slider') {
      await page.getByLabel('Noise level').focus()
      for (let i = 0; i < count; i++) {
        await page.keyboard.press(Math.floor(i / 10) % 2 ? 'ArrowLeft' : 'ArrowRight')
        await page.waitForTimeout(gapMs)
      }
      return
    }
    const box = (await draw.pad().boundingBox())!
    // A slow zigzag over the pad, as a hand writes: 24 moves per line, lines 4% of the pad apart.
    const at = (i: number) => {
      const line = Math.floor(i / 24) % 20
      const along = (i % 24) / 23
      const x = 0.15 + 0.7 * (line % 2 ? 1 - along : along)
      return [box.x + x * box.width, box.y + (0.1 + 0.04 * line) * box.height] as const
    }
    await page.mouse.move(...at(0))
    await page.mouse.down()
    for (let i = 1; i <= count; i++) {
      await page.mouse.move(...at(i))
      await page.waitForTimeout(gapMs)
    }
    await page.mouse.up()
  }

  async function measure(label: string): Promise<void> {
    results[label] = {}
    for (const stimulus of ['pen', 'slider'] as const) {
      await draw.clear()
      await draw.stroke([
        [0.3, 0.2],
        [0.7, 0.2],
        [0.45, 0.85],
      ])
      await stimulate(stimulus, 10) // warm-up (model load, JIT), not counted
      await draw.clearTimings()
      const load = loadavg()[0]
      await stimulate(stimulus, samples)
      await page.waitForTimeout(200)
      const figures = { ...summary(await draw.roundTrips()), loadAverageAtStart: load, loadAverageAtEnd: loadavg()[0] }
      ;(results[label] as Record<string, unknown>)[stimulus] = figures
      console.log(label, stimulus, JSON.stringify(figures))
    }
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
