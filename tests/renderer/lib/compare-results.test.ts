import { describe, expect, it } from 'vitest'
import { layoutResultsPng, rowMetrics, type Box, type PngLayout } from '@renderer/lib/compare-results'

const scored = (
  name: string,
  psnr: number,
  ssim: number,
  filters: { median: number; nlm: number } | null,
) => ({
  name,
  psnr,
  ssim,
  filters: filters
    ? [
        { name: 'median' as const, psnr: filters.median, ssim: 0.5 },
        { name: 'nlm' as const, psnr: filters.nlm, ssim: 0.6 },
      ]
    : [],
})

const withNoise = layoutResultsPng({
  modelName: 'mnist-denoise',
  noise: { type: 'gaussian', level: 0.5 },
  imageSize: { width: 28, height: 28 },
  columns: { noisy: true, filter: true },
  rows: [
    scored('test #0 (digit 0)', 23.456, 0.91234, { median: 18.204, nlm: 22.1 }),
    scored('a rather long file name of a digit.png', 17.5, 0.8, { median: 19.001, nlm: 12 }),
  ],
})

const withoutNoise = layoutResultsPng({
  modelName: 'dense-mnist',
  noise: null,
  imageSize: { width: 28, height: 28 },
  columns: { noisy: false, filter: false },
  rows: [
    scored('test #0 (digit 0)', 30, 0.97, null),
    { name: 'still running', psnr: null, ssim: null, filters: [] },
  ],
})

const textsOf = (layout: PngLayout, kind: string, row?: number) =>
  layout.texts
    .filter((text) => text.kind === kind && (row === undefined || text.row === row))
    .map((t) => t.text)

const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height

function expectNothingOverlapsAndAllFits(layout: PngLayout) {
  const boxes: Box[] = [...layout.texts, ...layout.images]
  for (const box of boxes) {
    expect(box.x).toBeGreaterThanOrEqual(0)
    expect(box.y).toBeGreaterThanOrEqual(0)
    expect(box.x + box.width).toBeLessThanOrEqual(layout.width)
    expect(box.y + box.height).toBeLessThanOrEqual(layout.height)
  }
  boxes.forEach((a, i) =>
    boxes.slice(i + 1).forEach((b) => expect(overlap(a, b), JSON.stringify([a, b])).toBe(false)),
  )
}

