// `bottleneck train --dataset folder:DIR`: a person with only noisy photos trains a denoiser (--self-supervised),
// resumes it, and uses it; the real command, spawned as a user runs it.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../../src-main/store/index'
import { runCliSync } from '../support/cli'

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-folder-'))
const store = join(scratch, 'store')
const photos = join(scratch, 'photos')
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const bottleneck = (...args: string[]) => runCliSync(args, { store })

/** The U-Net is convolutional and WASM has no convolution gradients: there, one sentence naming the way out. */
function refusedOnWasm(result: { code: number | null; stderr: string }): boolean {
  if (process.env.BOTTLENECK_BACKEND !== 'wasm') return false
  expect(result.code).toBe(1)
  expect(result.stderr).toMatch(/cannot train convolutions.*setup:native/)
  return true
}

beforeAll(async () => {
  mkdirSync(photos)
  // Smooth greyscale scenes with Gaussian noise (σ 25 of 255) baked in: the only data a self-supervised user has.
  for (let k = 0; k < 5; k++) {
    const width = 80
    const height = 72
    const pixels = Buffer.alloc(width * height)
    let state = 12345 + k
    const uniform = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) + 0.5) / 2 ** 31
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const clean = 127 + 90 * Math.sin((x + 7 * k) / 9) * Math.cos((y - 3 * k) / 7)
        const gaussian = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
        pixels[y * width + x] = Math.max(0, Math.min(255, Math.round(clean + 25 * gaussian)))
      }
    }
    await sharp(pixels, { raw: { width, height, channels: 1 } })
      .png()
      .toFile(join(photos, `scene-${k}.png`))
  }
  // A GIF among the photos: training leaves it out, and says so rather than in silence.
  await sharp({ create: { width: 40, height: 40, channels: 3, background: '#808080' } })
    .gif()
    .toFile(join(photos, 'poster.gif'))
})

describe('bottleneck train --dataset folder:DIR', () => {
  it('trains the photo-denoise preset from the README on a folder, with the preset’s noise and learning rate', async () => {
    const run = bottleneck(
      'train',
      '--preset',
      'photo-denoise',
      '--dataset',
      `folder:${photos}`,
      '--epochs',
      '1',
      '--steps-per-epoch',
      '2',
      '--patch-size',
      '32',
      '--json',
    )
    if (refusedOnWasm(run)) return
    expect(run.code, run.stderr).toBe(0)
    const { metadata } = await openStore(store).get((JSON.parse(run.stdout) as { id: string }).id)
    expect(metadata.name).toBe('photo-denoise')
    expect(metadata.config).toMatchObject({ architecture: 'unet', learningRate: 0.002 })
    expect(metadata.noise).toBe('gaussian255:25')
    expect((JSON.parse(run.stdout) as { notes: string[] }).notes).toContainEqual(
      expect.stringMatching(/^1 GIF file is left out: .*save them as PNG/),
    )
    // A U-Net has no single code layer, so the listing shows no code size for it.
    expect(bottleneck('models').stdout).toMatch(/photo-denoise\s+unet\s+none\s+1\/1/)
  })

  it('trains self-supervised (Noise2Void) from noisy photos alone, resumes the same way, and denoises', async () => {
    const common = ['--patch-size', '32', '--batch-size', '4', '--steps-per-epoch', '4', '--seed', '3']
    const first = bottleneck(
      'train',
      '--dataset',
      `folder:${photos}`,
      '--self-supervised',
      '--epochs',
      '1',
      ...common,
      '--json',
    )
    if (refusedOnWasm(first)) return
    expect(first.code, first.stderr).toBe(0)
    const summary = JSON.parse(first.stdout) as { id: string; history: { val_loss: number }[] }
    expect(Number.isFinite(summary.history[0]!.val_loss)).toBe(true)
    const { metadata } = await openStore(store).get(summary.id)
    expect(metadata.config.architecture).toBe('unet')
    expect(metadata.config.training).toEqual({ mode: 'noise2void', patchSize: 32, stepsPerEpoch: 4 })
    expect(metadata.dataset.spec).toBe(`folder:${photos}`)

    const resumed = bottleneck('train', '--resume', summary.id, '--epochs', '2', '--json')
    expect(resumed.code, resumed.stderr).toBe(0)
    const { metadata: after } = await openStore(store).get(summary.id)
    expect(after.epochs).toBe(2)
    expect(after.history).toHaveLength(2)
    expect((after.config.training as { mode: string }).mode).toBe('noise2void')

    const out = join(scratch, 'denoised')
    const denoised = bottleneck('denoise', summary.id, join(photos, 'scene-0.png'), '-o', out)
    expect(denoised.code, denoised.stderr).toBe(0)
    expect(readdirSync(out)).toContain('scene-0.png')
  })

  it('refuses --self-supervised without a folder dataset, before training', () => {
    const result = bottleneck('train', '--self-supervised', '--epochs', '1')
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--self-supervised .* --dataset folder:DIR/)
  })
})
