// Fuzzing the readers that see untrusted bytes in-process: every contract call's payload schema, the IDX parser and
// image decoding. Each gets FUZZ_RUNS generated cases (default 1000); the only acceptable outcomes are a value or a
// typed error (INVALID_INPUT envelope, BottleneckError) with a message, within a bounded time.
import fc from 'fast-check'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { crc32, deflateSync } from 'node:zlib'
import { CALL_NAMES, calls, parseInput, type CallName } from '../../../src-main/contract/index'
import { BottleneckError } from '../../../src-main/ml/errors'
import { parseIdx } from '../../../src-main/ml/idx'
import { decodeImage } from '../../../src-main/ml/image-io'
import { CASE_TIMEOUT_MS, FUZZ_RUNS, FUZZ_SEED, withinTime } from './limits'

const parameters = { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true }

/** Values a hostile renderer or web client could send: anything JSON or structured clone can carry, and worse. */
const hostileValue = fc.oneof(
  fc.anything({
    withNullPrototype: true,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withSparseArray: true,
    withTypedArray: true,
  }),
  // Sparse giants: cheap to send (structured clone keeps holes), ruinous for a per-element validator.
  fc.constantFrom(new Array(1e8), new Array(2 ** 32 - 1), Object.assign(new Array(1e7), { 0: 1 })),
  fc.constant({ width: 4096, height: 4096, channels: 1, data: new Array(4096 * 4096) }),
  fc.string().map((s) => `../${s}`),
  fc.constantFrom('..', '/', '/etc/passwd', 'C:\\Windows', '~', '\0', 'a/../../b', '%2e%2e%2f', ' '),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 2 ** 53, -1, 1e308),
  fc.constant(Object.create(null) as object),
  fc.constant({ __proto__: { polluted: true } }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}}') as object),
)

/** A plausible payload for `name` with some fields replaced by hostile values: exercises deeper validation. */
function payloadFor(name: CallName) {
  const fieldNames = [
    'id',
    'name',
    'path',
    'datasetId',
    'split',
    'count',
    'offset',
    'images',
    'codes',
    'noise',
  ]
  const shapeOf = calls[name].input as unknown as { shape?: Record<string, unknown> }
  const known = shapeOf.shape ? Object.keys(shapeOf.shape) : fieldNames
  return fc.dictionary(fc.constantFrom(...known, '__proto__', 'constructor', 'extra'), hostileValue, {
    maxKeys: 6,
  })
}

describe(`contract payload schemas (${FUZZ_RUNS} cases per call, seed ${FUZZ_SEED})`, () => {
  it.each(CALL_NAMES)(
    '%s: any payload parses to a value or an INVALID_INPUT error, never a throw',
    (name) => {
      let accepted = 0
      fc.assert(
        fc.property(fc.oneof(hostileValue, payloadFor(name)), (payload) => {
          const started = performance.now()
          const result = parseInput(name, payload)
          // A schema runs synchronously: "no hang" here means no pathological case (regex, huge array walk).
          expect(performance.now() - started).toBeLessThan(1000)
          if (result.ok) {
            accepted++
            // Whatever passed must pass again (no transform that yields an invalid value) …
            expect(calls[name].input.safeParse(result.value).success).toBe(true)
            // … and can never smuggle a path where an id is expected.
            for (const key of ['id', 'datasetId'] as const) {
              const value = (result.value as Record<string, unknown>)[key]
              if (value !== undefined) expect(value).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/)
            }
          } else {
            expect(result.error.code).toBe('INVALID_INPUT')
            expect(result.error.message).toMatch(/^The request was not valid/)
          }
        }),
        parameters,
      )
      // Payload-less calls accept {} (and junk keys are refused by .strict()); others must mostly refuse junk.
      expect(accepted).toBeLessThan(FUZZ_RUNS)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    },
  )
})

/** An IDX header with a random type, dimension count and sizes, followed by a random-length body. */
const idxBytes = fc
  .record({
    magic: fc.oneof(
      fc.constant([0, 0]),
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
    ),
    type: fc.oneof(fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e), fc.integer({ min: 0, max: 255 })),
    shape: fc.array(
      fc.oneof(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.constant(2 ** 16),
      ),
      { maxLength: 6 },
    ),
    dimensionCount: fc.option(fc.integer({ min: 0, max: 255 })),
    body: fc.uint8Array({ maxLength: 2048 }),
    cut: fc.option(fc.nat(64)),
  })
  .map(({ magic, type, shape, dimensionCount, body, cut }) => {
    const header = new Uint8Array(4 + 4 * shape.length)
    const view = new DataView(header.buffer)
    header.set([magic[0]!, magic[1]!, type, dimensionCount ?? shape.length])
    shape.forEach((size, i) => view.setUint32(4 + 4 * i, size, false))
    const bytes = new Uint8Array(header.length + body.length)
    bytes.set(header)
    bytes.set(body, header.length)
    return cut === null ? bytes : bytes.subarray(0, Math.max(0, bytes.length - cut))
  })

