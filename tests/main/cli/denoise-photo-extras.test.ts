// `bottleneck denoise` treats photos as the app's Denoise view does: a cut-out stays a cut-out (the written PNGs carry
// the photo's alpha, upright like its pixels; an opaque photo gains none), and what is not denoised (an animation's
// frames after the first, a 16-bit PNG's lower bits) is said once per photo on stderr, without failing the run.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { syntheticPhoto } from '../../../scripts/make-test-photos'
import { errorLines, runCliSync, type CliResult } from '../support/cli'
import { scratchDir } from '../support/scratch'
import { saveUntrainedModel } from '../support/untrained-models'

const scratch = scratchDir('denoise-photo-extras')
const store = join(scratch, 'store')
const photos = join(scratch, 'photos')
const out = join(scratch, 'out')
const [width, height] = [40, 24]
/** Opaque on the left, fading to fully transparent on the right. */
const alpha = Uint8Array.from({ length: width * height }, (_, p) =>
  Math.max(0, 255 - Math.round(((p % width) / (width - 1)) * 300)),
)
let run: CliResult

/** The cut-out stored on its side (EXIF orientation 6), so its alpha must be turned upright with its pixels. */
async function sidewaysCutOut(): Promise<Buffer> {
  const pixels = syntheticPhoto(width, height, 8)
  const rgba = new Uint8Array(width * height * 4)
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) rgba[4 * p + k] = Math.round(pixels.data[3 * p + k]! * 255)
    rgba[4 * p + 3] = alpha[p]!
  }
  return sharp(rgba, { raw: { width, height, channels: 4 } })
    .rotate(-90)
    .webp({ lossless: true })
    .withMetadata({ orientation: 6 })
    .toBuffer()
}

const frame = (grey: number) =>
  sharp({ create: { width: 20, height: 16, channels: 3, background: { r: grey, g: grey, b: grey } } })
    .png()
    .toBuffer()

beforeAll(async () => {
  mkdirSync(photos, { recursive: true })
  writeFileSync(join(photos, 'cut-out.webp'), await sidewaysCutOut())
  const frames = await Promise.all([10, 120, 240].map(frame))
  writeFileSync(
    join(photos, 'wave.gif'),
    await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer(),
  )
  writeFileSync(join(photos, 'deep.png'), await sharp(frames[1]!).toColourspace('rgb16').png().toBuffer())
  writeFileSync(join(photos, 'opaque.png'), await sharp(frames[0]!).ensureAlpha().png().toBuffer())
  await saveUntrainedModel(store, { architecture: 'unet', shape: [32, 32, 3], name: 'photo unet' })
  run = runCliSync(['denoise', 'photo unet', photos, '-o', out, '--add-noise', 'gaussian255:10'], { store })
})

describe('bottleneck denoise of photos with transparency, frames or 16 bits', () => {
  it('denoises them all and exits 0', () => {
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(`Denoised 4 of 4 images into ${out}.`)
  })

  it('writes the result and the noisy input with the photo’s transparency, upright', async () => {
    for (const name of ['cut-out.png', 'cut-out.noisy.png']) {
      const { data, info } = await sharp(join(out, name))
        .extractChannel('alpha')
        .raw()
        .toBuffer({ resolveWithObject: true })
      expect([info.width, info.height], name).toEqual([width, height])
      expect(Array.from(data), name).toEqual(Array.from(alpha))
    }
  })

  it('keeps the colour under the transparency: a half-transparent pixel is not whitened', async () => {
    const original = syntheticPhoto(width, height, 8)
    const { data } = await sharp(join(out, 'cut-out.noisy.png'))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
    // Where the photo is partly transparent, the noisy input (noise σ = 10/255) is the photo's own colour; composited
    // onto white first, it came out half way to white at alpha 128.
    let worst = 0
    for (let p = 0; p < width * height; p++) {
      if (alpha[p]! < 40 || alpha[p]! > 215) continue
      for (let k = 0; k < 3; k++) {
        worst = Math.max(worst, Math.abs(data[3 * p + k]! - Math.round(original.data[3 * p + k]! * 255)))
      }
    }
    expect(worst).toBeLessThan(60)
  })

  it('adds no transparency to a photo that is opaque everywhere', async () => {
    expect((await sharp(join(photos, 'opaque.png')).metadata()).hasAlpha).toBe(true)
    expect((await sharp(join(out, 'opaque.png')).metadata()).hasAlpha).toBe(false)
  })

  it('warns once per photo, on stderr, of what is not denoised', () => {
    expect(errorLines(run.stderr)).toEqual([
      'bottleneck: deep.png has 16 bits a channel; it is denoised and saved with 8.',
      'bottleneck: Only the first of the 3 frames of wave.gif is denoised.',
    ])
  })
})
