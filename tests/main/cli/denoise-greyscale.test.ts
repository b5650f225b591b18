// `bottleneck denoise` of a greyscale photo with a model trained on colour photos: the result is grey too. An
// untrained RGB U-Net tints grey (its three output channels have different weights), as a briefly trained one does.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { runCliSync } from '../support/cli'
import { scratchDir } from '../support/scratch'
import { saveUntrainedModel } from '../support/untrained-models'

const scratch = scratchDir('denoise-greyscale')
const store = join(scratch, 'store')
const photos = join(scratch, 'photos')

beforeAll(async () => {
  mkdirSync(photos, { recursive: true })
  const [width, height] = [90, 70]
  const grey = Uint8Array.from({ length: width * height }, (_, i) => (i * 37 + ((i / width) | 0) * 11) % 256)
  writeFileSync(
    join(photos, 'scan.png'),
    await sharp(grey, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer(),
  )
  await saveUntrainedModel(store, { architecture: 'unet', shape: [32, 32, 3], name: 'photo unet' })
})

describe('bottleneck denoise of a greyscale photo with an RGB model', () => {
  it('writes a grey result: red, green and blue equal in every pixel', async () => {
    const out = join(scratch, 'out')
    const result = runCliSync(['denoise', 'photo unet', join(photos, 'scan.png'), '-o', out], { store })
    expect(result.code, result.stderr).toBe(0)
    const { data, info } = await sharp(join(out, 'scan.png')).raw().toBuffer({ resolveWithObject: true })
    expect([info.width, info.height]).toEqual([90, 70])
    let spread = 0
    for (let i = 0; i < data.length; i += info.channels) {
      const rgb = info.channels >= 3 ? [data[i]!, data[i + 1]!, data[i + 2]!] : [data[i]!]
      spread = Math.max(spread, Math.max(...rgb) - Math.min(...rgb))
    }
    expect(spread).toBe(0)
  })
})
