import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { buildAutoencoder, createModelConfig, type Autoencoder } from '../../../src-main/ml/architectures/index'
import { openStore, type SaveRequest, type Store } from '../../../src-main/store/index'
import { createAdam } from '../../../src-main/ml/train'

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-store-'))
let counter = 0
function freshStore(): Store {
  return openStore(join(scratch, `store-${++counter}`))
}

beforeAll(async () => {
  await initBackend('cpu')
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function metadata(autoencoder: Autoencoder, name = 'digits 32'): SaveRequest['metadata'] {
  return {
    name,
    config: autoencoder.config,
    dataset: { spec: 'mnist', name: 'MNIST', trainCount: 60000, testCount: 10000 },
    backend: { name: 'cpu', tfjsVersion: tf.version.tfjs },
    epochs: 1,
    targetEpochs: 3,
    batchSize: 256,
    history: [{ epoch: 0, loss: 0.3, val_loss: 0.2 }],
  }
}

function smallModel(seed: number): Autoencoder {
  return buildAutoencoder(createModelConfig('dense', [12, 12, 1], { seed, codeSize: 4 }))
}

async function savedModel(store: Store, seed = 1, name = 'digits 32') {
  const autoencoder = smallModel(seed)
  const record = await store.save({ metadata: metadata(autoencoder, name), model: autoencoder.model })
  autoencoder.dispose()
  return record
}

function firstWeight(autoencoder: Autoencoder): number {
  return tf.tidy(() => autoencoder.model.getWeights()[0]!.dataSync()[0]!)
}

describe('store', () => {
  it('save → load gives identical predictions, metadata and a tfjs layers-model folder', async () => {
    const store = freshStore()
    const start = tf.memory().numTensors
    const original = smallModel(4)
    const record = await store.save({ metadata: metadata(original, 'My model / ../x'), model: original.model })
    expect(record.folder).toBe(join(store.root, 'models', record.id))
    expect(readdirSync(record.versionFolder).sort()).toEqual(['bottleneck.json', 'model.json', 'weights.bin'])
    const modelJson = JSON.parse(readFileSync(join(record.versionFolder, 'model.json'), 'utf8'))
    expect(modelJson.format).toBe('layers-model')
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin'])

    const { autoencoder: loaded, record: loadedRecord } = await store.load('My model / ../x')
    expect(loadedRecord.metadata.history).toEqual([{ epoch: 0, loss: 0.3, val_loss: 0.2 }])
    expect(loadedRecord.metadata.config.codeSize).toBe(4)
    tf.tidy(() => {
      const x = tf.randomUniform([5, 12, 12, 1], 0, 1, 'float32', 3)
      const a = (original.model.predict(x) as tf.Tensor).dataSync()
      const b = (loaded.model.predict(x) as tf.Tensor).dataSync()
      expect(Array.from(b)).toEqual(Array.from(a))
      const viaParts = (loaded.decoder!.predict(loaded.encoder!.predict(x) as tf.Tensor) as tf.Tensor).dataSync()
      expect(Math.max(...viaParts.map((v, i) => Math.abs(v - a[i]!)))).toBeLessThan(1e-6)
    })
    original.dispose()
    loaded.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })

  it('finds models by id, exact name and folder path; lists newest first; refuses ambiguity', async () => {
    const store = freshStore()
    const first = await savedModel(store, 1, 'alpha')
    const second = await savedModel(store, 2, 'beta')
    expect((await store.get(first.id)).metadata.name).toBe('alpha')
    expect((await store.get('beta')).id).toBe(second.id)
    expect((await store.get(first.folder)).id).toBe(first.id)
    expect((await store.list()).map((m) => m.id)).toEqual([second.id, first.id])
    // Two models with one name come only from outside the store's control (an older version, a hand edit).
    const third = await savedModel(store, 3, 'gamma')
    const thirdJson = join(third.versionFolder, 'bottleneck.json')
    writeFileSync(thirdJson, JSON.stringify({ ...JSON.parse(readFileSync(thirdJson, 'utf8')), name: 'alpha' }))
    await expect(store.get('alpha')).rejects.toMatchObject({ code: 'MODEL_AMBIGUOUS' })
    await expect(store.get('gamma')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' })
  })

  it('checkpoints replace the live version and keep one version folder', async () => {
    const store = freshStore()
    const record = await savedModel(store, 1)
    const { autoencoder } = await store.load(record.id)
    autoencoder.model.setWeights(autoencoder.model.getWeights().map((w) => tf.onesLike(w)))
    const next = await store.save({ id: record.id, metadata: { ...record.metadata, epochs: 2 }, model: autoencoder.model })
    autoencoder.dispose()
    expect(next.versionFolder).not.toBe(record.versionFolder)
    expect(readdirSync(record.folder).sort()).toEqual(['current', 'v000002'])
    const { autoencoder: reloaded, record: reloadedRecord } = await store.load(record.id)
    expect(firstWeight(reloaded)).toBe(1)
    expect(reloadedRecord.metadata.epochs).toBe(2)
    expect(reloadedRecord.metadata.createdAt).toBe(record.metadata.createdAt)
    reloaded.dispose()
  })

  it('a checkpoint drops the versions and temp files saves leave, and keeps files someone else put in the folder', async () => {
    const store = freshStore()
    const record = await savedModel(store, 1)
    writeFileSync(join(record.folder, 'notes.txt'), 'trained on the scans of 3 May')
    mkdirSync(join(record.folder, 'figures'))
    writeFileSync(join(record.folder, 'figures', 'epoch-1.png'), 'a figure')
    // What interrupted saves leave: the pointer's half-written replacement and a write probe.
    writeFileSync(join(record.folder, '.4242-0a1b2c3d.tmp'), 'v0000')
    writeFileSync(join(record.folder, '.probe-4242-0a1b2c3d.tmp'), 'probe')
    const { autoencoder } = await store.load(record.id)
    await store.save({ id: record.id, metadata: { ...record.metadata, epochs: 2 }, model: autoencoder.model })
    autoencoder.dispose()
    expect(readdirSync(record.folder).sort()).toEqual(['current', 'figures', 'notes.txt', 'v000002'])
    expect(readFileSync(join(record.folder, 'notes.txt'), 'utf8')).toBe('trained on the scans of 3 May')
    expect(readdirSync(join(record.folder, 'figures'))).toEqual(['epoch-1.png'])
  })

  it('names the live version cheaply, so a process keeping a model loaded can tell a newer save', async () => {
    const store = freshStore()
    const record = await savedModel(store, 1)
    expect(store.currentVersion(record.id)).toBe('v000001')
    const { autoencoder } = await store.load(record.id)
    await store.save({ id: record.id, metadata: { ...record.metadata, epochs: 2 }, model: autoencoder.model })
    autoencoder.dispose()
    expect(store.currentVersion(record.id)).toBe('v000002')
    expect(() => store.currentVersion('aaaaaaaaaaaa')).toThrow(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }))
    expect(() => store.currentVersion('../models')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    writeFileSync(join(record.folder, 'current'), '../../elsewhere\n')
    expect(() => store.currentVersion(record.id)).toThrow(expect.objectContaining({ code: 'MODEL_CORRUPT' }))
  })

  it('renames, exports, imports and removes', async () => {
    const store = freshStore()
    const record = await savedModel(store, 1, 'old name')
    await store.rename(record.id, '  new name ')
    expect((await store.get(record.id)).metadata.name).toBe('new name')
    const exported = await store.export(record.id, join(scratch, `export-${counter}`))
    expect(readdirSync(exported).sort()).toEqual(['bottleneck.json', 'model.json', 'weights.bin'])
    await expect(store.export(record.id, exported)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    const other = freshStore()
    const imported = await other.import(exported)
    expect(imported.id).not.toBe(record.id)
    const { autoencoder } = await other.load(imported.id)
    const { autoencoder: original } = await store.load(record.id)
    expect(firstWeight(autoencoder)).toBe(firstWeight(original))
    autoencoder.dispose()
    original.dispose()
    await store.remove(record.id)
    expect(await store.list()).toEqual([])
    expect(readdirSync(join(store.root, 'models'))).toEqual([])
    await expect(store.rename(imported.folder, '\u0007bell')).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('refuses to rename a model to a name another model has, so the name keeps finding one model', async () => {
    const store = freshStore()
    const alpha = await savedModel(store, 1, 'alpha')
    const beta = await savedModel(store, 2, 'beta')
    await expect(store.rename(beta.id, ' alpha ')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(`Another model (${alpha.id}) is already named "alpha"`),
    })
    expect((await store.get(beta.id)).metadata.name).toBe('beta')
    expect((await store.get('alpha')).id).toBe(alpha.id)
    // Its own name again is not a clash.
    await expect(store.rename(alpha.id, 'alpha')).resolves.toMatchObject({ id: alpha.id })
  })

  it('a new model whose name is taken gets the first free "NAME (2)"; a checkpoint keeps its own name', async () => {
    const store = freshStore()
    const first = await savedModel(store, 1, 'dense on MNIST')
    const second = await savedModel(store, 2, 'dense on MNIST')
    const third = await savedModel(store, 3, 'dense on MNIST')
    expect([first, second, third].map((record) => record.metadata.name)).toEqual([
      'dense on MNIST',
      'dense on MNIST (2)',
      'dense on MNIST (3)',
    ])
    // The next epoch of each model is saved under the name it already has, also when the trainer (the CLI) passes
    // the name it was asked for.
    for (const record of [first, second]) {
      const { autoencoder } = await store.load(record.id)
      const checkpoint = { ...record.metadata, name: 'dense on MNIST', epochs: 2 }
      const next = await store.save({ id: record.id, metadata: checkpoint, model: autoencoder.model })
      autoencoder.dispose()
      expect(next.metadata.name).toBe(record.metadata.name)
    }
    // A copy of "(2)" continues the count instead of stacking suffixes.
    expect((await savedModel(store, 4, 'dense on MNIST (2)')).metadata.name).toBe('dense on MNIST (4)')
    // Each name finds one model.
    expect((await store.get('dense on MNIST (2)')).id).toBe(second.id)
    // The longest name stays within the limit with its number.
    const long = 'x'.repeat(200)
    await savedModel(store, 5, long)
    expect((await savedModel(store, 6, long)).metadata.name).toBe(`${'x'.repeat(196)} (2)`)
  })

  it('an imported copy gets a free name, and renaming it and back (the Undo of a rename) works', async () => {
    const store = freshStore()
    const original = await savedModel(store, 1, 'digits')
    const exported = await store.export(original.id, join(scratch, `export-copy-${counter}`))
    const copy = await store.import(exported)
    expect(copy.metadata.name).toBe('digits (2)')
    expect((await store.get('digits')).id).toBe(original.id)
    await store.rename(copy.id, 'digits, second try')
    await expect(store.rename(copy.id, 'digits (2)')).resolves.toMatchObject({ metadata: { name: 'digits (2)' } })
  })

  it('an export into a file or a missing folder says which folder and why, and leaves nothing behind', async () => {
    const store = freshStore()
    const record = await savedModel(store, 1, 'digits')
    const file = join(scratch, `a-file-${counter}`)
    writeFileSync(file, 'not a folder')
    await expect(store.export(record.id, join(file, 'digits'))).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: `Could not export "digits" into ${file}: ${file} is not a folder.`,
    })
    const missing = join(scratch, `missing-${counter}`)
    await expect(store.export(record.id, join(missing, 'digits'))).rejects.toMatchObject({
      code: 'STORE_ERROR',
      message: `Could not export "digits" into ${missing}: ${missing} does not exist.`,
    })
    expect(existsSync(missing)).toBe(false)
    expect(readFileSync(file, 'utf8')).toBe('not a folder')
  })

  it('importing a path that does not exist, a file, or a folder without a model says which', async () => {
    const store = freshStore()
    const missing = join(scratch, `nothing-here-${counter}`)
    await expect(store.import(missing)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: `${missing} does not exist.`,
    })
    const file = join(scratch, `a-file-${counter}`)
    writeFileSync(file, 'not a folder')
    await expect(store.import(file)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(`${file} is a file; choose the model's folder`),
    })
    const empty = join(scratch, `empty-${counter}`)
    mkdirSync(empty)
    await expect(store.import(empty)).rejects.toMatchObject({
      code: 'MODEL_CORRUPT',
      message: `${empty} is not a Bottleneck model folder: it has no bottleneck.json.`,
    })
    expect(await store.list()).toEqual([])
  })

  it('renaming changes the name only: the model keeps its place in the list and its updatedAt', async () => {
    const store = freshStore()
    const older = await savedModel(store, 1, 'older')
    const newer = await savedModel(store, 2, 'newer')
    await new Promise((done) => setTimeout(done, 5))
    const renamed = await store.rename(older.id, 'older, renamed')
    expect(renamed.metadata.updatedAt).toBe(older.metadata.updatedAt)
    expect((await store.list()).map((m) => m.metadata?.name)).toEqual(['newer', 'older, renamed'])
    expect(newer.metadata.updatedAt > older.metadata.updatedAt).toBe(true)
  })

  it('keeps Adam’s state for resume', async () => {
    const store = freshStore()
    const autoencoder = smallModel(1)
    const optimizer = createAdam(0.01)
    const variables = autoencoder.model.trainableWeights.map((w) => w.read() as tf.Variable)
    const x = tf.randomUniform([4, 12, 12, 1], 0, 1, 'float32', 1)
    for (let i = 0; i < 3; i++) optimizer.minimize(() => autoencoder.loss(x, x), true, variables)?.dispose()
    const record = await store.save({ metadata: metadata(autoencoder), model: autoencoder.model, optimizer })
    const { autoencoder: loaded } = await store.load(record.id)
    const restored = createAdam(0.01)
    expect(await store.restoreOptimizer(record, restored)).toBe(true)
    // One more identical step on both must give identical weights only if the moments were restored.
    optimizer.minimize(() => autoencoder.loss(x, x), true, variables)?.dispose()
    const loadedVariables = loaded.model.trainableWeights.map((w) => w.read() as tf.Variable)
    restored.minimize(() => loaded.loss(x, x), true, loadedVariables)?.dispose()
    const a = tf.tidy(() => autoencoder.model.getWeights()[0]!.dataSync())
    const b = tf.tidy(() => loaded.model.getWeights()[0]!.dataSync())
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-6)
    tf.dispose([x])
    optimizer.dispose()
    restored.dispose()
    autoencoder.dispose()
    loaded.dispose()
  })

  describe('damaged models fail with MODEL_CORRUPT and a clear message', () => {
    async function damaged(damage: (versionFolder: string) => void) {
      const store = freshStore()
      const record = await savedModel(store)
      damage(record.versionFolder)
      return store.load(record.id).then(
        () => {
          throw new Error('expected the load to fail')
        },
        (error) => error,
      )
    }
    it('missing weights', async () => {
      const error = await damaged((v) => rmSync(join(v, 'weights.bin')))
      expect(error).toMatchObject({ code: 'MODEL_CORRUPT' })
      expect(error.message).toMatch(/weights\.bin is missing/)
    })
    it('truncated weights', async () => {
      const error = await damaged((v) => truncateSync(join(v, 'weights.bin'), statSync(join(v, 'weights.bin')).size - 10))
      expect(error.message).toMatch(/holds \d+ bytes but model\.json lists \d+ bytes of weights \(truncated\)/)
    })
    it('NaN weights', async () => {
      const error = await damaged((v) => {
        const bytes = readFileSync(join(v, 'weights.bin'))
        bytes.writeFloatLE(Number.NaN, 8)
        writeFileSync(join(v, 'weights.bin'), bytes)
      })
      expect(error.message).toMatch(/"code\/kernel.*NaN/)
    })
    it('malformed bottleneck.json', async () => {
      const error = await damaged((v) => writeFileSync(join(v, 'bottleneck.json'), '{"formatVersion": 1, "id": '))
      expect(error).toMatchObject({ code: 'MODEL_CORRUPT' })
      expect(error.message).toMatch(/bottleneck\.json is not valid JSON/)
      const wrongShape = await damaged((v) => writeFileSync(join(v, 'bottleneck.json'), '{"formatVersion": 1, "id": "x"}'))
      expect(wrongShape.message).toMatch(/bottleneck\.json is damaged \(its "name" is missing\)/)
    })
    it('the graph in model.json is never run: the model is rebuilt from bottleneck.json, and a graph that contradicts it is refused', async () => {
      // tfjs' own loader loops forever on some damaged graphs and allocates whatever sizes a config names; the store
      // does not hand it the graph at all, so such damage cannot hang or blow up a load.
      const store = freshStore()
      const record = await savedModel(store)
      const expected = firstWeight((await store.load(record.id)).autoencoder)
      const rewrite = (change: (layers: { class_name: string; inbound_nodes: unknown[][]; config: Record<string, unknown> }[]) => void) => {
        const json = JSON.parse(readFileSync(join(record.versionFolder, 'model.json'), 'utf8'))
        change(json.modelTopology.config.layers)
        writeFileSync(join(record.versionFolder, 'model.json'), JSON.stringify(json))
      }
      rewrite((layers) => {
        layers[2]!.inbound_nodes = [[['nowhere', 0, 0, {}]]] // a reference tfjs would wait for forever
        layers[1]!.inbound_nodes = [[['logits', 0, 0, {}]]] // a cycle
        layers[2]!.config.units = 1e9 // four gigabytes of kernel, if anything believed it
      })
      const started = Date.now()
      const loaded = (await store.load(record.id)).autoencoder
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(firstWeight(loaded)).toBe(expected)
      expect(loaded.model.layers.map((layer) => layer.outputShape)).toEqual(smallModel(1).model.layers.map((layer) => layer.outputShape))
      loaded.dispose()
      rewrite((layers) => (layers[2]!.class_name = 'Conv2D'))
      const error = await store.load(record.id).then(
        () => new Error('expected the load to fail'),
        (failure: Error) => failure,
      )
      expect(error).toMatchObject({ code: 'MODEL_CORRUPT' })
      expect(error.message).toMatch(/model\.json does not match its own configuration \(bottleneck\.json\).*Conv2D/)
    })

    it('a damaged store entry is listed with its problem', async () => {
      const store = freshStore()
      const record = await savedModel(store)
      writeFileSync(join(record.folder, 'current'), '../../etc')
      const [listed] = await store.list()
      expect(listed!.problem).toMatch(/current file is damaged/)
    })
  })

  describe('a crash mid-save keeps a loadable model', () => {
    const child = resolve(__dirname, 'crash-child.ts')

    function runChild(root: string, id: string, stopAt: string, killAfterMs?: number): Promise<string> {
      return new Promise((resolvePromise, reject) => {
        const process_ = spawn(process.execPath, ['--import', 'tsx', child, root, id, stopAt], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let out = ''
        let err = ''
        process_.stdout.on('data', (chunk) => {
          out += chunk
          if (out.includes(`AT ${stopAt}`)) process_.kill('SIGKILL')
          if (killAfterMs !== undefined && out.includes('SAVED 1')) setTimeout(() => process_.kill('SIGKILL'), killAfterMs)
        })
        process_.stderr.on('data', (chunk) => (err += chunk))
        process_.on('exit', (code, signal) => {
          if (signal === 'SIGKILL') resolvePromise(out)
          else reject(new Error(`child exited with ${code}: ${err}`))
        })
      })
    }

    for (const step of ['version-written', 'pointer-written'] as const) {
      it(`killed with SIGKILL after "${step}"`, async () => {
        const store = freshStore()
        const record = await savedModel(store)
        const { autoencoder: before } = await store.load(record.id)
        const originalWeight = firstWeight(before)
        before.dispose()
        await runChild(store.root, record.id, step)
        const { autoencoder: after, record: afterRecord } = await store.load(record.id)
        // Before the pointer moved the old version is live; after, the complete new one (weights all 1).
        expect(firstWeight(after)).toBe(step === 'version-written' ? originalWeight : 1)
        expect(afterRecord.metadata.metrics?.round).toBe(step === 'version-written' ? undefined : 1)
        after.dispose()
        // The next save cleans up whatever the crash left behind.
        const { autoencoder: again } = await store.load(record.id)
        await store.save({ id: record.id, metadata: afterRecord.metadata, model: again.model })
        again.dispose()
        expect(readdirSync(record.folder).length).toBe(2)
      })
    }

    it('loads stay consistent while another process checkpoints the same model', async () => {
      const store = freshStore()
      const record = await savedModel(store)
      const child_ = spawn(process.execPath, ['--import', 'tsx', child, store.root, record.id, 'loop'], { stdio: ['ignore', 'pipe', 'ignore'] })
      let out = ''
      child_.stdout.on('data', (chunk) => (out += chunk))
      await new Promise<void>((resolvePromise) => child_.stdout.on('data', () => out.includes('SAVED 1') && resolvePromise()))
      const saved = () => Number(/SAVED (\d+)\n$/.exec(out)?.[1] ?? 0)
      const firstSeen = saved()
      let loads = 0
      const deadline = Date.now() + 60_000
      try {
        // Keep loading until the other process has replaced the version several times while we read.
        while ((loads < 15 || saved() < firstSeen + 3) && Date.now() < deadline) {
          const { autoencoder, record: live } = await store.load(record.id)
          expect(live.metadata.metrics?.round).toBe(firstWeight(autoencoder))
          autoencoder.dispose()
          loads++
        }
      } finally {
        child_.kill('SIGKILL')
      }
      expect(saved()).toBeGreaterThanOrEqual(firstSeen + 3)
    })

    it('killed at random moments while saving over and over', async () => {
      const store = freshStore()
      const record = await savedModel(store)
      for (const delay of [3, 17, 41]) {
        const out = await runChild(store.root, record.id, 'loop', delay)
        expect(out).toContain('SAVED 1')
        const { autoencoder, record: live } = await store.load(record.id)
        const weight = firstWeight(autoencoder)
        // Whatever round was live has every weight equal to its round number: never a mix of two saves.
        expect(live.metadata.metrics?.round).toBe(weight)
        const all = tf.tidy(() => autoencoder.model.getWeights().flatMap((w) => Array.from(w.dataSync())))
        expect(all.every((v) => v === weight)).toBe(true)
        autoencoder.dispose()
      }
      expect(existsSync(join(record.folder, 'current'))).toBe(true)
    })
  })
})
