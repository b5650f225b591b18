// Noise2Void masking statistics and the masked loss.
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { blindSpotArrays, blindSpotTensors, maskedMeanSquaredError } from '../../../src-main/ml/blind-spot'
import { seededRandom } from './helpers'

let startTensors: number
beforeEach(async () => {
  await tf.setBackend('cpu')
  startTensors = tf.memory().numTensors
})
afterEach(() => {
  expect(tf.memory().numTensors).toBe(startTensors)
})

describe('blindSpotArrays', () => {
  // Every value unique (pixel index encoded), so a replacement reveals which pixel it came from.
  const [count, height, width, channels] = [20, 32, 32, 2] as const
  const batch = Float32Array.from({ length: count * height * width * channels }, (_, i) => i)

  it('masks the requested fraction of pixels, all channels together, and leaves the rest untouched', () => {
    const { inputs, mask, perPatch } = blindSpotArrays(
      batch,
      [count, height, width, channels],
      seededRandom(1),
      {
        fraction: 0.02,
      },
    )
    expect(perPatch).toBe(Math.round(0.02 * 1024))
    let masked = 0
    let violations = 0
    for (let p = 0; p < count * height * width; p++) {
      if (mask[p * 2] !== mask[p * 2 + 1]) violations++
      if (mask[p * 2] === 1) {
        masked++
        if (inputs[p * 2] === batch[p * 2]) violations++
      } else if (inputs[p * 2] !== batch[p * 2] || inputs[p * 2 + 1] !== batch[p * 2 + 1]) {
        violations++
      }
    }
    expect(violations).toBe(0)
    expect(masked).toBe(perPatch * count)
  })

  it('replaces each masked pixel by a neighbour from the 5×5 window, offsets uniform over the 24 neighbours', () => {
    const { inputs, mask } = blindSpotArrays(batch, [count, height, width, channels], seededRandom(2), {
      fraction: 0.1,
    })
    const offsets = new Map<string, number>()
    let total = 0
    for (let n = 0; n < count; n++)
      for (let r = 2; r < height - 2; r++)
        for (let c = 2; c < width - 2; c++) {
          const p = (n * height + r) * width + c
          if (mask[p * 2] !== 1) continue
          const source = inputs[p * 2]! / 2
          const sourceRow = Math.floor((source - n * height * width) / width)
          const sourceCol = source - n * height * width - sourceRow * width
          const key = `${sourceRow - r},${sourceCol - c}`
          expect(Math.abs(sourceRow - r)).toBeLessThanOrEqual(2)
          expect(Math.abs(sourceCol - c)).toBeLessThanOrEqual(2)
          expect(key).not.toBe('0,0')
          offsets.set(key, (offsets.get(key) ?? 0) + 1)
          total++
        }
    expect(offsets.size).toBe(24)
    for (const frequency of offsets.values()) expect(Math.abs(frequency / total - 1 / 24)).toBeLessThan(0.02)
  })

  it('is reproducible from the random source and refuses silly settings', () => {
    const a = blindSpotArrays(batch, [count, height, width, channels], seededRandom(5))
    const b = blindSpotArrays(batch, [count, height, width, channels], seededRandom(5))
    expect(Array.from(a.mask)).toEqual(Array.from(b.mask))
    expect(() =>
      blindSpotArrays(batch, [count, height, width, channels], seededRandom(5), { fraction: 0.5 }),
    ).toThrow(/fraction/)
    expect(() =>
      blindSpotArrays(batch, [count, height, width, channels], seededRandom(5), { window: 4 }),
    ).toThrow(/odd/)
  })
})

describe('maskedMeanSquaredError', () => {
  it('averages the squared error over masked values only', () => {
    const batch = new Float32Array(2 * 4 * 4 * 1).fill(0.5)
    const { inputs, mask } = blindSpotTensors(batch, [2, 4, 4, 1], seededRandom(3), { fraction: 0.25 })
    const predictions = tf.tidy(() => tf.onesLike(inputs).sub(mask.mul(0.25))) // error 0.25 on masked, 0.5 elsewhere
    const targets = tf.fill([2, 4, 4, 1], 0.5)
    const loss = maskedMeanSquaredError(predictions, targets, mask)
    expect(loss.dataSync()[0]).toBeCloseTo(0.0625, 6)
    const everywhere = tf.onesLike(mask)
    const full = maskedMeanSquaredError(predictions, targets, everywhere)
    expect(full.dataSync()[0]).toBeGreaterThan(0.0625)
    tf.dispose([inputs, mask, predictions, targets, loss, full, everywhere])
  })
})
