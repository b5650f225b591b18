// Image-folder datasets: discovery, stable split, patch batches in each mode, bounded cache, broken files skipped.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import * as tf from '@tensorflow/tfjs'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  cutPatch,
  interleaveDraws,
  loadFolderDataset,
  openImageFolder,
  splitFiles,
  surveyImageFolder,
} from '../../../src-main/ml/folder-dataset'
import { parseNoiseSpec } from '../../../src-main/ml/noise'
import { BottleneckError } from '../../../src-main/ml/errors'
import { seededRandom } from './helpers'

let dir: string
let startTensors: number

async function writeImage(
  path: string,
  width: number,
  height: number,
  channels: 1 | 3,
  format: 'png' | 'jpeg' | 'webp' | 'tiff',
) {
  const random = seededRandom(width * 31 + height)
  const raw = Buffer.alloc(width * height * channels)
  for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(random() * 256)
  let pipeline = sharp(raw, { raw: { width, height, channels } })
  if (channels === 1) pipeline = pipeline.toColourspace('b-w')
  await pipeline.toFormat(format, format === 'jpeg' ? { quality: 95 } : {}).toFile(path)
}

beforeAll(async () => {
  await tf.setBackend('cpu')
  dir = await mkdtemp(join(tmpdir(), 'bottleneck-folder-'))
  await mkdir(join(dir, 'more'))
  await mkdir(join(dir, '.thumbnails'))
  await writeImage(join(dir, 'a.png'), 120, 90, 3, 'png')
  await writeImage(join(dir, 'b.jpg'), 80, 100, 3, 'jpeg')
  await writeImage(join(dir, 'c.webp'), 64, 64, 3, 'webp')
  await writeImage(join(dir, 'more', 'd.tif'), 70, 50, 3, 'tiff')
  await writeImage(join(dir, 'more', 'grey.png'), 100, 100, 1, 'png')
  await writeImage(join(dir, 'small.png'), 20, 30, 3, 'png')
  await writeImage(join(dir, '.thumbnails', 'hidden.png'), 10, 10, 3, 'png')
  await writeFile(join(dir, 'notes.txt'), 'not an image')
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})
beforeEach(() => {
  startTensors = tf.memory().numTensors
})
afterEach(() => {
  expect(tf.memory().numTensors).toBe(startTensors)
})

