import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { loadDataset, type ImageSplit } from '../../../src-main/ml/datasets'
import { encodePng } from '../../../src-main/ml/image-io'
import {
  LABEL_COLOURS,
  encodeSplit,
  interpolate,
  latentMap,
  normalQuantile,
  principalComponents,
  projectTo2d,
  renderLatentMap,
  tileImages,
  vaeManifold,
} from '../../../src-main/ml/latent'
import { createRandom } from '../../../src-main/ml/random'

const SHAPE: [number, number, number] = [28, 28, 1]
let test: ImageSplit

beforeAll(async () => {
  await initBackend()
  test = (await loadDataset('mnist', { limit: 1, testLimit: 300 })).test
})

function image(split: ImageSplit, index: number) {
  return { data: split.images.slice(index * 784, (index + 1) * 784), height: 28, width: 28, channels: 1 }
}

describe('PCA', () => {
  it('finds the direction of largest variance, then the next, with their share of the variance', () => {
    // Points spread 10× more along (0.6, 0.8, 0) than along (0, 0, 1), and 100× more than along the third axis.
    const random = createRandom(5)
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
    const count = 4000
    const codes = new Float32Array(count * 3)
    for (let i = 0; i < count; i++) {
      const a = 10 * gaussian()
      const b = 3 * gaussian()
      const c = 0.1 * gaussian()
      codes.set([5 + 0.6 * a - 0.8 * c, -2 + 0.8 * a + 0.6 * c, 1 + b], i * 3)
    }
    const pca = principalComponents({ codes, count, dimensions: 3 }, 2)
    expect(Math.abs(pca.components[0]!)).toBeCloseTo(0.6, 2)
    expect(Math.abs(pca.components[1]!)).toBeCloseTo(0.8, 2)
    expect(Math.abs(pca.components[5]!)).toBeCloseTo(1, 3)
    // Sign convention: the largest entry of each component is positive.
    expect(pca.components[1]!).toBeGreaterThan(0)
    expect(pca.mean[0]).toBeCloseTo(5, 0)
    expect(pca.variances[0]! / pca.variances[1]!).toBeCloseTo(100 / 9, 0)
    expect(pca.explainedRatio[0]! + pca.explainedRatio[1]!).toBeGreaterThan(0.999)
  })

  // The widest code Train offers. Building its 4096×4096 covariance took minutes and held up every other inference
  // call; the timeout below is far above what the product form needs and far below what the covariance took.
  it('finds two planted directions among 4096 dimensions of 2000 codes without stalling', () => {
    const start = tf.memory().numTensors
    const random = createRandom(11)
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
    const count = 2000
    const dimensions = 4096
    // Two orthogonal unit directions: alternating ±w on the even dimensions, and w on the odd ones.
    const w = 1 / Math.sqrt(dimensions / 2)
    const first = Float64Array.from({ length: dimensions }, (_, j) => (j % 2 === 0 ? (j % 4 === 0 ? w : -w) : 0))
    const second = Float64Array.from({ length: dimensions }, (_, j) => (j % 2 === 1 ? w : 0))
    const codes = new Float32Array(count * dimensions)
    for (let i = 0; i < count; i++) {
      const along = 10 * gaussian()
      const across = 5 * gaussian()
      for (let j = 0; j < dimensions; j++) {
        codes[i * dimensions + j] = 3 + along * first[j]! + across * second[j]! + 0.5 * gaussian()
      }
    }
    const pca = principalComponents({ codes, count, dimensions }, 2)
    const alignment = (component: number, direction: Float64Array) =>
      Math.abs(direction.reduce((sum, value, j) => sum + value * pca.components[component * dimensions + j]!, 0))
    // Sampling noise tilts them a little (theory: cosines of about 0.997 and 0.99).
    expect(alignment(0, first)).toBeGreaterThan(0.99)
    expect(alignment(1, second)).toBeGreaterThan(0.98)
    expect(pca.mean[0]).toBeCloseTo(3, 1)
    // Planted variances 100 and 25, plus a little of the noise's 0.25 per dimension.
    expect(pca.variances[0]).toBeGreaterThan(90)
    expect(pca.variances[0]).toBeLessThan(112)
    expect(pca.variances[1]).toBeGreaterThan(22)
    expect(pca.variances[1]).toBeLessThan(29)
    // The noise spreads 4096 × 0.25 = 1024 over all the other directions, so the two share about 11 %.
    expect(pca.explainedRatio[0]! + pca.explainedRatio[1]!).toBeCloseTo(125 / (125 + 1024), 1)
    expect(tf.memory().numTensors).toBe(start)
  }, 30_000)

  it('says in a sentence that one code cannot be placed on a plane', () => {
    expect(() => principalComponents({ codes: Float32Array.from([1, 2, 3]), count: 1, dimensions: 3 })).toThrow(
      'Placing 3-value codes on a plane takes at least two test images, to find the directions they vary along; there is only one.',
    )
  })

  it('refuses codes that are not finite with a sentence, instead of a map of nothing', () => {
    const codes = Float32Array.from([0, 1, 2, NaN, 4, 5, 6, 7, 8])
    expect(() => principalComponents({ codes, count: 3, dimensions: 3 })).toThrow(/not finite numbers/)
  })

  it('projects 2-D codes as they are, and wider codes onto their first two principal components', () => {
    const flat = { codes: Float32Array.from([1, 2, 3, 4, 5, 6]), count: 3, dimensions: 2 }
    expect(projectTo2d(flat)).toMatchObject({ method: 'code', count: 3, points: flat.codes })
    // A 3-D code that really lives on a line: PCA puts all of it on the first axis.
    const line = { codes: Float32Array.from([0, 0, 0, 1, 2, 2, 2, 4, 4, 3, 6, 6]), count: 4, dimensions: 3 }
    const projection = projectTo2d(line)
    expect(projection.method).toBe('pca')
    expect(projection.explainedRatio![0]).toBeCloseTo(1, 6)
    const xs = [0, 1, 2, 3].map((i) => projection.points[2 * i]!)
    expect(xs[1]! - xs[0]!).toBeCloseTo(3, 5)
    expect(xs[3]! - xs[0]!).toBeCloseTo(9, 5)
    for (let i = 0; i < 4; i++) expect(Math.abs(projection.points[2 * i + 1]!)).toBeLessThan(1e-5)
  })
})

