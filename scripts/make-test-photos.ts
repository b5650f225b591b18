// Procedural stand-ins for photographs, for tests and benchmarks: any number, any size, from a seed, mimicking what
// denoisers care about in photos — smooth gradients, multi-scale fractal texture, hard object edges, shading. They
// are NOT real photographs (the few real ones we may ship are in resources/photos); figures measured on them say so.
//
//   npx tsx scripts/make-test-photos.ts OUTDIR [count=8] [width=256] [height=256]

import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ImageData } from '../src-main/ml/image-io'
import { writePng } from '../src-main/ml/image-io'

function hash(x: number, y: number, seed: number): number {
  let h = Math.imul(x, 374761393) + Math.imul(y, 668265263) + Math.imul(seed, 2246822519)
  h = Math.imul(h ^ (h >>> 13), 1274126177)
  return ((h ^ (h >>> 16)) >>> 0) / 0x1_0000_0000
}

/** Smoothly interpolated lattice noise in [0, 1]. */
function valueNoise(x: number, y: number, seed: number): number {
  const x0 = Math.floor(x)
  const y0 = Math.floor(y)
  const fx = x - x0
  const fy = y - y0
  const sx = fx * fx * (3 - 2 * fx)
  const sy = fy * fy * (3 - 2 * fy)
  const top = hash(x0, y0, seed) * (1 - sx) + hash(x0 + 1, y0, seed) * sx
  const bottom = hash(x0, y0 + 1, seed) * (1 - sx) + hash(x0 + 1, y0 + 1, seed) * sx
  return top * (1 - sy) + bottom * sy
}

/** Fractal Brownian motion: octaves of noise with halving amplitude — the 1/f look of natural scenes. */
function fbm(x: number, y: number, seed: number, octaves = 6): number {
  let sum = 0
  let amplitude = 0.5
  let frequency = 1
  let norm = 0
  for (let o = 0; o < octaves; o++) {
    sum += amplitude * valueNoise(x * frequency, y * frequency, seed + o * 101)
    norm += amplitude
    amplitude *= 0.5
    frequency *= 2
  }
  return sum / norm
}

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)))
  return t * t * (3 - 2 * t)
}

/** One synthetic "photo": sky, a fractal ridge, textured ground, shaded spheres and boxes with windows. */
export function syntheticPhoto(width: number, height: number, seed: number, channels: 1 | 3 = 3): ImageData {
  const rand = (i: number) => hash(i, 7, seed)
  const scale = 6 / Math.max(width, height)
  const skyTop = [0.25 + 0.3 * rand(1), 0.45 + 0.3 * rand(2), 0.75 + 0.2 * rand(3)]
  const ground = [0.3 + 0.3 * rand(4), 0.3 + 0.3 * rand(5), 0.15 + 0.2 * rand(6)]
  const spheres = Array.from({ length: 3 + Math.floor(rand(8) * 3) }, (_, i) => ({
    x: rand(10 + i) * width,
    y: (0.45 + 0.5 * rand(20 + i)) * height,
    r: (0.05 + 0.12 * rand(30 + i)) * Math.min(width, height),
    colour: [rand(40 + i), rand(50 + i), rand(60 + i)],
  }))
  const boxes = Array.from({ length: 2 + Math.floor(rand(9) * 3) }, (_, i) => {
    const w = (0.08 + 0.15 * rand(70 + i)) * width
    const h = (0.15 + 0.3 * rand(80 + i)) * height
    const x = rand(90 + i) * (width - w)
    return { x, y: height * (0.55 + 0.2 * rand(100 + i)) - h, w, h, tone: 0.3 + 0.5 * rand(110 + i) }
  })
  const data = new Float32Array(width * height * channels)
  const pixel = [0, 0, 0]
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const u = col * scale
      const v = row * scale
      const ridge = height * (0.45 + 0.2 * (fbm(u * 0.5, 0, seed + 3, 5) - 0.5))
      if (row < ridge) {
        const t = row / height
        const cloud = smoothstep(0.5, 0.75, fbm(u, v * 2, seed + 1))
        for (let k = 0; k < 3; k++) pixel[k] = skyTop[k]! * (1 - 0.4 * t) * (1 - cloud) + 0.95 * cloud
      } else {
        const texture = fbm(u * 4, v * 4, seed + 2)
        const shade = 0.6 + 0.8 * (texture - 0.5) + 0.3 * ((row - ridge) / height)
        for (let k = 0; k < 3; k++) pixel[k] = ground[k]! * shade
      }
      for (const box of boxes) {
        if (col >= box.x && col < box.x + box.w && row >= box.y && row < box.y + box.h) {
          const wx = (col - box.x) % 12
          const wy = (row - box.y) % 16
          const window = wx > 3 && wx < 9 && wy > 4 && wy < 12
          const tone = window
            ? 0.9 * rand(Math.floor((col - box.x) / 12) * 31 + Math.floor((row - box.y) / 16))
            : box.tone
          for (let k = 0; k < 3; k++) pixel[k] = tone * (0.9 + 0.1 * k)
        }
      }
      for (const sphere of spheres) {
        const dx = col - sphere.x
        const dy = row - sphere.y
        const distance = Math.sqrt(dx * dx + dy * dy)
        // Anti-aliased edge over one pixel, Lambert shading from the upper left.
        const coverage = 1 - smoothstep(sphere.r - 0.5, sphere.r + 0.5, distance)
        if (coverage <= 0) continue
        const nz = Math.sqrt(Math.max(0, 1 - (distance / sphere.r) ** 2))
        const light = Math.max(0, (-0.5 * dx) / sphere.r + (-0.5 * dy) / sphere.r + 0.7 * nz)
        for (let k = 0; k < 3; k++) {
          pixel[k] = pixel[k]! * (1 - coverage) + coverage * sphere.colour[k]! * (0.2 + 0.8 * light)
        }
      }
      const at = (row * width + col) * channels
      if (channels === 1)
        data[at] = Math.min(1, Math.max(0, 0.299 * pixel[0]! + 0.587 * pixel[1]! + 0.114 * pixel[2]!))
      else for (let k = 0; k < 3; k++) data[at + k] = Math.min(1, Math.max(0, pixel[k]!))
    }
  }
  return { data, height, width, channels }
}

/** Writes `count` photos (seeds 1…count) as PNG into `folder`; returns their paths. */
export async function writeTestPhotos(
  folder: string,
  count: number,
  width = 256,
  height = 256,
  firstSeed = 1,
): Promise<string[]> {
  await mkdir(folder, { recursive: true })
  const paths: string[] = []
  for (let i = 0; i < count; i++) {
    const path = join(folder, `synthetic-${String(firstSeed + i).padStart(3, '0')}.png`)
    await writePng(path, syntheticPhoto(width, height, firstSeed + i))
    paths.push(path)
  }
  return paths
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const usage = 'Usage: npx tsx scripts/make-test-photos.ts OUTDIR [count] [width] [height]'
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage)
    process.exit(0)
  }
  const [folder, count = '8', width = '256', height = '256'] = args
  const numbers = [count, width, height].map(Number)
  // An option or a typo must not become a folder of photos named "--something" or a NaN-sized image.
  if (!folder || folder.startsWith('-') || !numbers.every((n) => Number.isInteger(n) && n > 0)) {
    console.error(usage)
    process.exit(2)
  }
  const paths = await writeTestPhotos(folder, numbers[0]!, numbers[1]!, numbers[2]!)
  console.log(`Wrote ${paths.length} synthetic photos to ${folder}`)
}
