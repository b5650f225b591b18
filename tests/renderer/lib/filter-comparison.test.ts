import { describe, expect, it } from 'vitest'
import { bestFilter, compareWithFilters } from '@renderer/lib/filter-comparison'

const row = (model: number, noisy: number, median: number, nlm: number) => ({
  model: { psnr: model, ssim: model / 30 },
  noisy: { psnr: noisy, ssim: noisy / 30 },
  filters: [
    { name: 'median' as const, psnr: median, ssim: median / 30 },
    { name: 'nlm' as const, psnr: nlm, ssim: nlm / 30 },
  ],
})

describe('compareWithFilters', () => {
  it('averages each method over the rows and measures the model against the best filter by mean PSNR', () => {
    const comparison = compareWithFilters('unet', [
      row(20, 9, 14, 12),
      row(22, 10, 12, 13),
      { ...row(1, 1, 1, 1), filters: [] },
    ])!
    expect(comparison.images).toBe(2)
    expect(comparison.lines.map((line) => [line.label, line.psnr, line.best])).toEqual([
      ['unet', 21, false],
      ['Median 3×3', 13, true],
      ['Non-local means', 12.5, false],
      ['Noisy input', 9.5, false],
    ])
    expect(comparison.gain.psnr).toBeCloseTo(8)
    expect(comparison.gain.ssim).toBeCloseTo(8 / 30)
    expect(comparison.gain.over).toBe('Median 3×3')
  })

  it('caps a perfect image at 100 dB, and has nothing to say before any row has filters', () => {
    const comparison = compareWithFilters('unet', [row(Infinity, 9, 14, 12), row(20, 9, 14, 12)])!
    expect(comparison.lines[0]!.psnr).toBe(60)
    expect(compareWithFilters('unet', [{ ...row(20, 9, 14, 12), filters: [] }])).toBeNull()
    expect(bestFilter([])).toBeNull()
  })
})
