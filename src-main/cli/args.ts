// Argument parsing shared by the commands: node:util parseArgs with the help text next to the options, strict
// number parsing, and usage errors that print one line and exit with status 2.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { BottleneckError } from '../ml/errors'
import { parseDecimal } from '../ml/decimal'

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
  json: { type: 'boolean', help: 'Print the result, or the error, as one JSON document on stdout (messages go to stderr)' },
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
  const args = attachOptionValues(all, argv)
  let parsed
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(`${parseErrorSentence(all, (error as Error).message)} (see \`bottleneck ${spec.name} --help\`).`)
  }
  if (parsed.values.help) return 'help'
  const expected = spec.positionals ?? []
  const required = expected.filter((p) => p.required).length
  if (parsed.positionals.length < required || parsed.positionals.length > expected.length) {
    throw new UsageError(`Usage: ${spec.usage} (see \`bottleneck ${spec.name} --help\`)`)
  }
  // An empty value is what an unset shell variable gives (`--resume "$MODEL"`, `--store "$DIR"`). Read as given it
  // would quietly mean something else: a new model instead of a resumed one, the current folder as the store.
  const emptyOption = Object.entries(parsed.values).find(([, value]) => typeof value === 'string' && value.trim() === '')
  if (emptyOption) {
    throw new UsageError(
      `--${emptyOption[0]} is empty (an unset shell variable?); give it a value or leave it out (see \`bottleneck ${spec.name} --help\`).`,
    )
  }
  const emptyPositional = parsed.positionals.findIndex((value) => value.trim() === '')
  if (emptyPositional !== -1) {
    throw new UsageError(
      `The ${expected[emptyPositional]!.name} argument is empty (an unset shell variable?); give one (see \`bottleneck ${spec.name} --help\`).`,
    )
  }
  return { values: parsed.values as Parsed['values'], positionals: parsed.positionals }
}

/** A number below zero, which parseArgs would otherwise read as an option: `--epochs -1`, `-n -2`. */
const NEGATIVE_NUMBER = /^-\.?\d/

/** The long name of the option whose short form is `-letter`, if any. */
function longNameOf(all: Record<string, OptionSpec>, letter: string): string | undefined {
  return Object.keys(all).find((name) => all[name]!.short === letter)
}

/** A short option joined to its value by "=": `-o=out.png`, which parseArgs would read as the value "=out.png". */
const SHORT_WITH_EQUALS = /^-([^-])=(.*)$/s

/**
 * Spells out what parseArgs cannot read as an option's value before it reads the line: a negative number after a
 * value-taking option (so `--epochs -1` reaches the option's own check, as `--epochs=-1` does), a short option
 * written with "=" as the long ones are (`-o=out.png` writes out.png, not "=out.png"), and a bare option
 * (parseArgs has no optional values: `--baselines` alone becomes `--baselines=all`).
 */
function attachOptionValues(all: Record<string, OptionSpec>, argv: string[]): string[] {
  const args: string[] = []
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!
    const next = argv[index + 1]
    const shortWithEquals = SHORT_WITH_EQUALS.exec(token)
    const shortName = shortWithEquals ? longNameOf(all, shortWithEquals[1]!) : undefined
    if (shortName !== undefined && all[shortName]!.type === 'string') {
      args.push(`--${shortName}=${shortWithEquals![2]}`)
      continue
    }
    const long = token.startsWith('--') ? all[token.slice(2)] : undefined
    const shortOf = /^-[^-]$/.test(token) ? longNameOf(all, token[1]!) : undefined
    const short = shortOf === undefined ? undefined : all[shortOf]
    const option = long ?? short
    if (option?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      // `-n-2` is parseArgs' own spelling of a short option's value; `-n=-2` would read as "=-2".
      args.push(long ? `${token}=${next}` : `${token}${next}`)
      index++
    } else if (long?.bareValue !== undefined && (next === undefined || next.startsWith('-'))) {
      args.push(`${token}=${long.bareValue}`)
    } else {
      args.push(token)
    }
  }
  return args
}

/** parseArgs' complaint as one sentence a user can act on, without its hints about '--' and '-XYZ'. */
function parseErrorSentence(all: Record<string, OptionSpec>, message: string): string {
  // "Option '--epochs' argument is ambiguous" (the next word starts with a dash) and "Option '-n, --count <value>'
  // argument missing" (nothing follows) both mean the option was given no value.
  const valueless = /^Option '(-[^' ,]+)[^']*' argument (is ambiguous|missing)/.exec(message)
  if (!valueless) return message.split('\n')[0]!.split('. ')[0]!.replace(/\.$/, '')
  const flag = valueless[1]!
  const name = flag.startsWith('--') ? flag.slice(2) : longNameOf(all, flag.slice(1))
  if (name === undefined) return `${flag} needs a value`
  const placeholder = all[name]!.placeholder ?? 'VALUE'
  const dashHint = valueless[2] === 'missing' ? '' : `, or --${name}=${placeholder} if it starts with a dash`
  return `--${name} needs a value: --${name} ${placeholder}${dashHint}`
}

export function integerOption(values: Parsed['values'], name: string, min: number, max: number): number | undefined {
  const raw = values[name]
  if (raw === undefined) return undefined
  const value = typeof raw === 'string' ? parseDecimal(raw) : Number.NaN
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${String(raw)}").`)
  }
  return value
}

export function numberOption(values: Parsed['values'], name: string, min: number, max: number): number | undefined {
  const raw = values[name]
  if (raw === undefined) return undefined
  const value = typeof raw === 'string' ? parseDecimal(raw) : Number.NaN
  if (!Number.isFinite(value) || value <= min || value > max) {
    throw new UsageError(`--${name} must be a number above ${min} and at most ${max} (got "${String(raw)}").`)
  }
  return value
}

export function stringOption(values: Parsed['values'], name: string): string | undefined {
  const raw = values[name]
  return typeof raw === 'string' ? raw : undefined
}