describe('latent map', () => {
  it('encodes the test split, projects by PCA and draws one dot per image coloured by its label', async () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('dense', SHAPE, { seed: 1 }))
    const { projection, image: map } = latentMap(autoencoder, test, { size: 256, limit: 200 })
    expect(projection.count).toBe(200)
    expect(projection.method).toBe('pca')
    expect(map).toMatchObject({ width: 256, height: 256 + 24, channels: 3 })
    // Every label present among the 200 digits appears somewhere in the plot area in its colour.
    const colours = new Set<string>()
    for (let i = 0; i < 256 * 256; i++) colours.add(Array.from(map.data.subarray(i * 3, i * 3 + 3), (v) => Math.round(v * 255)).join(','))
    for (const label of new Set(test.labels!.subarray(0, 200))) expect(colours).toContain(LABEL_COLOURS[label]!.join(','))
    const png = await encodePng(map)
    const metadata = await sharp(png).metadata()
    expect([metadata.width, metadata.height]).toEqual([256, 280])
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('puts a point where its coordinates say, in its label colour', () => {
    // Three points: two corners fix the axes, the third sits in the middle.
    const projection = { points: Float32Array.from([0, 0, 10, 10, 5, 5]), count: 3, method: 'code' as const }
    const map = renderLatentMap(projection, Uint8Array.from([0, 1, 3]), { size: 101, radius: 0 })
    const pixel = (row: number, column: number) => Array.from(map.data.subarray((row * 101 + column) * 3, (row * 101 + column) * 3 + 3), (v) => Math.round(v * 255))
    expect(pixel(50, 50)).toEqual([...LABEL_COLOURS[3]!])
    expect(pixel(10, 10)).toEqual([255, 255, 255])
  })

  it('refuses a model without a code', () => {
    const denoiser = buildAutoencoder(createModelConfig('denoiser', SHAPE, { seed: 1, levelFilters: [4, 8, 16, 32] }))
    expect(() => encodeSplit(denoiser, test)).toThrow(/no single code layer/)
    denoiser.dispose()
  })
})

