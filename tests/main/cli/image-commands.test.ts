// `encode`, `reconstruct` and the commands that write one PNG (figure, latent, generate), run as a user runs them:
// what they say about output names, folders, sizes and the images each kind of model takes.
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { writeTestPhotos } from '../../../scripts/make-test-photos'
import { onlyErrorLine, runCli } from '../support/cli'
import { saveUntrainedModel } from '../support/untrained-models'

const huge = resolve(__dirname, '../../fixtures/bad/images/huge-100000x100000.png')
let scratch: string
let unetId: string
let digitsId: string
let photo: string

const run = (args: string[]) => runCli(args, { env: { BOTTLENECK_HOME: join(scratch, 'store') } })

const saveModel = (architecture: string, shape: [number, number, number], name: string) =>
  saveUntrainedModel(join(scratch, 'store'), { architecture, shape, name })

beforeAll(async () => {
  await initBackend()
  scratch = await mkdtemp(join(tmpdir(), 'bottleneck-image-commands-'))
  unetId = await saveModel('unet', [32, 32, 3], 'photo unet')
  digitsId = await saveModel('dense', [28, 28, 1], 'digits')
  photo = (await writeTestPhotos(join(scratch, 'in'), 1, 48, 40))[0]!
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('output names', () => {
  it('refuses an output that is not .png before any work, for every command that writes one PNG', async () => {
    const jpeg = join(scratch, 'out.jpg')
    const results = await Promise.all([
      run(['reconstruct', 'any-model', photo, '-o', jpeg]),
      run(['figure', 'any-model', '-o', jpeg]),
      run(['latent', 'any-model', '-o', jpeg]),
      run(['generate', 'any-model', '-o', jpeg]),
    ])
    for (const result of results) {
      expect(result.code).toBe(2)
      expect(onlyErrorLine(result)).toBe(
        `bottleneck: Cannot write ${jpeg}: Bottleneck writes PNG images only; give a file name ending in .png.`,
      )
    }
    expect(existsSync(jpeg)).toBe(false)
  })

  it('says an existing folder is a folder, and a file in the way of the folder is a file', async () => {
    const folder = join(scratch, 'folder.png')
    await mkdir(folder)
    const [onFolder, underFile] = await Promise.all([
      run(['reconstruct', digitsId, photo, '-o', folder]),
      run(['reconstruct', digitsId, photo, '-o', join(photo, 'out.png')]),
    ])
    expect(onlyErrorLine(onFolder)).toBe(
      `bottleneck: Could not write ${folder}: it is a folder; give a file name ending in .png.`,
    )
    expect(onlyErrorLine(underFile)).toBe(
      `bottleneck: Could not write ${join(photo, 'out.png')}: ${photo} is a file, not a folder.`,
    )
    for (const result of [onFolder, underFile]) expect(result.code).toBe(1)
    expect(await readdir(folder)).toEqual([])
  })
})

describe('reconstruct never writes over the image it reads', () => {
  it('refuses -o or --input naming that image, and -o and --input naming one file, before any work', async () => {
    const before = await readFile(photo)
    const other = join(scratch, 'reconstruction.png')
    const [outputOverImage, inputOverImage, sameFile] = await Promise.all([
      run(['reconstruct', digitsId, photo, '-o', photo]),
      run(['reconstruct', digitsId, photo, '-o', other, '--input', photo]),
      run(['reconstruct', digitsId, photo, '-o', other, '--input', other]),
    ])
    expect(onlyErrorLine(outputOverImage)).toBe(
      `bottleneck: -o names the image being reconstructed (${photo}); give it another file name so the image is kept.`,
    )
    expect(onlyErrorLine(inputOverImage)).toBe(
      `bottleneck: --input names the image being reconstructed (${photo}); give it another file name so the image is kept.`,
    )
    expect(onlyErrorLine(sameFile)).toBe(
      `bottleneck: -o and --input both name ${other}; give the fitted input a file of its own.`,
    )
    for (const result of [outputOverImage, inputOverImage, sameFile]) expect(result.code).toBe(2)
    expect((await readFile(photo)).equals(before)).toBe(true)
    expect(existsSync(other)).toBe(false)
  })
})

describe('inputs', () => {
  it('encode given a folder says a folder was given where an image file is expected', async () => {
    const folder = join(scratch, 'in')
    const result = await run(['encode', digitsId, folder])
    expect(result.code).toBe(1)
    expect(onlyErrorLine(result)).toBe(
      'bottleneck: Cannot read in: it is a folder, and an image file is expected here.',
    )
  })

  it('a too large image: resize it, with no mention of a limit these commands cannot raise', async () => {
    const result = await run(['encode', digitsId, huge])
    expect(result.code).toBe(1)
    expect(onlyErrorLine(result)).toMatch(/huge-100000x100000\.png is 100000×100000 .* Resize it first\.$/)
  })

  it('reconstruct: the help says which models fit a photo, and a U-Net is sent to denoise for other sizes', async () => {
    const help = await run(['reconstruct', '--help'])
    expect(help.stdout).toContain('For 28×28 greyscale models a photo of a digit is fitted to MNIST first')
    expect(help.stdout).toContain('other models take images of exactly their input size')
    expect(help.stdout).not.toContain('(the image is fitted to the model input first)')

    const result = await run(['reconstruct', unetId, photo, '-o', join(scratch, 'r.png')])
    expect(result.code).toBe(1)
    expect(onlyErrorLine(result)).toBe(
      `bottleneck: The model takes 32×32×3 images; ${photo} is 40×48×3. ` +
        'For photos of any size use `bottleneck denoise MODEL IMAGE -o OUTDIR`.',
    )
  })
})
