// Photos for the Denoise view: which files it takes, how their bytes cross the contract (base64; decoding happens in
// the back end through sharp, never here), and back from the base64 PNGs the back end returns.
import { DENOISE_LIMITS, type PhotoSource } from '@contract'
import { ImageDecodeError } from '@renderer/lib/images'

/** What sharp decodes in the back end, plus BMP, which the browser converts to PNG first (sharp has no BMP). */
export const PHOTO_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.gif', '.bmp']
export const PHOTO_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/tiff', 'image/gif', 'image/bmp']

export function isPhotoFile(file: { name: string; type: string }): boolean {
  if (PHOTO_TYPES.includes(file.type)) return true
  const name = file.name.toLowerCase()
  return PHOTO_EXTENSIONS.some((extension) => name.endsWith(extension))
}

function isBmp(file: { name: string; type: string }): boolean {
  return file.type === 'image/bmp' || file.name.toLowerCase().endsWith('.bmp')
}

/** Base64 of bytes, in chunks: one String.fromCharCode over 50 MB would overflow the argument stack. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  const chunk = 0x8000
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk))
  }
  return btoa(binary)
}

export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** BMP → PNG through the browser's own decoder (lossless), so the back end gets a format sharp reads. */
async function bmpToPng(file: File): Promise<Blob> {
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(file)
  } catch {
    throw new ImageDecodeError(`"${file.name}" could not be read as a BMP image; it may be damaged.`)
  }
  try {
    const canvas = document.createElement('canvas')
    canvas.width = bitmap.width
    canvas.height = bitmap.height
    const context = canvas.getContext('2d')
    if (!context)
      throw new ImageDecodeError('This window cannot draw images (no 2-D canvas). Restart the app.')
    context.drawImage(bitmap, 0, 0)
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (blob) =>
          blob ? resolve(blob) : reject(new ImageDecodeError(`"${file.name}" could not be converted.`)),
        'image/png',
      ),
    )
  } finally {
    bitmap.close()
  }
}

/** The contract's source for a dropped or opened file: its bytes, checked against the size limit first. */
export async function photoSource(file: File): Promise<PhotoSource> {
  if (!isPhotoFile(file)) {
    throw new ImageDecodeError(
      `"${file.name}" is not a PNG, JPEG, WebP, TIFF, GIF or BMP image. Choose a photo in one of those formats.`,
    )
  }
  const limit = DENOISE_LIMITS.maxEncodedBytes
  if (file.size > limit) {
    throw new ImageDecodeError(
      `"${file.name}" is ${(file.size / 1024 / 1024).toFixed(0)} MB; the limit is ${limit / 1024 / 1024} MB. Save it as JPEG or resize it first.`,
    )
  }
  const blob = isBmp(file) ? await bmpToPng(file) : file
  return { name: file.name, base64: bytesToBase64(new Uint8Array(await blob.arrayBuffer())) }
}

/** "holiday.jpg" → "holiday". */
export function stem(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot > 0 ? name.slice(0, dot) : name
}
