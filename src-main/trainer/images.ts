// Conversions between the contract's images (bytes 0–255 in plain arrays, JSON- and IPC-safe) and the ML core's
// Float32 [0, 1] HWC buffers. Kept in one place so every path rounds the same way.
import type { Image, Noise } from '../contract/index'
import type { NoiseSpec } from '../ml/noise'

export function imageToFloat(image: Image): Float32Array {
  const out = new Float32Array(image.data.length)
  for (let i = 0; i < out.length; i++) out[i] = image.data[i]! / 255
  return out
}

export function floatToImage(
  data: Float32Array | ArrayLike<number>,
  height: number,
  width: number,
  channels: number,
): Image {
  const bytes = new Array<number>(height * width * channels)
  for (let i = 0; i < bytes.length; i++) {
    const value = Math.round((data[i] ?? 0) * 255)
    bytes[i] = value < 0 ? 0 : value > 255 ? 255 : value
  }
  return { width, height, channels: channels as 1 | 3 | 4, data: bytes }
}

/** Packs a batch of same-shape images into one NHWC buffer. */
export function stackImages(images: Image[]): Float32Array {
  const size = images[0] ? images[0].data.length : 0
  const out = new Float32Array(images.length * size)
  images.forEach((image, index) => out.set(imageToFloat(image), index * size))
  return out
}

/** The contract's noise options in the ML core's vocabulary. */
export function toNoiseSpec(noise: Noise | undefined): NoiseSpec {
  switch (noise?.type) {
    case undefined:
    case 'none':
      return { kind: 'none' }
    case 'gaussian':
      return { kind: 'gaussian', sigma: noise.stddev }
    case 'speckle':
      return { kind: 'speckle', sigma: noise.stddev }
    case 'saltPepper':
      return { kind: 'salt-pepper', amount: noise.amount }
    case 'mask':
      return { kind: 'mask', amount: noise.amount }
  }
}

/** The ML core's noise in the contract's vocabulary (for model details). */
export function fromNoiseSpec(spec: NoiseSpec): Noise {
  switch (spec.kind) {
    case 'none':
      return { type: 'none' }
    case 'gaussian':
      return { type: 'gaussian', stddev: spec.sigma }
    case 'speckle':
      return { type: 'speckle', stddev: spec.sigma }
    case 'salt-pepper':
      return { type: 'saltPepper', amount: spec.amount }
    case 'mask':
      return { type: 'mask', amount: spec.amount }
  }
}
