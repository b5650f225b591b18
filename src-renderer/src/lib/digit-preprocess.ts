// Turns a free-hand drawing into the 28×28 image an MNIST model expects, with the rule MNIST itself used:
// crop to the ink's bounding box, scale its longer side to 20 px (area averaging keeps strokes anti-aliased),
// then shift so the centre of mass sits at the centre of the 28×28 frame. Pure TypeScript so it is unit-tested.

export const MNIST_SIZE = 28
export const MNIST_BOX = 20

export interface GrayImage {
  /** Row-major intensities in [0, 1], ink = 1. */
  pixels: Float32Array
  width: number
  height: number
}

export interface BoundingBox {
  x: number
  y: number
  width: number
  height: number
}

/** Smallest box holding every pixel above `threshold`, or null for a blank image. */
export function inkBoundingBox(image: GrayImage, threshold = 0.05): BoundingBox | null {
  const { pixels, width, height } = image
  let minX = width
  let minY = height
  let maxX = -1
  let maxY = -1
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((pixels[y * width + x] ?? 0) > threshold) {
        if (x < minX) minX = x
        if (x > maxX) maxX = x
        if (y < minY) minY = y
        if (y > maxY) maxY = y
      }
    }
  }
  if (maxX < 0) return null
  return { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 }
}

/**
 * Area-average resampling of a region of `image` to `targetWidth × targetHeight`. Each target pixel is the mean of
 * the source area it covers, with fractional edge pixels weighted by coverage; downscaling by ~10× with nearest or
 * bilinear sampling would drop thin strokes.
 */
export function resampleArea(
  image: GrayImage,
  region: BoundingBox,
  targetWidth: number,
  targetHeight: number,
): Float32Array {
  const out = new Float32Array(targetWidth * targetHeight)
  const scaleX = region.width / targetWidth
  const scaleY = region.height / targetHeight
  for (let ty = 0; ty < targetHeight; ty++) {
    const sy0 = region.y + ty * scaleY
    const sy1 = sy0 + scaleY
    for (let tx = 0; tx < targetWidth; tx++) {
      const sx0 = region.x + tx * scaleX
      const sx1 = sx0 + scaleX
      let sum = 0
      let area = 0
      for (let sy = Math.floor(sy0); sy < Math.ceil(sy1); sy++) {
        const wy = Math.min(sy + 1, sy1) - Math.max(sy, sy0)
        if (wy <= 0 || sy < 0 || sy >= image.height) continue
        for (let sx = Math.floor(sx0); sx < Math.ceil(sx1); sx++) {
          const wx = Math.min(sx + 1, sx1) - Math.max(sx, sx0)
          if (wx <= 0 || sx < 0 || sx >= image.width) continue
          const w = wx * wy
          sum += (image.pixels[sy * image.width + sx] ?? 0) * w
          area += w
        }
      }
      out[ty * targetWidth + tx] = area > 0 ? sum / area : 0
    }
  }
  return out
}

/** Centre of mass in pixel-centre coordinates (a lone pixel at column 3 has x = 3.5); null when there is no ink. */
export function centreOfMass(
  pixels: Float32Array,
  width: number,
  height: number,
): { x: number; y: number } | null {
  let total = 0
  let sumX = 0
  let sumY = 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = pixels[y * width + x] ?? 0
      total += v
      sumX += v * (x + 0.5)
      sumY += v * (y + 0.5)
    }
  }
  if (total <= 0) return null
  return { x: sumX / total, y: sumY / total }
}

/** The MNIST rule: bounding box → longer side 20 px → centre of mass at the frame's centre. Blank in, blank out. */
export function toMnistInput(image: GrayImage, size = MNIST_SIZE, box = MNIST_BOX): Float32Array {
  const out = new Float32Array(size * size)
  const bounds = inkBoundingBox(image)
  if (!bounds) return out
  const scale = box / Math.max(bounds.width, bounds.height)
  const scaledWidth = Math.max(1, Math.round(bounds.width * scale))
  const scaledHeight = Math.max(1, Math.round(bounds.height * scale))
  const scaled = resampleArea(image, bounds, scaledWidth, scaledHeight)
  const mass = centreOfMass(scaled, scaledWidth, scaledHeight) ?? { x: scaledWidth / 2, y: scaledHeight / 2 }
  // Integer shift keeps pixels crisp; clamping keeps the whole digit in frame when its mass is far off-centre.
  const offsetX = clamp(Math.round(size / 2 - mass.x), 0, size - scaledWidth)
  const offsetY = clamp(Math.round(size / 2 - mass.y), 0, size - scaledHeight)
  for (let y = 0; y < scaledHeight; y++) {
    for (let x = 0; x < scaledWidth; x++) {
      out[(y + offsetY) * size + (x + offsetX)] = clamp(scaled[y * scaledWidth + x] ?? 0, 0, 1)
    }
  }
  return out
}

/** Reads the drawing canvas's RGBA pixels as ink intensity (we draw light ink on a dark, transparent-or-black ground). */
export function rgbaToInk(rgba: Uint8ClampedArray, width: number, height: number): GrayImage {
  const pixels = new Float32Array(width * height)
  for (let i = 0; i < width * height; i++) {
    const alpha = (rgba[i * 4 + 3] ?? 0) / 255
    const luminance =
      (0.299 * (rgba[i * 4] ?? 0) + 0.587 * (rgba[i * 4 + 1] ?? 0) + 0.114 * (rgba[i * 4 + 2] ?? 0)) / 255
    pixels[i] = luminance * alpha
  }
  return { pixels, width, height }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value))
}
