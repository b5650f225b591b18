// Accessibility of every view in Debian's Chromium against `npm run serve`: axe-core runs on each view a user reaches
// (Train with its Advanced section open, Draw, Compare, Latent, Denoise, Models, a model's detail page and its Rename
// dialog), on an empty store, then with a tiny dense model trained by the CLI, then in the dark theme. Any serious or
// critical violation (or a skipped heading level) fails, named by view, rule and element. The keyboard too: Tab
// reaches the navigation and each view's primary button, and the focused control shows a focus ring.
/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import type { Locator, Page } from 'playwright-core'
import type { AxeResults } from 'axe-core'
import { buildRenderer } from './support/build'
import { startServer, type RunningServer } from './support/server'
import { CHROMIUM, openBrowser, type BrowserSession } from './support/browser'
import { AppPage, DrawPage, ModelsPage, openApp } from './pages/app-page'

const run = promisify(execFile)
const hasChromium = existsSync(CHROMIUM)
const MODEL = 'e2e accessibility dense'
// The minified build is what axe documents for injection into a page.
const AXE_SOURCE = readFileSync(
  join(dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js'),
  'utf8',
)

/** A violation worth failing on, in words a reader can act on. */
interface Finding {
  view: string
  rule: string
  impact: string
  element: string
  help: string
}

/**
 * Rules that fail the test below "serious": a skipped heading level breaks the outline a screen reader user
 * navigates by, and costs nothing to keep right.
 */
const ALSO_FAILING = ['heading-order']

/** Runs axe on the whole page and returns its serious and critical violations (and ALSO_FAILING), one per element. */
async function audit(page: Page, view: string): Promise<Finding[]> {
  // Evaluated through the debugger rather than added as a <script> tag: the app's CSP (script-src 'self') would
  // refuse an inline script, and should.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE)
  const results = await page.evaluate(() => {
    const axe = (window as unknown as { axe: { run: (options: object) => Promise<AxeResults> } }).axe
    return axe.run({ resultTypes: ['violations'] })
  })
  return results.violations
    .filter(
      (violation) =>
        violation.impact === 'serious' ||
        violation.impact === 'critical' ||
        ALSO_FAILING.includes(violation.id),
    )
    .flatMap((violation) =>
      violation.nodes.map((node) => ({
        view,
        rule: violation.id,
        impact: violation.impact!,
        element: `${node.target.join(' ')} ${node.html.slice(0, 120)}`,
        help: node.failureSummary?.split('\n').slice(1).join(' ').trim() || violation.help,
      })),
    )
}

/** One line per rule and element, naming every view it shows in (the sidebar is in all of them), then how to fix it. */
function describeFindings(findings: Finding[]): string {
  const grouped = new Map<string, { finding: Finding; views: string[] }>()
  for (const finding of findings) {
    const key = `${finding.rule} ${finding.element}`
    const entry = grouped.get(key) ?? { finding, views: [] }
    entry.views.push(finding.view)
    grouped.set(key, entry)
  }
  return [...grouped.values()]
    .map(
      ({ finding, views }) =>
        `${finding.rule} (${finding.impact}) in ${views.join('; ')}\n    on ${finding.element}\n    fix: ${finding.help}`,
    )
    .join('\n')
}

/** Opens a view from the sidebar, as a user would, and waits for its heading. */
async function openView(page: Page, label: string, heading: string | RegExp): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Views' })
    .getByRole('button', { name: new RegExp(`^${label}`) })
    .click()
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor()
}

/** Presses Tab from the top of the page until `target` has the focus; false if it never does. */
async function tabUntilFocused(page: Page, target: Locator, presses = 60): Promise<boolean> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab')
    if (await target.evaluate((element) => element === document.activeElement)) return true
  }
  return false
}

/** Whether the focused element draws a focus ring: an outline or a box shadow while :focus-visible. */
async function focusIsVisible(target: Locator): Promise<boolean> {
  return target.evaluate((element) => {
    const style = getComputedStyle(element)
    const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    return element.matches(':focus-visible') && (outlined || style.boxShadow !== 'none')
  })
}

/** Keyboard findings: the navigation and the view's primary button reached with Tab, each with a visible focus. */
async function checkKeyboard(page: Page, view: string): Promise<string[]> {
  const problems: string[] = []
  const targets: [string, Locator][] = [
    [
      'the first view in the navigation',
      page.getByRole('navigation', { name: 'Views' }).getByRole('button').first(),
    ],
  ]
  const primary = page.locator('main button.primary:visible').first()
  if (await primary.count())
    targets.push([`the primary button “${(await primary.textContent())?.trim()}”`, primary])
  for (const [what, target] of targets) {
    if (!(await tabUntilFocused(page, target))) problems.push(`[${view}] Tab never reaches ${what}`)
    else if (!(await focusIsVisible(target))) problems.push(`[${view}] ${what} shows no focus ring`)
  }
  return problems
}

