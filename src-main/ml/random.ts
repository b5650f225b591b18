// Seeded pseudo-random numbers for what must be reproducible across runs: the per-epoch shuffle and the
// seeds handed to the weight initialisers. Not for anything security related.

export type RandomSource = () => number

/** mulberry32: tiny, fast, good enough statistics for shuffling; same sequence for the same seed everywhere. */
export function createRandom(seed?: number): RandomSource {
  let state = (seed ?? Math.floor(Math.random() * 0x1_0000_0000)) >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000
  }
}

/** A fresh permutation of 0..count-1 (Fisher–Yates). Int32Array so it can become an int32 tensor without copying. */
export function shuffledIndices(count: number, random: RandomSource): Int32Array {
  const indices = new Int32Array(count)
  for (let i = 0; i < count; i++) indices[i] = i
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = indices[i]!
    indices[i] = indices[j]!
    indices[j] = swap
  }
  return indices
}

/**
 * The seed to hand a tfjs random op (randomNormal, randomUniform). tfjs reads a falsy seed as "no seed"
 * (`seed ? seed : Math.random()` in tfjs-core's rand_util), so seed 0 would draw different numbers on every call.
 * 0 becomes 2^32 + 0.5, which no seed here reaches (they are integers or below 2^31); every other seed passes through
 * unchanged, so the numbers it draws (and every figure measured with them) stay what they were.
 */
export function tfjsSeed(seed: number | undefined): number | undefined {
  return seed === 0 ? 2 ** 32 + 0.5 : seed
}

/** Derives a stable integer seed for a sub-purpose (e.g. one layer's initialiser) from a run seed. */
export function deriveSeed(seed: number, purpose: number): number {
  return createRandom((seed ^ Math.imul(purpose + 1, 0x9e3779b1)) >>> 0)() * 0x7fff_ffff
}
