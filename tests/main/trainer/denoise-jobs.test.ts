// Photo denoising jobs as the Denoise view runs them, in process: a greyscale photo given to an RGB model comes back
// grey, with nothing mixed up by the pipeline (decoding, tiling, reassembly, PNG), an
// RGB photo given to a greyscale model is taken as one channel, and a photo smaller than SSIM's window is scored with
// MSE and PSNR instead of failing.
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import type { DenoiseDone } from '../../../src-main/contract/index'
import {
  buildAutoencoder,
  createModelConfig,
  type Autoencoder,
} from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { modelGeometry } from '../../../src-main/ml/denoise-image'
import { decodeImage, encodePng, type ImageData } from '../../../src-main/ml/image-io'
import { createDenoiseJobs } from '../../../src-main/trainer/denoise-jobs'
import type { DenoiseImageParams, DenoiseImageSource } from '../../../src-main/trainer/protocol'
import { syntheticPhoto } from '../../../scripts/make-test-photos'

beforeAll(async () => {
  await initBackend()
})

let jobCount = 0

/** Runs one job to its end and returns the done event and the pictures as decoded images. */
async function runJob(
  autoencoder: Autoencoder,
  source: DenoiseImageSource,
  options: Partial<DenoiseImageParams> = {},
) {
  let resolveDone!: (done: DenoiseDone) => void
  const finished = new Promise<DenoiseDone>((resolve) => (resolveDone = resolve))
  const jobs = createDenoiseJobs({
    loadModel: async () => ({ autoencoder }),
    emit: (event) => {
      if (event.name === 'inference.onDenoiseDone') resolveDone(event.payload)
    },
    log: () => undefined,
  })
  const jobId = `job-${++jobCount}`
  const started = await jobs.start({
    storeRoot: '',
    modelId: 'model',
    jobId,
    source,
    maxPixels: 1e8,
    // The smallest tiles the job takes, so seams cross every photo.
    tileSize: 1,
    ...options,
  })
  const done = await finished
  const png = async (image: 'input' | 'denoised') => (await jobs.result({ jobId, image, gain: 1 })).png
  const picture = async (image: 'input' | 'denoised') => decodeImage(await png(image))
  return { started, done, picture, png }
}

