// `bottleneck latent` says how its map is coloured, and that is what it draws: colours by label with a legend of the
// labels underneath when the test set has labels (0–9 for digits, 1–26 for EMNIST's letters, whose colours repeat past
// twenty); grey dots and no legend for a model trained on a folder of photos.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { writeTestPhotos } from '../../../scripts/make-test-photos'
import { runCliSync } from '../support/cli'
import { scratchDir } from '../support/scratch'
import { idxImages, saveUntrainedModel } from '../support/untrained-models'

const scratch = scratchDir('latent-labels')
const store = join(scratch, 'store')
const MAP_SIZE = 64
/** Wide enough for a legend of ten digits in one row. */
const LABELLED_MAP_SIZE = 256
/** The strip `renderLatentMap` adds under the plot for a legend of one row. */
const LEGEND_HEIGHT = 24

const bottleneck = (...args: string[]) => runCliSync(args, { store })

/** An idx1 file of the given labels. */
function idxLabels(labels: number[]): Buffer {
  const header = Buffer.alloc(8)
  header.writeUInt32BE(0x0801, 0)
  header.writeUInt32BE(labels.length, 4)
  return Buffer.concat([header, Buffer.from(labels)])
}

/** An IDX set of 8×8 images in the folder `${kind}s` whose test images carry `labels`, and a model "`${kind}` model" of it. */
async function saveIdxModel(kind: string, labels: number[]): Promise<void> {
  const folder = join(scratch, `${kind}s`)
  mkdirSync(folder)
  writeFileSync(join(folder, 'train-images-idx3-ubyte'), idxImages(4, 8))
  writeFileSync(join(folder, 't10k-images-idx3-ubyte'), idxImages(labels.length, 8))
  writeFileSync(join(folder, 't10k-labels-idx1-ubyte'), idxLabels(labels))
  await saveUntrainedModel(store, {
    architecture: 'dense',
    shape: [8, 8, 1],
    name: `${kind} model`,
    options: { seed: 3, codeSize: 4 },
    dataset: { spec: `idx:${folder}`, name: `${kind}s`, trainCount: 4, testCount: labels.length },
  })
}

beforeAll(async () => {
  const photos = join(scratch, 'photos')
  await writeTestPhotos(photos, 4, 40, 30)
  await saveUntrainedModel(store, {
    architecture: 'dense',
    shape: [16, 16, 3],
    name: 'photo model',
    options: { seed: 3, codeSize: 4 },
    dataset: { spec: `folder:${photos}`, name: 'photos', trainCount: 0, testCount: 0 },
  })
  await saveIdxModel('digit', Array.from({ length: 20 }, (_, i) => i % 10))
  await saveIdxModel('letter', Array.from({ length: 26 }, (_, i) => i + 1))
  await saveUntrainedModel(store, {
    architecture: 'vae',
    shape: [16, 16, 3],
    name: 'photo vae',
    options: { seed: 3 },
    dataset: { spec: `folder:${photos}`, name: 'photos', trainCount: 0, testCount: 0 },
  })
})

describe('bottleneck latent', () => {
  it('on a model trained on a folder of photos: grey dots, no legend of digits, and says so', async () => {
    const map = join(scratch, 'photos-map.png')
    const result = bottleneck('latent', 'photo model', '-o', map, '--limit', '8', '--size', String(MAP_SIZE))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/8 test images, .*; grey dots: the dataset has no labels/)
    expect(result.stdout).not.toMatch(/label,|legend/)
    const { width, height } = await sharp(map).metadata()
    expect([width, height]).toEqual([MAP_SIZE, MAP_SIZE])
  })

  it('on a model trained on labelled images: colours by label, with the legend 0–9 under the map', async () => {
    const map = join(scratch, 'digits-map.png')
    const result = bottleneck('latent', 'digit model', '-o', map, '--size', String(LABELLED_MAP_SIZE))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/20 test images, .*; colours by label, legend 0–9 underneath \(/)
    const { width, height } = await sharp(map).metadata()
    expect([width, height]).toEqual([LABELLED_MAP_SIZE, LABELLED_MAP_SIZE + LEGEND_HEIGHT])
  })

  it('on a model trained on EMNIST-like letters: legend 1–26, and says that colours repeat past twenty', async () => {
    const map = join(scratch, 'letters-map.png')
    const result = bottleneck('latent', 'letter model', '-o', map, '--size', String(LABELLED_MAP_SIZE))
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(
      /26 test images, .*; colours by label, legend 1–26 underneath; its 26 labels share 20 colours, so colours repeat/,
    )
    // 26 entries do not fit one row of a 256-pixel map: the legend takes more rows.
    const { height } = await sharp(map).metadata()
    expect(height).toBeGreaterThan(LABELLED_MAP_SIZE + LEGEND_HEIGHT)
  })
})

describe('bottleneck generate', () => {
  it('on a VAE of photos: says it decoded images, not digits', async () => {
    const grid = join(scratch, 'grid.png')
    const result = bottleneck('generate', 'photo vae', '-o', grid, '-n', '3')
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`Wrote ${grid}: 3×3 images decoded from the VAE's prior.`)
    const { width, height } = await sharp(grid).metadata()
    expect([width, height]).toEqual([48, 48])
  })
})
