// `npm run serve [-- --port N] [--store DIR]`: the app in a browser. Builds the renderer when out/renderer is
// missing, starts the service (trainers as forked Node processes) and the loopback server, prints ONE URL.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createService } from '../../service/index'
import { APP_MODELS_WATCH_MS } from '../../service/models-watch'
import { forkTrainer } from '../../trainer/transport'
import { startWebServer } from './server'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

interface Arguments {
  port: number
  store: string
  build: boolean
}

function parseArguments(argv: string[]): Arguments {
  const result: Arguments = {
    port: 0,
    store: process.env.BOTTLENECK_HOME || join(homedir(), '.bottleneck'),
    build: true,
  }
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i]!
    const [flag, inline] = argument.includes('=') ? argument.split(/=(.*)/s, 2) : [argument, undefined]
    const value = () => inline ?? argv[++i]
    if (flag === '--port') {
      const port = Number(value())
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        fail(`--port must be 0–65535 (0 = any free port).`)
      result.port = port
    } else if (flag === '--store') {
      const store = value()
      if (!store) fail('--store needs a folder.')
      result.store = resolve(store)
    } else if (flag === '--no-build') {
      result.build = false
    } else if (flag === '--help' || flag === '-h') {
      console.log('Usage: npm run serve -- [--port N] [--store DIR] [--no-build]')
      process.exit(0)
    } else {
      fail(`Unknown option ${argument}. Usage: npm run serve -- [--port N] [--store DIR] [--no-build]`)
    }
  }
  return result
}

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}

/** The e2e tests and `serve` need the built renderer; build it once when it is missing. */
function ensureRenderer(build: boolean): string {
  const rendererDir = join(repoRoot, 'out/renderer')
  if (existsSync(join(rendererDir, 'index.html'))) return rendererDir
  if (!build) fail(`${rendererDir} has no index.html; run \`npm run build\` first (or drop --no-build).`)
  if (!existsSync(join(repoRoot, 'src-renderer/index.html')))
    fail('src-renderer/index.html is missing: there is no UI to serve yet.')
  console.error('Building the renderer (electron-vite build), once…')
  const cli = join(repoRoot, 'node_modules/electron-vite/bin/electron-vite.js')
  const outcome = spawnSync(process.execPath, [cli, 'build'], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  if (outcome.status !== 0 || !existsSync(join(rendererDir, 'index.html')))
    fail('Building the renderer failed; see the output above.')
  return rendererDir
}

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2))
  const rendererDir = ensureRenderer(args.build)
  const log = (line: string) => process.stderr.write(`${line}\n`)
  const service = createService({
    storeRoot: args.store,
    spawn: forkTrainer({ log }),
    shell: 'web',
    watchModelsEveryMs: APP_MODELS_WATCH_MS,
    log: (level, message) => log(`[service pid=${process.pid}] ${level}: ${message}`),
  })
  const server = await startWebServer({ service, rendererDir, port: args.port, log })
  // The one line a person (or a test) needs; everything else goes to stderr.
  process.stdout.write(`${server.url}\n`)
  let closing = false
  const stop = async (signal: string) => {
    if (closing) return
    closing = true
    log(`[web pid=${process.pid}] ${signal}: shutting down`)
    await server.close()
    await service.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
})