describe('layoutResultsPng', () => {
  it('heads the PNG with the model and the noise, and each column with the table’s heading', () => {
    expect(textsOf(withNoise, 'header')).toEqual(['Model: mnist-denoise · Noise: Gaussian 0.50'])
    expect(textsOf(withNoise, 'label')).toEqual([
      'Image',
      'Original',
      'Noisy',
      'Reconstruction',
      '|Difference|',
      'Best classical filter',
      'PSNR · SSIM',
    ])
    // Every image sits in the column its heading names.
    const labelX = Object.fromEntries(
      withNoise.texts.filter((t) => t.kind === 'label').map((t) => [t.text, t.x]),
    )
    const imageX = (row: number, column: string) =>
      withNoise.images.find((image) => image.row === row && image.column === column)!.x
    expect(imageX(1, 'noisy')).toBe(labelX['Noisy'])
    expect(imageX(1, 'filter')).toBe(labelX['Best classical filter'])
  })

  it('without noise names only the model and has no noisy or filter column', () => {
    expect(textsOf(withoutNoise, 'header')).toEqual(['Model: dense-mnist'])
    expect(textsOf(withoutNoise, 'label')).toEqual([
      'Image',
      'Original',
      'Reconstruction',
      '|Difference|',
      'PSNR · SSIM',
    ])
    expect(withoutNoise.images.map((image) => image.column)).not.toContain('noisy')
    expect(withoutNoise.images.map((image) => image.column)).not.toContain('filter')
    expect(withoutNoise.images).toHaveLength(2 * 3)
  })

  it('gives each row its name and the metrics the table shows, rounded alike', () => {
    expect(textsOf(withNoise, 'name')).toEqual([
      'test #0 (digit 0)',
      'a rather long file name of a digit.png',
    ])
    expect(textsOf(withNoise, 'metrics', 0)).toEqual([
      'PSNR 23.46 dB',
      'SSIM 0.912',
      '+1.36\u00a0dB vs\u00a0filter',
    ])
    expect(textsOf(withNoise, 'metrics', 1)).toEqual([
      'PSNR 17.50 dB',
      'SSIM 0.800',
      '−1.50\u00a0dB vs\u00a0filter',
    ])
    // The table's cell reads the same texts from the same function.
    const table = rowMetrics(scored('x', 23.456, 0.91234, { median: 18.204, nlm: 22.1 }))!
    expect(textsOf(withNoise, 'metrics', 0)).toEqual([table.psnr, table.ssim, table.gain])
    // Under each best-filter image, which filter it is and its PSNR, as on screen.
    expect(textsOf(withNoise, 'caption', 0)).toEqual(['Non-local means', '22.10 dB'])
    expect(textsOf(withNoise, 'caption', 1)).toEqual(['Median 3×3', '19.00 dB'])
    expect(textsOf(withoutNoise, 'metrics', 0)).toEqual(['PSNR 30.00 dB', 'SSIM 0.970'])
    expect(textsOf(withoutNoise, 'metrics', 1)).toEqual(['…'])
  })

  it('keeps every text and image apart, the headings above the images, and all inside the canvas', () => {
    for (const layout of [withNoise, withoutNoise]) {
      expectNothingOverlapsAndAllFits(layout)
      const labels = layout.texts.filter((text) => text.kind === 'label')
      const header = layout.texts.find((text) => text.kind === 'header')!
      const firstImageTop = Math.min(...layout.images.map((image) => image.y))
      for (const label of labels) {
        expect(label.y + label.height).toBeLessThanOrEqual(firstImageTop)
        expect(header.y + header.height).toBeLessThanOrEqual(label.y)
      }
    }
  })

  it('for images smaller than SSIM’s window, shows SSIM as — in every row and says why once, under the header', () => {
    const noSsim = NaN // what the metrics give such images
    const small = layoutResultsPng({
      modelName: 'idx-10',
      noise: { type: 'gaussian', level: 0.5 },
      imageSize: { width: 10, height: 10 },
      columns: { noisy: true, filter: true },
      rows: [
        scored('test #0', 21.5, noSsim, { median: 18, nlm: 19 }),
        scored('test #1', 22.5, noSsim, { median: 18, nlm: 19 }),
      ],
    })
    expect(rowMetrics(scored('x', 21.5, noSsim, null))!.ssim).toBe('SSIM —')
    expect(textsOf(small, 'metrics', 0)).toEqual(['PSNR 21.50 dB', 'SSIM —', '+2.50\u00a0dB vs\u00a0filter'])
    expect(textsOf(small, 'metrics', 1)).toContain('SSIM —')
    expect(textsOf(small, 'note')).toEqual([
      'SSIM is not defined for images smaller than 11×11 pixels (these are 10×10), so it is left out.',
    ])
    expect(small.texts.some((text) => text.text.includes('NaN'))).toBe(false)
    const note = small.texts.find((text) => text.kind === 'note')!
    const header = small.texts.find((text) => text.kind === 'header')!
    expect(note.y).toBeGreaterThanOrEqual(header.y + header.height)
    expect(note.y + note.height).toBeLessThanOrEqual(Math.min(...small.images.map((image) => image.y)))
    expectNothingOverlapsAndAllFits(small)
    // Images with SSIM need no note.
    expect(textsOf(withNoise, 'note')).toEqual([])
    expect(textsOf(withoutNoise, 'note')).toEqual([])
  })

  it('keeps the images enlarged and the text in proportion to them', () => {
    const small = layoutResultsPng({
      modelName: 'm',
      noise: null,
      imageSize: { width: 28, height: 28 },
      columns: { noisy: false, filter: false },
      rows: [scored('a', 20, 0.9, null)],
    })
    const large = layoutResultsPng({
      modelName: 'm',
      noise: null,
      imageSize: { width: 128, height: 128 },
      columns: { noisy: false, filter: false },
      rows: [scored('a', 20, 0.9, null)],
    })
    expect(small.images[0]).toMatchObject({ width: 112, height: 112 })
    expect(large.images[0]).toMatchObject({ width: 128, height: 128 })
    const metricsSize = (layout: PngLayout) => layout.texts.find((text) => text.kind === 'metrics')!.fontSize
    expect(metricsSize(small)).toBeGreaterThanOrEqual(12)
    expect(metricsSize(large)).toBeGreaterThan(metricsSize(small))
  })
})
