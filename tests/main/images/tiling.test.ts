// Tiled inference: exact reassembly, no seams for a translation-equivariant model, progress, cancellation, no leaks.
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { applyTiled, minimumTileSize, planTiles } from '../../../src-main/ml/tiling'
import type { ImageData } from '../../../src-main/ml/image-io'
import { BottleneckError } from '../../../src-main/ml/errors'

let startTensors: number
beforeEach(async () => {
  await tf.setBackend('cpu')
  startTensors = tf.memory().numTensors
})
afterEach(() => {
  expect(tf.memory().numTensors).toBe(startTensors)
})

function randomImage(height: number, width: number, channels: number): ImageData {
  let state = 12345
  const data = Float32Array.from({ length: height * width * channels }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state / 2 ** 31
  })
  return { data, height, width, channels }
}

describe('applyTiled', () => {
  it('reassembles the image exactly through an identity model, at sizes that do not divide the tiles', async () => {
    for (const [height, width, channels] of [
      [37, 53, 3],
      [5, 7, 1],
      [64, 64, 1],
    ] as const) {
      const image = randomImage(height, width, channels)
      const result = await applyTiled(image, (batch) => batch.clone(), {
        tileSize: 24,
        overlap: 4,
        batchSize: 3,
      })
      expect(Array.from(result.data)).toEqual(Array.from(image.data))
    }
  })

  it('matches whole-image application of a same-padded convolution to 1e-5, seams included', async () => {
    const image = randomImage(70, 90, 3)
    const kernel = tf.randomNormal([5, 5, 3, 3], 0, 0.2, 'float32', 9) as tf.Tensor4D
    const convolve = (x: tf.Tensor4D) => tf.conv2d(x, kernel, 1, 'same')
    const whole = tf.tidy(() => convolve(tf.tensor4d(image.data, [1, 70, 90, 3])))
    const expected = whole.dataSync()
    whole.dispose()
    const tiled = await applyTiled(image, convolve, { tileSize: 32, overlap: 4, padding: 'zero' })
    let maxDifference = 0
    for (let i = 0; i < expected.length; i++)
      maxDifference = Math.max(maxDifference, Math.abs(expected[i]! - tiled.data[i]!))
    expect(maxDifference).toBeLessThanOrEqual(1e-5)

    // Mirrored padding differs only within the kernel radius of the image edge, never at tile seams.
    const mirrored = await applyTiled(image, convolve, { tileSize: 32, overlap: 4 })
    let interior = 0
    let edge = 0
    for (let r = 0; r < 70; r++)
      for (let c = 0; c < 90; c++)
        for (let k = 0; k < 3; k++) {
          const i = (r * 90 + c) * 3 + k
          const difference = Math.abs(expected[i]! - mirrored.data[i]!)
          if (r >= 2 && r < 68 && c >= 2 && c < 88) interior = Math.max(interior, difference)
          else edge = Math.max(edge, difference)
        }
    expect(interior).toBeLessThanOrEqual(1e-5)
    expect(edge).toBeGreaterThan(1e-3)
    kernel.dispose()
  })

  it('shows the model mirrored pixels beyond the image edges, like a reflect-padded whole-image convolution', async () => {
    // Tiles of 20 keep 12×12 centres, so every edge case of the tile copy occurs: tiles hanging over each side and
    // corner, an image narrower than one tile in height (9 rows), and mirrored spans wider than the kernel needs.
    for (const [height, width] of [
      [45, 58],
      [9, 40],
    ] as const) {
      const image = randomImage(height, width, 2)
      const kernel = tf.randomNormal([5, 5, 2, 2], 0, 0.2, 'float32', 4) as tf.Tensor4D
      const whole = tf.tidy(() =>
        tf.conv2d(
          tf.mirrorPad(
            tf.tensor4d(image.data, [1, height, width, 2]),
            [
              [0, 0],
              [2, 2],
              [2, 2],
              [0, 0],
            ],
            'reflect',
          ),
          kernel,
          1,
          'valid',
        ),
      )
      const expected = whole.dataSync()
      whole.dispose()
      const tiled = await applyTiled(image, (x) => tf.conv2d(x, kernel, 1, 'same'), {
        tileSize: 20,
        overlap: 4,
        batchSize: 2,
      })
      kernel.dispose()
      let maxDifference = 0
      for (let i = 0; i < expected.length; i++)
        maxDifference = Math.max(maxDifference, Math.abs(expected[i]! - tiled.data[i]!))
      expect(maxDifference).toBeLessThanOrEqual(1e-5)
    }
  })

  it('reports progress for every tile and stops with CANCELLED when aborted', async () => {
    const image = randomImage(100, 100, 1)
    const plan = planTiles(100, 100, { tileSize: 32, overlap: 8 })
    expect(plan.origins.length).toBe(49) // ⌈100/16⌉²
    const seen: number[] = []
    await applyTiled(image, (x) => x.mul(2), {
      tileSize: 32,
      overlap: 8,
      onProgress: ({ done, total }) => {
        expect(total).toBe(49)
        seen.push(done)
      },
    })
    expect(seen[0]).toBe(0)
    expect(seen.at(-1)).toBe(49)

    const controller = new AbortController()
    let calls = 0
    const error = await applyTiled(
      image,
      (x) => {
        if (++calls === 3) controller.abort()
        return x.clone()
      },
      { tileSize: 32, overlap: 8, signal: controller.signal },
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BottleneckError)
    expect((error as BottleneckError).code).toBe('CANCELLED')
    expect(calls).toBe(3)
  })

  it('refuses a model that changes the shape and tiles with no room left after the overlap', async () => {
    const image = randomImage(20, 20, 1)
    const error = await applyTiled(image, (x) => x.slice([0, 0, 0, 0], [-1, 8, 8, -1]), {
      tileSize: 16,
      overlap: 2,
    }).catch((e: unknown) => e)
    expect((error as BottleneckError).code).toBe('INVALID_INPUT')
    expect(() => planTiles(100, 100, { tileSize: 64, overlap: 32 })).toThrow(/larger tiles/)
  })

  it('names the smallest tile that keeps something after the overlap, the one planTiles takes', () => {
    for (const [overlap, multiple, smallest] of [
      [28, 4, 60],
      [32, 4, 68],
      [0, 8, 8],
      [5, 16, 16],
    ] as const) {
      expect(minimumTileSize(overlap, multiple)).toBe(smallest)
      const plan = planTiles(500, 500, { tileSize: smallest, overlap, multiple })
      expect(plan.core.height).toBe(smallest - 2 * overlap)
      expect(() => planTiles(500, 500, { tileSize: smallest - 1, overlap, multiple })).toThrow(/larger tiles/)
    }
  })
})
