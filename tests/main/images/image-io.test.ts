// Decoding real image files safely, encoding PNG, and the MNIST normalisation of digit photos.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeImage,
  encodePng,
  fitToMnist,
  readImageHeader,
  writeFileAtomic,
  writePng,
  type ImageData,
} from '../../../src-main/ml/image-io'
import { BottleneckError } from '../../../src-main/ml/errors'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bottleneck-image-io-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function gradient(height: number, width: number, channels: number): ImageData {
  const data = new Float32Array(height * width * channels)
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++)
      for (let k = 0; k < channels; k++)
        data[(r * width + c) * channels + k] = ((r * 7 + c * 3 + k * 50) % 256) / 255
  return { data, height, width, channels }
}

async function expectError(promise: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(BottleneckError)
  expect((error as BottleneckError).code).toBe(code)
  expect((error as BottleneckError).message).toMatch(text)
}

// Minimal PNG writer for a hostile header: IHDR claims a huge image, IDAT holds almost nothing.
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}
function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(body.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0)
  return Buffer.concat([head, body, crc])
}
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // RGB
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([120, 156, 3, 0, 0, 0, 0, 1])),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

describe('decodeImage', () => {
  it('round-trips an RGB PNG exactly at 8-bit precision', async () => {
    const image = gradient(13, 17, 3)
    const decoded = await decodeImage(await encodePng(image))
    expect([decoded.height, decoded.width, decoded.channels]).toEqual([13, 17, 3])
    let maxError = 0
    for (let i = 0; i < image.data.length; i++)
      maxError = Math.max(maxError, Math.abs(decoded.data[i]! - image.data[i]!))
    expect(maxError).toBeLessThan(1e-6)
  })

  it('keeps greyscale files greyscale and reads from a path', async () => {
    const path = join(dir, 'grey.png')
    await writePng(path, gradient(9, 11, 1))
    const decoded = await decodeImage(path)
    expect(decoded.channels).toBe(1)
    expect(decoded.data.length).toBe(99)
    expect((await readImageHeader(path)).channels).toBe(1)
  })

  it('decodes JPEG, WebP and TIFF to RGB in [0, 1]', async () => {
    const raw = Buffer.from(gradient(32, 40, 3).data.map((v) => Math.round(v * 255)))
    const base = () => sharp(raw, { raw: { width: 40, height: 32, channels: 3 } })
    for (const bytes of [
      await base().jpeg().toBuffer(),
      await base().webp().toBuffer(),
      await base().tiff().toBuffer(),
    ]) {
      const decoded = await decodeImage(bytes)
      expect([decoded.height, decoded.width, decoded.channels]).toEqual([32, 40, 3])
      expect(Math.min(...decoded.data)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...decoded.data)).toBeLessThanOrEqual(1)
    }
  })

  it('reduces 16-bit PNGs to [0, 1] and converts CMYK JPEGs to RGB', async () => {
    const raw = Buffer.from(gradient(10, 20, 3).data.map((v) => Math.round(v * 255)))
    const base = () => sharp(raw, { raw: { width: 20, height: 10, channels: 3 } })
    const grey16 = await decodeImage(await base().toColourspace('grey16').png().toBuffer())
    expect([grey16.channels, grey16.data.length]).toEqual([1, 200])
    const rgb16 = await decodeImage(await base().toColourspace('rgb16').png().toBuffer())
    const rgb8 = await decodeImage(await base().png().toBuffer())
    expect(rgb16.channels).toBe(3)
    // Same picture at 16 bits: same values to within one 8-bit step.
    for (let i = 0; i < rgb8.data.length; i++)
      expect(Math.abs(rgb16.data[i]! - rgb8.data[i]!)).toBeLessThanOrEqual(1 / 255 + 1e-6)
    const cmyk = await decodeImage(await base().toColourspace('cmyk').jpeg().toBuffer())
    expect([cmyk.channels, cmyk.data.length]).toEqual([3, 600])
  })

  it('composites transparent pixels onto white by default, black on request', async () => {
    const rgba = Buffer.alloc(4 * 4 * 4) // fully transparent black
    const png = await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } })
      .png()
      .toBuffer()
    const white = await decodeImage(png)
    expect(white.channels).toBe(3)
    expect(Math.min(...white.data)).toBe(1)
    const black = await decodeImage(png, { background: 'black' })
    expect(Math.max(...black.data)).toBe(0)
  })

  it('refuses empty files, text named .png and truncated PNG/JPEG with the file name', async () => {
    const empty = join(dir, 'empty.png')
    await writeFile(empty, '')
    await expectError(decodeImage(empty), 'IMAGE_UNREADABLE', /empty\.png.*empty/)
    const text = join(dir, 'notes.png')
    await writeFile(text, 'these are my notes, not a picture\n')
    await expectError(decodeImage(text), 'IMAGE_UNREADABLE', /notes\.png.*not an image/)
    const png = await encodePng(gradient(64, 64, 3))
    await expectError(
      decodeImage(png.subarray(0, png.length >> 1), { name: 'cut.png' }),
      'IMAGE_UNREADABLE',
      /cut\.png.*truncated/,
    )
    const raw = Buffer.from(gradient(64, 64, 3).data.map((v) => Math.round(v * 255)))
    const jpeg = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
      .jpeg()
      .toBuffer()
    await expectError(
      decodeImage(jpeg.subarray(0, jpeg.length >> 1), { name: 'cut.jpg' }),
      'IMAGE_UNREADABLE',
      /cut\.jpg/,
    )
    await expectError(decodeImage(join(dir, 'missing.png')), 'FILE_NOT_FOUND', /missing\.png/)
  })

  it('refuses a decompression bomb from its header, before allocating pixels', async () => {
    const before = process.memoryUsage().rss
    const started = performance.now()
    // 60000 × 60000 RGB would need 10.8 GB as bytes and 43 GB as floats.
    await expectError(
      decodeImage(bombPng(60_000, 60_000), { name: 'bomb.png' }),
      'IMAGE_TOO_LARGE',
      /bomb\.png is 60000×60000/,
    )
    expect(performance.now() - started).toBeLessThan(2000)
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024)
    await expectError(
      decodeImage(await encodePng(gradient(20, 20, 1)), { maxPixels: 399 }),
      'IMAGE_TOO_LARGE',
      /limit/,
    )
  })
})

