// Converts between the contract's image shape (0–255 integers, HWC) and the Float32 grayscale [0, 1] the
// renderer's pure modules work in (and, for scoring a colour model, Float32 [0, 1] in every channel).
// Bytes cross the wire because they survive JSON and IPC alike.
import type { Image } from '@contract'

export function floatToImage(pixels: ArrayLike<number>, width: number, height: number): Image {
  const data = new Array<number>(width * height)
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, pixels[i] ?? 0)) * 255)
  return { width, height, channels: 1, data }
}

/** Any contract image as grayscale [0, 1] (RGB by luminance, alpha ignored: models see opaque images). */
export function imageToFloat(image: Image): Float32Array {
  const count = image.width * image.height
  const out = new Float32Array(count)
  const c = image.channels
  for (let i = 0; i < count; i++) {
    if (c === 1) out[i] = (image.data[i] ?? 0) / 255
    else {
      const r = image.data[i * c] ?? 0
      const g = image.data[i * c + 1] ?? 0
      const b = image.data[i * c + 2] ?? 0
      out[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 255
    }
  }
  return out
}

/** Every value of a contract image in [0, 1], all channels kept (HWC): what a colour model really output. */
export function imageChannelsToFloat(image: Image): Float32Array {
  return Float32Array.from(image.data, (value) => value / 255)
}

/** Grayscale [0, 1] pixels copied into each of `channels` channels (HWC), as a colour model is given a grey image. */
export function greyToChannels(pixels: Float32Array, channels: number): Float32Array {
  if (channels === 1) return pixels
  const out = new Float32Array(pixels.length * channels)
  pixels.forEach((value, i) => out.fill(value, i * channels, (i + 1) * channels))
  return out
}