describe('openImageFolder', () => {
  it('finds the images recursively (not hidden, not text), splits them stably, takes channels from the first', async () => {
    const folder = await openImageFolder(dir, { patchSize: 32, seed: 1, validationFraction: 0.3 })
    const all = [...folder.train, ...folder.validation].sort()
    expect(all).toEqual(['a.png', 'b.jpg', 'c.webp', 'more/d.tif', 'more/grey.png', 'small.png'])
    expect(folder.validation.length).toBeGreaterThan(0)
    expect(folder.train.length).toBeGreaterThan(0)
    expect(folder.channels).toBe(3)
    const again = await openImageFolder(dir, { patchSize: 32, seed: 2, validationFraction: 0.3 })
    expect(again.validation).toEqual(folder.validation)
  })

  it('keeps every file on its side of the split when files are added', () => {
    const names = Array.from({ length: 500 }, (_, i) => `photo-${i}.jpg`)
    const before = splitFiles(names, 0.1)
    const after = splitFiles([...names, ...Array.from({ length: 100 }, (_, i) => `new-${i}.png`)], 0.1)
    expect(after.validation.filter((name) => name.startsWith('photo-'))).toEqual(before.validation)
    expect(before.validation.length / 500).toBeGreaterThan(0.06)
    expect(before.validation.length / 500).toBeLessThan(0.14)
  })

  it('makes clean, supervised and Noise2Void batches of the right shape and statistics', async () => {
    const folder = await openImageFolder(dir, { patchSize: 32, seed: 3 })
    const clean = await folder.nextBatch(16)
    expect(clean.inputs.shape).toEqual([16, 32, 32, 3])
    expect(Array.from(clean.inputs.dataSync())).toEqual(Array.from(clean.targets.dataSync()))
    const values = clean.inputs.dataSync()
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...values)).toBeLessThanOrEqual(1)
    tf.dispose([clean.inputs, clean.targets])

    const supervised = await folder.nextBatch(16, {
      kind: 'supervised',
      noise: parseNoiseSpec('gaussian:0.05'),
    })
    const difference = tf.tidy(
      () => supervised.inputs.sub(supervised.targets).square().mean().sqrt().dataSync()[0]!,
    )
    // Clipping trims the noise at dark and bright pixels, so a little under σ.
    expect(difference).toBeGreaterThan(0.035)
    expect(difference).toBeLessThan(0.052)
    tf.dispose([supervised.inputs, supervised.targets])

    const n2v = await folder.nextBatch(16, { kind: 'noise2void', blindSpot: { fraction: 0.02 } })
    expect(n2v.mask!.shape).toEqual([16, 32, 32, 3])
    const maskedFraction = tf.tidy(() => n2v.mask!.mean().dataSync()[0]!)
    expect(maskedFraction).toBeCloseTo(Math.round(0.02 * 1024) / 1024, 6)
    const unmaskedChanged = tf.tidy(
      () => n2v.inputs.sub(n2v.targets).abs().mul(tf.onesLike(n2v.mask!).sub(n2v.mask!)).max().dataSync()[0]!,
    )
    expect(unmaskedChanged).toBe(0)
    tf.dispose([n2v.inputs, n2v.targets, n2v.mask!])
  })

  it('returns the same validation patches on every call and keeps the cache under its byte limit', async () => {
    // Each RGB image is ≤ 120×90×3 floats = 130 kB; allow about two.
    const folder = await openImageFolder(dir, {
      patchSize: 16,
      seed: 4,
      cacheBytes: 270_000,
      patchesPerImage: 1,
    })
    expect(Array.from(await folder.validationPatches(8))).toEqual(
      Array.from(await folder.validationPatches(8)),
    )
    for (let i = 0; i < 10; i++) {
      const batch = await folder.nextBatch(4)
      tf.dispose([batch.inputs, batch.targets])
      expect(folder.cachedBytes()).toBeLessThanOrEqual(270_000)
    }
    expect(folder.cachedBytes()).toBeGreaterThan(0)
  })

  it('skips and reports a broken image, and refuses an empty folder', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'bottleneck-broken-'))
    try {
      await writeImage(join(broken, 'good.png'), 40, 40, 1, 'png')
      await writeFile(join(broken, 'bad.png'), 'definitely not a png')
      const folder = await openImageFolder(broken, { patchSize: 16, validationFraction: 0, seed: 5 })
      expect(folder.channels).toBe(1)
      const patches = await folder.samplePatches(64)
      expect(patches.length).toBe(64 * 16 * 16)
      expect(folder.skipped.map((s) => s.file)).toEqual(['bad.png'])
      expect(folder.skipped[0]!.message).toMatch(/bad\.png/)
      const empty = await mkdtemp(join(tmpdir(), 'bottleneck-empty-'))
      const error = await openImageFolder(empty).catch((e: unknown) => e)
      expect((error as BottleneckError).code).toBe('DATASET_NOT_FOUND')
      await rm(empty, { recursive: true })
    } finally {
      await rm(broken, { recursive: true, force: true })
    }
  })

  it('names files whose header fails (empty, not an image) as it opens, and leaves them out of both splits', async () => {
    const mixed = await mkdtemp(join(tmpdir(), 'bottleneck-headers-'))
    try {
      await writeImage(join(mixed, 'good.png'), 40, 40, 1, 'png')
      await writeImage(join(mixed, 'also-good.png'), 40, 40, 1, 'png')
      await writeFile(join(mixed, 'empty.png'), '')
      await writeFile(join(mixed, 'text.jpg'), 'not a photo')
      const folder = await openImageFolder(mixed, { patchSize: 16, validationFraction: 0.5 })
      // Before any patch is cut.
      expect(folder.skipped.map((entry) => entry.file)).toEqual(['empty.png', 'text.jpg'])
      expect(folder.skipped[0]!.message).toMatch(/empty\.png.*empty \(0 bytes\)/)
      expect([...folder.train, ...folder.validation].sort()).toEqual(['also-good.png', 'good.png'])

      await rm(join(mixed, 'good.png'))
      await rm(join(mixed, 'also-good.png'))
      const error = (await openImageFolder(mixed).catch((e: unknown) => e)) as BottleneckError
      expect(error.code).toBe('DATASET_NOT_FOUND')
      expect(error.message).toMatch(/None of the images in .* could be read \(empty\.png, text\.jpg\)/)
    } finally {
      await rm(mixed, { recursive: true, force: true })
    }
  })

  it('leaves GIF files out of training and counts them, and says so when a folder has nothing else', async () => {
    const mixed = await mkdtemp(join(tmpdir(), 'bottleneck-gifs-'))
    try {
      await writeImage(join(mixed, 'photo.png'), 40, 40, 3, 'png')
      await sharp({ create: { width: 40, height: 40, channels: 3, background: '#808080' } }).gif().toFile(join(mixed, 'anim.gif'))
      await sharp({ create: { width: 40, height: 40, channels: 3, background: '#404040' } }).gif().toFile(join(mixed, 'b.GIF'))
      const folder = await openImageFolder(mixed, { patchSize: 16, validationFraction: 0 })
      expect([...folder.train, ...folder.validation]).toEqual(['photo.png'])
      expect(folder.gifs).toEqual(['anim.gif', 'b.GIF'])
      const survey = await surveyImageFolder(mixed)
      expect(survey.files).toEqual(['photo.png'])
      expect(survey.gifs).toEqual(['anim.gif', 'b.GIF'])

      await rm(join(mixed, 'photo.png'))
      const error = (await openImageFolder(mixed).catch((e: unknown) => e)) as BottleneckError
      expect(error.code).toBe('DATASET_NOT_FOUND')
      expect(error.message).toContain('2 GIF files are left out')
      expect(error.message).toContain('save them as PNG')
    } finally {
      await rm(mixed, { recursive: true, force: true })
    }
  })

  it('says a folder that is gone (moved or deleted since a model trained on it) must be put back', async () => {
    const gone = join(tmpdir(), 'bottleneck-moved-photos-that-are-not-here')
    const error = await openImageFolder(gone).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'DATASET_NOT_FOUND',
      message: `Cannot read the image folder ${gone}: there is no such folder (if it was moved or renamed, put it back where it was).`,
    })
    const file = await mkdtemp(join(tmpdir(), 'bottleneck-not-a-folder-'))
    try {
      await writeFile(join(file, 'photo.png'), 'x')
      const notFolder = await openImageFolder(join(file, 'photo.png')).catch((e: unknown) => e)
      expect((notFolder as BottleneckError).message).toContain(
        'it is a file, and a folder of images is expected here',
      )
    } finally {
      await rm(file, { recursive: true, force: true })
    }
  })

  it('loads as an in-memory ImageDataset of patches for the resident-data trainer', async () => {
    const dataset = await loadFolderDataset(dir, { patchSize: 24, limit: 10, testLimit: 3, seed: 6 })
    expect([dataset.height, dataset.width, dataset.channels]).toEqual([24, 24, 3])
    expect(dataset.train.images.length).toBe(10 * 24 * 24 * 3)
    expect(dataset.test.count).toBe(3)
  })
})

