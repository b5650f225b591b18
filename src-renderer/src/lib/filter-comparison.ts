// What a denoising model gains over the classical filters on the images in the Compare view: mean PSNR and SSIM
// per method over the rows that have all of them, as `bottleneck eval --noise … --baselines` reports them for a
// test set (means over images, PSNR capped at 100 dB so a perfect image does not make a mean infinite).
import type { DenoiseBaseline } from '@contract'

export const FILTER_LABELS: Record<DenoiseBaseline, string> = {
  median: 'Median 3×3',
  median5: 'Median 5×5',
  gaussian: 'Gaussian blur (σ 1 px)',
  nlm: 'Non-local means',
}

export interface Score {
  psnr: number
  ssim: number
}

export interface ScoredRow {
  model: Score
  noisy: Score
  filters: (Score & { name: DenoiseBaseline })[]
}

export interface ComparisonLine extends Score {
  label: string
  kind: 'model' | 'filter' | 'noisy'
  /** The filter with the highest mean PSNR. */
  best: boolean
}

export interface Comparison {
  images: number
  lines: ComparisonLine[]
  /** The model's mean against the best filter's. */
  gain: Score & { over: string }
}

const PSNR_CAP = 100

function mean(scores: Score[]): Score {
  const total = scores.reduce(
    (sum, score) => ({ psnr: sum.psnr + Math.min(score.psnr, PSNR_CAP), ssim: sum.ssim + score.ssim }),
    { psnr: 0, ssim: 0 },
  )
  return { psnr: total.psnr / scores.length, ssim: total.ssim / scores.length }
}

/** The best filter of one row, by PSNR (what the row's "best classical filter" cell shows). */
export function bestFilter<T extends Score>(filters: readonly T[]): T | null {
  return filters.reduce<T | null>(
    (best, filter) => (best === null || filter.psnr > best.psnr ? filter : best),
    null,
  )
}

/** Null until some row has been scored against the filters. */
export function compareWithFilters(modelName: string, rows: readonly ScoredRow[]): Comparison | null {
  const scored = rows.filter((row) => row.filters.length > 0)
  if (!scored.length) return null
  const names = scored[0]!.filters.map((filter) => filter.name)
  const filters = names.map((name) => ({
    name,
    ...mean(scored.map((row) => row.filters.find((filter) => filter.name === name)!)),
  }))
  const best = bestFilter(filters)!
  const model = mean(scored.map((row) => row.model))
  return {
    images: scored.length,
    lines: [
      { label: modelName, kind: 'model', best: false, ...model },
      ...filters.map((filter) => ({
        label: FILTER_LABELS[filter.name],
        kind: 'filter' as const,
        best: filter === best,
        psnr: filter.psnr,
        ssim: filter.ssim,
      })),
      { label: 'Noisy input', kind: 'noisy', best: false, ...mean(scored.map((row) => row.noisy)) },
    ],
    gain: { psnr: model.psnr - best.psnr, ssim: model.ssim - best.ssim, over: FILTER_LABELS[best.name] },
  }
}
