// Small display helpers shared by views: durations, rates, losses, dates.

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—'
  // A fast denoise takes a fraction of a second: "0 s" would read as not measured.
  if (seconds < 9.95) return `${seconds.toFixed(1)} s`
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

export function formatRate(samplesPerSecond: number): string {
  if (!Number.isFinite(samplesPerSecond)) return '—'
  return samplesPerSecond >= 1000
    ? `${(samplesPerSecond / 1000).toFixed(1)}k samples/s`
    : `${Math.round(samplesPerSecond)} samples/s`
}

export function formatLoss(value: number | undefined | null): string {
  return value === undefined || value === null || !Number.isFinite(value) ? '—' : value.toFixed(4)
}

/**
 * A number with a typographic minus sign ("−1.64"), as the Compare table writes its gains; toFixed's hyphen reads as a
 * dash on screen and to a screen reader. A value that rounds to zero has no sign.
 */
export function formatNumber(value: number, digits: number): string {
  const text = value.toFixed(digits)
  if (!text.startsWith('-')) return text
  return Number(text) === 0 ? text.slice(1) : `−${text.slice(1)}`
}

export function formatDb(value: number): string {
  return value === Infinity ? '∞ dB' : `${value.toFixed(2)} dB`
}

export function formatDate(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}
