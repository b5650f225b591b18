// `bottleneck train --json` says what its text output says: what it trains (architecture, code, dataset, batch,
// first epoch, noise), whether a resumed run got its optimizer back, the images it skipped, how to resume a cancelled
// run, and the notes. The command runs in-process with the optimisation replaced by a stand-in that reports epochs
// at once, so the summary is the real one (checkpoints saved to the store, test metrics computed) without a training.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { parseCommand } from '../../../src-main/cli/args'
import { trainCommand, trainSpec } from '../../../src-main/cli/commands/train'
import type { EpochLogs, History } from '../../../src-main/ml/train'
import { NO_SSIM_NOTE } from '../../../src-main/ml/test-metrics'
import { scratchDir } from '../support/scratch'
import { idxImages, saveUntrainedModel } from '../support/untrained-models'

interface EpochOptions {
  epochs: number
  initialEpoch?: number
  onEpochEnd?: (logs: EpochLogs) => void | Promise<void>
}

/** How many epochs the stand-in runs before it reports a cancel, as Ctrl-C would; all of them when undefined. */
let cancelAfter: number | undefined

async function reportEpochs(options: EpochOptions): Promise<History> {
  const epochs: EpochLogs[] = []
  for (let epoch = options.initialEpoch ?? 0; epoch < options.epochs; epoch++) {
    if (cancelAfter !== undefined && epochs.length === cancelAfter) return { epochs, cancelled: true }
    const logs = { epoch, loss: 0.5, val_loss: 0.5, seconds: 0.01, samplesPerSecond: 1000 }
    epochs.push(logs)
    await options.onEpochEnd?.(logs)
  }
  return { epochs, cancelled: false }
}

vi.mock('../../../src-main/ml/train', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../src-main/ml/train')>()),
  fit: (_autoencoder: unknown, _data: unknown, options: EpochOptions) => reportEpochs(options),
}))
vi.mock('../../../src-main/ml/patch-training', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../src-main/ml/patch-training')>()),
  fitPatches: (_autoencoder: unknown, _source: unknown, options: EpochOptions) => reportEpochs(options),
}))

const scratch = scratchDir('train-json')
const store = join(scratch, 'store')
const smallImages = join(scratch, 'idx 10x10')
const photos = join(scratch, 'photos')

/** Runs `bottleneck train ARGS --store STORE --json` in this process; stdout and stderr are captured, not shown. */
async function train(
  ...args: string[]
): Promise<{ code: number; summary: Record<string, unknown>; stderr: string }> {
  const parsed = parseCommand(trainSpec, [...args, '--store', store, '--json'])
  if (parsed === 'help') throw new Error('unexpected --help')
  const stdout: string[] = []
  const stderr: string[] = []
  const capture = (into: string[]) => (chunk: string | Uint8Array) => {
    into.push(String(chunk))
    return true
  }
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture(stdout))
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture(stderr))
  try {
    const code = await trainCommand(parsed)
    return { code, summary: JSON.parse(stdout.join('')) as Record<string, unknown>, stderr: stderr.join('') }
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
}

beforeAll(async () => {
  mkdirSync(smallImages)
  writeFileSync(join(smallImages, 'train-images-idx3-ubyte'), idxImages(20, 10))
  writeFileSync(join(smallImages, 't10k-images-idx3-ubyte'), idxImages(8, 10))
  mkdirSync(photos)
  // First by name, so it is the file whose header is read for the channels: skipped when the folder is opened.
  writeFileSync(join(photos, 'a-broken.png'), 'not a PNG at all')
  for (const name of ['b.png', 'c.png', 'd.png']) {
    const pixels = Buffer.alloc(24 * 24 * 3).map((_, i) => (i * 37) % 256)
    await sharp(pixels, { raw: { width: 24, height: 24, channels: 3 } })
      .png()
      .toFile(join(photos, name))
  }
})

describe('bottleneck train --json', () => {
  it('says what it trained, on what, how, and the note about SSIM the text output prints', async () => {
    cancelAfter = undefined
    const dataset = `idx:${smallImages}`
    const { code, summary } = await train(
      ...[
        '--dataset',
        dataset,
        '--epochs',
        '2',
        '--batch-size',
        '8',
        '--code-size',
        '6',
        '--noise',
        'gaussian:0.3',
      ],
    )
    expect(code).toBe(0)
    expect(summary).toMatchObject({
      epochs: 2,
      config: { architecture: 'dense', codeSize: 6, inputShape: [10, 10, 1] },
      dataset: { spec: dataset, trainCount: 20, testCount: 8 },
      batchSize: 8,
      initialEpoch: 0,
      noise: 'gaussian:0.3',
      skippedImages: [],
      notes: [NO_SSIM_NOTE],
    })
    expect(summary).not.toHaveProperty('optimizerRestored')
    expect(summary).not.toHaveProperty('resumeCommand')
  })

  it('a resumed run says its optimizer was not restored; a cancelled one gives the command that continues it', async () => {
    const id = await saveUntrainedModel(store, {
      architecture: 'dense',
      shape: [10, 10, 1],
      name: 'to resume',
      options: { seed: 3, codeSize: 4 },
      dataset: { spec: `idx:${smallImages}`, name: 'small', trainCount: 20, testCount: 8 },
      batchSize: 8,
    })
    cancelAfter = 1
    try {
      const { code, summary } = await train('--resume', id, '--epochs', '3')
      expect(code).toBe(130)
      const resumeCommand = `bottleneck train --resume ${id} --store "${store}"`
      expect(summary).toMatchObject({
        cancelled: true,
        epochs: 1,
        initialEpoch: 0,
        optimizerRestored: false,
        resumeCommand,
        notes: [
          '(No optimizer state was saved with this model; Adam restarts its moment estimates.)',
          `Cancelled. Kept epoch 1; continue with: ${resumeCommand}`,
        ],
      })
    } finally {
      cancelAfter = undefined
    }
  })

  it('on a folder of photos, names the images it skipped and how many it holds out for validation', async () => {
    const { code, summary, stderr } = await train(
      ...['--dataset', `folder:${photos}`, '--arch', 'dense', '--epochs', '1', '--steps-per-epoch', '1'],
      ...['--patch-size', '16', '--batch-size', '2'],
    )
    expect(code).toBe(0)
    const { skippedImages, dataset } = summary as {
      skippedImages: { file: string; message: string }[]
      dataset: { validationImages: number; trainCount: number }
    }
    expect(skippedImages.map((skipped) => skipped.file)).toEqual(['a-broken.png'])
    expect(stderr).toContain(
      `Skipped an unreadable image, training goes on without it: ${skippedImages[0]!.message}`,
    )
    // The broken file is named as the folder opens and left out of both splits: 3 of the 4 files are images.
    expect(dataset.validationImages + dataset.trainCount).toBe(3)
  })
})
