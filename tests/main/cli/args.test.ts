// How `bottleneck` answers a command line it cannot run: negative numbers, option values it does not know, a
// missing command, a store path that is a file. Exit status 2 means "fix the command line", 1 "something failed".
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { integerOption, numberOption, parseCommand, type CommandSpec, type Parsed } from '../../../src-main/cli/args'
import { runCli, type CliResult } from '../support/cli'

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-args-'))
const store = join(scratch, 'store')
const notAFolder = join(scratch, 'digit.png')
writeFileSync(notAFolder, 'a file where a store folder should be')
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env: { BOTTLENECK_HOME: store, ...env } })

/**
 * The one line the user reads on stderr (nothing else there, not even the backend line: it failed before that), so
 * unlike the shared onlyErrorLine it keeps a backend line and fails on it.
 */
function errorLine(result: CliResult): string {
  const lines = result.stderr.trim().split('\n')
  expect(lines, result.stderr).toHaveLength(1)
  return lines[0]!
}

describe('a negative number after an option', () => {
  it('reaches the option’s own check, with the message --opt=-N gets', async () => {
    const output = join(scratch, 'grid.png')
    const [spaced, joined, scale, count] = await Promise.all([
      run(['train', '--epochs', '-1']),
      run(['train', '--epochs=-1']),
      run(['generate', 'some-model', '-o', output, '--scale', '-2']),
      run(['generate', 'some-model', '-o', output, '-n', '-2']),
    ])
    expect(errorLine(spaced)).toBe('bottleneck: --epochs must be a whole number from 1 to 100000 (got "-1").')
    expect(errorLine(joined)).toBe(errorLine(spaced))
    expect(errorLine(scale)).toBe('bottleneck: --scale must be a whole number from 1 to 16 (got "-2").')
    expect(errorLine(count)).toBe('bottleneck: --count must be a whole number from 2 to 50 (got "-2").')
    for (const result of [spaced, joined, scale, count]) expect(result.code).toBe(2)
  })

  it('is read as the value, also as a decimal, while a bare option still takes its bare value', () => {
    const spec: CommandSpec = {
      name: 'demo',
      usage: 'bottleneck demo',
      summary: 'A demo.',
      options: {
        'learning-rate': { type: 'string', help: 'Rate', placeholder: 'LR' },
        count: { type: 'string', short: 'n', help: 'Count', placeholder: 'N' },
        baselines: { type: 'string', help: 'Filters', bareValue: 'all' },
      },
    }
    expect(parseCommand(spec, ['--learning-rate', '-.5', '-n', '-3', '--baselines', '--json'])).toEqual({
      values: { 'learning-rate': '-.5', count: '-3', baselines: 'all', json: true },
      positionals: [],
    })
  })

  it('an option left without a value says so in a sentence, not "argument is ambiguous"', async () => {
    const [beforeAnOption, atTheEnd] = await Promise.all([
      run(['generate', 'some-model', '--count', '--json']),
      run(['generate', 'some-model', '-n']),
    ])
    expect(errorLine(beforeAnOption)).toBe(
      'bottleneck: --count needs a value: --count N, or --count=N if it starts with a dash (see `bottleneck generate --help`).',
    )
    expect(errorLine(atTheEnd)).toBe('bottleneck: --count needs a value: --count N (see `bottleneck generate --help`).')
    expect([beforeAnOption.code, atTheEnd.code]).toEqual([2, 2])
  })
})

describe('an empty value, as an unset shell variable gives', () => {
  it('is refused as a usage error, not read as "not given" or as the current folder', async () => {
    const [resume, storeFolder, model, input] = await Promise.all([
      // Read as not given, --resume "" trained a new model from scratch.
      run(['train', '--resume', '', '--limit', '50', '--test-limit', '10', '--epochs', '1']),
      // Read as a path, --store "" was the current folder.
      run(['models', '--store', '']),
      run(['eval', '']),
      // Read as a path, "" denoised every image of the current folder.
      run(['denoise', 'some-model', '', '-o', join(scratch, 'denoised')]),
    ])
    expect(errorLine(resume)).toBe(
      'bottleneck: --resume is empty (an unset shell variable?); give it a value or leave it out (see `bottleneck train --help`).',
    )
    expect(errorLine(storeFolder)).toMatch(/^bottleneck: --store is empty \(an unset shell variable\?\)/)
    expect(errorLine(model)).toBe(
      'bottleneck: The MODEL argument is empty (an unset shell variable?); give one (see `bottleneck eval --help`).',
    )
    expect(errorLine(input)).toMatch(/^bottleneck: The INPUT argument is empty/)
    for (const result of [resume, storeFolder, model, input]) expect(result.code).toBe(2)
    expect(existsSync(join(store, 'models'))).toBe(false)
  })
})

