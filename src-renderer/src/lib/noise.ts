// Synthetic corruption applied in the renderer before an image is sent to a model (Draw's noise slider and the
// Compare view's "noisy" column). Seeded so the same image and level give the same noisy picture on every redraw.

import type { Noise } from '@contract'

/** The contract's noise kinds (minus "none"): the same names the trainer and the CLI use. */
export type NoiseType = 'gaussian' | 'speckle' | 'saltPepper' | 'mask'

export interface NoiseSpec {
  type: NoiseType
  /** gaussian and speckle: standard deviation; salt-and-pepper and masking: fraction of pixels hit. In [0, 1]. */
  level: number
}

export const NOISE_LABELS: Record<NoiseType, string> = {
  gaussian: 'Gaussian',
  speckle: 'Speckle',
  saltPepper: 'Salt and pepper',
  mask: 'Masking (dropout)',
}

/** The contract's shape for a noise spec; level 0 means no noise at all. */
export function toContractNoise(spec: NoiseSpec | null | undefined): Noise {
  if (!spec || spec.level <= 0) return { type: 'none' }
  if (spec.type === 'gaussian' || spec.type === 'speckle') return { type: spec.type, stddev: spec.level }
  return { type: spec.type, amount: spec.level }
}

/** The form's view of a contract noise spec; null for no noise (or none given, as for a plain model). */
export function fromContractNoise(noise: Noise | undefined): NoiseSpec | null {
  if (!noise || noise.type === 'none') return null
  if (noise.type === 'gaussian' || noise.type === 'speckle') return { type: noise.type, level: noise.stddev }
  return { type: noise.type, level: noise.amount }
}

/** mulberry32: tiny, fast and good enough for visual noise; Math.random cannot be seeded. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function addNoise(pixels: Float32Array, spec: NoiseSpec, seed = 1): Float32Array {
  const out = new Float32Array(pixels)
  if (spec.level <= 0) return out
  const random = seededRandom(seed)
  for (let i = 0; i < out.length; i++) {
    const value = out[i] ?? 0
    if (spec.type === 'gaussian' || spec.type === 'speckle') {
      // Box–Muller; one normal sample per pixel is plenty here.
      const u = Math.max(random(), 1e-12)
      const v = random()
      const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * spec.level
      // Speckle is multiplicative (x + x·n), so dark background stays dark.
      out[i] = Math.min(1, Math.max(0, value + (spec.type === 'speckle' ? value * normal : normal)))
    } else if (spec.type === 'saltPepper') {
      if (random() < spec.level) out[i] = random() < 0.5 ? 0 : 1
    } else if (random() < spec.level) {
      out[i] = 0
    }
  }
  return out
}
