// `bottleneck denoise` end to end: a saved U-Net, photos of different sizes, one broken file, and the guards.
import { mkdtemp, rm, writeFile, copyFile, mkdir, readdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { decodeImage } from '../../../src-main/ml/image-io'
import { applyTiled } from '../../../src-main/ml/tiling'
import { openStore } from '../../../src-main/store/index'
import { writeTestPhotos } from '../../../scripts/make-test-photos'
import { runCli, type WatchedCliOptions } from '../support/cli'
import { saveUntrainedModel } from '../support/untrained-models'

let scratch: string
let unetId: string
let denseId: string
let photos: string[]

const run = (args: string[], options: Pick<WatchedCliOptions, 'onOutput'> = {}) =>
  runCli(args, { ...options, env: { BOTTLENECK_HOME: join(scratch, 'store') } })

const saveModel = (architecture: string, shape: [number, number, number], name: string) =>
  saveUntrainedModel(join(scratch, 'store'), { architecture, shape, name })

beforeAll(async () => {
  await initBackend()
  scratch = await mkdtemp(join(tmpdir(), 'bottleneck-denoise-'))
  unetId = await saveModel('unet', [32, 32, 3], 'photo unet')
  denseId = await saveModel('dense', [28, 28, 1], 'digits')
  photos = [
    ...(await writeTestPhotos(join(scratch, 'in'), 1, 100, 70, 1)),
    ...(await writeTestPhotos(join(scratch, 'in'), 1, 45, 130, 2)),
  ]
  await writeFile(join(scratch, 'in', 'broken.png'), 'not a png at all')
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('bottleneck denoise', () => {
  it('denoises photos of different sizes, matches in-process tiling, and reports a broken file without stopping', async () => {
    const out = join(scratch, 'out')
    const result = await run([
      'denoise',
      unetId,
      ...photos,
      join(scratch, 'in', 'broken.png'),
      '-o',
      out,
      '--tile',
      '64',
      '--overlap',
      '16',
      '--json',
    ])
    expect(result.code, result.stderr).toBe(1)
    const report = JSON.parse(result.stdout) as {
      results: Array<{ input: string; output?: string; error?: string }>
    }
    expect(report.results.map((r) => Boolean(r.output))).toEqual([true, true, false])
    expect(report.results[2]!.error).toMatch(/broken\.png/)
    expect(result.stderr).not.toMatch(/\n\s+at /)

    const store = openStore(join(scratch, 'store'))
    const { autoencoder } = await store.load(unetId)
    for (const [index, photo] of photos.entries()) {
      const input = await decodeImage(photo)
      const written = await decodeImage(report.results[index]!.output!)
      expect([written.height, written.width, written.channels]).toEqual([input.height, input.width, 3])
      const expected = await applyTiled(input, autoencoder.model, { tileSize: 64, overlap: 16 })
      let maxDifference = 0
      for (let i = 0; i < expected.data.length; i++) {
        const clipped = Math.min(1, Math.max(0, expected.data[i]!))
        maxDifference = Math.max(maxDifference, Math.abs(clipped - written.data[i]!))
      }
      // PNG stores 8 bits: half a step of rounding, plus float noise between processes.
      expect(maxDifference).toBeLessThanOrEqual(0.5 / 255 + 1e-4)
    }
    autoencoder.dispose()
  })

  it("leaves no seams with its default overlap (the U-Net's receptive radius): small tiles give the one-tile result", async () => {
    const out = join(scratch, 'out-default-overlap')
    const result = await run(['denoise', unetId, photos[0]!, '-o', out, '--tile', '64', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const written = (JSON.parse(result.stdout) as { results: Array<{ output: string }> }).results[0]!.output
    const store = openStore(join(scratch, 'store'))
    const { autoencoder } = await store.load(unetId)
    const input = await decodeImage(photos[0]!)
    // One tile holds the whole 100×70 photo, so there is no seam to hide; the 64 px tiles cut it into 3×4 pieces.
    const oneTile = await applyTiled(input, autoencoder.model, { tileSize: 256, overlap: 28 })
    autoencoder.dispose()
    const tiled = await decodeImage(written)
    let maxDifference = 0
    for (let i = 0; i < oneTile.data.length; i++) {
      const clipped = Math.min(1, Math.max(0, oneTile.data[i]!))
      maxDifference = Math.max(maxDifference, Math.abs(clipped - tiled.data[i]!))
    }
    expect(maxDifference).toBeLessThanOrEqual(0.5 / 255 + 1e-4)
  })

  it('refuses to overwrite an input, and explains that a fixed-size model cannot take photos', async () => {
    const folder = join(scratch, 'in')
    const copy = join(folder, 'copy.png')
    await copyFile(photos[0]!, copy)
    const overwrite = await run(['denoise', unetId, copy, '-o', folder])
    expect(overwrite.code).toBe(2)
    expect(overwrite.stderr).toMatch(/would be overwritten/)

    const fixed = await run(['denoise', denseId, photos[0]!, '-o', join(scratch, 'out2')])
    expect(fixed.code).toBe(1)
    expect(fixed.stderr).toMatch(/only takes 28×28 images and .* is \d+×\d+\. Pick a U-Net model \(unet\)/)
  })
})

describe('bottleneck denoise stopped with Ctrl-C', () => {
  it('stops between photos, says so, and exits with 130 as a shell expects', async () => {
    const many = join(scratch, 'many')
    await writeTestPhotos(many, 40, 160, 160, 7)
    const { code, stderr } = await run(['denoise', 'photo unet', many, '-o', join(scratch, 'many-out')], {
      onOutput: ({ stdout }, child) => {
        // The first result is written: the work is under way, with most photos still to do.
        if (stdout.includes('Wrote ') && !child.killed) child.kill('SIGINT')
      },
    })
    expect(code).toBe(130)
    expect(stderr).toContain('Denoising was cancelled.')
    expect((await readdir(join(scratch, 'many-out'))).length).toBeLessThan(40)
  })
})

describe('bottleneck denoise with folders and output problems', () => {
  it('takes the images directly inside a folder, sorted, and says what it skipped', async () => {
    const folder = join(scratch, 'f photos ñ')
    await mkdir(join(folder, 'sub'), { recursive: true })
    await copyFile(photos[1]!, join(folder, 'b.png'))
    await copyFile(photos[0]!, join(folder, 'a.PNG'))
    await copyFile(photos[0]!, join(folder, 'sub', 'c.png'))
    await writeFile(join(folder, 'notes.txt'), 'not a picture')
    await writeFile(join(folder, '.DS_Store'), 'hidden')
    const out = join(scratch, 'out-folder')
    const result = await run(['denoise', unetId, folder, '-o', out, '--tile', '64'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(
      `${folder}: 2 images; skipped 1 other file and 1 subfolder (subfolders are not searched).`,
    )
    expect(result.stdout).toMatch(/Wrote .*a\.png[\s\S]*Wrote .*b\.png/)
    expect(result.stdout).toContain(`Denoised 2 of 2 images into ${out}.`)
    expect((await readdir(out)).sort()).toEqual(['a.png', 'b.png'])
  })

  it('says a folder has no images and creates no output folder', async () => {
    const empty = join(scratch, 'no pictures')
    await mkdir(empty)
    await writeFile(join(empty, 'readme.txt'), 'x')
    const out = join(scratch, 'out-empty')
    const result = await run(['denoise', unetId, empty, '-o', out])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `bottleneck: Nothing to denoise: ${empty} has no images (PNG, JPEG, WebP, TIFF or GIF); skipped 1 other file.\n`,
    )
    expect(existsSync(out)).toBe(false)
  })

  it('reports a result it cannot write for that photo and goes on with the others', async () => {
    const out = join(scratch, 'out-blocked')
    // A folder where the first result should go: the rename onto it fails.
    await mkdir(join(out, 'synthetic-001.png'), { recursive: true })
    const result = await run(['denoise', unetId, ...photos, '-o', out, '--tile', '64'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      `bottleneck: Could not write ${join(out, 'synthetic-001.png')}: ${join(out, 'synthetic-001.png')} is a folder; give a file name.`,
    )
    expect(result.stdout).toContain(`Wrote ${join(out, 'synthetic-002.png')}`)
    expect(result.stdout).toContain(`Denoised 1 of 2 images into ${out}.`)
    // No half-written temp file next to the results.
    expect((await readdir(out)).sort()).toEqual(['synthetic-001.png', 'synthetic-002.png'])
  })

  it('-o problems: an unknown model leaves no folder, a file in the way is named, all in plain words', async () => {
    const fresh = join(scratch, 'out-never')
    const [unknown, onFile, underFile] = await Promise.all([
      run(['denoise', 'no-such-model', photos[0]!, '-o', fresh]),
      run(['denoise', unetId, photos[0]!, '-o', photos[1]!]),
      run(['denoise', unetId, photos[0]!, '-o', join(photos[1]!, 'sub')]),
    ])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/no-such-model/)
    expect(existsSync(fresh)).toBe(false)
    expect(onFile.stderr).toBe(
      `bottleneck: Could not create the folder ${photos[1]}: a file of that name is there.\n`,
    )
    expect(underFile.stderr).toBe(
      `bottleneck: Could not create the folder ${join(photos[1]!, 'sub')}: ${photos[1]} is a file, not a folder.\n`,
    )
    for (const result of [onFile, underFile]) expect(result.code).toBe(1)
  })
})
