// With --json every command prints exactly one JSON document on stdout, and it carries what the text output tells a
// person: the backend, what was not denoised in a photo and whether its transparency was kept, how a latent map is
// coloured, the notes under eval's table, what a resume that has nothing to do says. A failure prints
// {"error": {"code", "message"}} there, and its sentence on stderr. The models are untrained: nothing here trains.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { writeTestPhotos } from '../../../scripts/make-test-photos'
import { backendFields, describeBackend } from '../../../src-main/cli/context'
import { openStore } from '../../../src-main/store/index'
import { NO_SSIM_NOTE } from '../../../src-main/ml/test-metrics'
import { errorLines, runCli, type CliResult } from '../support/cli'
import { scratchDir } from '../support/scratch'
import { idxImages, saveUntrainedModel } from '../support/untrained-models'

const scratch = scratchDir('json-output')
const store = join(scratch, 'store')
const photos = join(scratch, 'photos')
const emptyFolder = join(scratch, 'nothing here')
const digits = join(scratch, 'digits')
const image8 = join(scratch, 'eight.png')

const bottleneck = (...args: string[]) => runCli(args, { store })

/** The one JSON document on stdout (JSON.parse fails on anything more, or less). */
function jsonOf(result: CliResult): Record<string, unknown> {
  return JSON.parse(result.stdout) as Record<string, unknown>
}

/** The backend the command announced on stderr. */
function announcedBackend(result: CliResult): string {
  return /^backend: (\S+) \(/m.exec(result.stderr)![1]!
}

function idxLabels(labels: number[]): Buffer {
  const header = Buffer.alloc(8)
  header.writeUInt32BE(0x0801, 0)
  header.writeUInt32BE(labels.length, 4)
  return Buffer.concat([header, Buffer.from(labels)])
}

const plainFrame = (grey: number) =>
  sharp({ create: { width: 20, height: 16, channels: 3, background: { r: grey, g: grey, b: grey } } })
    .png()
    .toBuffer()

beforeAll(async () => {
  // Photos to denoise: a half-transparent one, an animation, a 16-bit PNG, an opaque one; and what a folder may
  // hold besides images.
  mkdirSync(join(photos, 'older'), { recursive: true })
  mkdirSync(emptyFolder)
  const frames = await Promise.all([10, 120, 240].map(plainFrame))
  await sharp({
    create: { width: 20, height: 16, channels: 4, background: { r: 200, g: 80, b: 40, alpha: 0.5 } },
  })
    .png()
    .toFile(join(photos, 'cut-out.png'))
  await sharp(frames, { join: { animated: true } })
    .gif()
    .toFile(join(photos, 'wave.gif'))
  await sharp(frames[1]!).toColourspace('rgb16').png().toFile(join(photos, 'deep.png'))
  await sharp(frames[0]!).png().toFile(join(photos, 'opaque.png'))
  writeFileSync(join(photos, 'notes.txt'), 'not a photo')
  await saveUntrainedModel(store, { architecture: 'unet', shape: [32, 32, 3], name: 'photo unet' })

  // Labelled 8×8 digits (too small for SSIM), whose model was trained to remove noise.
  mkdirSync(digits)
  writeFileSync(join(digits, 'train-images-idx3-ubyte'), idxImages(4, 8))
  writeFileSync(join(digits, 't10k-images-idx3-ubyte'), idxImages(20, 8))
  writeFileSync(
    join(digits, 't10k-labels-idx1-ubyte'),
    idxLabels(Array.from({ length: 20 }, (_, i) => i % 10)),
  )
  const digitModel = await saveUntrainedModel(store, {
    architecture: 'dense',
    shape: [8, 8, 1],
    name: 'digit model',
    options: { seed: 3, codeSize: 4 },
    dataset: { spec: `idx:${digits}`, name: 'digits', trainCount: 4, testCount: 20 },
  })
  const metadataFile = join((await openStore(store).get(digitModel)).versionFolder, 'bottleneck.json')
  writeFileSync(
    metadataFile,
    JSON.stringify({ ...JSON.parse(readFileSync(metadataFile, 'utf8')), noise: 'gaussian:0.5' }),
  )
  await sharp(Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 29) % 256)), {
    raw: { width: 8, height: 8, channels: 1 },
  })
    .png()
    .toFile(image8)

  // A model of a folder of photos, which has no labels; and a VAE to generate from.
  const unlabelled = join(scratch, 'unlabelled')
  await writeTestPhotos(unlabelled, 4, 40, 30)
  await saveUntrainedModel(store, {
    architecture: 'dense',
    shape: [16, 16, 3],
    name: 'photo model',
    options: { seed: 3, codeSize: 4 },
    dataset: { spec: `folder:${unlabelled}`, name: 'photos', trainCount: 0, testCount: 0 },
  })
  await saveUntrainedModel(store, {
    architecture: 'vae',
    shape: [16, 16, 3],
    name: 'photo vae',
    options: { seed: 3 },
  })
})

