// A model trained on a folder of photos, as a user meets it: one damaged photo in the folder (the only one held out
// for validation) does not stop training, and a model trained on small patches is scored and drawn on its own patches.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { splitFiles } from '../../../src-main/ml/folder-dataset'
import { openStore } from '../../../src-main/store/index'
import { STREAMED_VALIDATION_PATCHES } from '../../../src-main/store/metadata'
import { runCliSync } from '../support/cli'

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-folder-models-'))
const store = join(scratch, 'store')
// A space and a non-ASCII letter, as in the audit's report.
const photos = join(scratch, 'f photos ñ')
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const bottleneck = (...args: string[]) => runCliSync(args, { store })

// Tiny and fast on every backend: a dense model (the U-Net needs convolution gradients, which WASM lacks).
const tinyFolderRun = ['--epochs', '1', '--steps-per-epoch', '1', '--patch-size', '16', '--batch-size', '2']
let trained: ReturnType<typeof bottleneck>

beforeAll(async () => {
  mkdirSync(photos)
  for (const name of ['a.png', 'b.png', 'bad.png']) {
    const pixels = Buffer.alloc(40 * 40 * 3).map((_, i) => (i * 37) % 256)
    await sharp(pixels, { raw: { width: 40, height: 40, channels: 3 } })
      .png()
      .toFile(join(photos, name))
  }
  // Cut in half: the header still reads, the pixels do not. By its name's hash it is the file held out for validation.
  const bytes = readFileSync(join(photos, 'bad.png'))
  writeFileSync(join(photos, 'bad.png'), bytes.subarray(0, bytes.length >> 1))
  trained = bottleneck(
    'train',
    '--dataset',
    `folder:${photos}`,
    '--arch',
    'dense',
    '--code-size',
    '8',
    '--name',
    'photo model',
    ...tinyFolderRun,
    '--json',
  )
})

describe('a model trained on a folder of photos', () => {
  it('trains past an unreadable photo, naming it, and validates on the readable ones', async () => {
    expect(splitFiles(['a.png', 'b.png', 'bad.png'], 0.1).validation).toEqual(['bad.png'])
    expect(trained.code, trained.stderr).toBe(0)
    expect(trained.stderr).toMatch(/Skipped an unreadable image.*bad\.png/)
    expect(trained.stderr).not.toMatch(/could be read/)
    const summary = JSON.parse(trained.stdout) as { id: string; history: { val_loss: number }[] }
    expect(Number.isFinite(summary.history[0]!.val_loss)).toBe(true)
    expect((await openStore(store).get(summary.id)).metadata.epochs).toBe(1)
  })

  it('is scored, drawn and mapped on patches of its own size (16), not the default 64', async () => {
    expect(trained.code, trained.stderr).toBe(0)
    const scored = bottleneck('eval', 'photo model', '--json')
    expect(scored.code, scored.stderr).toBe(0)
    expect(Number.isFinite((JSON.parse(scored.stdout) as { mse: number }).mse)).toBe(true)

    const figure = join(scratch, 'figure.png')
    const drawn = bottleneck('figure', 'photo model', '-o', figure, '-n', '3')
    expect(drawn.code, drawn.stderr).toBe(0)
    const size = await sharp(figure).metadata()
    expect([size.width, size.height]).toEqual([3 * 16 * 2, 2 * 16 * 2])

    const mapped = bottleneck('latent', 'photo model', '-o', join(scratch, 'map.png'), '--limit', '8')
    expect(mapped.code, mapped.stderr).toBe(0)
  })

  it('eval scores the patches training validated on, so its BCE is the val_loss train printed', async () => {
    const { id, history } = JSON.parse(trained.stdout) as { id: string; history: { val_loss: number }[] }
    const scored = bottleneck('eval', 'photo model', '--json')
    expect(scored.code, scored.stderr).toBe(0)
    const { images, bce } = JSON.parse(scored.stdout) as { images: number; bce: number }
    expect(images).toBe(STREAMED_VALIDATION_PATCHES)
    expect(bce).toBeCloseTo(history[0]!.val_loss, 5)
    // The file says so too, for whatever reads it without this store (the app, an older version): patches, as the
    // app records for a folder, not the one validation photo.
    const file = join((await openStore(store).get(id)).versionFolder, 'bottleneck.json')
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { dataset: { testCount: number } }
    expect(saved.dataset.testCount).toBe(STREAMED_VALIDATION_PATCHES)
  })

  it('a model saved when the CLI counted validation photos is still scored on its validation patches', async () => {
    const { id, history } = JSON.parse(trained.stdout) as { id: string; history: { val_loss: number }[] }
    const file = join((await openStore(store).get(id)).versionFolder, 'bottleneck.json')
    const saved = readFileSync(file, 'utf8')
    // What `bottleneck train` recorded for this folder before: its one validation photo.
    const old = JSON.parse(saved) as { dataset: { testCount: number } }
    old.dataset.testCount = 1
    writeFileSync(file, JSON.stringify(old))
    try {
      const scored = bottleneck('eval', 'photo model', '--json')
      expect(scored.code, scored.stderr).toBe(0)
      const { images, bce } = JSON.parse(scored.stdout) as { images: number; bce: number }
      expect(images).toBe(STREAMED_VALIDATION_PATCHES)
      expect(bce).toBeCloseTo(history[0]!.val_loss, 5)
      // Read, not rewritten.
      expect((JSON.parse(readFileSync(file, 'utf8')) as typeof old).dataset.testCount).toBe(1)
    } finally {
      writeFileSync(file, saved)
    }
  })

  it('eval names the dataset beside the image count, where its name reads as a phrase', () => {
    const scored = bottleneck('eval', 'photo model')
    expect(scored.code, scored.stderr).toBe(0)
    expect(scored.stdout).toMatch(
      /^photo model \(\w+\) on \d+ test images? \(Patches of the images in .*f photos ñ, \d+\.\d s\)$/m,
    )
  })

  it('opens a run saying what it trains and validates on: patches of its images', () => {
    expect(trained.stderr).toContain(
      `random 16×16 patches of 2 images, validated on ${STREAMED_VALIDATION_PATCHES} patches of 1 held-out image,`,
    )
  })

  it('announces a U-Net without a code size, since it has no code layer', () => {
    // Only the announcement matters here: on WASM the U-Net then refuses to train, which is tested elsewhere.
    const run = bottleneck('train', '--dataset', `folder:${photos}`, ...tinyFolderRun)
    expect(run.stdout).toMatch(/^Training unet on /m)
    expect(run.stdout).not.toMatch(/code \d+/)
  })
})
