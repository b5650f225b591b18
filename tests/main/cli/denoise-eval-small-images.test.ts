// `bottleneck eval --noise` on a model for images smaller than SSIM's 11×11 window (10×10 IDX): the model, the noisy
// input and the classical baselines are scored with PSNR, SSIM shows as '—' with the note train prints, and --json
// leaves the SSIM fields out.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { openStore } from '../../../src-main/store/index'
import { scratchDir } from '../support/scratch'

const bin = resolve(__dirname, '../../../bin/bottleneck.js')
const scratch = scratchDir('denoise-eval-small')
const store = join(scratch, 'store')
const images = join(scratch, 'idx 10x10')

function bottleneck(args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args, '--store', store], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** An IDX image file of `count` greyscale images of side × side. */
function idxImages(count: number, side: number): Buffer {
  const header = Buffer.alloc(16)
  header.writeUInt32BE(0x0803, 0)
  header.writeUInt32BE(count, 4)
  header.writeUInt32BE(side, 8)
  header.writeUInt32BE(side, 12)
  return Buffer.concat([
    header,
    Buffer.from(Array.from({ length: count * side * side }, (_, i) => (i * 53) % 256)),
  ])
}

beforeAll(async () => {
  mkdirSync(images)
  writeFileSync(join(images, 'train-images-idx3-ubyte'), idxImages(20, 10))
  writeFileSync(join(images, 't10k-images-idx3-ubyte'), idxImages(8, 10))
  // Untrained weights score just as well for this: no training needed.
  const autoencoder = buildAutoencoder(createModelConfig('dense', [10, 10, 1], { codeSize: 4, seed: 1 }))
  await openStore(store).save({
    metadata: {
      name: 'tiny',
      config: autoencoder.config,
      dataset: { spec: `idx:${images}`, name: 'idx 10x10', trainCount: 20, testCount: 8 },
      backend: { name: tf.getBackend(), tfjsVersion: tf.version.tfjs },
      epochs: 0,
      targetEpochs: 0,
      batchSize: 8,
      history: [],
    },
    model: autoencoder.model,
  })
  autoencoder.dispose()
})

describe('eval --noise on 10×10 images', () => {
  it('prints PSNR for the model, each baseline and the noisy input, SSIM as — and says why', () => {
    const result = bottleneck(['eval', 'tiny', '--noise', 'gaussian:0.3', '--baselines', 'median,gaussian'])
    expect(result.code, result.stderr).toBe(0)
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
