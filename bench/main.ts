// `npm run bench`: the seed model (dense, code 32) on full MNIST for each backend, each in its own process, with
// ms/step, s/epoch, samples/s, peak RSS and final val BCE; `--vs-keras` runs the Keras tutorial on the same IDX
// files and thread count and adds the ratio ours/Keras. Results also go to bench/results/*.json.
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { mnistFolder } from '../src-main/ml/datasets'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const HELP = `Usage: npm run bench -- [--epochs 3] [--backends tensorflow,wasm,cpu] [--cpu-epochs 1] [--cpu-limit 5120]
                       [--threads 2] [--vs-keras] [--keras-epochs N]

Trains the seed model on MNIST once per backend, each in a child process with BOTTLENECK_BACKEND set, and
prints ms/step, s/epoch, samples/s, peak RSS and the final val BCE. The pure-JavaScript cpu backend is slow,
so it runs --cpu-epochs epochs on the first --cpu-limit training images (said so in the table).
--vs-keras installs bench/keras/requirements.txt into .venv/bench-keras (once) and runs bench/keras/seed.py,
the Keras blog's code, on the same IDX files with the same thread count; the table then adds ours/Keras.
Steady-state figures are medians over epochs after the first (the first includes warm-up) when there are several.`

interface EpochTiming {
  epoch: number
  trainSeconds: number
  seconds: number
  loss: number
  valLoss?: number
  val_loss?: number
}

interface RunResult {
  label: string
  backend?: string
  threads?: number
  trainImages?: number
  steps?: number
  epochs?: EpochTiming[]
  peakRssMb?: number
  error?: string
  note?: string
  framework?: string
}

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'tensorflow,wasm,cpu' },
    'cpu-epochs': { type: 'string', default: '1' },
    'cpu-limit': { type: 'string', default: '5120' },
    threads: { type: 'string', default: '2' },
    'vs-keras': { type: 'boolean', default: false },
    'keras-epochs': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  process.stdout.write(`${HELP}\n`)
  process.exit(0)
}
const epochs = Number(values.epochs)
const threads = Number(values.threads)
const backends = values.backends.split(',').map((b) => b.trim()).filter(Boolean)

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Steady-state epochs: all but the first when there are several (the first pays for warm-up and tracing). */
function steady(timings: EpochTiming[]): EpochTiming[] {
  return timings.length > 1 ? timings.slice(1) : timings
}

function runChild(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.on('exit', () => resolvePromise(stdout))
  })
}

async function runBackend(backend: string): Promise<RunResult> {
  const isCpu = backend === 'cpu'
  const runEpochs = isCpu ? Math.min(epochs, Number(values['cpu-epochs'])) : epochs
  const limit = isCpu ? Number(values['cpu-limit']) : undefined
  process.stderr.write(`${backend}: ${runEpochs} epoch(s)${limit ? ` on ${limit} images` : ''}…\n`)
  const env = {
    ...process.env,
    BOTTLENECK_BACKEND: backend,
    TF_NUM_INTRAOP_THREADS: String(threads),
    TF_NUM_INTEROP_THREADS: String(threads),
  }
  const args = ['--import', 'tsx', join(root, 'bench/run-one.ts'), `--epochs=${runEpochs}`]
  if (limit) args.push(`--limit=${limit}`)
  const stdout = await runChild(process.execPath, args, env)
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '))
  const result = line ? (JSON.parse(line.slice('BENCH_RESULT '.length)) as RunResult) : { error: 'no result (crashed?)' }
  return {
    ...result,
    label: backend,
    note: isCpu ? `capped: ${runEpochs} epoch(s) on the first ${limit} images` : undefined,
  }
}