describe('bottleneck denoise --json', () => {
  let run: CliResult
  let report: {
    results: Array<{
      input: string
      output: string
      noisyOutput?: string
      transparencyKept: boolean
      notes: string[]
    }>
    outputFolder: string
    folders: unknown[]
    backend: string
  }
  const out = join(scratch, 'denoised')

  beforeAll(async () => {
    run = await bottleneck(
      'denoise',
      'photo unet',
      photos,
      emptyFolder,
      '-o',
      out,
      '--add-noise',
      'gaussian255:10',
      '--json',
    )
    report = JSON.parse(run.stdout) as typeof report
  })

  it('gives each photo the notes stderr gets: the frames, pages or bits that are not denoised', () => {
    expect(run.code, run.stderr).toBe(0)
    const notes = Object.fromEntries(report.results.map((result) => [result.input, result.notes]))
    expect(notes).toEqual({
      [join(photos, 'cut-out.png')]: [],
      [join(photos, 'deep.png')]: ['deep.png has 16 bits a channel; it is denoised and saved with 8.'],
      [join(photos, 'opaque.png')]: [],
      [join(photos, 'wave.gif')]: ['Only the first of the 3 frames of wave.gif is denoised.'],
    })
    for (const note of Object.values(notes).flat())
      expect(errorLines(run.stderr)).toContain(`bottleneck: ${note}`)
  })

  it('says which results kept the photo’s transparency, and where the noisy inputs went', () => {
    const kept = report.results.filter((result) => result.transparencyKept).map((result) => result.output)
    expect(kept).toEqual([join(out, 'cut-out.png')])
    for (const result of report.results) {
      expect(result.noisyOutput).toBe(result.output.replace(/\.png$/, '.noisy.png'))
      expect(existsSync(result.noisyOutput!)).toBe(true)
    }
  })

  it('names the output folder, what each folder gave and skipped, and the backend', () => {
    expect(report.outputFolder).toBe(out)
    expect(report.folders).toEqual([
      { folder: photos, images: 4, skippedFiles: 1, skippedSubfolders: 1 },
      { folder: emptyFolder, images: 0, skippedFiles: 0, skippedSubfolders: 0 },
    ])
    expect(errorLines(run.stderr)).toContain(
      `bottleneck: ${emptyFolder} has no images (PNG, JPEG, WebP, TIFF or GIF).`,
    )
    expect(report.backend).toBe(announcedBackend(run))
  })
})

describe('bottleneck latent --json', () => {
  it('says the map has grey dots and no legend when the dataset has no labels', async () => {
    const run = await bottleneck(
      'latent',
      'photo model',
      '-o',
      join(scratch, 'grey.png'),
      '--limit',
      '8',
      '--size',
      '64',
      '--json',
    )
    expect(run.code, run.stderr).toBe(0)
    expect(jsonOf(run)).toMatchObject({ images: 8, colouredByLabel: false, legend: null })
  })

  it('says the map is coloured by label, with the legend’s labels and their colours', async () => {
    const run = await bottleneck(
      'latent',
      'digit model',
      '-o',
      join(scratch, 'digits.png'),
      '--size',
      '64',
      '--json',
    )
    expect(run.code, run.stderr).toBe(0)
    const result = jsonOf(run) as {
      colouredByLabel: boolean
      legend: { labels: number[]; colours: string[] }
    }
    expect(result).toMatchObject({
      colouredByLabel: true,
      legend: { labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], coloursRepeat: false },
    })
    // tab10, as the map and the app colour MNIST's digits.
    expect(result.legend.colours.slice(0, 2)).toEqual(['#1f77b4', '#ff7f0e'])
    expect(result.legend.colours).toHaveLength(10)
  })
})

