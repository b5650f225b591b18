// The README's command-line section stays true: every `npx bottleneck …` line in it parses with the command's own
// options (a renamed or removed option fails here, not in a reader's terminal), names architectures, presets and
// noise the core knows, and the list of architectures and the preset table name every one there is.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseCommand, type CommandSpec } from '../../../src-main/cli/args'
import { denoiseSpec } from '../../../src-main/cli/commands/denoise'
import { evalSpec, figureSpec } from '../../../src-main/cli/commands/evaluate'
import { encodeSpec, reconstructSpec } from '../../../src-main/cli/commands/images'
import { generateSpec, latentSpec } from '../../../src-main/cli/commands/latent'
import { infoSpec, modelsSpec } from '../../../src-main/cli/commands/models'
import { trainSpec } from '../../../src-main/cli/commands/train'
import { getArchitecture, listArchitectures } from '../../../src-main/ml/architectures/index'
import { parseNoiseSpec } from '../../../src-main/ml/noise'
import { getPreset, listPresets } from '../../../src-main/ml/presets'

// main.ts runs the command when imported, so the specs are listed here; the test below fails if one is missing.
const SPECS: CommandSpec[] = [
  trainSpec,
  evalSpec,
  figureSpec,
  encodeSpec,
  reconstructSpec,
  denoiseSpec,
  latentSpec,
  generateSpec,
  modelsSpec,
  infoSpec,
]

const readme = readFileSync(resolve(__dirname, '../../../README.md'), 'utf8')

/** The README's command lines: `npx bottleneck …` at the start of a line, without its comment and [optional] brackets. */
function readmeCommandLines(): string[] {
  return readme
    .split('\n')
    .filter((line) => line.startsWith('npx bottleneck '))
    .map((line) =>
      line
        .replace(/\s+#.*$/, '')
        .replace(/[[\]]/g, '')
        .trim(),
    )
}

/** Words as a shell splits them (the README's lines use no quotes). */
function words(line: string): string[] {
  return line.split(/\s+/).slice(2)
}

describe("the README's command lines", () => {
  const lines = readmeCommandLines()

  it('are there, one per command at least', () => {
    const named = new Set(lines.map((line) => words(line)[0]))
    expect([...named].sort()).toEqual(SPECS.map((spec) => spec.name).sort())
  })

  it.each(lines)('%s parses with the command’s options', (line) => {
    const [name, ...args] = words(line)
    const spec = SPECS.find((candidate) => candidate.name === name)
    expect(spec, `no command "${name}"`).toBeDefined()
    const parsed = parseCommand(spec!, args)
    expect(parsed).not.toBe('help')
    if (parsed === 'help') return
    const { arch, preset, noise } = parsed.values
    if (typeof arch === 'string') expect(() => getArchitecture(arch)).not.toThrow()
    if (typeof preset === 'string') expect(() => getPreset(preset)).not.toThrow()
    if (typeof noise === 'string') expect(() => parseNoiseSpec(noise)).not.toThrow()
  })

  it('name every architecture in the --arch list, and every preset', () => {
    const archList = /Architectures \(`--arch`\):([\s\S]*?)Noise \(`--noise`\)/.exec(readme)?.[1] ?? ''
    const listed = [...archList.matchAll(/`([a-z0-9]+)`/g)].map((match) => match[1])
    expect(listed.sort()).toEqual(
      listArchitectures()
        .map((definition) => definition.name)
        .sort(),
    )
    for (const preset of listPresets())
      expect(readme, `the README never names ${preset.name}`).toContain(preset.name)
  })
})
