import { describe, expect, it } from 'vitest'
import { grayToInk } from '@renderer/lib/images'
import { inkBoundingBox, toMnistInput } from '@renderer/lib/digit-preprocess'

/** A 200 × 100 photo: `paper` everywhere, a 30 × 60 stroke of `ink` in the middle. */
function photo(paper: number, ink: number): Float32Array {
  const pixels = new Float32Array(200 * 100).fill(paper)
  for (let y = 20; y < 80; y++) for (let x = 85; x < 115; x++) pixels[y * 200 + x] = ink
  return pixels
}

describe('grayToInk', () => {
  it('turns a dark digit on grey paper into full-strength ink on black, so MNIST preparation finds the digit', () => {
    const ink = grayToInk(photo(0.85, 0.2), 200, 100)!
    expect(ink[0]).toBe(0) // the paper
    expect(ink[50 * 200 + 100]).toBeCloseTo(1, 5) // the stroke
    // Cropped to the stroke (60 px tall → 20 px), not to the grey page around it.
    const box = inkBoundingBox({
      pixels: toMnistInput({ pixels: ink, width: 200, height: 100 }),
      width: 28,
      height: 28,
    })
    expect(box).toMatchObject({ width: 10, height: 20 })
  })

  it('leaves light-on-dark pictures the right way round', () => {
    expect(grayToInk(photo(0, 0.6), 200, 100)![50 * 200 + 100]).toBeCloseTo(1, 5)
  })

  it('finds no digit in an almost uniform picture, as the CLI refuses it, rather than stretching its noise', () => {
    expect(grayToInk(photo(0.9, 0.88), 200, 100)).toBeNull()
    expect(grayToInk(photo(1, 1), 200, 100)).toBeNull()
    expect(grayToInk(photo(0, 0), 200, 100)).toBeNull()
    expect(grayToInk(new Float32Array([1]), 1, 1)).toBeNull()
  })
})
