// A model whose `current` pointer is missing, empty or names a version that is gone still has its weights in the
// version beside it: the message says which version is complete and the exact command that brings it back, and
// restoreVersion does the same without ever replacing a pointer that works.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  buildAutoencoder,
  createModelConfig,
  type Autoencoder,
} from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { openStore, type ModelRecord, type Store } from '../../../src-main/store/index'
import { oneEpochMetadata } from '../support/untrained-models'
import { scratchDir } from '../support/scratch'

beforeAll(async () => {
  await initBackend('cpu')
})

const metadata = (autoencoder: Autoencoder) => oneEpochMetadata(autoencoder)

function firstWeight(autoencoder: Autoencoder): number {
  return tf.tidy(() => autoencoder.model.getWeights()[0]!.dataSync()[0]!)
}

/** A model saved twice, so its live version is v000002 (v000001 is gone), and that version's first weight. */
async function modelAtSecondVersion(): Promise<{ store: Store; record: ModelRecord; weight: number }> {
  const store = openStore(scratchDir('damaged-pointer'))
  const autoencoder = buildAutoencoder(createModelConfig('dense', [12, 12, 1], { seed: 1, codeSize: 4 }))
  const first = await store.save({ metadata: metadata(autoencoder), model: autoencoder.model })
  autoencoder.model.setWeights(autoencoder.model.getWeights().map((weight) => tf.fill(weight.shape, 0.25)))
  const record = await store.save({ id: first.id, metadata: metadata(autoencoder), model: autoencoder.model })
  autoencoder.dispose()
  expect(readdirSync(record.folder).sort()).toEqual(['current', 'v000002'])
  return { store, record, weight: 0.25 }
}

const damages = {
  missing: { damage: (pointer: string) => rmSync(pointer), fault: 'its current file is missing' },
  empty: { damage: (pointer: string) => writeFileSync(pointer, ''), fault: 'its current file is damaged' },
  dangling: {
    damage: (pointer: string) => writeFileSync(pointer, 'v000099\n'),
    fault: 'the version it points to (v000099) is missing',
  },
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: Error) => error,
  )
}

describe('a model whose pointer does not lead to its intact version', () => {
  for (const [kind, { damage, fault }] of Object.entries(damages)) {
    it(`${kind} pointer: the message names the complete version and a command that restores it`, async () => {
      const { store, record, weight } = await modelAtSecondVersion()
      const pointer = join(record.folder, 'current')
      damage(pointer)
      const command = `echo v000002 > '${pointer}'`
      const expected = `The model in ${record.folder} cannot be loaded: ${fault}. Its saved version v000002 is complete; to use it again, run: ${command}`
      const error = await failure(store.load(record.id))
      expect(error).toMatchObject({ code: 'MODEL_CORRUPT', message: expected })
      // The Models view and `bottleneck models` show the same sentence beside the folder.
      expect((await store.list()).map((model) => model.problem)).toEqual([expected])
      // Running the command as given brings the model back, with the weights of its last save.
      execFileSync('/bin/sh', ['-c', command])
      const { autoencoder } = await store.load(record.id)
      expect(firstWeight(autoencoder)).toBe(weight)
      autoencoder.dispose()
    })

    it(`${kind} pointer: restoreVersion points the model at that version again`, async () => {
      const { store, record, weight } = await modelAtSecondVersion()
      damage(join(record.folder, 'current'))
      const restored = await store.restoreVersion(record.id)
      expect(restored.versionFolder).toBe(join(record.folder, 'v000002'))
      expect(readFileSync(join(record.folder, 'current'), 'utf8')).toBe('v000002\n')
      // Written through temp files like a save: none is left behind.
      expect(readdirSync(record.folder).sort()).toEqual(['current', 'v000002'])
      const { autoencoder } = await store.load(record.id)
      expect(firstWeight(autoencoder)).toBe(weight)
      autoencoder.dispose()
      expect((await store.list())[0]).toMatchObject({ id: record.id, metadata: { name: 'digits' } })
    })
  }

  it('names the newest version that is complete, passing over one a save never finished', async () => {
    const { store, record, weight } = await modelAtSecondVersion()
    // What a save killed before writing bottleneck.json (it writes it last) leaves.
    mkdirSync(join(record.folder, 'v000003'))
    writeFileSync(
      join(record.folder, 'v000003', 'model.json'),
      readFileSync(join(record.versionFolder, 'model.json')),
    )
    writeFileSync(join(record.folder, 'v000003', 'weights.bin'), Buffer.alloc(16))
    rmSync(join(record.folder, 'current'))
    expect((await failure(store.get(record.id))).message).toMatch(/Its saved version v000002 is complete;/)
    await store.restoreVersion(record.id)
    const { autoencoder } = await store.load(record.id)
    expect(firstWeight(autoencoder)).toBe(weight)
    autoencoder.dispose()
  })

  it('with no complete version, says nothing about restoring, and restoreVersion refuses', async () => {
    const { store, record } = await modelAtSecondVersion()
    rmSync(join(record.versionFolder, 'bottleneck.json'))
    rmSync(join(record.folder, 'current'))
    const error = await failure(store.get(record.id))
    expect(error.message).toBe(`The model in ${record.folder} cannot be loaded: its current file is missing.`)
    expect(await failure(store.restoreVersion(record.id))).toMatchObject({
      code: 'MODEL_CORRUPT',
      message: `The model in ${record.folder} has no complete saved version to restore.`,
    })
    expect(readdirSync(record.folder)).toEqual(['v000002'])
  })

  it('restoreVersion never replaces a pointer that works', async () => {
    const { store, record } = await modelAtSecondVersion()
    // A complete newer version the pointer does not name (a save killed just before switching to it).
    mkdirSync(join(record.folder, 'v000003'))
    for (const name of ['model.json', 'weights.bin', 'bottleneck.json']) {
      writeFileSync(join(record.folder, 'v000003', name), readFileSync(join(record.versionFolder, name)))
    }
    expect(await failure(store.restoreVersion(record.id))).toMatchObject({
      code: 'INVALID_INPUT',
      message: `The model in ${record.folder} already points to a version it holds (v000002); nothing was changed.`,
    })
    expect(readFileSync(join(record.folder, 'current'), 'utf8')).toBe('v000002\n')
    expect(await failure(store.restoreVersion('aaaaaaaaaaaa'))).toMatchObject({ code: 'MODEL_NOT_FOUND' })
    expect(await failure(store.restoreVersion('../models'))).toMatchObject({ code: 'INVALID_INPUT' })
  })
})
