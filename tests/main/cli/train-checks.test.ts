// `bottleneck train` settles what it can before it trains: a bad name or an option the dataset would ignore is one
// line and exit code 2, at once; images too small for SSIM still train and are scored with PSNR; resuming a model
// outside the store says what actually works; --help gives the defaults each dataset and architecture gets.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../../src-main/store/index'
import { onlyErrorLine, runCli, runCliSync } from '../support/cli'
import { idxImages } from '../support/untrained-models'

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-train-checks-'))
const store = join(scratch, 'store')
const smallImages = join(scratch, 'idx 10x10')
const largerImages = join(scratch, 'idx 12x12')
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const bottleneck = (args: string[], storeFolder = store) => runCliSync(args, { store: storeFolder })

let smallModel: { id: string }
let smallRun: ReturnType<typeof bottleneck>
/** A model to resume, on images large enough for SSIM so its training does not depend on the small-image fix. */
let resumable: { id: string; folder: string }

beforeAll(() => {
  for (const [folder, side] of [
    [smallImages, 10],
    [largerImages, 12],
  ] as const) {
    mkdirSync(folder)
    writeFileSync(join(folder, 'train-images-idx3-ubyte'), idxImages(20, side, side))
    writeFileSync(join(folder, 't10k-images-idx3-ubyte'), idxImages(8, side, side))
  }
  smallRun = bottleneck([
    'train',
    '--dataset',
    `idx:${smallImages}`,
    '--epochs',
    '1',
    '--batch-size',
    '8',
    '--name',
    'tiny',
    '--json',
  ])
  smallModel = JSON.parse(smallRun.stdout || '{}')
  const resumableRun = bottleneck([
    'train',
    '--dataset',
    `idx:${largerImages}`,
    '--epochs',
    '1',
    '--batch-size',
    '8',
    '--name',
    'resumable',
    '--json',
  ])
  expect(resumableRun.code, resumableRun.stderr).toBe(0)
  resumable = JSON.parse(resumableRun.stdout)
})

describe('train checks the name before it trains', () => {
  const lengthRule = /--name must be 1–200 characters long, without control characters/
  const badNames: [string, string, RegExp][] = [
    // Empty as an unset shell variable leaves it, which every option is refused for.
    ['an empty name', '', /--name is empty \(an unset shell variable\?\); give it a value or leave it out/],
    ['a name of blanks', '   ', /--name is empty/],
    ['a 300-character name', 'x'.repeat(300), lengthRule],
    ['a name with a control character', 'digits\u0007', lengthRule],
  ]
  for (const [label, name, refusal] of badNames) {
    it(`refuses ${label} at once, saving nothing`, () => {
      const fresh = join(scratch, `store-${label.replace(/\W+/g, '-')}`)
      const result = bottleneck(
        ['train', '--dataset', `idx:${largerImages}`, '--epochs', '1', '--name', name],
        fresh,
      )
      expect(result.code).toBe(2)
      expect(onlyErrorLine(result)).toMatch(refusal)
      expect(result.stdout).not.toMatch(/Epoch 1/)
      expect(existsSync(join(fresh, 'models'))).toBe(false)
    })
  }
})

describe('train checks the store can take its checkpoints before it trains', () => {
  it('refuses a store folder it may not create, at once and with the reason', () => {
    // /sys refuses new folders even to root (EPERM), which a chmod cannot simulate when the tests run as root.
    const unwritable = '/sys/bottleneck-train-checks-store'
    const result = bottleneck(['train', '--dataset', `idx:${largerImages}`, '--epochs', '1'], unwritable)
    expect(result.code).toBe(1)
    expect(onlyErrorLine(result)).toMatch(
      /^bottleneck: Could not save the model ".*": .*permission.*\. Nothing was saved\.$/,
    )
    expect(result.stdout).not.toMatch(/^Training /m)
  })
})

describe('train --preset photo-denoise where there is no ./photos folder', () => {
  it('says to put photos there or give --dataset, at once', () => {
    const elsewhere = join(scratch, 'no photos here')
    mkdirSync(elsewhere)
    const result = runCliSync(['train', '--preset', 'photo-denoise'], { store, cwd: elsewhere })
    expect(result.code).toBe(2)
    expect(onlyErrorLine(result)).toBe(
      'bottleneck: The photo-denoise preset trains on the photos in ./photos, and there is no such folder here; ' +
        'put clean photos there or give --dataset folder:DIR.',
    )
  })
})

