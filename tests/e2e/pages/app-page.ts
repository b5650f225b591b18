// Page objects: what a user does in each view, in words, so tests read as a session rather than selectors.
/// <reference lib="dom" />
import type { Locator, Page } from 'playwright-core'
import { openBrowser, type BrowserSession } from '../support/browser'

/** A new browser with the app at `url` loaded, as a user opens it: the session (to close) and its app page. */
export async function openApp(
  url: string,
  options: Parameters<typeof openBrowser>[0] = {},
): Promise<{ session: BrowserSession; app: AppPage }> {
  const session = await openBrowser(options)
  const app = new AppPage(session.page)
  await app.open(url)
  return { session, app }
}

export class AppPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url)
    await this.page.getByText(/TensorFlow\.js · /).waitFor({ timeout: 60_000 })
  }

  /** Switches view with the keyboard shortcut, as a user would (Ctrl+1..4). */
  async switchTo(view: 'train' | 'draw' | 'compare' | 'models'): Promise<void> {
    const key = { train: '1', draw: '2', compare: '3', models: '4' }[view]
    await this.page.locator('body').click({ position: { x: 1, y: 1 } })
    await this.page.keyboard.press(`Control+${key}`)
    await this.page
      .locator(`nav [aria-current="page"]`)
      .filter({ hasText: new RegExp(view, 'i') })
      .waitFor()
  }

  toast(kind: 'alert' | 'status' = 'status'): Locator {
    return this.page.locator(`.toast[role="${kind}"]`)
  }

  async screenshot(name: string): Promise<string> {
    const path = `tests/e2e/screenshots/${name}.png`
    await this.page.screenshot({ path, fullPage: false })
    return path
  }
}

export class TrainPage {
  constructor(readonly page: Page) {}

  async train(options: { epochs: number; limit: number; name: string }): Promise<void> {
    const page = this.page
    await page.getByLabel('Epochs', { exact: true }).fill(String(options.epochs))
    await page.getByLabel('Epochs', { exact: true }).dispatchEvent('change')
    if (!(await page.locator('details.advanced').evaluate((d) => (d as HTMLDetailsElement).open))) {
      await page.locator('details.advanced summary').click()
    }
    await page.getByLabel('Model name').fill(options.name)
    await page.getByLabel('Limit training images').fill(String(options.limit))
    await page.getByLabel('Limit training images').dispatchEvent('change')
    await page.getByRole('button', { name: 'Start training' }).click()
  }

  /** Adds a folder of images by typing its path in the dialog (the web shell has no native folder picker). */
  async addImageFolder(path: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Add image folder…' }).click()
    const dialog = this.page.getByRole('dialog')
    await dialog.getByLabel('Folder path').fill(path)
    await dialog.getByRole('button', { name: 'Add dataset' }).click()
    await dialog.waitFor({ state: 'detached', timeout: 120_000 })
  }

  async waitForFirstBatch(): Promise<void> {
    await this.page.getByText(/Batch \d+ \/ \d+/).waitFor({ timeout: 120_000 })
  }

  async waitUntilFinished(timeoutMs = 300_000): Promise<void> {
    await this.page.getByText(/Finished after \d+ epoch/).waitFor({ timeout: timeoutMs })
  }
}

export class DrawPage {
  constructor(readonly page: Page) {}

  pad(): Locator {
    return this.page.getByRole('img', { name: /Drawing area/ })
  }

  /** Clears the pad (its toolbar button; disabled while the pad is empty). */
  async clear(): Promise<void> {
    const button = this.page.getByRole('button', { name: /^Clear/ })
    if (await button.isEnabled()) await button.click()
  }

  /** Draws a stroke through the given points (fractions of the pad) with the mouse. */
  async stroke(points: [number, number][]): Promise<void> {
    const box = (await this.pad().boundingBox())!
    const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const
    const [x0, y0] = at(points[0]!)
    await this.page.mouse.move(x0, y0)
    await this.page.mouse.down()
    for (const point of points.slice(1)) {
      const [x, y] = at(point)
      await this.page.mouse.move(x, y, { steps: 4 })
    }
    await this.page.mouse.up()
  }

  latency(): Locator {
    return this.page.getByTestId('latency')
  }

  /** Round-trip times recorded by the view with the User Timing API. */
  async roundTrips(): Promise<number[]> {
    return this.page.evaluate(() =>
      performance.getEntriesByName('bottleneck:draw-round-trip').map((e) => e.duration),
    )
  }

  async clearTimings(): Promise<void> {
    await this.page.evaluate(() => performance.clearMeasures('bottleneck:draw-round-trip'))
  }
}

export class ComparePage {
  constructor(readonly page: Page) {}

  /** Drops a file on the view, as dragging it from a file manager does. */
  async dropFile(name: string, mimeType: string, bytes: Buffer): Promise<void> {
    const data = bytes.toString('base64')
    const handle = await this.page.evaluateHandle(
      ({ name, mimeType, data }) => {
        const binary = Uint8Array.from(atob(data), (c) => c.charCodeAt(0))
        const transfer = new DataTransfer()
        transfer.items.add(new File([binary], name, { type: mimeType }))
        return transfer
      },
      { name, mimeType, data },
    )
    await this.page.locator('section.compare').dispatchEvent('drop', { dataTransfer: handle })
  }

  /** The image rows of the results (the summary against classical filters has a table of its own). */
  rows(): Locator {
    return this.page.getByRole('table', { name: 'Comparison results' }).locator('tbody tr')
  }

  row(name: string): Locator {
    return this.rows().filter({ hasText: name })
  }
}

export class ModelsPage {
  constructor(readonly page: Page) {}

  row(name: string): Locator {
    return this.page.locator('tbody tr').filter({ has: this.page.getByRole('link', { name, exact: true }) })
  }

  async rename(from: string, to: string): Promise<void> {
    await this.page.getByRole('button', { name: `Rename ${from}` }).click()
    const dialog = this.page.getByRole('dialog')
    await dialog.getByLabel('New name').fill(to)
    await dialog.getByRole('button', { name: 'Rename' }).click()
    await this.row(to).waitFor()
  }

  async remove(name: string): Promise<void> {
    await this.page.getByRole('button', { name: `Delete ${name}` }).click()
    await this.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click()
    await this.row(name).waitFor({ state: 'detached' })
  }
}
