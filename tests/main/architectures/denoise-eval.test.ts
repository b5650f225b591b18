import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { applyPreset } from '../../../src-main/cli/commands/preset'
import { initBackend } from '../../../src-main/ml/backend'
import { loadDataset, type ImageSplit } from '../../../src-main/ml/datasets'
import { corruptSplit, evaluateDenoising, scoreRestorations } from '../../../src-main/ml/denoise-eval'

const SHAPE: [number, number, number] = [28, 28, 1]
let test: ImageSplit

beforeAll(async () => {
  await initBackend()
  test = (await loadDataset('mnist', { limit: 1, testLimit: 200 })).test
})

/** A LayersModel that returns its input: scoring it must give exactly the noisy input's scores. */
function identityModel(): tf.LayersModel {
  const input = tf.input({ shape: SHAPE })
  return tf.model({ inputs: input, outputs: tf.layers.activation({ activation: 'linear' }).apply(input) as tf.SymbolicTensor })
}

describe('denoising evaluation', () => {
  it('scores a perfect restoration at the PSNR cap and SSIM 1, and the noisy MNIST input near the published 9.4 dB', () => {
    const start = tf.memory().numTensors
    const perfect = scoreRestorations(test.images, test.images, test.count, SHAPE)
    expect(perfect.psnr).toBe(100)
    expect(perfect.ssim).toBeCloseTo(1, 6)
    const noisy = corruptSplit(test, SHAPE, { kind: 'gaussian', sigma: 0.5 }, 7)
    expect(noisy).toEqual(corruptSplit(test, SHAPE, { kind: 'gaussian', sigma: 0.5 }, 7))
    expect(noisy).not.toEqual(corruptSplit(test, SHAPE, { kind: 'gaussian', sigma: 0.5 }, 8))
    expect(noisy.every((value) => value >= 0 && value <= 1)).toBe(true)
    const score = scoreRestorations(test.images, noisy, test.count, SHAPE)
    expect(score.psnr).toBeGreaterThan(9)
    expect(score.psnr).toBeLessThan(10)
    expect(tf.memory().numTensors).toBe(start)
  })

  it('measures the model and every baseline on the same noisy images', () => {
    const start = tf.memory().numTensors
    const model = identityModel()
    const result = evaluateDenoising(model, test, SHAPE, { kind: 'gaussian', sigma: 0.5 }, { seed: 3, baselines: ['median5', 'gaussian'] })
    expect(result.count).toBe(200)
    expect(result.model!.psnr).toBeCloseTo(result.noisy.psnr, 4)
    expect(result.model!.ssim).toBeCloseTo(result.noisy.ssim!, 4)
    // The published median 5×5 anchor at σ = 0.5 is 14.1 dB: far above the noisy input.
    expect(result.baselines.median5!.psnr).toBeGreaterThan(13)
    expect(result.baselines.median5!.psnr).toBeGreaterThan(result.noisy.psnr + 3)
    expect(result.baselines.gaussian!.psnr).toBeGreaterThan(result.noisy.psnr)
    model.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })
})

describe('train --preset', () => {
  it('fills the options the preset stands for, and options given on the command line win', () => {
    const values: Record<string, string | boolean | undefined> = { preset: 'mnist-denoise', epochs: '2' }
    expect(applyPreset(values)?.name).toBe('mnist-denoise')
    expect(values).toMatchObject({ arch: 'denoiser', dataset: 'mnist', noise: 'gaussian:0.5', epochs: '2', 'batch-size': '64', name: 'mnist-denoise' })
    const vae: Record<string, string | boolean | undefined> = { preset: 'keras-vae' }
    applyPreset(vae)
    // The VAE's 2-D code must survive train's own default code size.
    expect(vae['code-size']).toBe('2')
    expect(vae.noise).toBeUndefined()
    expect(applyPreset({})).toBeUndefined()
    expect(() => applyPreset({ preset: 'keras-vae', resume: 'abc' })).toThrow(/cannot be combined with --resume/)
  })
})
