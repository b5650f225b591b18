// Reader for the IDX format (MNIST and friends): validates the header, dimensions and byte length so a truncated
// or foreign file fails with a message naming the file, instead of producing garbage images.
import { readFile, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { BottleneckError } from './errors'

export type IdxDataType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64'
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array

export interface IdxArray {
  dtype: IdxDataType
  shape: number[]
  data: IdxData
}

const DATA_TYPES: Record<number, { dtype: IdxDataType; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
}

/** No real IDX file has more; a foreign file's 4th byte is usually large, so this catches it early. */
const MAX_DIMENSIONS = 4
/** Refuse to allocate more than this for one file (2 GiB) — a corrupt header must not exhaust memory. */
const MAX_DATA_BYTES = 2 ** 31

export function parseIdx(bytes: Uint8Array, fileName: string): IdxArray {
  const name = basename(fileName)
  if (bytes.length < 4) {
    throw new BottleneckError('IDX_TRUNCATED', `${name} is not an IDX file: it has only ${bytes.length} bytes.`)
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new BottleneckError(
      'IDX_INVALID',
      `${name} is not an IDX file: its first two bytes must be zero (found 0x${hex(bytes[0]!)}${hex(bytes[1]!)}).`,
    )
  }
  const type = DATA_TYPES[bytes[2]!]
  if (!type) {
    throw new BottleneckError('IDX_INVALID', `${name} is not an IDX file: unknown data type code 0x${hex(bytes[2]!)}.`)
  }
  const dimensionCount = bytes[3]!
  if (dimensionCount < 1 || dimensionCount > MAX_DIMENSIONS) {
    throw new BottleneckError(
      'IDX_INVALID',
      `${name} is not a usable IDX file: it declares ${dimensionCount} dimensions (1 to ${MAX_DIMENSIONS} expected).`,
    )
  }
  const headerBytes = 4 + 4 * dimensionCount
  if (bytes.length < headerBytes) {
    throw new BottleneckError('IDX_TRUNCATED', `${name} is truncated: its header is incomplete (${bytes.length} bytes).`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const shape: number[] = []
  let elementCount = 1
  for (let d = 0; d < dimensionCount; d++) {
    const size = view.getUint32(4 + 4 * d, false)
    if (size === 0) {
      throw new BottleneckError('IDX_INVALID', `${name} declares an empty dimension (dimension ${d + 1} is 0).`)
    }
    shape.push(size)
    elementCount *= size
  }
  const dataBytes = elementCount * type.bytes
  if (dataBytes > MAX_DATA_BYTES) {
    throw new BottleneckError('IDX_INVALID', `${name} declares ${shape.join('×')} values, more than Bottleneck can load.`)
  }
  const actual = bytes.length - headerBytes
  if (actual < dataBytes) {
    throw new BottleneckError(
      'IDX_TRUNCATED',
      `${name} is truncated: its header declares ${shape.join('×')} ${type.dtype} values (${dataBytes} bytes) but only ${actual} bytes follow.`,
    )
  }
  if (actual > dataBytes) {
    throw new BottleneckError(
      'IDX_INVALID',
      `${name} has ${actual - dataBytes} unexpected bytes after the ${shape.join('×')} values its header declares.`,
    )
  }
  return { dtype: type.dtype, shape, data: decodeValues(bytes, headerBytes, elementCount, type.dtype) }
}

/** Reads and parses an IDX file; `.gz` files are decompressed first (the format as distributed upstream). */
export async function readIdxFile(path: string): Promise<IdxArray> {
  let bytes: Uint8Array
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new BottleneckError('FILE_NOT_FOUND', `${path} is not a file.`)
    bytes = await readFile(path)
  } catch (error) {
    if (error instanceof BottleneckError) throw error
    throw new BottleneckError('FILE_NOT_FOUND', `Cannot read ${path}: ${(error as Error).message}`, error)
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_DATA_BYTES })
    } catch (error) {
      throw new BottleneckError('IDX_INVALID', `${basename(path)} is not a valid gzip file.`, error)
    }
  }
  return parseIdx(bytes, path)
}

function decodeValues(bytes: Uint8Array, offset: number, count: number, dtype: IdxDataType): IdxData {
  if (dtype === 'uint8') return bytes.subarray(offset, offset + count)
  if (dtype === 'int8') return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count)
  // Multi-byte values are big-endian in IDX, so they go through a DataView rather than a typed-array view.
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset)
  switch (dtype) {
    case 'int16': {
      const out = new Int16Array(count)
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, false)
      return out
    }
    case 'int32': {
      const out = new Int32Array(count)
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, false)
      return out
    }
    case 'float32': {
      const out = new Float32Array(count)
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, false)
      return out
    }
    default: {
      const out = new Float64Array(count)
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, false)
      return out
    }
  }
}

function hex(value: number): string {
  return value.toString(16).padStart(2, '0')
}
