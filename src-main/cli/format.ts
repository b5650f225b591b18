// Text formatting for the terminal: durations, numbers, the per-epoch progress bar and simple tables.

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  const total = Math.max(0, Math.round(seconds))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`
}

export function progressBar(done: number, total: number, width = 24): string {
  const filled = Math.round((done / Math.max(total, 1)) * width)
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (filled === width ? '=' : '>') : ''}${' '.repeat(width - filled)}]`
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)))
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n')
}

export function fixed(value: number | undefined, digits = 4): string {
  return value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits)
}

/**
 * "200 test images (MNIST, 1.2 s)". Dataset names are phrases ("IDX images in DIR", "Patches of the images in DIR"),
 * so they go in parentheses rather than before "test images".
 */
export function testImages(count: number, datasetName: string, seconds: number): string {
  return `${count} test image${count === 1 ? '' : 's'} (${datasetName}, ${seconds.toFixed(1)} s)`
}
