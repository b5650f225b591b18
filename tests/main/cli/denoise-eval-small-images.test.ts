// `bottleneck eval --noise` on a model for images smaller than SSIM's 11×11 window (10×10 IDX): the model, the noisy
// input and the classical baselines are scored with PSNR, SSIM shows as '—' with the note train prints, and --json
// leaves the SSIM fields out.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCliSync } from '../support/cli'
import { scratchDir } from '../support/scratch'
import { idxImages, saveUntrainedModel } from '../support/untrained-models'

const scratch = scratchDir('denoise-eval-small')
const store = join(scratch, 'store')
const images = join(scratch, 'idx 10x10')

const bottleneck = (args: string[]) => runCliSync(args, { store })

/** An IDX image file of `count` greyscale images of side × side. */
beforeAll(async () => {
  mkdirSync(images)
  writeFileSync(join(images, 'train-images-idx3-ubyte'), idxImages(20, 10))
  writeFileSync(join(images, 't10k-images-idx3-ubyte'), idxImages(8, 10))
  // Untrained weights score just as well for this: no training needed.
  await saveUntrainedModel(store, {
    architecture: 'dense',
    shape: [10, 10, 1],
    name: 'tiny',
    options: { codeSize: 4, seed: 1 },
    dataset: { spec: `idx:${images}`, name: 'idx 10x10', trainCount: 20, testCount: 8 },
    batchSize: 8,
  })
})

describe('eval --noise on 10×10 images', () => {
  it('prints PSNR for the model, each baseline and the noisy input, SSIM as — and says why', () => {
    const result = bottleneck(['eval', 'tiny', '--noise', 'gaussian:0.3', '--baselines', 'median,gaussian'])
    expect(result.code, result.stderr).toBe(0)
    // The dataset's name is a phrase ("IDX images in DIR"): it goes beside the count, not before "test images".
    expect(result.stdout).toMatch(
      /^tiny \(\w+\) denoising gaussian:0\.3 on 8 test images \(IDX images in .*idx 10x10, \d+\.\d s\)$/m,
    )
    for (const name of ['tiny', 'median', 'gaussian', 'noisy input']) {
      expect(result.stdout).toMatch(new RegExp(`^${name} +\\d+\\.\\d\\d dB +—$`, 'm'))
    }
    expect(result.stdout).toContain(
      'SSIM is not defined for images smaller than 11×11 pixels, so it is left out.',
    )
  })

  it('leaves the SSIM fields out of --json', () => {
    const result = bottleneck(['eval', 'tiny', '--noise', 'gaussian:0.3', '--baselines', 'median', '--json'])
    expect(result.code, result.stderr).toBe(0)
    type Score = { psnr: number; ssim?: number }
    const report = JSON.parse(result.stdout) as { model: Score; noisy: Score; baselines: { median: Score } }
    for (const score of [report.model, report.noisy, report.baselines.median]) {
      expect(score.psnr).toBeGreaterThan(0)
      expect(score).not.toHaveProperty('ssim')
    }
  })
})