/** A greyscale JPEG, as a scanner or a black-and-white camera mode writes it (one channel in the file). */
async function greyJpeg(width: number, height: number): Promise<Uint8Array> {
  const grey = syntheticPhoto(width, height, 21, 1)
  const bytes = Uint8Array.from(grey.data, (v) => Math.round(v * 255))
  return sharp(bytes, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .jpeg({ quality: 90 })
    .toBuffer()
}

/**
 * Makes the model's last 1×1 convolution give every output channel the weights of the first: its output is then the
 * same in all three channels for any input (the U-Net adds it to the input, the denoiser squashes it). Whatever the
 * pipeline does to a grey photo, such a model must give back a grey one.
 */
function shareOutputChannels(autoencoder: Autoencoder, layerName: string): void {
  const layer = autoencoder.model.getLayer(layerName)
  const [kernel, bias] = layer.getWeights() as [tf.Tensor4D, tf.Tensor1D]
  const shared = tf.tidy(() => [
    tf.tile(kernel.slice([0, 0, 0, 0], [1, 1, kernel.shape[2], 1]), [1, 1, 1, 3]),
    tf.fill([3], bias.dataSync()[0]!),
  ])
  layer.setWeights(shared)
  tf.dispose(shared)
}

/** The largest difference between the channels of one pixel, over the image, in 8-bit levels. */
function colourSpread(image: ImageData): number {
  let worst = 0
  for (let p = 0; p < image.height * image.width; p++) {
    const [r, g, b] = [image.data[3 * p]!, image.data[3 * p + 1]!, image.data[3 * p + 2]!]
    worst = Math.max(worst, Math.max(r, g, b) - Math.min(r, g, b))
  }
  return Math.round(worst * 255)
}

/** The model over the whole picture in one call: what tiling must reproduce away from the borders. */
function predictWhole(autoencoder: Autoencoder, image: ImageData): Float32Array {
  return tf.tidy(
    () =>
      (
        autoencoder.model.predict(
          tf.tensor4d(image.data, [1, image.height, image.width, image.channels]),
        ) as tf.Tensor
      ).dataSync() as Float32Array,
  )
}

/** Largest difference, in 8-bit levels, between a result and the whole-picture output, `margin` px from the edges. */
function worstInside(result: ImageData, whole: Float32Array, margin: number): number {
  const { height, width, channels } = result
  let worst = 0
  for (let y = margin; y < height - margin; y++) {
    for (let x = margin; x < width - margin; x++) {
      for (let k = 0; k < channels; k++) {
        const i = (y * width + x) * channels + k
        worst = Math.max(worst, Math.abs(Math.min(1, Math.max(0, whole[i]!)) - result.data[i]!))
      }
    }
  }
  return worst * 255
}

describe('a greyscale photo denoised by a model for RGB photos', () => {
  it('is read as three equal channels holding the grey values, pixel for pixel', async () => {
    const jpeg = await greyJpeg(57, 31)
    const grey = await decodeImage(jpeg)
    const rgb = await decodeImage(jpeg, { channels: 3 })
    expect([grey.channels, rgb.channels, rgb.width, rgb.height]).toEqual([1, 3, 57, 31])
    for (let p = 0; p < 57 * 31; p++) {
      for (let k = 0; k < 3; k++) expect(rgb.data[3 * p + k]).toBe(grey.data[p])
    }
  })

  it('comes back grey, tile by tile, from a U-Net whose output channels are alike', async () => {
    const start = tf.memory().numTensors
    const unet = buildAutoencoder(createModelConfig('unet', [32, 32, 3], { filters: 4, seed: 3 }))
    try {
      shareOutputChannels(unet, 'residual')
      const jpeg = await greyJpeg(148, 100)
      const { started, done, picture } = await runJob(unet, { name: 'scan.jpg', bytes: jpeg })
      expect(done.status, done.error?.message).toBe('completed')
      expect(started).toMatchObject({ width: 148, height: 100, channels: 3 })
      expect(started.tiles).toBeGreaterThan(6)
      const denoised = await picture('denoised')
      expect(denoised.channels).toBe(3)
      expect(colourSpread(denoised)).toBe(0)
      // And in the right place: the one-pass output, away from the borders tiles pad differently.
      const input = await picture('input')
      const margin = modelGeometry(unet).overlap
      expect(worstInside(denoised, predictWhole(unet, input), margin)).toBeLessThanOrEqual(0.5 + 0.05)
    } finally {
      unet.dispose()
    }
    expect(tf.memory().numTensors).toBe(start)
  })

  it('comes back grey from a fixed-size denoiser whose output channels are alike', async () => {
    const denoiser = buildAutoencoder(createModelConfig('denoiser', [32, 32, 3], { seed: 3 }))
    try {
      shareOutputChannels(denoiser, 'logits')
      const { done, picture } = await runJob(denoiser, { name: 'scan.jpg', bytes: await greyJpeg(32, 32) })
      expect(done.status, done.error?.message).toBe('completed')
      expect(colourSpread(await picture('denoised'))).toBe(0)
    } finally {
      denoiser.dispose()
    }
  })

  it('comes back grey from a model that tints grey: the mean of the channels the model gives, pixel by pixel', async () => {
    const unet = buildAutoencoder(createModelConfig('unet', [32, 32, 3], { filters: 4, seed: 3 }))
    try {
      const { done, picture } = await runJob(unet, { name: 'scan.jpg', bytes: await greyJpeg(148, 100) })
      expect(done.status, done.error?.message).toBe('completed')
      const [input, denoised] = [await picture('input'), await picture('denoised')]
      expect(colourSpread(input)).toBe(0)
      // The untrained model's three output channels have different weights, so on its own it tints the photo...
      const whole = predictWhole(unet, input)
      expect(colourSpread({ ...input, data: whole.map((v) => Math.min(1, Math.max(0, v))) })).toBeGreaterThan(
        10,
      )
      // ...and the result keeps no tint: each pixel is the mean of the model's channels there.
      expect(colourSpread(denoised)).toBe(0)
      const greyWhole = whole.map((_, i) => {
        const pixel = i - (i % 3)
        const clipped = [0, 1, 2].map((k) => Math.min(1, Math.max(0, whole[pixel + k]!)))
        return (clipped[0]! + clipped[1]! + clipped[2]!) / 3
      })
      expect(worstInside(denoised, greyWhole, modelGeometry(unet).overlap)).toBeLessThanOrEqual(0.5 + 0.05)
    } finally {
      unet.dispose()
    }
  })
})

describe('an RGB photo denoised by a greyscale model', () => {
  it('is taken as one grey channel, and so is its result', async () => {
    const unet = buildAutoencoder(createModelConfig('unet', [32, 32, 1], { filters: 4, seed: 3 }))
    try {
      const photo = await encodePng(syntheticPhoto(90, 60, 4))
      const { started, done, picture } = await runJob(unet, { name: 'garden.png', bytes: photo })
      expect(done.status, done.error?.message).toBe('completed')
      expect(started.channels).toBe(1)
      const [input, denoised] = [await picture('input'), await picture('denoised')]
      expect([input.channels, denoised.channels, denoised.width, denoised.height]).toEqual([1, 1, 90, 60])
      expect(input.data).toEqual((await decodeImage(photo, { channels: 1 })).data)
    } finally {
      unet.dispose()
    }
  })
})

describe('a photo smaller than SSIM’s 11×11 window, with a clean reference', () => {
  it('is denoised and scored with MSE and PSNR, without SSIM', async () => {
    const unet = buildAutoencoder(createModelConfig('unet', [32, 32, 3], { filters: 4, seed: 3 }))
    try {
      const clean = syntheticPhoto(10, 8, 6)
      const noisy = { ...clean, data: clean.data.map((v, i) => Math.min(1, v + (i % 7) / 40)) }
      const { done } = await runJob(
        unet,
        { name: 'tiny noisy.png', bytes: await encodePng(noisy) },
        { reference: { name: 'tiny clean.png', bytes: await encodePng(clean) } },
      )
      expect(done.status, done.error?.message).toBe('completed')
      expect(done.images).toEqual(['input', 'denoised', 'difference', 'reference', 'error'])
      for (const scores of [done.metrics!.input, done.metrics!.denoised]) {
        expect(scores.psnr).toBeGreaterThan(5)
        expect(scores.mse).toBeGreaterThan(0)
        expect(scores).not.toHaveProperty('ssim')
      }
      expect(done.metrics!.input.psnr).toBeLessThan(40)
    } finally {
      unet.dispose()
    }
  })
})

describe('a photo with transparency', () => {
  it('keeps it: the input and denoised pictures carry the photo’s alpha, turned upright like its pixels', async () => {
    const unet = buildAutoencoder(createModelConfig('unet', [32, 32, 3], { filters: 4, seed: 3 }))
    try {
      // A cut-out, opaque on the left and fading to transparent on the right, stored on its side (EXIF orientation 6).
      const [width, height] = [40, 24]
      const pixels = syntheticPhoto(width, height, 8)
      const alpha = Uint8Array.from({ length: width * height }, (_, p) =>
        Math.max(0, 255 - Math.round(((p % width) / (width - 1)) * 300)),
      )
      const rgba = new Uint8Array(width * height * 4)
      for (let p = 0; p < width * height; p++) {
        for (let k = 0; k < 3; k++) rgba[4 * p + k] = Math.round(pixels.data[3 * p + k]! * 255)
        rgba[4 * p + 3] = alpha[p]!
      }
      const sideways = await sharp(rgba, { raw: { width, height, channels: 4 } })
        .rotate(-90)
        .webp({ lossless: true })
        .withMetadata({ orientation: 6 })
        .toBuffer()
      const { done, png } = await runJob(unet, { name: 'cut-out.webp', bytes: sideways })
      expect(done.status, done.error?.message).toBe('completed')
      for (const image of ['input', 'denoised'] as const) {
        const { data, info } = await sharp(await png(image))
          .extractChannel('alpha')
          .raw()
          .toBuffer({ resolveWithObject: true })
        expect([info.width, info.height]).toEqual([width, height])
        expect(Array.from(data)).toEqual(Array.from(alpha))
      }
    } finally {
      unet.dispose()
    }
  })

  it('adds none to an opaque photo', async () => {
    const unet = buildAutoencoder(createModelConfig('unet', [32, 32, 3], { filters: 4, seed: 3 }))
    try {
      const opaque = await sharp(await encodePng(syntheticPhoto(30, 20, 2)))
        .ensureAlpha()
        .png()
        .toBuffer()
      expect((await sharp(opaque).metadata()).hasAlpha).toBe(true)
      const { done, png } = await runJob(unet, { name: 'opaque.png', bytes: opaque })
      expect(done.status, done.error?.message).toBe('completed')
      expect((await sharp(await png('denoised')).metadata()).hasAlpha).toBe(false)
    } finally {
      unet.dispose()
    }
  })
})

describe('what of a photo is not denoised', () => {
  const frame = (grey: number) =>
    sharp({ create: { width: 20, height: 16, channels: 3, background: { r: grey, g: grey, b: grey } } })
      .png()
      .toBuffer()

  it('is said in the start answer: the frames of an animation after the first, a 16-bit PNG’s lower bits', async () => {
    const unet = buildAutoencoder(createModelConfig('unet', [32, 32, 3], { filters: 4, seed: 3 }))
    try {
      const frames = await Promise.all([10, 120, 240].map(frame))
      const animation = await sharp(frames, { join: { animated: true } }).gif().toBuffer()
      const gif = await runJob(unet, { name: 'wave.gif', bytes: animation })
      expect(gif.started.notes).toEqual(['Only the first of the 3 frames of "wave.gif" is denoised.'])
      expect(gif.done.status, gif.done.error?.message).toBe('completed')

      const deep = await sharp(frames[1]!).toColourspace('rgb16').png().toBuffer()
      const png16 = await runJob(unet, { name: 'deep.png', bytes: deep })
      expect(png16.started.notes).toEqual(['"deep.png" has 16 bits a channel; it is denoised and saved with 8.'])

      const plain = await runJob(unet, { name: 'plain.png', bytes: frames[0]! })
      expect(plain.started.notes).toEqual([])
    } finally {
      unet.dispose()
    }
  })
})
