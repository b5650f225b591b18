import { describe, expect, it } from 'vitest'
import {
  centreOfMass,
  inkBoundingBox,
  resampleArea,
  rgbaToInk,
  toMnistInput,
  type GrayImage,
} from '@renderer/lib/digit-preprocess'

function canvas(width: number, height: number, paint: (x: number, y: number) => number): GrayImage {
  const pixels = new Float32Array(width * height)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = paint(x, y)
  return { pixels, width, height }
}

describe('toMnistInput', () => {
  it('keeps a blank drawing blank', () => {
    const out = toMnistInput(canvas(280, 280, () => 0))
    expect(out).toHaveLength(784)
    expect(out.every((v) => v === 0)).toBe(true)
  })

  it('scales the longer side of the ink to 20 px and keeps the aspect ratio', () => {
    // A 100 × 50 bar in a corner of a 280 px canvas.
    const out = toMnistInput(canvas(280, 280, (x, y) => (x >= 10 && x < 110 && y >= 200 && y < 250 ? 1 : 0)))
    const box = inkBoundingBox({ pixels: out, width: 28, height: 28 }, 0.5)
    expect(box).not.toBeNull()
    expect(box!.width).toBe(20)
    expect(box!.height).toBe(10)
  })

  it('moves the centre of mass to the centre of the frame wherever the digit was drawn', () => {
    const ring = (cx: number, cy: number) =>
      canvas(280, 280, (x, y) => {
        const r = Math.hypot(x - cx, y - cy)
        return r > 30 && r < 45 ? 1 : 0
      })
    for (const [cx, cy] of [
      [60, 60],
      [220, 140],
    ] as const) {
      const mass = centreOfMass(toMnistInput(ring(cx, cy)), 28, 28)!
      expect(Math.abs(mass.x - 14)).toBeLessThanOrEqual(0.5)
      expect(Math.abs(mass.y - 14)).toBeLessThanOrEqual(0.5)
    }
  })

  it('shifts a lopsided digit so its mass, not its box, is centred', () => {
    // An "L": heavy vertical bar on the left, a lighter foot to the right.
    const out = toMnistInput(
      canvas(200, 200, (x, y) =>
        (x >= 20 && x < 80 && y >= 20 && y < 180) || (y >= 150 && y < 180 && x < 180 && x >= 20) ? 1 : 0,
      ),
    )
    const box = inkBoundingBox({ pixels: out, width: 28, height: 28 }, 0.5)!
    const boxCentreX = box.x + box.width / 2
    expect(boxCentreX).toBeGreaterThan(15) // box pushed right so the heavy left bar sits near the centre
    const mass = centreOfMass(out, 28, 28)!
    expect(Math.abs(mass.x - 14)).toBeLessThanOrEqual(0.5)
  })

  it('never pushes ink out of the frame, even when the mass is far off-centre', () => {
    // Thick left bar and a hair-thin foot: centring the mass exactly would push the foot past the right edge.
    const image = canvas(200, 200, (x, y) =>
      (x >= 20 && x < 60 && y >= 20 && y < 180) || (y >= 170 && y < 180 && x < 180 && x >= 20) ? 1 : 0,
    )
    const out = toMnistInput(image)
    const total = out.reduce((s, v) => s + v, 0)
    // Area-averaging preserves mass: (40·160 + 120·10) px scaled by (20/160)² ≈ 118.75.
    expect(total).toBeCloseTo(7600 * (20 / 160) ** 2, 0)
  })

  it('produces values in [0, 1] with anti-aliased edges for thin strokes', () => {
    const out = toMnistInput(canvas(280, 280, (x, y) => (Math.abs(x - y) < 4 && x > 40 && x < 240 ? 1 : 0)))
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...out)).toBeLessThanOrEqual(1)
    // A 4-px stroke downscaled ~10× must survive as partial intensity rather than vanish.
    expect(out.filter((v) => v > 0).length).toBeGreaterThan(20)
    expect(out.some((v) => v > 0 && v < 1)).toBe(true)
  })
})

describe('resampleArea', () => {
  it('averages covered source pixels, including fractional coverage', () => {
    const image = canvas(3, 1, (x) => (x === 0 ? 1 : 0))
    const out = resampleArea(image, { x: 0, y: 0, width: 3, height: 1 }, 2, 1)
    // First target pixel covers source [0, 1.5): (1·1 + 0·0.5) / 1.5
    expect(out[0]).toBeCloseTo(2 / 3, 5)
    expect(out[1]).toBeCloseTo(0, 5)
  })

  it('preserves the mean intensity when downscaling by an integer factor', () => {
    const image = canvas(40, 40, (x, y) => ((x * 7 + y * 3) % 10) / 10)
    const out = resampleArea(image, { x: 0, y: 0, width: 40, height: 40 }, 10, 10)
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length
    expect(mean(out)).toBeCloseTo(mean(image.pixels), 5)
  })
})

describe('rgbaToInk', () => {
  it('treats transparent pixels as background and white opaque pixels as full ink', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 255])
    expect(Array.from(rgbaToInk(rgba, 3, 1).pixels)).toEqual([1, 0, 0])
  })
})
