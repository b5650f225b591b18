// The bad-input corpus (tests/fixtures/bad/) against the readers and the store: every file is refused with a typed
// error whose message names the file and the problem, nothing crashes or hangs, and the store folder is
// byte-for-byte unchanged after a refused import (hashed before and after). Symlinks are made here, not committed.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseInput } from '../../../src-main/contract/index'
import { BottleneckError } from '../../../src-main/ml/errors'
import { readIdxFile } from '../../../src-main/ml/idx'
import { decodeImage, readImageHeader } from '../../../src-main/ml/image-io'
import { hashTree } from './limits'
import { StoreWorker } from './store-worker-client'

const bad = resolve(__dirname, '../../fixtures/bad')
const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-bad-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

async function refusal(promise: Promise<unknown>): Promise<BottleneckError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error, 'expected a refusal').toBeInstanceOf(BottleneckError)
  return error as BottleneckError
}

describe('bad images', () => {
  const expected: Record<string, { code: string; message: RegExp }> = {
    'zero-bytes.png': { code: 'IMAGE_UNREADABLE', message: /zero-bytes\.png.*empty/ },
    'truncated.png': { code: 'IMAGE_UNREADABLE', message: /truncated\.png.*(damaged|truncated)/ },
    'truncated.jpg': { code: 'IMAGE_UNREADABLE', message: /truncated\.jpg.*(damaged|truncated)/ },
    'huge-100000x100000.png': { code: 'IMAGE_TOO_LARGE', message: /100000×100000.*limit/ },
    'text.png': { code: 'IMAGE_UNREADABLE', message: /text\.png.*not an image/ },
    'text.jpg': { code: 'IMAGE_UNREADABLE', message: /text\.jpg.*not an image/ },
    'signature-only.png': { code: 'IMAGE_UNREADABLE', message: /signature-only\.png/ },
  }

  it('the corpus is complete: every file has an expectation', () => {
    expect(readdirSync(join(bad, 'images')).sort()).toEqual(Object.keys(expected).sort())
  })

  it.each(Object.entries(expected))('%s is refused with a clear message', async (file, { code, message }) => {
    const error = await refusal(decodeImage(join(bad, 'images', file)))
    expect(error.code).toBe(code)
    expect(error.message).toMatch(message)
  })

  it('a 100,000 × 100,000 header is refused before any pixel memory is allocated', async () => {
    const rss = process.memoryUsage().rss
    const started = performance.now()
    const error = await refusal(readImageHeader(join(bad, 'images', 'huge-100000x100000.png')))
    expect(error.code).toBe('IMAGE_TOO_LARGE')
    await refusal(decodeImage(join(bad, 'images', 'huge-100000x100000.png')))
    // 10^10 pixels would be 10 GB as bytes and 40 GB as floats; the refusal costs neither time nor memory.
    expect(performance.now() - started).toBeLessThan(2000)
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 2 ** 20)
  })
})

describe('bad IDX files', () => {
  const expected: Record<string, { code: string; message: RegExp }> = {
    'zero-bytes.idx': {
      code: 'IDX_TRUNCATED',
      message: /zero-bytes\.idx is not an IDX file: it has only 0 bytes/,
    },
    'wrong-magic.idx': { code: 'IDX_INVALID', message: /wrong-magic\.idx.*first two bytes must be zero/ },
    'unknown-type.idx': { code: 'IDX_INVALID', message: /unknown-type\.idx.*unknown data type/ },
    'zero-dimensions.idx': { code: 'IDX_INVALID', message: /zero-dimensions\.idx.*declares 0 dimensions/ },
    'nine-dimensions.idx': { code: 'IDX_INVALID', message: /nine-dimensions\.idx.*declares 9 dimensions/ },
    'empty-dimension.idx': { code: 'IDX_INVALID', message: /empty-dimension\.idx.*empty dimension/ },
    'header-cut.idx': { code: 'IDX_TRUNCATED', message: /header-cut\.idx is truncated: its header/ },
    'shorter-than-declared.idx': {
      code: 'IDX_TRUNCATED',
      message: /shorter-than-declared\.idx is truncated.*3×4×4/,
    },
    'longer-than-declared.idx': {
      code: 'IDX_INVALID',
      message: /longer-than-declared\.idx has 16 unexpected bytes/,
    },
    'declares-4-gib.idx': { code: 'IDX_INVALID', message: /declares-4-gib\.idx declares 65536×65536 values/ },
  }

  it('the corpus is complete: every file has an expectation', () => {
    expect(readdirSync(join(bad, 'idx')).sort()).toEqual(Object.keys(expected).sort())
  })

  it.each(Object.entries(expected))('%s is refused with a clear message', async (file, { code, message }) => {
    const error = await refusal(readIdxFile(join(bad, 'idx', file)))
    expect(error.code).toBe(code)
    expect(error.message).toMatch(message)
  })
})

