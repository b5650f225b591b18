// Browser-side image plumbing: decode user files (PNG, JPEG, WebP, GIF, BMP) to model-sized grayscale, paint
// Float32 images onto canvases, and save results. Decoding here keeps untrusted bytes out of the back end entirely.
import type { Image } from '@contract'
import type { GrayImage } from '@renderer/lib/digit-preprocess'

// GIF as the CLI takes it: an animation counts as its first frame, which is what createImageBitmap decodes.
export const ACCEPTED_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp']
/** The same formats by name ending, for systems that give a file no type (BMP often has none). */
export const ACCEPTED_IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp']
/** The formats in a sentence: "… is not a PNG, JPEG, WebP, GIF or BMP image." */
export const ACCEPTED_IMAGE_FORMATS = 'PNG, JPEG, WebP, GIF or BMP'
/** A file input's `accept` for these formats. */
export const ACCEPTED_IMAGE_INPUT = [...ACCEPTED_IMAGE_TYPES, ...ACCEPTED_IMAGE_EXTENSIONS].join(',')
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024
export const MAX_IMAGE_SIDE = 8192

export class ImageDecodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ImageDecodeError'
  }
}

export function isAcceptedImage(file: { type: string; name: string }): boolean {
  if (ACCEPTED_IMAGE_TYPES.includes(file.type)) return true
  const name = file.name.toLowerCase()
  return ACCEPTED_IMAGE_EXTENSIONS.some((extension) => name.endsWith(extension))
}

/** Converts RGBA to luminance in [0, 1]; fully transparent pixels count as the background (0). */
export function rgbaToGray(rgba: Uint8ClampedArray, count: number): Float32Array {
  const out = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    const alpha = (rgba[i * 4 + 3] ?? 255) / 255
    const luminance =
      (0.299 * (rgba[i * 4] ?? 0) + 0.587 * (rgba[i * 4 + 1] ?? 0) + 0.114 * (rgba[i * 4 + 2] ?? 0)) / 255
    // Composite over white, as a viewer shows it; the light-background check below then inverts it.
    out[i] = luminance * alpha + (1 - alpha)
  }
  return out
}

/**
 * MNIST digits are light on dark. Scans and photos are usually dark on light, so when the border is mostly
 * light the image is inverted; the border is a better judge of "background" than the mean of the whole picture.
 */
export function shouldInvert(pixels: Float32Array, width: number, height: number): boolean {
  let sum = 0
  let count = 0
  for (let x = 0; x < width; x++) {
    sum += (pixels[x] ?? 0) + (pixels[(height - 1) * width + x] ?? 0)
    count += 2
  }
  for (let y = 1; y < height - 1; y++) {
    sum += (pixels[y * width] ?? 0) + (pixels[y * width + width - 1] ?? 0)
    count += 2
  }
  return count > 0 && sum / count > 0.5
}

export function invert(pixels: Float32Array): Float32Array {
  return pixels.map((v) => 1 - v)
}

/** Opens a user-supplied image file after checking its type and size, with errors a person can act on. */
async function openImageFile(file: File): Promise<ImageBitmap> {
  if (!isAcceptedImage(file)) {
    throw new ImageDecodeError(
      `"${file.name}" is not a ${ACCEPTED_IMAGE_FORMATS} image. Choose one of those formats.`,
    )
  }
  if (file.size > MAX_IMAGE_BYTES) {
    throw new ImageDecodeError(`"${file.name}" is larger than 20 MB. Resize it or pick a smaller image.`)
  }
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(file)
  } catch {
    throw new ImageDecodeError(
      `"${file.name}" could not be read as an image; it may be damaged. Try another file.`,
    )
  }
  if (bitmap.width > MAX_IMAGE_SIDE || bitmap.height > MAX_IMAGE_SIDE) {
    bitmap.close()
    throw new ImageDecodeError(
      `"${file.name}" is wider or taller than ${MAX_IMAGE_SIDE} px. Resize it first.`,
    )
  }
  return bitmap
}

