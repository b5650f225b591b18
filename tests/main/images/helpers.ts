// Shared helpers for the image tests: a seeded generator (independent of the code under test) and PSNR.
import type { ImageData } from '../../../src-main/ml/image-io'

/** mulberry32 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000
  }
}

export function psnr(a: ImageData, b: ImageData): number {
  let sum = 0
  for (let i = 0; i < a.data.length; i++) sum += (a.data[i]! - b.data[i]!) ** 2
  return 10 * Math.log10(1 / (sum / a.data.length))
}

export function withGaussianNoise(image: ImageData, sigma: number, seed = 1): ImageData {
  const random = seededRandom(seed)
  const data = image.data.map((v) => {
    const n = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
    return v + sigma * n
  })
  return { ...image, data }
}
