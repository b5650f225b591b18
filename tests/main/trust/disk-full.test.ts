// Disk full during a save, simulated: the store's file writes (node:fs/promises `open` → FileHandle.writeFile) are
// wrapped so the k-th write stores half its bytes and then fails with ENOSPC, for every k a save performs. Each
// failed save must give a clear error and lose nothing: the previous version still loads with its exact weights.
import * as fsPromises from 'node:fs/promises'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { BottleneckError } from '../../../src-main/ml/errors'
import { openStore } from '../../../src-main/store/index'

/** Writes left before the disk is "full"; Infinity means the disk has room. */
const disk = { writesLeft: Infinity, writes: 0 }

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fsPromises>()
  const open: typeof actual.open = async (...args: Parameters<typeof actual.open>) => {
    const handle = await actual.open(...args)
    const writeFile = handle.writeFile.bind(handle)
    handle.writeFile = async (data: Parameters<typeof handle.writeFile>[0], options?: unknown) => {
      disk.writes++
      if (disk.writesLeft-- <= 0) {
        // A full disk accepts part of a write before refusing the rest.
        if (typeof data === 'string' || data instanceof Uint8Array)
          await writeFile(data.slice(0, data.length >> 1))
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
          errno: -28,
          syscall: 'write',
        })
      }
      return writeFile(data, options as never)
    }
    return handle
  }
  return { ...actual, default: { ...actual, open }, open }
})

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-disk-full-'))
beforeAll(async () => {
  await initBackend('cpu')
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function weightsOf(model: tf.LayersModel): number[] {
  return tf.tidy(() => model.getWeights().flatMap((w) => Array.from(w.dataSync())))
}

describe('disk full while saving a model', () => {
  it('every failing write gives a clear error and the previous version stays intact', async () => {
    const store = openStore(join(scratch, 'store'))
    const { id } = await store.import(resolve(__dirname, '../../fixtures/bad/models/valid'))
    const tensorsAtStart = tf.memory().numTensors
    const { record, autoencoder } = await store.load(id)
    const before = weightsOf(autoencoder.model)
    const changed = autoencoder.model.getWeights().map((w) => tf.fill(w.shape, 0.5))
    autoencoder.model.setWeights(changed)
    tf.dispose(changed)

    // Count the writes of one save, then fail each of them in turn.
    disk.writes = 0
    disk.writesLeft = Infinity
    const probe = openStore(join(scratch, 'probe'))
    await probe.save({ metadata: { ...record.metadata, name: 'probe' }, model: autoencoder.model })
    const writesPerSave = disk.writes
    expect(writesPerSave).toBeGreaterThanOrEqual(3)

    const messages: string[] = []
    const untyped: string[] = []
    for (let failAt = 0; failAt < writesPerSave; failAt++) {
      disk.writesLeft = failAt
      const error = await store
        .save({ id, metadata: { ...record.metadata, name: 'after' }, model: autoencoder.model })
        .then(
          () => undefined,
          (reason: unknown) => reason,
        )
      disk.writesLeft = Infinity
      expect(
        error,
        `write ${failAt + 1} of ${writesPerSave} failed but the save reported success`,
      ).toBeDefined()
      messages.push((error as Error).message)
      // Nothing lost: the previous version loads with exactly its weights and name.
      const { record: live, autoencoder: reloaded } = await store.load(id)
      expect(live.metadata.name).toBe(record.metadata.name)
      expect(weightsOf(reloaded.model)).toEqual(before)
      reloaded.dispose()
      expect((await store.list()).map((model) => model.problem)).toEqual([undefined])
      // The error should be typed and say what happened in words a person can act on (checked after the loop, so
      // a raw error does not hide whether later write failures lose data).
      if (!(error instanceof BottleneckError) || !/disk|space/i.test(error.message))
        untyped.push(String(error))
    }

    // With room again the save succeeds and the debris of the failed ones is gone.
    const saved = await store.save({
      id,
      metadata: { ...record.metadata, name: 'after' },
      model: autoencoder.model,
    })
    expect(saved.metadata.name).toBe('after')
    expect(readdirSync(saved.folder).sort()).toEqual(['current', expect.stringMatching(/^v\d{6}$/)])
    autoencoder.dispose()
    expect(tf.memory().numTensors).toBe(tensorsAtStart)
    expect(messages).toHaveLength(writesPerSave)
    expect(untyped, 'ENOSPC should reach the user as a BottleneckError about disk space').toEqual([])
  })
})