describe('damaged model folders, imported and loaded through the store (in a child process, 20 s limit each)', () => {
  const worker = new StoreWorker()
  const root = join(scratch, 'store')
  let validId = ''
  beforeAll(async () => {
    // A store that already holds one good model, so "unchanged" covers existing models too.
    const outcome = await worker.run({ op: 'import', root, ref: join(bad, 'models', 'valid') }, 60_000)
    expect(outcome).toMatchObject({ outcome: 'ok' })
    validId = (outcome as { id: string }).id
  })
  afterAll(() => worker.stop())

  const expected: Record<string, RegExp> = {
    'missing-layer': /cannot be loaded: (TensorFlow\.js rejected it|model\.json refers to a layer .* that does not exist)|does not match/,
    'extra-layer': /cannot be loaded: (TensorFlow\.js rejected it|model\.json has a layer without a unique name)|does not match/,
    'weights-shorter-than-declared':
      /weights\.bin holds 316 bytes but model\.json lists 328 bytes of weights \(truncated\)/,
    'weights-missing': /weight file weights\.bin is missing/,
    'nan-weights': /contains NaN or infinite values/,
    'model-json-truncated': /model\.json is not valid JSON/,
    'model-json-not-tfjs': /model\.json is not a TensorFlow\.js layers model/,
    'weight-path-escapes': /weight file name "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd" is not allowed/,
    'bottleneck-json-truncated': /bottleneck\.json is not valid JSON/,
    'bottleneck-json-wrong-types': /bottleneck\.json is damaged \(its "epochs" is not valid\)/,
    'bottleneck-json-missing': /not a Bottleneck model folder/,
    'bottleneck-json-null': /bottleneck\.json is damaged \(it does not describe a model\)/,
    'config-contradicts-weights': /does not match its own configuration|TensorFlow\.js rejected it/,
  }

  it('the corpus is complete: every folder has an expectation (and a valid control)', () => {
    expect(readdirSync(join(bad, 'models')).sort()).toEqual([...Object.keys(expected), 'valid'].sort())
  })

  it('the undamaged control imports and loads (so each refusal below is for its damage)', async () => {
    expect(await worker.run({ op: 'load', root, ref: validId }, 20_000)).toMatchObject({
      outcome: 'ok',
      leakedTensors: 0,
    })
  })

  it.each(Object.entries(expected))(
    '%s: import refused with MODEL_CORRUPT, store unchanged',
    async (name, message) => {
      const before = await hashTree(root)
      const outcome = await worker.run({ op: 'import', root, ref: join(bad, 'models', name) }, 20_000)
      expect(outcome.outcome, outcome.message).toBe('typed')
      expect(outcome).toMatchObject({ code: 'MODEL_CORRUPT' })
      expect(outcome.message).toContain(name)
      expect(outcome.message).toMatch(message)
      expect(await hashTree(root)).toBe(before)
      // A refused model must not leave TensorFlow variables behind in the (long-lived) trainer process.
      expect(outcome).toMatchObject({ leakedTensors: 0 })
      // Loading the folder in place (by path) is refused the same way.
      const load = await worker.run({ op: 'load', root, ref: join(bad, 'models', name) }, 20_000)
      expect(load).toMatchObject({ outcome: 'typed', code: 'MODEL_CORRUPT' })
      expect(await hashTree(root)).toBe(before)
    },
  )
})