describe('fitToMnist', () => {
  // A dark "digit" (an off-centre thick L) on light paper, larger and off-centre: what a phone photo looks like.
  function photoOfDigit(): ImageData {
    const height = 120
    const width = 90
    const data = new Float32Array(height * width * 3).fill(0.9)
    const ink = (r: number, c: number) => data.fill(0.1, (r * width + c) * 3, (r * width + c) * 3 + 3)
    for (let r = 20; r < 80; r++) for (let c = 10; c < 20; c++) ink(r, c)
    for (let r = 70; r < 80; r++) for (let c = 10; c < 40; c++) ink(r, c)
    return { data, height, width, channels: 3 }
  }

  it('inverts light paper, fits the ink into 20 px and centres its mass at (14, 14)', () => {
    const fitted = fitToMnist(photoOfDigit())
    expect([fitted.height, fitted.width, fitted.channels]).toEqual([28, 28, 1])
    // Bright on dark: corners black, maximum ink 1.
    expect(fitted.data[0]).toBe(0)
    expect(Math.max(...fitted.data)).toBeCloseTo(1, 5)
    let top = 28,
      bottom = -1,
      left = 28,
      right = -1,
      mass = 0,
      rowMoment = 0,
      colMoment = 0
    for (let r = 0; r < 28; r++)
      for (let c = 0; c < 28; c++) {
        const v = fitted.data[r * 28 + c]!
        mass += v
        rowMoment += v * r
        colMoment += v * c
        if (v > 0.2) {
          top = Math.min(top, r)
          bottom = Math.max(bottom, r)
          left = Math.min(left, c)
          right = Math.max(right, c)
        }
      }
    // The ink was 60 tall × 30 wide: longer side 20, aspect kept (10 wide).
    expect(bottom - top + 1).toBe(20)
    expect(right - left + 1).toBe(10)
    expect(Math.abs(rowMoment / mass - 14)).toBeLessThanOrEqual(0.5)
    expect(Math.abs(colMoment / mass - 14)).toBeLessThanOrEqual(0.5)
  })

  it('leaves a bright digit on a dark background uninverted and refuses a blank image', () => {
    const photo = photoOfDigit()
    const negative = { ...photo, data: photo.data.map((v) => 1 - v) }
    const a = fitToMnist(photo)
    const b = fitToMnist(negative)
    for (let i = 0; i < a.data.length; i++) expect(b.data[i]).toBeCloseTo(a.data[i]!, 5)
    expect(() =>
      fitToMnist({ data: new Float32Array(100).fill(0.7), height: 10, width: 10, channels: 1 }),
    ).toThrow(/No digit found/)
  })
})

describe('file problems in words', () => {
  it('says a folder was given where an image file is expected', async () => {
    const folder = join(dir, 'a folder')
    await mkdir(folder)
    await expectError(
      decodeImage(folder),
      'IMAGE_UNREADABLE',
      /^Cannot read a folder: it is a folder, and an image file is expected here\.$/,
    )
  })

  it('refuses a device or a pipe instead of reading it forever', async () => {
    await expectError(
      decodeImage('/dev/zero'),
      'IMAGE_UNREADABLE',
      /^Cannot read zero: it is not a regular file \(a device or a pipe\), and an image file is expected here\.$/,
    )
  })

  it('names the option that raises the size limit only when the caller has one', async () => {
    const small = await encodePng(gradient(20, 20, 1))
    await expectError(
      decodeImage(small, { name: 'p.png', maxPixels: 399 }),
      'IMAGE_TOO_LARGE',
      /^p\.png is 20×20 \(0\.0 MP\), more than the limit of 0 MP\. Resize it first\.$/,
    )
    await expectError(
      decodeImage(small, { name: 'p.png', maxPixels: 399, limitOption: '--max-megapixels' }),
      'IMAGE_TOO_LARGE',
      /Resize it first, or raise the limit with --max-megapixels if you have the memory\.$/,
    )
  })

  it('a write onto a folder, into a missing folder or under a file: the path, the reason, nothing left over', async () => {
    const root = join(dir, 'writes')
    await mkdir(join(root, 'taken.png'), { recursive: true })
    await writeFile(join(root, 'plain-file'), 'x')
    const image = gradient(4, 4, 1)
    const onFolder = join(root, 'taken.png')
    await expectError(
      writePng(onFolder, image),
      'WRITE_FAILED',
      /^Could not write .*taken\.png: .*taken\.png is a folder; give a file name\.$/,
    )
    await expectError(
      writeFileAtomic(join(root, 'missing', 'out.png'), new Uint8Array(3)),
      'WRITE_FAILED',
      /^Could not write .*out\.png: the folder .*missing does not exist\.$/,
    )
    await expectError(
      writeFileAtomic(join(root, 'plain-file', 'out.png'), new Uint8Array(3)),
      'WRITE_FAILED',
      /^Could not write .*out\.png: part of .*plain-file is a file, not a folder\.$/,
    )
    expect((await readdir(root)).sort()).toEqual(['plain-file', 'taken.png'])
    expect(await readdir(onFolder)).toEqual([])
  })
})
