import { describe, expect, it } from 'vitest'
import { codesToCsv, isAcceptedImage, rgbaToGray, shouldInvert, viridis } from '@renderer/lib/images'
import { floatToImage, imageToFloat } from '@renderer/lib/contract-images'
import { toContractNoise } from '@renderer/lib/noise'

describe('image helpers', () => {
  it('accepts PNG, JPEG, WebP, GIF and BMP by type or extension, and nothing else', () => {
    expect(isAcceptedImage({ type: 'image/webp', name: 'x' })).toBe(true)
    expect(isAcceptedImage({ type: '', name: 'scan.BMP' })).toBe(true)
    // GIFs, animated ones too, as the CLI and Denoise take them: the first frame.
    expect(isAcceptedImage({ type: 'image/gif', name: 'x' })).toBe(true)
    expect(isAcceptedImage({ type: '', name: 'wave.GIF' })).toBe(true)
    expect(isAcceptedImage({ type: 'text/plain', name: 'a.txt' })).toBe(false)
    expect(isAcceptedImage({ type: 'image/tiff', name: 'scan.tiff' })).toBe(false)
  })

  it('composites transparency over white and inverts dark-on-light pictures only', () => {
    // transparent, opaque black, opaque white
    const gray = rgbaToGray(new Uint8ClampedArray([0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255]), 3)
    expect(Array.from(gray)).toEqual([1, 0, 1])
    const scan = new Float32Array(16).fill(1)
    scan[5] = 0
    expect(shouldInvert(scan, 4, 4)).toBe(true)
    expect(shouldInvert(new Float32Array(16), 4, 4)).toBe(false)
  })

  it('writes codes as CSV with a header and quoted names', () => {
    const csv = codesToCsv([
      { name: 'a, b.png', code: [0.5, -1.25] },
      { name: 'plain', code: [1 / 3, 2] },
    ])
    expect(csv).toBe('image,code_0,code_1\n"a, b.png",0.5,-1.25\nplain,0.333333,2\n')
  })

  it('maps 0 and 1 to the ends of the colour ramp', () => {
    expect(viridis(0)).toEqual([68, 1, 84])
    expect(viridis(1).map(Math.round)).toEqual([253, 231, 37])
  })
})

describe('contract images', () => {
  it('round-trips grayscale through 0–255 bytes and reads RGB by luminance', () => {
    const image = floatToImage([0, 0.5, 1, 2], 2, 2)
    expect(image).toEqual({ width: 2, height: 2, channels: 1, data: [0, 128, 255, 255] })
    expect(Array.from(imageToFloat(image)).map((v) => +v.toFixed(3))).toEqual([0, 0.502, 1, 1])
    const rgb = imageToFloat({ width: 1, height: 1, channels: 3, data: [255, 0, 0] })
    expect(rgb[0]).toBeCloseTo(0.299, 3)
  })

  it('turns the UI noise spec into the contract’s shape', () => {
    expect(toContractNoise({ type: 'gaussian', level: 0.2 })).toEqual({ type: 'gaussian', stddev: 0.2 })
    expect(toContractNoise({ type: 'saltPepper', level: 0.1 })).toEqual({ type: 'saltPepper', amount: 0.1 })
    expect(toContractNoise({ type: 'mask', level: 0 })).toEqual({ type: 'none' })
  })
})