describe('names and paths', () => {
  const worker = new StoreWorker()
  const root = join(scratch, 'paths-store')
  afterAll(() => worker.stop())

  it.each([
    '..',
    '../..',
    '../../etc',
    '/etc/passwd',
    '/',
    'C:\\Windows',
    'a/../../b',
    '~',
    '.hidden',
    'x\0y',
  ])('the contract refuses %j where a model id is expected', (id) => {
    for (const call of ['models.get', 'models.delete', 'models.export', 'training.resume'] as const) {
      const result = parseInput(call, { id })
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error).toMatchObject({ code: 'INVALID_INPUT', message: /at "id"/ })
    }
  })

  it.each(['../../..', '/', '/etc', tmpdir(), 'nonexistent/../../x'])(
    'the store refuses %j as a model reference or import source with a typed error, store unchanged',
    async (ref) => {
      mkdirSync(root, { recursive: true })
      const before = await hashTree(root)
      for (const op of ['get', 'import'] as const) {
        const outcome = await worker.run({ op, root, ref }, 20_000)
        expect(outcome.outcome, outcome.message).toBe('typed')
        expect(outcome).toMatchObject({
          code: expect.stringMatching(/^(MODEL_NOT_FOUND|MODEL_CORRUPT|INVALID_INPUT)$/),
        })
      }
      expect(await hashTree(root)).toBe(before)
    },
  )
})

describe('symlinks out of the store', () => {
  const worker = new StoreWorker()
  afterAll(() => worker.stop())

  async function symlinksUnder(folder: string): Promise<string[]> {
    const found: string[] = []
    for (const name of await readdir(folder, { recursive: true })) {
      if ((await lstat(join(folder, name))).isSymbolicLink()) found.push(name)
    }
    return found
  }

  it('importing a folder whose weights.bin is a symlink to a file elsewhere leaves no symlink in the store', async () => {
    const outside = mkdtempSync(join(scratch, 'outside-'))
    const source = join(scratch, 'symlinked-weights')
    cpSync(join(bad, 'models', 'valid'), source, { recursive: true })
    cpSync(join(source, 'weights.bin'), join(outside, 'weights.bin'))
    rmSync(join(source, 'weights.bin'))
    symlinkSync(join(outside, 'weights.bin'), join(source, 'weights.bin'))
    const root = join(scratch, 'symlink-store-1')
    const outcome = await worker.run({ op: 'import', root, ref: source }, 20_000)
    // Refusing is fine; accepting is fine only if the store holds its own copy, never a link out of itself.
    expect(['ok', 'typed']).toContain(outcome.outcome)
    mkdirSync(root, { recursive: true })
    expect(await symlinksUnder(root)).toEqual([])
  })

  it('a model folder in the store that is a symlink elsewhere: removing it deletes the link, never the files', async () => {
    const root = join(scratch, 'symlink-store-2')
    const imported = await worker.run({ op: 'import', root, ref: join(bad, 'models', 'valid') }, 20_000)
    expect(imported.outcome).toBe('ok')
    const id = (imported as { id: string }).id
    // Move the real model out of the store and leave a link in its place (a user putting a model on another disk).
    const outside = join(scratch, 'moved-out')
    cpSync(join(root, 'models', id), outside, { recursive: true })
    rmSync(join(root, 'models', id), { recursive: true })
    symlinkSync(outside, join(root, 'models', id))
    const before = await hashTree(outside)
    const outcome = await worker.run({ op: 'remove', root, ref: id }, 20_000)
    expect(outcome.outcome, outcome.message).toBe('ok')
    expect(readdirSync(join(root, 'models'))).toEqual([])
    expect(await hashTree(outside)).toBe(before)
  })

  it('a version pointer aimed outside the model folder is refused', async () => {
    const root = join(scratch, 'symlink-store-3')
    const imported = await worker.run({ op: 'import', root, ref: join(bad, 'models', 'valid') }, 20_000)
    const id = (imported as { id: string }).id
    writeFileSync(join(root, 'models', id, 'current'), '../../../../etc\n')
    const outcome = await worker.run({ op: 'load', root, ref: id }, 20_000)
    expect(outcome).toMatchObject({
      outcome: 'typed',
      code: 'MODEL_CORRUPT',
      message: /current file is damaged/,
    })
  })
})