describe('images smaller than the SSIM window (10×10)', () => {
  it('train every epoch, save the last with PSNR and without SSIM, and say why', async () => {
    expect(smallRun.code, smallRun.stderr).toBe(0)
    expect(smallRun.stderr).toContain('SSIM is not defined for images smaller than 11×11 pixels')
    const { metadata } = await openStore(store).get(smallModel.id)
    expect(metadata.epochs).toBe(1)
    expect(Number.isFinite(metadata.metrics!.psnr)).toBe(true)
    expect(metadata.metrics).not.toHaveProperty('ssim')
  })

  it('are scored by eval the same way', () => {
    const result = bottleneck(['eval', 'tiny'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/PSNR +SSIM\n.*dB +—/)
    expect(result.stdout).toContain('SSIM is not defined for images smaller than 11×11 pixels')
  })

  it('train as a denoiser too, with its denoising PSNR', () => {
    const result = bottleneck([
      'train',
      '--dataset',
      `idx:${smallImages}`,
      '--epochs',
      '1',
      '--noise',
      'gaussian:0.3',
      '--json',
    ])
    expect(result.code, result.stderr).toBe(0)
    const { metrics } = JSON.parse(result.stdout) as { metrics: Record<string, number> }
    expect(metrics.denoisingPsnr).toBeGreaterThan(0)
    expect(metrics.noisyInputPsnr).toBeGreaterThan(0)
    expect(metrics).not.toHaveProperty('denoisingSsim')
  })
})

describe('train --resume with a damaged optimizer state', () => {
  it('says so, keeps the weights and trains on with fresh Adam moments', async () => {
    const first = bottleneck([
      'train',
      '--dataset',
      `idx:${largerImages}`,
      '--epochs',
      '1',
      '--name',
      'damaged',
      '--json',
    ])
    expect(first.code, first.stderr).toBe(0)
    const { id } = JSON.parse(first.stdout) as { id: string }
    const record = await openStore(store).get(id)
    writeFileSync(join(record.versionFolder, 'optimizer.json'), '{"optimizer":"Adam"}')
    const resumed = bottleneck(['train', '--resume', id, '--epochs', '2'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(
      /The optimizer state saved with "damaged" is damaged .*fresh Adam moment estimates/,
    )
    expect(resumed.stdout).not.toContain('No optimizer state was saved')
    expect((await openStore(store).get(id)).metadata.epochs).toBe(2)
  })
})

describe('train stopped with Ctrl-C', () => {
  it('suggests a resume command that finds the model in the --store it was saved to', async () => {
    // Another default store, so a suggestion without --store would look in the wrong one.
    const env = { BOTTLENECK_HOME: join(scratch, 'default store') }
    let interrupted = false
    const stopped = await runCli(
      [
        'train',
        '--dataset',
        `idx:${largerImages}`,
        '--epochs',
        '100000',
        '--batch-size',
        '8',
        '--name',
        'stopped',
        '--store',
        store,
      ],
      {
        env,
        onOutput: ({ stdout }, child) => {
          if (!interrupted && /Epoch 1\//.test(stdout)) {
            interrupted = true
            child.kill('SIGINT')
          }
        },
      },
    )
    expect(stopped.code, stopped.stderr).toBe(130)
    const suggestion = /continue with: bottleneck train --resume (\S+) --store "([^"]+)"$/m.exec(
      stopped.stdout,
    )
    expect(suggestion, stopped.stdout).not.toBeNull()
    const [, id, suggestedStore] = suggestion!
    expect(suggestedStore).toBe(store)
    const kept = (await openStore(store).get(id!)).metadata.epochs
    const resumed = await runCli(
      ['train', '--resume', id!, '--store', suggestedStore!, '--epochs', String(kept + 1)],
      {
        env,
      },
    )
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toContain(`Resuming stopped (${id}) at epoch ${kept + 1}`)
  })
})

