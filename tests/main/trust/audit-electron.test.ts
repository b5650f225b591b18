// The security scan must be able to fail: `npm run audit:electron` over a deliberately insecure window exits non-zero
// and names the HIGH findings, while the real sources pass (their remaining findings are reviewed in the allow-list).
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(__dirname, '../../..')
const script = join(root, 'scripts/audit-electron.js')
const run = promisify(execFile)

async function audit(...dirs: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...dirs], { cwd: root, timeout: 90_000 })
    return { code: 0, output: stdout + stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string }
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` }
  }
}

const temp: string[] = []
afterAll(async () => {
  for (const dir of temp) await rm(dir, { recursive: true, force: true })
})

describe('npm run audit:electron', () => {
  it('fails on an insecure BrowserWindow (node integration, no context isolation, no sandbox)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bottleneck-audit-'))
    temp.push(dir)
    await writeFile(
      join(dir, 'main.js'),
      `const { BrowserWindow } = require('electron')
const window = new BrowserWindow({
  webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false, webSecurity: false },
})
window.loadURL('http://example.com')
`,
    )
    const { code, output } = await audit(dir)
    expect(code).toBe(1)
    expect(output).toMatch(/FAIL\s+HIGH\s+\S+\s+CONTEXT_ISOLATION_JS_CHECK/)
    expect(output).toMatch(/FAIL\s+MEDIUM\s+\S+\s+SANDBOX_JS_CHECK/)
    expect(output).toMatch(/FAIL\s+HIGH\s+\S+\s+LIMIT_NAVIGATION_GLOBAL_CHECK/)
  })

  it('passes on Bottleneck’s own main-process sources', async () => {
    const { code, output } = await audit(join(root, 'src-main'))
    expect(output).toMatch(/Electronegativity: \d+ findings .*; 0 blocking\./)
    expect(code).toBe(0)
  })
})