describe('bottleneck eval --json', () => {
  it('gives the notes under the table: no SSIM for small images, and the noise the model was trained to remove', async () => {
    const [json, text] = await Promise.all([
      bottleneck('eval', 'digit model', '--json'),
      bottleneck('eval', 'digit model'),
    ])
    expect(json.code, json.stderr).toBe(0)
    const result = jsonOf(json) as { notes: string[]; trainedNoise: string; seconds: number }
    expect(result.trainedNoise).toBe('gaussian:0.5')
    expect(result.notes).toHaveLength(2)
    expect(result.notes[0]).toBe(NO_SSIM_NOTE)
    expect(result.notes[1]).toContain('add --noise gaussian:0.5')
    for (const note of result.notes) expect(text.stdout).toContain(note)
    expect(result.seconds).toBeGreaterThanOrEqual(0)
  })

  it('with --noise, gives the note about SSIM too', async () => {
    const run = await bottleneck('eval', 'digit model', '--noise', 'gaussian:0.3', '--json')
    expect(run.code, run.stderr).toBe(0)
    expect(jsonOf(run)).toMatchObject({ notes: [NO_SSIM_NOTE] })
  })
})

describe('every command that writes or prints a result', () => {
  it('names the backend it ran on, as eval and train do; reconstruct names the fitted input it wrote', async () => {
    const fitted = join(scratch, 'fitted.png')
    const runs = await Promise.all([
      bottleneck('figure', 'digit model', '-o', join(scratch, 'figure.png'), '-n', '2', '--json'),
      bottleneck('encode', 'digit model', image8, '--json'),
      bottleneck(
        'reconstruct',
        'digit model',
        image8,
        '-o',
        join(scratch, 'again.png'),
        '--input',
        fitted,
        '--json',
      ),
      bottleneck(
        'latent',
        'digit model',
        '-o',
        join(scratch, 'strip.png'),
        '--interpolate',
        '0,1',
        '--steps',
        '2',
        '--json',
      ),
      bottleneck('generate', 'photo vae', '-o', join(scratch, 'grid.png'), '-n', '2', '--json'),
    ])
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0)
      expect(jsonOf(run).backend).toBe(announcedBackend(run))
    }
    expect(jsonOf(runs[2]!).fittedInput).toBe(fitted)
    expect(existsSync(fitted)).toBe(true)
  })
})

describe('bottleneck train --resume --json of a model that has all its epochs', () => {
  it('prints the summary with the sentence the text output gives, instead of nothing', async () => {
    const run = await bottleneck('train', '--resume', 'digit model', '--json')
    expect(run.code, run.stderr).toBe(0)
    expect(jsonOf(run)).toMatchObject({
      name: 'digit model',
      epochs: 0,
      history: [],
      initialEpoch: 0,
      noise: 'gaussian:0.5',
      config: { architecture: 'dense', codeSize: 4 },
      dataset: { spec: `idx:${digits}`, trainCount: 4, testCount: 20 },
      notes: [expect.stringMatching(/^digit model \([0-9a-f]+\) already has 0 epochs; pass --epochs N/)],
    })
  })
})

describe('a failure with --json', () => {
  it('prints an error object on stdout with the code and the sentence stderr gets', async () => {
    const [missingModel, usage, unknownOption] = await Promise.all([
      bottleneck('eval', 'no such model', '--json'),
      bottleneck('denoise', 'photo unet', photos, '--json'),
      bottleneck('figure', 'digit model', '--colour', 'red', '--json'),
    ])
    expect([missingModel.code, usage.code, unknownOption.code]).toEqual([1, 2, 2])
    for (const [run, code] of [
      [missingModel, 'MODEL_NOT_FOUND'],
      [usage, 'USAGE'],
      [unknownOption, 'USAGE'],
    ] as const) {
      const { error } = jsonOf(run) as { error: { code: string; message: string } }
      expect(error.code).toBe(code)
      expect(errorLines(run.stderr)).toEqual([`bottleneck: ${error.message}`])
    }
  })
})

describe('the backend in a --json result', () => {
  it('gives the reason for a fallback that the backend line on stderr gives', () => {
    const fellBack = {
      name: 'wasm',
      requested: 'auto',
      fallbackReason: 'tensorflow: the native addon was not built',
      tfjsVersion: '4.22.0',
    } as const
    expect(describeBackend(fellBack)).toContain(fellBack.fallbackReason)
    expect(backendFields(fellBack)).toEqual({
      backend: 'wasm',
      backendFallbackReason: fellBack.fallbackReason,
    })
    expect(backendFields({ ...fellBack, fallbackReason: undefined })).toEqual({ backend: 'wasm' })
  })
})
