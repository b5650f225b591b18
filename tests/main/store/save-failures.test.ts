// A save the file system refuses: each refusal is told in its own words, only a model that had a version is said
// to keep it, a failed checkpoint leaves no partial version behind, and checkCanSave says the same before training.
// Read-only disks, refused permissions and a full disk are simulated by wrapping node:fs/promises (the tests run
// as root, for whom chmod refuses nothing), as tests/main/trust/disk-full.test.ts does.
import * as fsPromises from 'node:fs/promises'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { buildAutoencoder, createModelConfig, type Autoencoder } from '../../../src-main/ml/architectures/index'
import { openStore, type Store } from '../../../src-main/store/index'
import { oneEpochMetadata } from '../support/untrained-models'

/** What the simulated file system refuses: new entries under `folder` (with `code`), and writes past `writesLeft`. */
const faults: { folder?: string; code?: string; writesLeft: number } = { writesLeft: Infinity }

function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated, ${syscall} '${path}'`), { code, syscall, path })
}

function refused(path: unknown): boolean {
  if (!faults.folder || typeof path !== 'string') return false
  const inside = relative(faults.folder, path)
  return !inside.startsWith('..') && !existsSync(path)
}

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fsPromises>()
  const mkdir = (async (path: string, options?: { recursive?: boolean }) => {
    if (refused(path)) {
      // What Node really does: its recursive mkdir reports a read-only disk as ENOENT (nodejs/node#47098).
      throw errnoError(options?.recursive && faults.code === 'EROFS' ? 'ENOENT' : faults.code!, 'mkdir', path)
    }
    return actual.mkdir(path, options)
  }) as typeof actual.mkdir
  const open = (async (...args: Parameters<typeof actual.open>) => {
    const [path, flags] = args
    if (flags !== undefined && flags !== 'r' && refused(path)) throw errnoError(faults.code!, 'open', String(path))
    const handle = await actual.open(...args)
    const writeFile = handle.writeFile.bind(handle)
    handle.writeFile = async (data: Parameters<typeof handle.writeFile>[0], options?: unknown) => {
      if (faults.writesLeft-- <= 0) {
        // A full disk accepts part of a write before refusing the rest.
        if (typeof data === 'string' || data instanceof Uint8Array) await writeFile(data.slice(0, data.length >> 1))
        throw errnoError('ENOSPC', 'write', String(path))
      }
      return writeFile(data, options as never)
    }
    return handle
  }) as typeof actual.open
  return { ...actual, default: { ...actual, mkdir, open }, mkdir, open }
})

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-save-failures-'))
let counter = 0
const NAME = 'dense 32 on MNIST'

beforeAll(async () => {
  await initBackend('cpu')
})
afterEach(() => {
  faults.folder = undefined
  faults.code = undefined
  faults.writesLeft = Infinity
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function smallModel(seed = 1): Autoencoder {
  return buildAutoencoder(createModelConfig('dense', [12, 12, 1], { seed, codeSize: 4 }))
}

const metadata = (autoencoder: Autoencoder, name = NAME) => oneEpochMetadata(autoencoder, name)

function freshRoot(): string {
  return join(scratch, `store-${++counter}`)
}

/** The error of saving a new model (or a checkpoint of `id`), which must fail. */
async function saveError(store: Store, id?: string): Promise<Error> {
  const autoencoder = smallModel()
  try {
    await store.save({ id, metadata: metadata(autoencoder), model: autoencoder.model })
  } catch (error) {
    return error as Error
  } finally {
    autoencoder.dispose()
  }
  throw new Error('expected the save to fail')
}

async function savedModel(store: Store) {
  const autoencoder = smallModel()
  const record = await store.save({ metadata: metadata(autoencoder), model: autoencoder.model })
  autoencoder.dispose()
  return record
}

describe('a store folder that cannot be written', () => {
  it('read-only disk: says so (not "does not exist"), and a new model says nothing was saved', async () => {
    const root = freshRoot()
    mkdirSync(root)
    faults.folder = root
    faults.code = 'EROFS'
    expect(await saveError(openStore(root))).toMatchObject({
      code: 'STORE_ERROR',
      message: `Could not save the model "${NAME}": ${root} is on a read-only disk; choose another folder. Nothing was saved.`,
    })
  })

  it('read-only disk under a store folder still to be created: the same reason, not "does not exist"', async () => {
    const parent = freshRoot()
    mkdirSync(parent)
    const root = join(parent, 'not', 'yet')
    faults.folder = parent
    faults.code = 'EROFS'
    expect((await saveError(openStore(root))).message).toBe(
      `Could not save the model "${NAME}": ${root} is on a read-only disk; choose another folder. Nothing was saved.`,
    )
  })

  it('permission denied: says so, and a new model says nothing was saved', async () => {
    const root = freshRoot()
    mkdirSync(root)
    faults.folder = root
    faults.code = 'EACCES'
    expect((await saveError(openStore(root))).message).toBe(
      `Could not save the model "${NAME}": Bottleneck may not write to ${root} (permission denied); check its permissions or choose another folder. Nothing was saved.`,
    )
  })

  it('a folder that exists but takes no new entries (ENOENT, as /proc answers): not called missing', async () => {
    const root = freshRoot()
    mkdirSync(root)
    faults.folder = root
    faults.code = 'ENOENT'
    expect((await saveError(openStore(root))).message).toBe(
      `Could not save the model "${NAME}": ${root} does not accept new files; choose another folder. Nothing was saved.`,
    )
    // A folder that is really missing is still called missing (an export's destination must exist).
    const store = openStore(freshRoot())
    const record = await savedModel(store)
    const missing = join(scratch, `missing-${++counter}`)
    await expect(store.export(record.id, join(missing, 'digits'))).rejects.toMatchObject({
      message: `Could not export "${NAME}" into ${missing}: ${missing} does not exist.`,
    })
  })

  it('a store path that is a file, or a file where its models folder goes: names the file', async () => {
    const file = join(scratch, `a-file-${++counter}`)
    writeFileSync(file, 'not a store')
    expect((await saveError(openStore(file))).message).toBe(
      `Could not save the model "${NAME}": ${file} is not a folder. Nothing was saved.`,
    )
    const root = freshRoot()
    mkdirSync(root)
    writeFileSync(join(root, 'models'), 'not a folder')
    expect((await saveError(openStore(root))).message).toBe(
      `Could not save the model "${NAME}": ${join(root, 'models')} is not a folder. Nothing was saved.`,
    )
  })

  it('a checkpoint of an existing model that cannot be written keeps, and says it keeps, the previous version', async () => {
    const root = freshRoot()
    const store = openStore(root)
    const record = await savedModel(store)
    faults.folder = root
    faults.code = 'EROFS'
    expect((await saveError(store, record.id)).message).toBe(
      `Could not save the model "${NAME}": ${root} is on a read-only disk; choose another folder. Nothing was lost: the previous version is kept.`,
    )
    faults.folder = undefined
    const { autoencoder } = await store.load(record.id)
    autoencoder.dispose()
  })
})

describe('checkCanSave: the same refusal before training as save would give after it', () => {
  it('refuses a name save would refuse, with the same message', async () => {
    const store = openStore(freshRoot())
    for (const name of ['   ', 'a\u0007b', 'x'.repeat(201)]) {
      await expect(store.checkCanSave(name)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: 'A model name must be 1–200 characters without control characters.',
      })
    }
  })

  it('refuses an unusable store folder with the error save would give', async () => {
    const file = join(scratch, `a-file-${++counter}`)
    writeFileSync(file, 'not a store')
    const onFile = openStore(file)
    const fromSave = await saveError(onFile)
    await expect(onFile.checkCanSave(NAME)).rejects.toMatchObject({ code: 'STORE_ERROR', message: fromSave.message })

    const root = freshRoot()
    mkdirSync(root)
    faults.folder = root
    for (const code of ['EROFS', 'EACCES']) {
      faults.code = code
      const readOnly = openStore(root)
      const refusedSave = await saveError(readOnly)
      await expect(readOnly.checkCanSave(NAME)).rejects.toMatchObject({ code: 'STORE_ERROR', message: refusedSave.message })
    }
  })

  it('a full disk is found by the probe write, for a new model and for a checkpoint of an existing one', async () => {
    const store = openStore(freshRoot())
    const record = await savedModel(store)
    faults.writesLeft = 0
    await expect(store.checkCanSave('another')).rejects.toMatchObject({
      message: `Could not save the model "another": the disk is full (no space left in ${store.root}); free some space and try again. Nothing was saved.`,
    })
    faults.writesLeft = 0
    await expect(store.checkCanSave(NAME, record.id)).rejects.toMatchObject({
      message: expect.stringMatching(/the disk is full .* Nothing was lost: the previous version is kept\.$/),
    })
    faults.writesLeft = Infinity
    // The probe leaves nothing behind.
    expect(readdirSync(join(store.root, 'models'))).toEqual([record.id])
    expect(readdirSync(record.folder).sort()).toEqual(['current', 'v000001'])
  })

  it('passes on a usable store, creating its folder as save would and leaving nothing else', async () => {
    const root = join(freshRoot(), 'new')
    const store = openStore(root)
    await expect(store.checkCanSave(NAME)).resolves.toBeUndefined()
    expect(readdirSync(join(root, 'models'))).toEqual([])
    const record = await savedModel(store)
    await expect(store.checkCanSave(NAME, record.id)).resolves.toBeUndefined()
    expect(readdirSync(record.folder).sort()).toEqual(['current', 'v000001'])
  })
})

describe('a checkpoint that fails on a full disk', () => {
  it('leaves no partial version folder, at whichever write the disk fills', async () => {
    const store = openStore(freshRoot())
    const autoencoder = smallModel()
    const optimizer = tf.train.adam(0.01)
    const record = await store.save({ metadata: metadata(autoencoder), model: autoencoder.model, optimizer })
    // model.json, weights.bin, optimizer.json, optimizer.bin, bottleneck.json, then the pointer.
    const writesPerCheckpoint = 6
    for (let failAt = 0; failAt < writesPerCheckpoint; failAt++) {
      faults.writesLeft = failAt
      const error = await store
        .save({ id: record.id, metadata: metadata(autoencoder), model: autoencoder.model, optimizer })
        .then(() => undefined, (reason: Error) => reason)
      faults.writesLeft = Infinity
      expect(error?.message, `write ${failAt + 1}`).toMatch(/the disk is full .* Nothing was lost: the previous version is kept\.$/)
      // Only the live version and its pointer: the space a full disk needs back is not held by a dead version.
      expect(readdirSync(record.folder).sort(), `write ${failAt + 1}`).toEqual(['current', 'v000001'])
      const { record: live, autoencoder: loaded } = await store.load(record.id)
      expect(live.versionFolder).toBe(record.versionFolder)
      loaded.dispose()
    }
    // With room again, the checkpoint succeeds.
    faults.writesLeft = Infinity
    const saved = await store.save({ id: record.id, metadata: metadata(autoencoder), model: autoencoder.model, optimizer })
    expect(readdirSync(saved.folder).sort()).toEqual(['current', 'v000002'])
    autoencoder.dispose()
    optimizer.dispose()
  })
})
