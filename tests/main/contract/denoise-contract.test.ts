// The Denoise view's calls refuse what they must before anything runs: photos as anything but a path or base64
// bytes within the size limit, unknown picture kinds, amplifications and tile sizes out of range, path-like job ids.
import { describe, expect, it } from 'vitest'
import { DENOISE_LIMITS, events, parseInput } from '../../../src-main/contract/index'

const id = 'a1b2c3d4e5f6'
const photo = { name: 'photo.png', base64: 'iVBORw0KGgo=' }

function refusal(name: Parameters<typeof parseInput>[0], payload: unknown): string {
  const result = parseInput(name, payload)
  if (result.ok) throw new Error(`${name} accepted ${JSON.stringify(payload).slice(0, 200)}`)
  expect(result.error.code).toBe('INVALID_INPUT')
  return result.error.message
}

describe('photo denoising calls', () => {
  it('take a photo as a typed path or as base64 bytes, with an optional reference, noise and tile size', () => {
    for (const payload of [
      { id, source: photo },
      { id, source: { path: '/home/me/noisy.jpg' }, reference: { path: '/home/me/clean.jpg' } },
      { id, source: photo, noise: { type: 'gaussian', stddev: 0.1 }, seed: 3, tileSize: 512 },
    ]) {
      expect(parseInput('inference.denoiseImage', payload).ok).toBe(true)
    }
    const parsed = parseInput('inference.denoiseResult', { jobId: 'denoise-x', image: 'denoised' })
    expect(parsed.ok && parsed.value.gain).toBe(1)
  })

  it('refuse photos that are neither, too large, not base64, or carry extra fields', () => {
    refusal('inference.denoiseImage', { id, source: { name: 'a.png' } })
    refusal('inference.denoiseImage', { id, source: { name: 'a.png', base64: 'not base64!' } })
    refusal('inference.denoiseImage', { id, source: { name: 'a.png', base64: '' } })
    refusal('inference.denoiseImage', { id, source: { path: 'a\0b' } })
    refusal('inference.denoiseImage', { id, source: { ...photo, path: '/etc/passwd' } })
    refusal('inference.denoiseImage', { id, source: photo, storeRoot: '/tmp' })
    const tooLong = 'A'.repeat(Math.ceil(DENOISE_LIMITS.maxEncodedBytes / 3) * 4 + 4)
    expect(refusal('inference.denoiseImage', { id, source: { name: 'big.png', base64: tooLong } })).toContain(
      'at most 64 MiB',
    )
    expect(refusal('inference.denoiseImage', { id: '../models/x', source: photo })).toContain('model id')
  })

  it('refuse tile sizes, noise, picture kinds, gains and job ids out of range', () => {
    refusal('inference.denoiseImage', { id, source: photo, tileSize: 8 })
    refusal('inference.denoiseImage', { id, source: photo, tileSize: 100_000 })
    refusal('inference.denoiseImage', { id, source: photo, noise: { type: 'gaussian', stddev: 3 } })
    refusal('inference.denoiseResult', { jobId: 'denoise-x', image: 'weights' })
    refusal('inference.denoiseResult', { jobId: 'denoise-x', image: 'difference', gain: 1000 })
    refusal('inference.denoiseResult', { jobId: 'denoise-x', image: 'difference', gain: 0 })
    expect(refusal('inference.cancelDenoise', { jobId: '../../tmp' })).toContain('job id')
    refusal('inference.cancelDenoise', {})
  })
})

describe('the end of a photo denoising job', () => {
  it('carries PSNR without SSIM for a photo smaller than SSIM’s 11×11 window', () => {
    const done = {
      jobId: 'denoise-x',
      status: 'completed',
      seconds: 0.1,
      images: ['input', 'denoised', 'difference', 'reference', 'error'],
      metrics: { input: { mse: 0.01, psnr: 20 }, denoised: { mse: 0.001, psnr: 30 } },
    }
    expect(events['inference.onDenoiseDone'].safeParse(done).success).toBe(true)
    const withSsim = { ...done.metrics.input, ssim: 0.5 }
    const parsed = events['inference.onDenoiseDone'].parse({
      ...done,
      metrics: { input: withSsim, denoised: withSsim },
    })
    expect(parsed.metrics?.input.ssim).toBe(0.5)
  })
})
