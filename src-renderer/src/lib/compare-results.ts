// How the Compare view's results read, on screen and in the saved PNG: the column headings, each row's metric texts,
// and where the PNG puts every image and text. One definition for both, so a PNG sent to a colleague says exactly
// what the table said. Pure arithmetic: the view only draws what `layoutResultsPng` returns.
import type { DenoiseBaseline } from '@contract'
import { formatDb } from '@renderer/lib/format'
import { SSIM_WINDOW, hasSsim } from '@renderer/lib/metrics'
import { FILTER_LABELS, bestFilter, type Score } from '@renderer/lib/filter-comparison'
import { NOISE_LABELS, type NoiseSpec } from '@renderer/lib/noise'

export type ImageColumn = 'original' | 'noisy' | 'reconstruction' | 'difference' | 'filter'

/** The table's headings. The soft hyphen lets "Reconstruction" break in its narrow column on screen. */
export const COLUMN_LABELS = {
  name: 'Image',
  original: 'Original',
  noisy: 'Noisy',
  reconstruction: 'Recon\u00adstruction',
  difference: '|Difference|',
  filter: 'Best classical filter',
  metrics: 'PSNR · SSIM',
} as const satisfies Record<ImageColumn | 'name' | 'metrics', string>

/** What a row needs for its texts; the view's rows have this and more. */
export interface ScoredResult {
  name: string
  psnr: number | null
  /** Null while the row is being computed, NaN for images too small for SSIM (see `ssimNote`). */
  ssim: number | null
  filters: readonly (Score & { name: DenoiseBaseline })[]
}

