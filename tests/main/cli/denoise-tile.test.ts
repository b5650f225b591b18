// `bottleneck denoise --tile N` with tiles too small for the model's overlap: one usage error before any photo is
// read, not the same error once per photo of a folder, naming the smallest tile that works.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { writeTestPhotos } from '../../../scripts/make-test-photos'
import { errorLines, runCliSync } from '../support/cli'
import { scratchDir } from '../support/scratch'
import { saveUntrainedModel } from '../support/untrained-models'

const scratch = scratchDir('denoise-tile')
const store = join(scratch, 'store')
const photos = join(scratch, 'photos')
let smallPhoto: string

const bottleneck = (args: string[]) => runCliSync(args, { store })

beforeAll(async () => {
  await writeTestPhotos(photos, 5, 40, 30)
  smallPhoto = (await writeTestPhotos(join(scratch, 'small'), 1, 12, 8))[0]!
  // A depth-2 U-Net: 28 px of overlap on each side by default, tiles in multiples of 4.
  await saveUntrainedModel(store, { architecture: 'unet', shape: [32, 32, 3], name: 'photo unet' })
})

describe('bottleneck denoise --tile too small for the model', () => {
  it('says so once for a folder of photos, with the smallest tile that works, and writes nothing', () => {
    const out = join(scratch, 'out-small')
    const result = bottleneck(['denoise', 'photo unet', photos, '-o', out, '--tile', '32'])
    expect(result.code).toBe(2)
    expect(errorLines(result.stderr)).toEqual([
      'bottleneck: --tile 32 is too small for photo unet: each tile loses 28 px of overlap on every side. ' +
        'Use --tile 60 or more.',
    ])
    expect(existsSync(out)).toBe(false)
  })

  it('with --overlap, counts that overlap and offers a smaller one', () => {
    const result = bottleneck([
      'denoise',
      'photo unet',
      photos,
      '-o',
      join(scratch, 'out'),
      '--tile',
      '80',
      '--overlap',
      '40',
    ])
    expect(result.code).toBe(2)
    expect(errorLines(result.stderr)).toEqual([
      'bottleneck: --tile 80 is too small for photo unet: each tile loses 40 px of overlap on every side. ' +
        'Use --tile 84 or more, or a smaller --overlap.',
    ])
  })

  it('takes the smallest tile it names', () => {
    const out = join(scratch, 'out-60')
    // A small photo: each 60 px tile keeps only 4 px of it.
    const result = bottleneck(['denoise', 'photo unet', smallPhoto, '-o', out, '--tile', '60'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`Denoised 1 of 1 image into ${out}.`)
  })
})
