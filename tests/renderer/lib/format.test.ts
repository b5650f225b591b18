import { describe, expect, it } from 'vitest'
import { formatDuration, formatNumber } from '@renderer/lib/format'

describe('formatDuration', () => {
  it('keeps a tenth of a second below ten seconds, so a fast job never reads "0 s"', () => {
    expect(formatDuration(0.24)).toBe('0.2 s')
    expect(formatDuration(9.94)).toBe('9.9 s')
    expect(formatDuration(9.96)).toBe('10 s')
  })

  it('rounds to whole seconds, then minutes and hours', () => {
    expect(formatDuration(42.4)).toBe('42 s')
    expect(formatDuration(125)).toBe('2 min 05 s')
    expect(formatDuration(4834)).toBe('1 h 20 min')
  })

  it('shows a dash for a duration it cannot know', () => {
    expect(formatDuration(Number.NaN)).toBe('—')
    expect(formatDuration(-1)).toBe('—')
  })
})

describe('formatNumber', () => {
  it('writes a negative value with a minus sign, as the Compare table does, not a hyphen', () => {
    expect(formatNumber(-1.644, 2)).toBe('−1.64')
    expect(formatNumber(1.646, 2)).toBe('1.65')
  })

  it('gives no sign to a value that rounds to zero', () => {
    expect(formatNumber(-0.001, 2)).toBe('0.00')
    expect(formatNumber(0, 3)).toBe('0.000')
  })
})
