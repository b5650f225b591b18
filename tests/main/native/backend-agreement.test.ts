// Issue #3: native TensorFlow and WebAssembly must compute the same thing. The same saved models (one of each
// architecture; the dense one briefly trained on MNIST) predict the same 32 test digits on both backends; every
// output pixel must agree within 1e-4. Each backend runs in its own process (tfjs keeps one backend per process).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const AGREEMENT_ARCHITECTURES = ['dense', 'sparse', 'deep', 'conv', 'seq2seq', 'vae', 'denoiser', 'unet']

const worker = resolve(__dirname, 'agreement-worker.ts')
const root = mkdtempSync(join(tmpdir(), 'bottleneck-agreement-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** Async, so vitest's worker stays responsive during the minute the two processes take. */
async function run(mode: 'save' | 'load', backend: string): Promise<{ backend: string; predictions: Record<string, number[]> }> {
  const { stdout: output } = await promisify(execFile)(process.execPath, ['--import', 'tsx', worker, mode, backend, root, AGREEMENT_ARCHITECTURES.join(',')], {
    encoding: 'utf8',
    env: { ...process.env, BOTTLENECK_BACKEND: '' },
    timeout: 240_000,
    maxBuffer: 256 * 1024 * 1024,
  })
  return JSON.parse(output.trim().split('\n').at(-1)!)
}

describe('native TensorFlow and WebAssembly agree', () => {
  it('the same saved models give the same predictions (max |difference| ≤ 1e-4) for every architecture', async () => {
    // Fails (does not skip) where native TensorFlow is missing: `npm run setup:native` provides it, and CI runs it.
    const native = await run('save', 'tensorflow')
    expect(native.backend).toBe('tensorflow')
    const wasm = await run('load', 'wasm')
    expect(wasm.backend).toBe('wasm')
    const report: Record<string, number> = {}
    for (const architecture of AGREEMENT_ARCHITECTURES) {
      const a = native.predictions[architecture]!
      const b = wasm.predictions[architecture]!
      expect(b.length, architecture).toBe(a.length)
      let largest = 0
      for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i]! - b[i]!))
      report[architecture] = largest
      // A model whose outputs are all equal would agree trivially; these must vary across pixels and digits.
      expect(Math.max(...a) - Math.min(...a), architecture).toBeGreaterThan(0.01)
    }
    console.log(`native vs wasm, max |difference| per architecture: ${JSON.stringify(report)}`)
    for (const [architecture, largest] of Object.entries(report)) expect(largest, architecture).toBeLessThanOrEqual(1e-4)
  }, 300_000)
})
