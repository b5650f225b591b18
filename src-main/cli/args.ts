// Argument parsing shared by the commands: node:util parseArgs with the help text next to the options, strict
// number parsing, and usage errors that print one line and exit with status 2.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { BottleneckError } from '../ml/errors'

export type OptionSpec = Omit<NonNullable<ParseArgsConfig['options']>[string], 'default'> & {
  help: string
  placeholder?: string
  /** Shown in --help only; commands apply their own defaults so they can tell "not given" from "given". */
  defaultText?: string
  /** A string option given alone (last, or before another option) takes this value: `--baselines` means all. */
  bareValue?: string
}

export interface CommandSpec {
  name: string
  usage: string
  summary: string
  options: Record<string, OptionSpec>
  /** Names of the positional arguments, for the usage line and the count check. */
  positionals?: { name: string; required: boolean }[]
}

export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  store: { type: 'string', help: 'Model store folder (default: $BOTTLENECK_HOME or ~/.bottleneck)', placeholder: 'DIR' },
  json: { type: 'boolean', help: 'Print the result as JSON on stdout (the backend line goes to stderr)' },
  help: { type: 'boolean', short: 'h', help: 'Show this help' },
}

export class UsageError extends BottleneckError {
  constructor(message: string) {
    super('USAGE', message)
  }
}

export function helpText(spec: CommandSpec): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, '', 'Options:']
  const all = { ...spec.options, ...COMMON_OPTIONS }
  const labels = Object.entries(all).map(([name, option]) => {
    const short = option.short ? `-${option.short}, ` : '    '
    const placeholder = option.placeholder ?? 'VALUE'
    const value = option.type === 'string' ? (option.bareValue === undefined ? ` ${placeholder}` : ` [${placeholder}]`) : ''
    return [`  ${short}--${name}${value}`, option.help + (option.defaultText !== undefined ? ` (default ${option.defaultText})` : '')] as const
  })
  const width = Math.max(...labels.map(([label]) => label.length)) + 2
  for (const [label, text] of labels) lines.push(label.padEnd(width) + text)
  return lines.join('\n')
}

export interface Parsed {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
}

export function parseCommand(spec: CommandSpec, argv: string[]): Parsed | 'help' {
  const all: Record<string, OptionSpec> = { ...spec.options, ...COMMON_OPTIONS }
  const options = Object.fromEntries(
    Object.entries(all).map(([name, { help: _help, placeholder: _p, defaultText: _d, bareValue: _b, ...option }]) => [
      name,
      option,
    ]),
  )
  // parseArgs has no optional values: spell a bare option out as --name=VALUE before it reads the line.
  const args = argv.map((token, index) => {
    const bare = token.startsWith('--') ? all[token.slice(2)]?.bareValue : undefined
    const next = argv[index + 1]
    return bare !== undefined && (next === undefined || next.startsWith('-')) ? `${token}=${bare}` : token
  })
  let parsed
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    // Node's own hint about '--' is noise for our commands: keep its first sentence.
    const first = (error as Error).message.split('\n')[0]!.split('. ')[0]!
    throw new UsageError(`${first.replace(/\.$/, '')} (see \`bottleneck ${spec.name} --help\`).`)
  }
  if (parsed.values.help) return 'help'
  const expected = spec.positionals ?? []
  const required = expected.filter((p) => p.required).length
  if (parsed.positionals.length < required || parsed.positionals.length > expected.length) {
    throw new UsageError(`Usage: ${spec.usage} (see \`bottleneck ${spec.name} --help\`)`)
  }
  return { values: parsed.values as Parsed['values'], positionals: parsed.positionals }
}

export function integerOption(values: Parsed['values'], name: string, min: number, max: number): number | undefined {
  const raw = values[name]
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${String(raw)}").`)
  }
  return value
}

export function numberOption(values: Parsed['values'], name: string, min: number, max: number): number | undefined {
  const raw = values[name]
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || value <= min || value > max) {
    throw new UsageError(`--${name} must be a number above ${min} and at most ${max} (got "${String(raw)}").`)
  }
  return value
}

export function stringOption(values: Parsed['values'], name: string): string | undefined {
  const raw = values[name]
  return typeof raw === 'string' ? raw : undefined
}
