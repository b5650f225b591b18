// What the service tells the UI about things on disk that are damaged: model folders it cannot read are listed apart
// with their reasons (and can be deleted), a model with cut-short weights is not exported, and an image folder with
// a broken photo says how many images it holds and which one training will skip.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EventMessage } from '../../../src-main/contract/index'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { openStore, type ModelRecord, type Store } from '../../../src-main/store/index'
import { scratchDir } from '../support/scratch'
import { callService, createTestService, type TestService } from '../support/service-events'

async function saveModel(store: Store, name: string): Promise<ModelRecord> {
  const autoencoder = buildAutoencoder(createModelConfig('dense', [12, 12, 1], { seed: 1, codeSize: 4 }))
  const record = await store.save({
    metadata: {
      name,
      config: autoencoder.config,
      dataset: { spec: 'mnist', name: 'MNIST', trainCount: 60000, testCount: 10000 },
      backend: { name: 'cpu', tfjsVersion: tf.version.tfjs },
      epochs: 1,
      targetEpochs: 1,
      batchSize: 32,
      history: [{ epoch: 0, loss: 0.3 }],
    },
    model: autoencoder.model,
  })
  autoencoder.dispose()
  return record
}

describe('a store and a folder with damaged files', () => {
  const storeRoot = scratchDir('damaged-store')
  let service: TestService
  const ids = { intact: '', brokenWeights: '', noMetadata: '', invalidJson: '', missingVersion: '' }

  beforeAll(async () => {
    await initBackend('cpu')
    const store = openStore(storeRoot)
    ids.intact = (await saveModel(store, 'intact')).id
    const brokenWeights = await saveModel(store, 'broken weights')
    const weights = readFileSync(join(brokenWeights.versionFolder, 'weights.bin'))
    writeFileSync(join(brokenWeights.versionFolder, 'weights.bin'), weights.subarray(0, weights.length >> 1))
    ids.brokenWeights = brokenWeights.id
    const noMetadata = await saveModel(store, 'no metadata')
    rmSync(join(noMetadata.versionFolder, 'bottleneck.json'))
    ids.noMetadata = noMetadata.id
    const invalidJson = await saveModel(store, 'invalid json')
    writeFileSync(join(invalidJson.versionFolder, 'bottleneck.json'), '{"name": "invalid json", ')
    ids.invalidJson = invalidJson.id
    const missingVersion = await saveModel(store, 'missing version')
    writeFileSync(join(missingVersion.folder, 'current'), 'v000009\n')
    ids.missingVersion = missingVersion.id
    service = createTestService(storeRoot)
  })

  afterAll(async () => {
    await service?.close()
  })

  it('lists the model folders it cannot read apart from the models, each with its reason', async () => {
    const list = await callService(service, 'models.list')
    expect(list.models.map((model) => model.name).sort()).toEqual(['broken weights', 'intact'])
    const reasons = Object.fromEntries(list.unreadable.map((folder) => [folder.id, folder.reason]))
    expect(reasons).toEqual({
      [ids.noMetadata]: expect.stringMatching(/cannot be loaded: bottleneck\.json is missing\.$/),
      [ids.invalidJson]: expect.stringMatching(/cannot be loaded: bottleneck\.json is not valid JSON\.$/),
      // The app offers the restore as a button beside the reason: the shell command the CLI prints is left out.
      [ids.missingVersion]: expect.stringMatching(
        /cannot be loaded: the version it points to \(v000009\) is missing\. Its saved version v000001 is complete\.$/,
      ),
    })
    expect(list.unreadable.find((folder) => folder.id === ids.missingVersion)).toMatchObject({
      restorableVersion: 'v000001',
    })
    for (const folder of list.unreadable) expect(folder.folder).toBe(join(storeRoot, 'models', folder.id))
  })

  it('deletes a model folder it cannot read, by its id, and says so to every window', async () => {
    const changes: EventMessage[] = []
    const stop = service.onEvent((message) => changes.push(message))
    expect(await callService(service, 'models.delete', { id: ids.invalidJson })).toEqual({ deleted: true })
    stop()
    expect(changes).toContainEqual({
      name: 'models.onChanged',
      payload: { reason: 'deleted', id: ids.invalidJson },
    })
    const list = await callService(service, 'models.list')
    expect(list.unreadable.map((folder) => folder.id).sort()).toEqual(
      [ids.missingVersion, ids.noMetadata].sort(),
    )
    expect(readdirSync(join(storeRoot, 'models'))).not.toContain(ids.invalidJson)
  })

  it('refuses to export a model whose weights are cut short, with the reason, and writes nothing', async () => {
    const exports = scratchDir('damaged-store-exports')
    const refused = await service.handle('models.export', { id: ids.brokenWeights, path: exports })
    expect(refused).toMatchObject({
      ok: false,
      error: {
        code: 'MODEL_CORRUPT',
        message: expect.stringMatching(/^"broken weights" was not exported: .*\(truncated\)\.$/),
      },
    })
    expect(readdirSync(exports)).toEqual([])
    const exported = await callService(service, 'models.export', { id: ids.intact, path: exports })
    expect(exported?.path.startsWith(exports)).toBe(true)
  })

  it('adds an image folder saying how many images it found and which ones cannot be read', async () => {
    const folder = join(scratchDir('damaged-store-images'), 'mixed')
    mkdirSync(folder)
    const pixels = Buffer.alloc(80 * 80).map((_, i) => (i * 37) % 256)
    for (const name of ['good.png', 'bad.png']) {
      await sharp(pixels, { raw: { width: 80, height: 80, channels: 1 } })
        .png()
        .toFile(join(folder, name))
    }
    // Cut in half: the header still reads, the pixels do not.
    const bytes = readFileSync(join(folder, 'bad.png'))
    writeFileSync(join(folder, 'bad.png'), bytes.subarray(0, bytes.length >> 1))
    writeFileSync(join(folder, 'empty.png'), '')
    writeFileSync(join(folder, 'notes.txt'), 'not an image, and not counted as one')
    // Left out of training (a palette dithers photos), and counted as such.
    await sharp(pixels, { raw: { width: 80, height: 80, channels: 1 } })
      .gif()
      .toFile(join(folder, 'poster.gif'))

    const added = await callService(service, 'datasets.addImageFolder', { path: folder })
    expect(added).toMatchObject({
      name: 'mixed',
      kind: 'folder',
      // Random patches training cuts from the readable image, not files.
      trainCount: 2048,
      testCount: 256,
      imageFiles: {
        found: 3,
        unreadableCount: 2,
        unreadable: [
          { file: 'bad.png', reason: 'Cannot read bad.png: the file is damaged or truncated.' },
          { file: 'empty.png', reason: 'Cannot read empty.png: the file is empty (0 bytes).' },
        ],
        gifsLeftOut: 1,
      },
    })
    const listed = (await callService(service, 'datasets.list')).find((dataset) => dataset.id === added?.id)
    expect(listed?.imageFiles).toEqual(added?.imageFiles)
  })
})