function ensureKerasVenv(): string {
  const venv = join(root, '.venv/bench-keras')
  const python = join(venv, 'bin/python')
  const requirements = readFileSync(join(root, 'bench/keras/requirements.txt'))
  const marker = join(venv, '.bench-requirements.sha256')
  const hash = createHash('sha256').update(requirements).digest('hex')
  if (existsSync(python) && existsSync(marker) && readFileSync(marker, 'utf8') === hash) return python
  process.stderr.write('Installing bench/keras/requirements.txt into .venv/bench-keras (once)…\n')
  const system = process.env.BOTTLENECK_PYTHON ?? 'python3'
  const steps: [string, string[]][] = [
    [system, ['-m', 'venv', venv]],
    [python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', join(root, 'bench/keras/requirements.txt')]],
  ]
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { stdio: 'inherit' })
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`)
  }
  writeFileSync(marker, hash)
  return python
}

async function runKeras(): Promise<RunResult> {
  try {
    const python = ensureKerasVenv()
    const kerasEpochs = Number(values['keras-epochs'] ?? epochs)
    process.stderr.write(`keras: ${kerasEpochs} epoch(s)…\n`)
    const env = { ...process.env, TF_NUM_INTRAOP_THREADS: String(threads), TF_NUM_INTEROP_THREADS: String(threads) }
    const stdout = await runChild(python, [join(root, 'bench/keras/seed.py'), '--data', mnistFolder(), '--epochs', String(kerasEpochs), '--threads', String(threads)], env)
    const line = stdout.trim().split('\n').at(-1) ?? ''
    const parsed = JSON.parse(line) as RunResult & { epochs: EpochTiming[] }
    const trainImages = parsed.trainImages ?? 60000
    return { ...parsed, label: 'keras', steps: Math.ceil(trainImages / 256), epochs: parsed.epochs.map((e) => ({ ...e, valLoss: e.val_loss })) }
  } catch (error) {
    return { label: 'keras', error: (error as Error).message.split('\n')[0] }
  }
}

function summarise(result: RunResult) {
  if (result.error || !result.epochs?.length) return undefined
  const timings = steady(result.epochs)
  const trainSeconds = median(timings.map((e) => e.trainSeconds))
  return {
    msPerStep: (trainSeconds / result.steps!) * 1000,
    secondsPerEpoch: median(timings.map((e) => e.seconds)),
    trainSecondsPerEpoch: trainSeconds,
    samplesPerSecond: result.trainImages! / trainSeconds,
    peakRssMb: result.peakRssMb,
    finalValBce: result.epochs.at(-1)!.valLoss,
    epochsRun: result.epochs.length,
  }
}

const results: RunResult[] = []
for (const backend of backends) results.push(await runBackend(backend))
const keras = values['vs-keras'] ? await runKeras() : undefined
const kerasSummary = keras ? summarise(keras) : undefined

const rows = [['backend', 'epochs', 'images', 'ms/step', 's/epoch', 'samples/s', 'peak RSS', 'val BCE', ...(keras ? ['ours/Keras (ms/step)'] : []), 'note']]
const table: Record<string, unknown>[] = []
for (const result of [...results, ...(keras ? [keras] : [])]) {
  const summary = summarise(result)
  if (!summary) {
    rows.push([result.label, '—', '—', '—', '—', '—', '—', '—', ...(keras ? ['—'] : []), `unavailable: ${result.error}`])
    table.push({ backend: result.label, error: result.error })
    continue
  }
  const ratio = kerasSummary && result !== keras ? summary.msPerStep / kerasSummary.msPerStep : undefined
  rows.push([
    result.label,
    String(summary.epochsRun),
    String(result.trainImages),
    summary.msPerStep.toFixed(1),
    summary.secondsPerEpoch.toFixed(2),
    Math.round(summary.samplesPerSecond).toString(),
    `${Math.round(summary.peakRssMb ?? 0)} MB`,
    summary.finalValBce?.toFixed(4) ?? '—',
    ...(keras ? [ratio ? `${ratio.toFixed(2)}×` : result === keras ? '1.00×' : '—'] : []),
    result.note ?? result.framework ?? '',
  ])
  table.push({ backend: result.label, ...summary, trainImages: result.trainImages, oursOverKeras: ratio, note: result.note, framework: result.framework })
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
process.stdout.write(`\n${rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n')}\n`)
process.stdout.write(`\nms/step, s/epoch (incl. validation) and samples/s are medians over epochs after the first; threads: ${threads}.\n`)

const folder = join(root, 'bench/results')
mkdirSync(folder, { recursive: true })
const file = join(folder, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), threads, epochs, table, runs: results, keras }, null, 2)}\n`)
process.stdout.write(`Results: ${file}\n`)