describe.skipIf(!hasChromium)('accessibility of every view in the browser', () => {
  let server: RunningServer
  let session: BrowserSession
  let app: AppPage

  /** Visits each view, audits it and walks it with the keyboard; returns what fails. */
  async function auditViews(
    page: Page,
    state: string,
    withModel: boolean,
  ): Promise<{ findings: Finding[]; keyboard: string[] }> {
    const findings: Finding[] = []
    const keyboard: string[] = []
    const check = async (view: string) => {
      findings.push(...(await audit(page, view)))
      keyboard.push(...(await checkKeyboard(page, view)))
    }

    await openView(page, 'Train', 'Train')
    const advanced = page.locator('details.advanced')
    if (!(await advanced.evaluate((details) => (details as HTMLDetailsElement).open))) {
      await advanced.locator('summary').click()
    }
    await page.getByLabel('Model name').waitFor()
    await check(`Train, ${state}`)

    await openView(page, 'Draw', 'Draw')
    if (withModel) {
      // Something drawn, so the reconstruction and the code panel are on screen too.
      await new DrawPage(page).stroke([
        [0.5, 0.2],
        [0.5, 0.8],
      ])
      await page.getByRole('group', { name: /^Latent code: \d+ values/ }).waitFor({ timeout: 60_000 })
    }
    await check(`Draw, ${state}`)

    await openView(page, 'Compare', 'Compare and denoise')
    if (withModel) {
      await page.getByRole('button', { name: 'Add test samples' }).click()
      const results = page.getByRole('table', { name: 'Comparison results' })
      await results.locator('tbody tr').first().waitFor({ timeout: 60_000 })
      // Audited once the rows are done: while they compute, the table is dimmed on purpose.
      await expect
        .poll(() => results.evaluate((table) => getComputedStyle(table).opacity), { timeout: 60_000 })
        .toBe('1')
    }
    await check(`Compare, ${state}`)

    await openView(page, 'Latent', 'Latent space')
    if (withModel) {
      await page
        .getByText(/test images of MNIST/)
        .first()
        .waitFor({ timeout: 120_000 })
      // A point picked and a line drawn from the keyboard, so the selected point and the interpolation show too.
      const map = page.getByTestId('latent-map')
      await map.focus()
      await page.keyboard.press('ArrowRight')
      await page.getByTestId('sample-summary').waitFor({ timeout: 60_000 })
      await page.keyboard.press('a')
      for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown')
      await page.keyboard.press('b')
      await page.getByRole('group', { name: /decoded images from A to B/ }).waitFor({ timeout: 60_000 })
    }
    await check(`Latent, ${state}`)

    await openView(page, 'Denoise', 'Denoise photos')
    await check(`Denoise, ${state}`)

    await openView(page, 'Models', 'Models')
    if (withModel) await new ModelsPage(page).row(MODEL).waitFor()
    await check(`Models, ${state}`)

    if (withModel) {
      await page.getByRole('link', { name: MODEL, exact: true }).click()
      await page.getByRole('heading', { name: MODEL, level: 1 }).waitFor()
      await page.getByRole('heading', { name: 'Loss curves' }).waitFor()
      await check(`Model detail, ${state}`)
      await page.getByRole('button', { name: 'Rename', exact: true }).click()
      await page.getByRole('dialog').getByLabel('New name').waitFor()
      findings.push(...(await audit(page, `Rename dialog, ${state}`)))
      await page.keyboard.press('Escape')
      await page.getByRole('dialog').waitFor({ state: 'detached' })
    }
    return { findings, keyboard }
  }

  beforeAll(async () => {
    await buildRenderer()
    server = await startServer()
    ;({ session, app } = await openApp(server.url, { width: 1280, height: 800 }))
  })

  afterAll(async () => {
    await session?.close()
    await server?.stop()
  })

  /** Fails on every finding at once, so one run names all there is to fix. */
  function expectNone({ findings, keyboard }: { findings: Finding[]; keyboard: string[] }): void {
    expect.soft(findings.length, describeFindings(findings)).toBe(0)
    expect.soft(keyboard).toEqual([])
  }

  it('has no serious or critical violation in any view of an empty store, and works from the keyboard', async () => {
    expectNone(await auditViews(session.page, 'empty store', false))
  })

  it('has none either once a model exists, on its detail page too', async () => {
    // The smallest model there is: a few hundred digits, one epoch, the dense recipe.
    await run(
      process.execPath,
      [
        'bin/bottleneck.js',
        'train',
        '--arch',
        'dense',
        '--epochs',
        '1',
        '--limit',
        '300',
        '--test-limit',
        '100',
        '--batch-size',
        '64',
        '--name',
        MODEL,
        '--store',
        server.store,
      ],
      { env: { ...process.env, BOTTLENECK_HOME: server.store }, timeout: 120_000 },
    )
    await app.open(server.url)
    expectNone(await auditViews(session.page, 'with a model', true))
  })

  it('has none in the dark theme either, where every colour is another one', async () => {
    const dark = await openBrowser({ width: 1280, height: 800, colorScheme: 'dark' })
    try {
      await new AppPage(dark.page).open(server.url)
      expectNone(await auditViews(dark.page, 'dark theme', true))
      expect(dark.consoleErrors).toEqual([])
    } finally {
      await dark.close()
    }
  })

  it('logged no console errors', () => {
    expect(session.consoleErrors).toEqual([])
  })
})