describe('interpolation', () => {
  it('decodes a straight line between two codes: the ends are the reconstructions, the middle the mean code', () => {
    const start = tf.memory().numTensors
    const autoencoder = buildAutoencoder(createModelConfig('conv', SHAPE, { seed: 2 }))
    const a = image(test, 0)
    const b = image(test, 1)
    const steps = interpolate(autoencoder, a, b, 5)
    expect(steps).toHaveLength(5)
    tf.tidy(() => {
      const reconstruct = (x: Float32Array) => (autoencoder.model.predict(tf.tensor4d(x, [1, ...SHAPE])) as tf.Tensor).dataSync()
      const close = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).every((v, i) => Math.abs(v - y[i]!) < 1e-5)
      expect(close(steps[0]!.data, reconstruct(a.data))).toBe(true)
      expect(close(steps[4]!.data, reconstruct(b.data))).toBe(true)
      const codes = autoencoder.encoder!.predict(tf.tensor4d(Float32Array.from([...a.data, ...b.data]), [2, ...SHAPE])) as tf.Tensor
      const middle = (autoencoder.decoder!.predict(tf.mean(codes, 0, true)) as tf.Tensor).dataSync()
      expect(close(steps[2]!.data, middle)).toBe(true)
      expect(close(steps[1]!.data, steps[3]!.data)).toBe(false)
    })
    expect(() => interpolate(autoencoder, a, { ...b, width: 27 }, 5)).toThrow(/second image is 28×27×1/)
    expect(() => interpolate(autoencoder, a, b, 1)).toThrow(/from 2 to 100 steps/)
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('lays images out in a grid', () => {
    const cell = (value: number) => ({ data: new Float32Array(4).fill(value), height: 2, width: 2, channels: 1 })
    const grid = tileImages([cell(0), cell(1), cell(2)], 2)
    expect(grid).toMatchObject({ height: 4, width: 4 })
    expect(Array.from(grid.data)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 0, 0, 2, 2, 0, 0])
  })
})

describe('VAE manifold', () => {
  it('matches scipy norm.ppf', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9)
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 7)
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644853627, 7)
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 6)
    expect(() => normalQuantile(1)).toThrow(/0 < p < 1/)
  })

  it('decodes an n×n grid over the prior quantiles into one image, the same every time', () => {
    const start = tf.memory().numTensors
    const vae = buildAutoencoder(createModelConfig('vae', SHAPE, { seed: 3 }))
    const grid = vaeManifold(vae, { n: 4 })
    expect(grid).toMatchObject({ height: 112, width: 112, channels: 1 })
    expect(vaeManifold(vae, { n: 4 }).data).toEqual(grid.data)
    // Cell (row 3, column 0) is z = (ppf(0.05), ppf(0.05)): bottom-left of the plane.
    const z = normalQuantile(0.05)
    const expected = tf.tidy(() => (vae.decoder!.predict(tf.tensor2d([[z, z]])) as tf.Tensor).dataSync())
    const cell = Array.from({ length: 28 }, (_, y) => Array.from(grid.data.subarray((84 + y) * 112, (84 + y) * 112 + 28))).flat()
    expect(Math.max(...cell.map((v, i) => Math.abs(v - expected[i]!)))).toBeLessThan(1e-5)
    const dense = buildAutoencoder(createModelConfig('dense', SHAPE, { seed: 3 }))
    expect(() => vaeManifold(dense)).toThrow(/Only a VAE can generate/)
    vae.dispose()
    dense.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })
})