describe('train --resume with a model outside the store', () => {
  it('says to import an outside folder in the app, since the command line cannot import', () => {
    const outside = join(scratch, 'an exported model')
    cpSync(resumable.folder, outside, { recursive: true })
    const result = bottleneck(['train', '--resume', outside, '--epochs', '2'], join(scratch, 'other store'))
    expect(result.code).toBe(1)
    const line = onlyErrorLine(result)
    expect(line).toMatch(
      /the command line cannot import models: import it .*"Import model…" in the app's Models view/,
    )
    expect(line).not.toMatch(/import it there first/)
  })

  it('names the --store that holds a folder of another store, and that advice works', () => {
    const elsewhere = bottleneck(
      ['train', '--resume', resumable.folder, '--epochs', '2'],
      join(scratch, 'other store'),
    )
    expect(elsewhere.code).toBe(1)
    expect(onlyErrorLine(elsewhere)).toContain(`resume it with --store "${store}"`)
    const resumed = bottleneck(['train', '--resume', resumable.folder, '--epochs', '2'], store)
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toContain('at epoch 2 of 2')
  })
})

describe('train options that depend on the dataset', () => {
  it('--help gives the defaults for folder: datasets and per architecture', () => {
    const help = bottleneck(['train', '--help']).stdout
    expect(help).toMatch(/--arch NAME .*\(default dense; unet for folder: datasets\)/)
    expect(help).toMatch(/--epochs N .*\(default 50; 20 for folder: datasets\)/)
    expect(help).toMatch(/--batch-size N .*\(default 256; 16 for folder: datasets\)/)
    expect(help).toMatch(/--code-size N .*\(default 32; .*vae 2; .*unet have no code\)/)
  })

  const refused: [string, string[], RegExp][] = [
    [
      '--limit with a folder',
      ['--dataset', `folder:${scratch}`, '--limit', '5'],
      /^bottleneck: --limit is for mnist and idx: datasets/,
    ],
    [
      '--test-limit with a folder',
      ['--dataset', `folder:${scratch}`, '--test-limit', '5'],
      /^bottleneck: --test-limit is for mnist and idx: datasets/,
    ],
    // --limit keeps the run tiny should the check be missing.
    [
      '--patch-size with mnist',
      ['--limit', '20', '--test-limit', '20', '--patch-size', '16'],
      /^bottleneck: --patch-size is for folder: datasets/,
    ],
    [
      '--steps-per-epoch with idx',
      ['--dataset', `idx:${smallImages}`, '--steps-per-epoch', '2'],
      /^bottleneck: --steps-per-epoch is for folder: datasets/,
    ],
  ]
  for (const [label, args, pattern] of refused) {
    it(`refuses ${label} as an option error (exit code 2), before training`, () => {
      const result = bottleneck(['train', '--epochs', '1', ...args])
      expect(result.code).toBe(2)
      expect(onlyErrorLine(result)).toMatch(pattern)
      expect(result.stdout).not.toMatch(/Training/)
    })
  }

  it('refuses --patch-size when resuming an IDX model, naming the datasets that take it', () => {
    const result = bottleneck(['train', '--resume', 'resumable', '--epochs', '3', '--patch-size', '16'])
    expect(result.code).toBe(2)
    expect(onlyErrorLine(result)).toMatch(/--patch-size is for folder: datasets/)
  })
})

describe('a dataset given by a relative path', () => {
  it('is recorded by its full path, so the model resumes from any folder', async () => {
    const run = runCliSync(
      ['train', '--dataset', 'idx:idx 12x12/', '--epochs', '1', '--batch-size', '8', '--name', 'relative', '--json'],
      { store, cwd: scratch },
    )
    expect(run.code, run.stderr).toBe(0)
    const { metadata } = await openStore(store).get('relative')
    expect(metadata.dataset.spec).toBe(`idx:${largerImages}`)
    // Elsewhere, the relative path would name a folder that is not there.
    const resumed = runCliSync(['train', '--resume', 'relative', '--epochs', '2', '--json'], { store, cwd: tmpdir() })
    expect(resumed.code, resumed.stderr).toBe(0)
  })
})