/** Draws the bitmap into `box` of a white `width × height` canvas and reads it back as grayscale. */
function rasterize(
  bitmap: ImageBitmap,
  width: number,
  height: number,
  box: { x: number; y: number; width: number; height: number },
): Float32Array {
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const context = canvas.getContext('2d', { willReadFrequently: true })
  if (!context) throw new ImageDecodeError('This window cannot draw images (no 2-D canvas). Restart the app.')
  context.fillStyle = '#ffffff'
  context.fillRect(0, 0, width, height)
  context.imageSmoothingQuality = 'high'
  context.drawImage(bitmap, box.x, box.y, box.width, box.height)
  return rgbaToGray(context.getImageData(0, 0, width, height).data, width * height)
}

/**
 * Decodes a user-supplied image and fits it (letterboxed, aspect kept) to `width × height` grayscale. A uniform image
 * is a fair input here, unlike for a digit: a patch of sky or a blank page is what a photo model meets, and the CLI
 * takes it too.
 */
export async function decodeImageFile(
  file: File,
  width: number,
  height: number,
): Promise<{ pixels: Float32Array; inverted: boolean; sourceWidth: number; sourceHeight: number }> {
  const bitmap = await openImageFile(file)
  try {
    const scale = Math.min(width / bitmap.width, height / bitmap.height)
    const drawWidth = bitmap.width * scale
    const drawHeight = bitmap.height * scale
    let pixels = rasterize(bitmap, width, height, {
      x: (width - drawWidth) / 2,
      y: (height - drawHeight) / 2,
      width: drawWidth,
      height: drawHeight,
    })
    const inverted = shouldInvert(pixels, width, height)
    if (inverted) pixels = invert(pixels)
    return { pixels, inverted, sourceWidth: bitmap.width, sourceHeight: bitmap.height }
  } finally {
    bitmap.close()
  }
}

/**
 * A digit photo is read at up to 280 px a side: ten times MNIST's frame keeps thin strokes for the 20 px box,
 * while an 8192 px scan would cost a quarter of a gigabyte of floats.
 */
const DIGIT_DECODE_SIDE = 280

/**
 * Grayscale → ink on black, as the CLI's fitToMnist reads a photo before cropping: light backgrounds are inverted,
 * the paper's own level (median of the border) is removed and the strongest ink stretched to 1, so grey paper or
 * JPEG noise does not count as ink when the digit's bounding box is found. Null for an almost uniform picture, which
 * has no digit to find.
 */
export function grayToInk(pixels: Float32Array, width: number, height: number): Float32Array | null {
  const ink = shouldInvert(pixels, width, height) ? invert(pixels) : new Float32Array(pixels)
  const border: number[] = []
  for (let x = 0; x < width; x++) border.push(ink[x] ?? 0, ink[(height - 1) * width + x] ?? 0)
  for (let y = 1; y < height - 1; y++) border.push(ink[y * width] ?? 0, ink[y * width + width - 1] ?? 0)
  border.sort((a, b) => a - b)
  const paper = border[Math.floor(border.length / 2)] ?? 0
  let peak = 0
  for (let i = 0; i < ink.length; i++) {
    ink[i] = Math.max(0, (ink[i] ?? 0) - paper)
    peak = Math.max(peak, ink[i]!)
  }
  // Stretching a blank picture's faint noise to full strength would invent a digit; the CLI refuses it too.
  if (peak < 0.05) return null
  for (let i = 0; i < ink.length; i++) ink[i] = ink[i]! / peak
  return ink
}

/** Decodes a photo or scan of one digit as ink on black at its own aspect, ready for `toMnistInput`. */
export async function decodeDigitFile(file: File): Promise<GrayImage> {
  const bitmap = await openImageFile(file)
  try {
    const scale = Math.min(1, DIGIT_DECODE_SIDE / Math.max(bitmap.width, bitmap.height))
    const width = Math.max(1, Math.round(bitmap.width * scale))
    const height = Math.max(1, Math.round(bitmap.height * scale))
    const gray = rasterize(bitmap, width, height, { x: 0, y: 0, width, height })
    const ink = grayToInk(gray, width, height)
    if (!ink) {
      // The CLI's advice (src-main/ml/image-io.ts, fitToMnist), naming the file as the other errors here do.
      throw new ImageDecodeError(
        `No digit found in "${file.name}": the image is almost uniform. Use a photo or scan with one dark digit on light paper (or the reverse).`,
      )
    }
    return { pixels: ink, width, height }
  } finally {
    bitmap.close()
  }
}

