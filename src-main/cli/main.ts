// Entry of the `bottleneck` command (bin/bottleneck.js runs it through tsx): picks the sub-command, runs it, and
// turns every failure into one line for the user — the detail only with BOTTLENECK_DEBUG=1.
import { getArchitecture } from '../ml/architectures/index'
import { checkDatasetSpec } from '../ml/datasets'
import { isBottleneckError } from '../ml/errors'
import { parseNoiseSpec } from '../ml/noise'
import { getPreset } from '../ml/presets'
import { helpText, parseCommand, UsageError, type CommandSpec, type Parsed } from './args'
import { evalCommand, evalSpec, figureCommand, figureSpec } from './commands/evaluate'
import { denoiseCommand, denoiseSpec } from './commands/denoise'
import { encodeCommand, encodeSpec, reconstructCommand, reconstructSpec } from './commands/images'
import { generateCommand, generateSpec, latentCommand, latentSpec } from './commands/latent'
import { infoCommand, infoSpec, modelsCommand, modelsSpec } from './commands/models'
import { trainCommand, trainSpec } from './commands/train'

const COMMANDS: { spec: CommandSpec; run: (parsed: Parsed) => Promise<number> }[] = [
  { spec: trainSpec, run: trainCommand },
  { spec: evalSpec, run: evalCommand },
  { spec: figureSpec, run: figureCommand },
  { spec: encodeSpec, run: encodeCommand },
  { spec: reconstructSpec, run: reconstructCommand },
  { spec: denoiseSpec, run: denoiseCommand },
  { spec: latentSpec, run: latentCommand },
  { spec: generateSpec, run: generateCommand },
  { spec: modelsSpec, run: modelsCommand },
  { spec: infoSpec, run: infoCommand },
]

function overview(): string {
  const width = Math.max(...COMMANDS.map(({ spec }) => spec.name.length)) + 2
  return [
    'Usage: bottleneck COMMAND [options]   (bottleneck COMMAND --help for its options)',
    '',
    'Autoencoders on MNIST and other image sets, from the terminal.',
    '',
    'Commands:',
    ...COMMANDS.map(({ spec }) => `  ${spec.name.padEnd(width)}${spec.summary.split('. ')[0]!.replace(/\.$/, '')}.`),
    '',
    'MODEL is a model id, its exact name, or a model folder. BOTTLENECK_BACKEND=tensorflow|wasm|cpu forces a backend;',
    'BOTTLENECK_HOME (or --store DIR) sets the store.',
    '',
    'Exit status: 0 success, 1 failure (a missing file, a damaged model, …), 2 usage error (an unknown command or',
    'option, a bad option value), 130 stopped with Ctrl-C.',
  ].join('\n')
}

/**
 * Options whose value must name something the ML core knows. Checked before the command starts, so a typo there is
 * a usage error (exit 2) like a bad number, and fails before the backend starts or a model loads.
 */
const NAMED_VALUE_CHECKS: Record<string, (value: string) => unknown> = {
  noise: parseNoiseSpec,
  'add-noise': parseNoiseSpec,
  arch: getArchitecture,
  preset: getPreset,
  dataset: checkDatasetSpec,
}

async function checkNamedValues(values: Parsed['values']): Promise<void> {
  for (const [name, check] of Object.entries(NAMED_VALUE_CHECKS)) {
    const value = values[name]
    if (typeof value !== 'string') continue
    try {
      await check(value)
    } catch (error) {
      if (isBottleneckError(error) && error.code === 'INVALID_INPUT') throw new UsageError(error.message)
      throw error
    }
  }
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name) {
    // A missing command is a usage error: the overview goes with the error to stderr, stdout stays empty.
    process.stderr.write(`${overview()}\n\nbottleneck: a command is missing; pick one of the commands above.\n`)
    return 2
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${overview()}\n`)
    return 0
  }
  if (name === '--version' || name === '-v') {
    const { readFile } = await import('node:fs/promises')
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    process.stdout.write(`${version}\n`)
    return 0
  }
  const command = COMMANDS.find(({ spec }) => spec.name === name)
  if (!command) throw new UsageError(`Unknown command "${name}". Commands: ${COMMANDS.map((c) => c.spec.name).join(', ')}.`)
  const parsed = parseCommand(command.spec, rest)
  if (parsed === 'help') {
    process.stdout.write(`${helpText(command.spec)}\n`)
    return 0
  }
  await checkNamedValues(parsed.values)
  return command.run(parsed)
}

function oneLine(error: unknown): string {
  if (isBottleneckError(error)) return error.message
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return `Unexpected error${code ? ` (${code})` : ''}: ${message.split('\n')[0]}`
}

/**
 * Whether the command line asks for --json, read from the words themselves so that it holds for a line that failed
 * to parse too (an unknown option, a bad value). Words after "--" are positional arguments.
 */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}

/*
 * What --json promises: stdout holds exactly one JSON document, whatever the outcome.
 * - A command that has a result prints it through context.result, also when it exits non-zero for part of the work
 *   (denoise with a file it could not read or write; a train stopped with Ctrl-C).
 * - A command that fails (a usage error, a missing model, a damaged file, a cancel) prints
 *   {"error": {"code": "MODEL_NOT_FOUND", "message": "…"}}: the code is BottleneckError's (USAGE for a usage error,
 *   UNEXPECTED for a bug), the message the sentence stderr gets.
 * - Everything meant for a person goes to stderr: the backend line, progress, warnings, the error's sentence.
 * Two exceptions print no JSON: --help (text asked for by name) and a second Ctrl-C during training (quits at once).
 */
try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  process.stderr.write(`bottleneck: ${oneLine(error)}\n`)
  if (wantsJson(process.argv.slice(2))) {
    const code = isBottleneckError(error) ? error.code : 'UNEXPECTED'
    process.stdout.write(`${JSON.stringify({ error: { code, message: oneLine(error) } }, null, 2)}\n`)
  }
  if (process.env.BOTTLENECK_DEBUG) console.error(error)
  // 130 is what a shell reports for Ctrl-C (128 + SIGINT): a command stopped by it says so, whichever command it was.
  process.exitCode = error instanceof UsageError ? 2 : isBottleneckError(error) && error.code === 'CANCELLED' ? 130 : 1
}
