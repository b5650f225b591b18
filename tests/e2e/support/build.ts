// Builds the renderer into out/renderer with the renderer section of electron.vite.config.ts, so the web shell
// serves exactly this working tree's UI (the server only builds when out/renderer is missing).
import { resolve } from 'node:path'
import { build } from 'vite'
import config from '../../../electron.vite.config'

const repoRoot = resolve(__dirname, '../../..')

export async function buildRenderer(): Promise<void> {
  const resolved =
    typeof config === 'function'
      ? await (config as (env: unknown) => Promise<unknown>)({ command: 'build', mode: 'production' })
      : config
  const renderer = (resolved as { renderer?: Record<string, unknown> }).renderer
  if (!renderer) throw new Error('electron.vite.config.ts has no renderer section')
  const options = renderer as { build?: Record<string, unknown> }
  // Plain vite resolves outDir against the renderer root; electron-vite against the project: pin it.
  await build({
    ...renderer,
    configFile: false,
    base: './',
    logLevel: 'error',
    build: { ...options.build, outDir: resolve(repoRoot, 'out/renderer'), emptyOutDir: true },
  })
}