describe('cutPatch', () => {
  it('applies the 8 symmetries of the square as 8 distinct rearrangements of the same crop', () => {
    const image = { data: Float32Array.from({ length: 16 }, (_, i) => i), height: 4, width: 4, channels: 1 }
    const seen = new Set<string>()
    for (let symmetry = 0; symmetry < 8; symmetry++) {
      const out = new Float32Array(16)
      cutPatch(image, 4, 0, 0, symmetry, out, 0)
      expect([...out].sort((a, b) => a - b)).toEqual([...image.data])
      seen.add(out.join())
    }
    expect(seen.size).toBe(8)
    const identity = new Float32Array(4)
    cutPatch(image, 2, 1, 2, 0, identity, 0)
    expect(Array.from(identity)).toEqual([6, 7, 10, 11])
  })
})

describe('a split whose files are all unreadable', () => {
  it('borrows the readable files of the other split; only a folder with none readable is refused', async () => {
    const folderPath = await mkdtemp(join(tmpdir(), 'bottleneck-unreadable-'))
    try {
      await writeImage(join(folderPath, 'a.png'), 30, 30, 1, 'png')
      await writeImage(join(folderPath, 'b.png'), 30, 30, 1, 'png')
      // Cut off halfway: its header reads, so only decoding finds it broken (a file whose header fails is left out
      // as the folder opens).
      const truncate = async (name: string) => {
        await writeImage(join(folderPath, name), 30, 30, 1, 'png')
        const bytes = await readFile(join(folderPath, name))
        await writeFile(join(folderPath, name), bytes.subarray(0, bytes.length >> 1))
      }
      await truncate('bad.png')
      const folder = await openImageFolder(folderPath, { patchSize: 16, seed: 7 })
      // By its name's hash, the broken file is the one held out for validation.
      expect(folder.validation).toEqual(['bad.png'])
      const patches = await folder.validationPatches(4)
      expect(patches.length).toBe(4 * 16 * 16)
      expect(folder.skipped.map((entry) => entry.file)).toEqual(['bad.png'])

      await truncate('a.png')
      await truncate('b.png')
      const broken = await openImageFolder(folderPath, { patchSize: 16, channels: 1 })
      const error = await broken.validationPatches(4).catch((caught: unknown) => caught)
      const message = (error as BottleneckError).message
      expect(message).toMatch(/None of the images .* could be read/)
      for (const file of ['a.png', 'b.png', 'bad.png']) expect(message).toContain(file)
    } finally {
      await rm(folderPath, { recursive: true, force: true })
    }
  })
})