export function formatGain(value: number, digits: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(digits)}`
}

/** An SSIM figure as the table, the means and the PNG show it: "—" where images are too small to have one. */
export function formatSsim(value: number): string {
  return Number.isNaN(value) ? '—' : value.toFixed(3)
}

/**
 * Why every SSIM reads "—", said once above the figures rather than in each row; null when the images have SSIM.
 * The CLI says the same about such images.
 */
export function ssimNote(imageSize: { width: number; height: number }): string | null {
  const { width, height } = imageSize
  if (hasSsim(width, height)) return null
  return (
    `SSIM is not defined for images smaller than ${SSIM_WINDOW}×${SSIM_WINDOW} pixels ` +
    `(these are ${width}×${height}), so it is left out.`
  )
}

export interface RowMetrics {
  psnr: string
  ssim: string
  /** What the model gains over the row's best classical filter, when there is one. */
  gain: string | null
}

/** The row's metrics cell, line by line; null while the row is still being computed. */
export function rowMetrics(row: ScoredResult): RowMetrics | null {
  if (row.psnr === null || row.ssim === null) return null
  const filter = bestFilter(row.filters)
  return {
    psnr: `PSNR ${formatDb(row.psnr)}`,
    ssim: `SSIM ${formatSsim(row.ssim)}`,
    gain: filter ? `${formatGain(row.psnr - filter.psnr, 2)}\u00a0dB vs\u00a0filter` : null,
  }
}

/** The caption under the row's best-filter image: which filter it is and its PSNR. */
export function filterCaption(row: ScoredResult): { name: string; psnr: string } | null {
  const filter = bestFilter(row.filters)
  return filter ? { name: FILTER_LABELS[filter.name], psnr: formatDb(filter.psnr) } : null
}

/** The PNG's first line: the model and, when the images were corrupted, the noise (as the toolbar shows it). */
export function pngHeader(modelName: string, noise: NoiseSpec | null): string {
  const model = `Model: ${modelName}`
  return noise ? `${model} · Noise: ${NOISE_LABELS[noise.type]} ${noise.level.toFixed(2)}` : model
}

// The PNG is a document on white, whatever the app's theme.
export const PNG_BACKGROUND = '#ffffff'
const TEXT_COLOUR = '#1f2328'
const MUTED_COLOUR = '#59636e'
export const PNG_FONT_FAMILY = "ui-monospace, 'SF Mono', 'Cascadia Mono', 'DejaVu Sans Mono', monospace"
/**
 * Width of one character in em, a little above the widest usual monospace fonts (0.6), so the layout can size
 * columns without measuring text; the drawing also squeezes any text to its box, so a wider font never overlaps.
 */
const CHARACTER_WIDTH = 0.62
/** The enlarged images are about this tall; smaller inputs are scaled up by a whole factor. */
const TARGET_CELL_SIZE = 112

export interface Box {
  x: number
  y: number
  width: number
  height: number
}

export interface PngText extends Box {
  kind: 'header' | 'note' | 'label' | 'name' | 'metrics' | 'caption'
  /** The row this text belongs to (names, metrics, captions). */
  row?: number
  text: string
  fontSize: number
  bold: boolean
  colour: string
}

export interface PngImage extends Box {
  row: number
  column: ImageColumn
}

export interface PngLayout {
  width: number
  height: number
  texts: PngText[]
  images: PngImage[]
}

export interface PngLayoutInput {
  modelName: string
  /** The noise the rows were computed with; null without noise. */
  noise: NoiseSpec | null
  /** The model's input size, the size of every row's images. */
  imageSize: { width: number; height: number }
  /** Which optional columns the table shows: without noise there is nothing noisy and no filter. */
  columns: { noisy: boolean; filter: boolean }
  rows: readonly ScoredResult[]
}

/**
 * The saved PNG laid out like the table: a header line (and under it the note on SSIM when the images have none),
 * then one heading per column (the row's name, each image column present, the metrics), then one band per row. Text
 * sizes follow the enlarged images so they stay legible.
 */
export function layoutResultsPng(input: PngLayoutInput): PngLayout {
  const { width, height } = input.imageSize
  const scale = Math.max(1, Math.floor(TARGET_CELL_SIZE / Math.max(width, height)))
  const cell = { width: width * scale, height: height * scale }
  const fontSize = Math.min(24, Math.max(12, Math.round(cell.height / 7)))
  const headerFontSize = Math.round(fontSize * 1.25)
  const lineHeightOf = (size: number) => Math.round(size * 1.3)
  const lineHeight = lineHeightOf(fontSize)
  const gap = Math.round(fontSize * 0.75)
  const captionGap = Math.round(gap / 2)
  const textWidth = (text: string, size = fontSize) => Math.ceil([...text].length * size * CHARACTER_WIDTH)
  const label = (column: keyof typeof COLUMN_LABELS) => COLUMN_LABELS[column].replaceAll('\u00ad', '')

  const imageColumns: ImageColumn[] = [
    'original',
    ...(input.columns.noisy ? (['noisy'] as const) : []),
    'reconstruction',
    'difference',
    ...(input.columns.filter ? (['filter'] as const) : []),
  ]
  // Every text of every row first: the widest decides its column's width.
  const rows = input.rows.map((row) => {
    const metrics = rowMetrics(row)
    const caption = input.columns.filter ? filterCaption(row) : null
    return {
      name: row.name,
      // Muted as on screen: the gain is a remark on the two figures above it, "…" a placeholder.
      metrics: metrics
        ? [
            { text: metrics.psnr, muted: false },
            { text: metrics.ssim, muted: false },
            ...(metrics.gain ? [{ text: metrics.gain, muted: true }] : []),
          ]
        : [{ text: '…', muted: true }],
      caption: caption ? [caption.name, caption.psnr] : [],
    }
  })
  const widest = (texts: string[]) => Math.max(...texts.map((text) => textWidth(text)))
  const columns = [
    { key: 'name' as const, width: widest([label('name'), ...rows.map((row) => row.name)]) },
    ...imageColumns.map((key) => ({
      key,
      width: Math.max(
        cell.width,
        widest([label(key), ...(key === 'filter' ? rows.flatMap((row) => row.caption) : [])]),
      ),
    })),
    {
      key: 'metrics' as const,
      width: widest([label('metrics'), ...rows.flatMap((row) => row.metrics.map((line) => line.text))]),
    },
  ]
  const left: number[] = []
  columns.reduce((x, column) => {
    left.push(x)
    return x + column.width + gap
  }, gap)

  const texts: PngText[] = []
  const images: PngImage[] = []
  function place(
    item: Pick<PngText, 'kind' | 'text' | 'x' | 'y'> & Partial<Pick<PngText, 'row' | 'fontSize' | 'bold'>>,
    muted = false,
  ): PngText {
    const size = item.fontSize ?? fontSize
    const placed = {
      bold: false,
      ...item,
      fontSize: size,
      width: textWidth(item.text, size),
      height: lineHeightOf(size),
      colour: muted ? MUTED_COLOUR : TEXT_COLOUR,
    }
    texts.push(placed)
    return placed
  }

  const header = place({
    kind: 'header',
    text: pngHeader(input.modelName, input.noise),
    x: gap,
    y: gap,
    fontSize: headerFontSize,
    bold: true,
  })
  const note = ssimNote(input.imageSize)
  const noteText = note
    ? place({ kind: 'note', text: note, x: gap, y: header.y + header.height }, true)
    : null
  const aboveLabels = noteText ?? header
  const labelsTop = aboveLabels.y + aboveLabels.height + gap
  columns.forEach((column, c) =>
    place({ kind: 'label', text: label(column.key), x: left[c]!, y: labelsTop, bold: true }, true),
  )

  const captionHeight = Math.max(0, ...rows.map((row) => row.caption.length)) * lineHeight
  const imageHeight = cell.height + (captionHeight ? captionGap + captionHeight : 0)
  let top = labelsTop + lineHeight + gap
  rows.forEach((row, r) => {
    const bandHeight = Math.max(imageHeight, row.metrics.length * lineHeight, lineHeight)
    // Each cell's content is centred in the row's band, as the table centres it.
    const centred = (contentHeight: number) => top + Math.floor((bandHeight - contentHeight) / 2)
    columns.forEach((column, c) => {
      const x = left[c]!
      if (column.key === 'name') {
        place({ kind: 'name', row: r, text: row.name, x, y: centred(lineHeight), bold: true })
      } else if (column.key === 'metrics') {
        const y = centred(row.metrics.length * lineHeight)
        row.metrics.forEach((line, i) =>
          place({ kind: 'metrics', row: r, text: line.text, x, y: y + i * lineHeight }, line.muted),
        )
      } else {
        const y = centred(imageHeight)
        images.push({ row: r, column: column.key, x, y, ...cell })
        if (column.key === 'filter')
          row.caption.forEach((line, i) =>
            place(
              { kind: 'caption', row: r, text: line, x, y: y + cell.height + captionGap + i * lineHeight },
              true,
            ),
          )
      }
    })
    top += bandHeight + gap
  })

  const contentRight = left.at(-1)! + columns.at(-1)!.width
  const textRight = Math.max(...[header, noteText].map((text) => (text ? text.x + text.width : 0)))
  return { width: Math.max(contentRight, textRight) + gap, height: top, texts, images }
}
