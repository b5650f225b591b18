// The Latent view's calls at the contract's gate: defaults filled in, and oversized maps, too many samples, test
// indices past the map, long interpolations, huge grids and degenerate probability ranges refused before any work.
import { describe, expect, it } from 'vitest'
import { LATENT_LIMITS, parseInput } from '../../../src-main/contract/index'

const id = 'a1b2c3d4e5f6'

describe('latent calls in the contract', () => {
  it('fills in the defaults a user would expect', () => {
    expect(parseInput('latent.map', { id })).toEqual({ ok: true, value: { id, limit: 2000 } })
    expect(parseInput('latent.interpolate', { id, from: 0, to: 1 })).toEqual({
      ok: true,
      value: { id, from: 0, to: 1, steps: 10 },
    })
    expect(parseInput('latent.generate', { id })).toEqual({ ok: true, value: { id, n: 15, from: 0.05, to: 0.95 } })
  })

  const refused: [string, Parameters<typeof parseInput>[0], unknown, string][] = [
    ['a map bigger than the limit', 'latent.map', { id, limit: LATENT_LIMITS.maxMapPoints + 1 }, 'limit'],
    ['a one-point map', 'latent.map', { id, limit: 1 }, 'limit'],
    ['a path as id', 'latent.map', { id: '../models/x' }, 'model id'],
    ['an extra key', 'latent.map', { id, path: '/tmp' }, 'path'],
    ['no indices', 'latent.samples', { id, indices: [] }, 'empty'],
    ['too many samples', 'latent.samples', { id, indices: new Array(17).fill(0) }, 'at most 16'],
    ['a 10^8-element index list', 'latent.samples', { id, indices: new Array(100_000_000) }, 'at most 16'],
    ['an index past the map', 'latent.samples', { id, indices: [LATENT_LIMITS.maxMapPoints] }, 'indices'],
    ['a fractional index', 'latent.samples', { id, indices: [1.5] }, 'indices'],
    ['a negative index', 'latent.interpolate', { id, from: -1, to: 2 }, 'from'],
    ['too many steps', 'latent.interpolate', { id, from: 0, to: 1, steps: 33 }, 'steps'],
    ['a one-step line', 'latent.interpolate', { id, from: 0, to: 1, steps: 1 }, 'steps'],
    ['a grid too large', 'latent.generate', { id, n: 31 }, 'n'],
    ['a range that does not straddle the median', 'latent.generate', { id, from: 0.6 }, 'from'],
    ['a range reaching probability 1', 'latent.generate', { id, to: 1 }, 'to'],
  ]
  it.each(refused)('refuses %s', (_, name, payload, word) => {
    const started = performance.now()
    const result = parseInput(name, payload)
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_INPUT')
      expect(result.error.message).toContain(word)
    }
    expect(performance.now() - started).toBeLessThan(200)
  })
})