describe('validation patches', () => {
  let flat: string
  beforeAll(async () => {
    flat = await mkdtemp(join(tmpdir(), 'bottleneck-folder-flat-'))
    // Four images of one grey level each, so a patch tells which image it was cut from.
    for (const [index, level] of [20, 80, 150, 230].entries()) {
      await sharp({
        create: { width: 32, height: 32, channels: 3, background: { r: level, g: level, b: level } },
      })
        .toColourspace('b-w')
        .png()
        .toFile(join(flat, `flat-${index}.png`))
    }
  })
  afterAll(() => rm(flat, { recursive: true, force: true }))

  it('start with patches of different images, since the first ones are the live samples training shows', async () => {
    const folder = await openImageFolder(flat, { patchSize: 16, validationFraction: 1 })
    const patchLength = 16 * 16
    const patches = await folder.validationPatches(64)
    const firstEight = Array.from({ length: 8 }, (_, i) => patches[i * patchLength]!.toFixed(3))
    expect(new Set(firstEight).size).toBeGreaterThan(1)
  })

  it('are only reordered: the same patches as the draws cut them, each once', () => {
    const patchLength = 2
    // Three draws of four patches (the last one short): patch k holds k.
    const drawn = Float32Array.from({ length: 11 * patchLength }, (_, i) => Math.floor(i / patchLength))
    const order = Array.from(interleaveDraws(drawn, patchLength, 4)).filter((_, i) => i % patchLength === 0)
    expect(order).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7])
  })
})