/** Grayscale [0, 1] → opaque RGBA, optionally through a colour map for difference images. */
export function grayToRgba(
  pixels: ArrayLike<number>,
  colormap?: (v: number) => [number, number, number],
): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(pixels.length * 4)
  for (let i = 0; i < pixels.length; i++) {
    const v = Math.min(1, Math.max(0, pixels[i] ?? 0))
    const [r, g, b] = colormap ? colormap(v) : [v * 255, v * 255, v * 255]
    rgba[i * 4] = r
    rgba[i * 4 + 1] = g
    rgba[i * 4 + 2] = b
    rgba[i * 4 + 3] = 255
  }
  return rgba
}

/** Perceptually ordered dark-blue → yellow ramp (an approximation of viridis) for differences and code strips. */
export function viridis(v: number): [number, number, number] {
  const stops: [number, number, number][] = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ]
  const position = Math.min(0.9999, Math.max(0, v)) * (stops.length - 1)
  const index = Math.floor(position)
  const t = position - index
  const a = stops[index] ?? stops[0]!
  const b = stops[index + 1] ?? a
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

/** Sizes the canvas to the picture (only when it differs: resizing clears it) and puts the RGBA bytes on it. */
function paintRgba(canvas: HTMLCanvasElement, rgba: Uint8ClampedArray, width: number, height: number): void {
  if (canvas.width !== width) canvas.width = width
  if (canvas.height !== height) canvas.height = height
  const context = canvas.getContext('2d')
  if (!context) return
  context.putImageData(new ImageData(rgba as unknown as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0)
}

export function paintGray(
  canvas: HTMLCanvasElement,
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  colormap?: (v: number) => [number, number, number],
): void {
  paintRgba(canvas, grayToRgba(pixels, colormap), width, height)
}

/** A contract image's 0–255 values as opaque RGBA: grey spread to three channels, colour kept as it is. */
export function imageToRgba(image: Image): Uint8ClampedArray {
  const count = image.width * image.height
  const rgba = new Uint8ClampedArray(count * 4)
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < 3; k++) rgba[i * 4 + k] = image.data[i * image.channels + (image.channels === 3 ? k : 0)] ?? 0
    rgba[i * 4 + 3] = 255
  }
  return rgba
}

/** Paints a contract image in its own colours: a colour model's pictures are shown in colour, a digit in grey. */
export function paintImage(canvas: HTMLCanvasElement, image: Image): void {
  paintRgba(canvas, imageToRgba(image), image.width, image.height)
}

/** CSV with one row per image: name then the code values; RFC 4180 quoting for names. */
export function codesToCsv(rows: readonly { name: string; code: ArrayLike<number> }[]): string {
  const width = rows.reduce((max, row) => Math.max(max, row.code.length), 0)
  const header = ['image', ...Array.from({ length: width }, (_, i) => `code_${i}`)]
  const quote = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)
  const lines = [header.join(',')]
  for (const row of rows) {
    lines.push([quote(row.name), ...Array.from(row.code, (v) => String(Number(v.toPrecision(6))))].join(','))
  }
  return lines.join('\n') + '\n'
}

/**
 * What to say once a download has started, or null. In the desktop app the anchor opens the system's save dialog, and
 * once the save ends the shell says where the file went or why it was not saved (files.onSaved, shown by the files
 * store); a browser keeps the file with its downloads and tells the page nothing more.
 */
export function downloadNotice(fileName: string, nativeDialogs: boolean): string | null {
  return nativeDialogs ? null : `Your browser is saving ${fileName} with its downloads.`
}

/**
 * Starts a browser download; in Electron the same anchor opens the native save dialog, and the save's end arrives
 * later as files.onSaved (src-main/shell/electron/downloads.ts), not from here.
 */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob)
  const anchor = document.createElement('a')
  anchor.href = url
  anchor.download = fileName
  anchor.rel = 'noopener'
  document.body.appendChild(anchor)
  anchor.click()
  anchor.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function canvasToPngBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('The image could not be encoded as PNG.'))),
      'image/png',
    )
  })
}
