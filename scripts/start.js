#!/usr/bin/env node
// `npm start`: the desktop app in development (electron-vite dev). Electron's binary is not part of the npm
// package: its install script downloads it. When that binary is missing and cannot be fetched (offline machines),
// say so plainly and point to the browser version instead of failing with a stack trace.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const electronDir = join(root, 'node_modules', 'electron')
const INSTALL_TIMEOUT_MS = 120_000

function electronBinaryPresent() {
  const pathFile = join(electronDir, 'path.txt')
  if (!existsSync(pathFile)) return false
  const executable = readFileSync(pathFile, 'utf8').trim()
  return executable !== '' && existsSync(join(electronDir, 'dist', executable))
}

function tryInstallElectron() {
  const installer = join(electronDir, 'install.js')
  if (!existsSync(installer)) return false
  console.error(`Electron's binary is missing; trying to download it (up to ${INSTALL_TIMEOUT_MS / 1000} s)…`)
  const outcome = spawnSync(process.execPath, [installer], {
    cwd: electronDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  })
  const ok = outcome.status === 0 && electronBinaryPresent()
  if (!ok) {
    // The installer prints a stack trace; its first line is the part a person can act on.
    const firstLine = `${outcome.stderr ?? ''}`.split('\n').find((line) => line.trim() !== '')
    const reason =
      outcome.error?.code === 'ETIMEDOUT' ? 'timed out' : (firstLine ?? `exit code ${outcome.status}`)
    console.error(`The download did not work (${reason.trim()}).`)
  }
  return ok
}

if (!existsSync(electronDir)) {
  console.error(
    'Electron is not installed (node_modules/electron is missing). Run `npm install`, or use `npm run serve`.',
  )
  process.exit(1)
}

if (!electronBinaryPresent() && !tryInstallElectron()) {
  console.error(
    [
      '',
      'Bottleneck cannot start as a desktop app here: the Electron binary is not installed, and downloading it',
      "failed (Electron's installer fetches it from GitHub, which this machine cannot reach, or npm was told not to",
      'run install scripts). Everything the app does is also available in your browser: run `npm run serve` and',
      'open the URL it prints. To get the desktop app later, run `node node_modules/electron/install.js` on a',
      'machine with internet access (or set ELECTRON_MIRROR / ELECTRON_CUSTOM_DIR to a reachable mirror).',
      '',
    ].join('\n'),
  )
  process.exit(1)
}

const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
const child = spawn(process.execPath, [cli, 'dev', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