describe('numbers', () => {
  it('are read in decimal notation only: hexadecimal, blanks and a missing index are refused', async () => {
    const [hex, spaced, missingIndex, hexIndex] = await Promise.all([
      run(['train', '--epochs', '0x10']),
      run(['train', '--epochs', ' 5']),
      run(['latent', 'some-model', '-o', join(scratch, 'map.png'), '--interpolate', ',1']),
      run(['latent', 'some-model', '-o', join(scratch, 'map.png'), '--interpolate', '0x1,2']),
    ])
    expect(errorLine(hex)).toBe('bottleneck: --epochs must be a whole number from 1 to 100000 (got "0x10").')
    expect(errorLine(spaced)).toBe('bottleneck: --epochs must be a whole number from 1 to 100000 (got " 5").')
    expect(errorLine(missingIndex)).toBe('bottleneck: --interpolate needs two test image indices such as 0,1 (got ",1").')
    expect(errorLine(hexIndex)).toBe('bottleneck: --interpolate needs two test image indices such as 0,1 (got "0x1,2").')
    for (const result of [hex, spaced, missingIndex, hexIndex]) expect(result.code).toBe(2)
  })

  it('are still taken in the ways people write them', () => {
    const spec: CommandSpec = {
      name: 'demo',
      usage: 'bottleneck demo',
      summary: 'A demo.',
      options: { limit: { type: 'string', help: 'Limit' }, rate: { type: 'string', help: 'Rate' } },
    }
    const values = (args: string[]) => (parseCommand(spec, args) as Parsed).values
    expect(integerOption(values(['--limit', '6e4']), 'limit', 1, 100_000)).toBe(60_000)
    expect(integerOption(values(['--limit', '+12']), 'limit', 1, 100)).toBe(12)
    expect(numberOption(values(['--rate', '.5']), 'rate', 0, 1)).toBe(0.5)
    expect(numberOption(values(['--rate', '1e-3']), 'rate', 0, 1)).toBe(0.001)
  })
})

describe('a short option joined to its value by "="', () => {
  it('takes what follows the "=" as the value, as --output=FILE does, not a file named "=FILE"', () => {
    const spec: CommandSpec = {
      name: 'demo',
      usage: 'bottleneck demo',
      summary: 'A demo.',
      options: {
        output: { type: 'string', short: 'o', help: 'File' },
        count: { type: 'string', short: 'n', help: 'Count' },
      },
    }
    expect(parseCommand(spec, ['-o=figure.png', '-n=3'])).toEqual({
      values: { output: 'figure.png', count: '3' },
      positionals: [],
    })
  })
})

describe('exit status', () => {
  it('is 2 for a value no noise, architecture, preset or dataset has, like any other bad option value', async () => {
    const outDir = join(scratch, 'denoised')
    const cases: [string[], RegExp][] = [
      [['train', '--noise', 'bogus'], /^bottleneck: Noise "bogus" is not valid/],
      [['train', '--noise', 'gaussian:5'], /^bottleneck: Noise "gaussian:5" is not valid: σ must be between 0 and 1/],
      [['eval', 'some-model', '--noise', 'bogus'], /^bottleneck: Noise "bogus" is not valid/],
      [['denoise', 'some-model', 'photo.png', '-o', outDir, '--add-noise', 'bogus'], /^bottleneck: Noise "bogus"/],
      [['train', '--preset', 'bogus'], /^bottleneck: Unknown preset "bogus"; available: .*keras-vae/],
      [['train', '--arch', 'bogus'], /^bottleneck: Unknown architecture "bogus"; available: dense/],
      [['train', '--dataset', 'bogus'], /^bottleneck: Unknown dataset "bogus"\. Use "mnist"/],
      [['eval', 'some-model', '--dataset', 'bogus'], /^bottleneck: Unknown dataset "bogus"/],
    ]
    const results = await Promise.all(cases.map(([args]) => run(args)))
    cases.forEach(([args, pattern], index) => {
      expect(results[index]!.code, args.join(' ')).toBe(2)
      expect(errorLine(results[index]!)).toMatch(pattern)
    })
    // Refused before any work: denoise did not even create its output folder.
    expect(existsSync(outDir)).toBe(false)
  })

  it('--help lists the exit statuses; a missing command is a usage error that says so', async () => {
    const [help, bare] = await Promise.all([run(['--help']), run([])])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: bottleneck COMMAND/)
    expect(help.stdout).toMatch(/Exit status: 0 success, 1 failure .*, 2 usage error .*130 stopped with Ctrl-C/s)
    expect(bare.code).toBe(2)
    expect(bare.stdout).toBe('')
    expect(bare.stderr).toContain('Commands:')
    expect(bare.stderr.trimEnd().split('\n').at(-1)).toBe('bottleneck: a command is missing; pick one of the commands above.')
  })
})

describe('a store path that is a file', () => {
  it('is refused by every command that opens the store, whether from --store or BOTTLENECK_HOME', async () => {
    const [models, info, evaluate, fromHome, inside] = await Promise.all([
      run(['models', '--store', notAFolder]),
      run(['info', '--store', notAFolder]),
      run(['eval', 'some-model', '--store', notAFolder]),
      run(['models'], { BOTTLENECK_HOME: notAFolder }),
      run(['models', '--store', join(notAFolder, 'store')]),
    ])
    const refusal = `bottleneck: The store ${notAFolder} is a file, not a folder; point --store (or BOTTLENECK_HOME) at a folder.`
    // A usage error, as any other option value the command cannot take.
    for (const result of [models, info, evaluate, fromHome]) {
      expect(result.code).toBe(2)
      expect(result.stdout).toBe('')
      expect(errorLine(result)).toBe(refusal)
    }
    expect(inside.code).toBe(2)
    expect(errorLine(inside)).toMatch(/store .*digit\.png\/store cannot be a folder: part of its path is a file/)
  })
})