const BYTES_PER_TYPE: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 }

/** Well-formed headers with a body of exactly the declared length, or a few bytes off either way. */
const nearlyValidIdx = fc
  .record({
    type: fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e),
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
    delta: fc.oneof(fc.constant(0), fc.integer({ min: -9, max: 9 })),
    fill: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ type, shape, delta, fill }) => {
    const length = shape.reduce((a, b) => a * b, 1) * BYTES_PER_TYPE[type]!
    const header = new Uint8Array(4 + 4 * shape.length)
    header.set([0, 0, type, shape.length])
    shape.forEach((size, i) => new DataView(header.buffer).setUint32(4 + 4 * i, size, false))
    const bytes = new Uint8Array(header.length + Math.max(0, length + delta)).fill(fill)
    bytes.set(header)
    return bytes
  })

describe(`IDX parser (${FUZZ_RUNS} cases, seed ${FUZZ_SEED})`, () => {
  it('returns a consistent array or throws a BottleneckError naming the file', () => {
    let parsed = 0
    fc.assert(
      fc.property(fc.oneof(idxBytes, nearlyValidIdx, fc.uint8Array({ maxLength: 512 })), (bytes) => {
        const started = performance.now()
        try {
          const result = parseIdx(bytes, '/data/fuzz-images.idx')
          parsed++
          expect(result.data.length).toBe(result.shape.reduce((a, b) => a * b, 1))
        } catch (error) {
          expect(error).toBeInstanceOf(BottleneckError)
          expect((error as BottleneckError).code).toMatch(/^IDX_(TRUNCATED|INVALID)$/)
          expect((error as BottleneckError).message).toContain('fuzz-images.idx')
        }
        expect(performance.now() - started).toBeLessThan(1000)
      }),
      parameters,
    )
    // The generator is built to reach valid files too, so the success path is exercised, not only refusals.
    expect(parsed).toBeGreaterThan(0)
  })
})

function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** A PNG whose IHDR (with a correct CRC, so decoders believe it) claims any size, depth and colour type. */
function forgedPng(width: number, height: number, depth: number, colour: number, rows: Uint8Array): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = depth
  header[9] = colour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', new Uint8Array(0)),
  ])
}

describe(`image decoding (${FUZZ_RUNS} cases, seed ${FUZZ_SEED})`, () => {
  const seeds: Buffer[] = []
  beforeAll(async () => {
    const pixels = Buffer.alloc(16 * 16 * 3)
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 13) % 256
    const image = sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } })
    seeds.push(
      await image.clone().png().toBuffer(),
      await image.clone().jpeg().toBuffer(),
      await image.clone().webp().toBuffer(),
      await image.clone().gif().toBuffer(),
      await image.clone().tiff().toBuffer(),
    )
  })

  it('decodes to values in [0, 1] or throws a BottleneckError, each case within the time limit', async () => {
    /** Mutations of real files: truncation, bit flips, spliced junk; plus forged headers and pure noise. */
    const mutated = fc
      .record({
        seed: fc.nat(4),
        cut: fc.option(fc.nat(2000)),
        flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      })
      .map(({ seed, cut, flips }) => {
        const bytes = Buffer.from(seeds[seed]!)
        for (const [at, value] of flips) bytes[at % bytes.length] = value
        return cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1))
      })
    const forged = fc
      .record({
        width: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 2 ** 31 })),
        height: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 2 ** 31 })),
        depth: fc.constantFrom(1, 2, 4, 8, 16, 3, 0, 255),
        colour: fc.constantFrom(0, 2, 3, 4, 6, 1, 7),
        rows: fc.uint8Array({ maxLength: 4096 }),
      })
      .map(({ width, height, depth, colour, rows }) => forgedPng(width, height, depth, colour, rows))
    let decoded = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, forged, fc.uint8Array({ maxLength: 1024 })), async (bytes) => {
        try {
          const image = await withinTime(
            decodeImage(bytes, { name: 'fuzz.png', maxPixels: 4_000_000 }),
            CASE_TIMEOUT_MS,
            'decodeImage',
          )
          decoded++
          expect(image.data.length).toBe(image.width * image.height * image.channels)
          expect(image.data.every((v) => v >= 0 && v <= 1)).toBe(true)
        } catch (error) {
          if (!(error instanceof BottleneckError)) throw error
          refused++
          expect(error.message).toContain('fuzz.png')
        }
      }),
      parameters,
    )
    expect(decoded + refused).toBe(FUZZ_RUNS)
    expect(decoded).toBeGreaterThan(0)
  })
})
