// Damaged files a user may meet in the store, told in plain words: bottleneck.json failing its schema names the
// field (never the schema library's wording), a damaged optimizer state does not stop a resume, a folder that cannot
// be read can still be removed, a model whose weights are damaged is not exported, and a configuration asking for
// another input than model.json was saved with is refused before a model of that size is built.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { buildAutoencoder, createModelConfig, type Autoencoder } from '../../../src-main/ml/architectures/index'
import { createAdam } from '../../../src-main/ml/train'
import { openStore, type ModelRecord, type Store } from '../../../src-main/store/index'
import { oneEpochMetadata } from '../support/untrained-models'

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-damaged-files-'))
let counter = 0
function freshStore(): Store {
  return openStore(join(scratch, `store-${++counter}`))
}

beforeAll(async () => {
  await initBackend('cpu')
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function smallModel(seed = 1): Autoencoder {
  return buildAutoencoder(createModelConfig('dense', [12, 12, 1], { seed, codeSize: 4 }))
}

const metadata = (autoencoder: Autoencoder) => oneEpochMetadata(autoencoder)

describe('bottleneck.json that fails its schema', () => {
  async function listedProblem(damage: (json: Record<string, unknown>) => unknown) {
    const store = freshStore()
    const autoencoder = smallModel()
    const record = await store.save({ metadata: metadata(autoencoder), model: autoencoder.model })
    autoencoder.dispose()
    const file = join(record.versionFolder, 'bottleneck.json')
    writeFileSync(file, JSON.stringify(damage(JSON.parse(readFileSync(file, 'utf8')))))
    const [listed] = await store.list()
    return { problem: listed!.problem!, folder: record.folder }
  }

  it('names the field in plain words, with no schema wording', async () => {
    const { problem, folder } = await listedProblem((json) => {
      ;(json.config as { inputShape: number[] }).inputShape = [0, 28, 1]
      return json
    })
    expect(problem).toBe(
      `The model in ${folder} cannot be loaded: bottleneck.json is damaged (its "config.inputShape" is not valid).`,
    )
  })

  it('says when a field is missing, and when the file holds no model description at all', async () => {
    const missing = await listedProblem(({ epochs: _, ...json }) => json)
    expect(missing.problem).toMatch(/bottleneck\.json is damaged \(its "epochs" is missing\)\.$/)
    const wrongType = await listedProblem((json) => ({ ...json, history: { 0: 'x' } }))
    expect(wrongType.problem).toMatch(/bottleneck\.json is damaged \(its "history" is not valid\)\.$/)
    const nothing = await listedProblem(() => null)
    expect(nothing.problem).toMatch(/bottleneck\.json is damaged \(it does not describe a model\)\.$/)
    for (const { problem } of [missing, wrongType, nothing]) expect(problem).not.toMatch(/expected|received|Too small|Invalid input/i)
  })

  it('a model saved by a newer Bottleneck is not called damaged: listing and importing it say to update', async () => {
    const { problem, folder } = await listedProblem((json) => ({ ...json, formatVersion: 2 }))
    const update = 'was saved by a newer version of Bottleneck (format 2; this version reads format 1). Update Bottleneck to open it.'
    expect(problem).toBe(`The model in ${folder} ${update}`)
    const store = freshStore()
    await expect(store.import(folder)).rejects.toMatchObject({ code: 'NOT_SUPPORTED', message: `The model in ${folder} ${update}` })
    expect(await store.list()).toEqual([])
  })
})

describe('a damaged optimizer state', () => {
  async function savedWithAdam(): Promise<{ store: Store; record: ModelRecord }> {
    const store = freshStore()
    const autoencoder = smallModel()
    const optimizer = createAdam(0.01)
    const variables = autoencoder.model.trainableWeights.map((w) => w.read() as tf.Variable)
    const x = tf.randomUniform([4, 12, 12, 1], 0, 1, 'float32', 1)
    for (let i = 0; i < 2; i++) optimizer.minimize(() => autoencoder.loss(x, x), true, variables)?.dispose()
    const record = await store.save({ metadata: metadata(autoencoder), model: autoencoder.model, optimizer })
    tf.dispose(x)
    optimizer.dispose()
    autoencoder.dispose()
    return { store, record }
  }

  /** The first weight after one Adam step on the saved model, with `optimizer`'s state. */
  async function weightAfterOneStep(store: Store, record: ModelRecord, optimizer: tf.Optimizer): Promise<number> {
    const { autoencoder } = await store.load(record.id)
    const variables = autoencoder.model.trainableWeights.map((w) => w.read() as tf.Variable)
    const x = tf.randomUniform([4, 12, 12, 1], 0, 1, 'float32', 2)
    optimizer.minimize(() => autoencoder.loss(x, x), true, variables)?.dispose()
    const weight = tf.tidy(() => autoencoder.model.getWeights()[0]!.dataSync()[0]!)
    tf.dispose(x)
    autoencoder.dispose()
    return weight
  }

  function overwriteFloat(versionFolder: string, index: number, value: number): void {
    const bytes = readFileSync(join(versionFolder, 'optimizer.bin'))
    bytes.writeFloatLE(value, index * 4)
    writeFileSync(join(versionFolder, 'optimizer.bin'), bytes)
  }

  const damages: [string, (versionFolder: string) => void][] = [
    ['optimizer.json without its weights list', (v) => writeFileSync(join(v, 'optimizer.json'), '{"optimizer":"Adam"}')],
    ['optimizer.json cut short', (v) => writeFileSync(join(v, 'optimizer.json'), '{"optimizer":"Adam","weig')],
    ['an odd number of moments', (v) => {
      const json = JSON.parse(readFileSync(join(v, 'optimizer.json'), 'utf8'))
      json.weights.pop()
      writeFileSync(join(v, 'optimizer.json'), JSON.stringify(json))
    }],
    ['a step count that is not a whole number', (v) => overwriteFloat(v, 0, 1.5)],
    ['a NaN moment', (v) => overwriteFloat(v, 1, Number.NaN)],
    ['optimizer.bin cut short by 3 bytes', (v) => {
      const bytes = readFileSync(join(v, 'optimizer.bin'))
      writeFileSync(join(v, 'optimizer.bin'), bytes.subarray(0, bytes.length - 3))
    }],
  ]

  it.each(damages)('%s: resume goes on with fresh Adam moments, and says why', async (_, damage) => {
    const { store, record } = await savedWithAdam()
    damage(record.versionFolder)
    const tensorsAtStart = tf.memory().numTensors
    const warnings: string[] = []
    const optimizer = createAdam(0.01)
    await expect(store.restoreOptimizer(record, optimizer, (warning) => warnings.push(warning))).resolves.toBe(false)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^The optimizer state saved with "digits" is damaged \(.+\); the model's weights are fine, so training resumes with fresh Adam moment estimates/,
    )
    expect(warnings[0]).not.toMatch(/undefined|reduce|TypeError|RangeError/)
    // The optimizer was left untouched: its first step is a fresh Adam's first step.
    const fresh = createAdam(0.01)
    expect(await weightAfterOneStep(store, record, optimizer)).toBe(await weightAfterOneStep(store, record, fresh))
    optimizer.dispose()
    fresh.dispose()
    expect(tf.memory().numTensors).toBe(tensorsAtStart)
  })

  it('an intact state is still restored, with no warning', async () => {
    const { store, record } = await savedWithAdam()
    const warnings: string[] = []
    const optimizer = createAdam(0.01)
    await expect(store.restoreOptimizer(record, optimizer, (warning) => warnings.push(warning))).resolves.toBe(true)
    expect(warnings).toEqual([])
    optimizer.dispose()
  })
})

describe('model folders that cannot be read, and exports of damaged models', () => {
  async function savedModel(store: Store, name = 'digits'): Promise<ModelRecord> {
    const autoencoder = smallModel()
    const record = await store.save({ metadata: { ...metadata(autoencoder), name }, model: autoencoder.model })
    autoencoder.dispose()
    return record
  }

  it('names the missing version a model points to, not the bottleneck.json inside it', async () => {
    const store = freshStore()
    const record = await savedModel(store)
    writeFileSync(join(record.folder, 'current'), 'v000009\n')
    const [listed] = await store.list()
    expect(listed!.problem).toBe(
      `The model in ${record.folder} cannot be loaded: the version it points to (v000009) is missing. ` +
        `Its saved version v000001 is complete; to use it again, run: echo v000001 > '${join(record.folder, 'current')}'`,
    )
    await expect(store.get(record.id)).rejects.toThrow(/the version it points to \(v000009\) is missing/)
  })

  it('removes a folder that cannot be read by its id, and leaves the other models', async () => {
    const store = freshStore()
    const broken = await savedModel(store, 'broken')
    const kept = await savedModel(store, 'kept')
    writeFileSync(join(broken.versionFolder, 'bottleneck.json'), '{"name": "broken", ')
    expect((await store.list()).find((model) => model.id === broken.id)?.problem).toMatch(/not valid JSON/)
    await store.remove(broken.id)
    expect(existsSync(broken.folder)).toBe(false)
    expect((await store.list()).map((model) => model.id)).toEqual([kept.id])
  })

  it('a configuration no model can be built from is told in a sentence, without JavaScript’s wording', async () => {
    const store = freshStore()
    const record = await savedModel(store)
    const file = join(record.versionFolder, 'bottleneck.json')
    const json = JSON.parse(readFileSync(file, 'utf8'))
    // Valid to the schema, but a dense layer over 10¹⁰ inputs cannot exist; model.json damaged alike, so the two agree.
    writeFileSync(file, JSON.stringify({ ...json, config: { ...json.config, inputShape: [100_000, 100_000, 1] } }))
    setSavedInputShape(record, [null, 100_000, 100_000, 1])
    await expect(store.load(record.id)).rejects.toMatchObject({
      code: 'MODEL_CORRUPT',
      message: `The model in ${record.folder} cannot be loaded: its configuration (bottleneck.json) does not describe a model Bottleneck can build.`,
    })
    // Our own refusal still says what is wrong.
    setSavedInputShape(record, [null, 12, 12, 1])
    writeFileSync(file, JSON.stringify({ ...json, config: { ...json.config, architecture: 'transformer' } }))
    await expect(store.load(record.id)).rejects.toThrow(/can build: Unknown architecture "transformer"/)
  })

  it('a model folder copied in the store under another id is that id: found by it, and checkpoints stay in it', async () => {
    const store = freshStore()
    const original = await savedModel(store, 'original')
    // A copy made by hand (a backup put back, a duplicate): its bottleneck.json still names the original's id.
    const copyId = 'c0ffee000000'
    cpSync(original.folder, join(store.root, 'models', copyId), { recursive: true })
    const copy = await store.get(copyId)
    expect(copy.id).toBe(copyId)
    expect(copy.metadata.id).toBe(copyId)
    const autoencoder = smallModel()
    const saved = await store.save({ id: copyId, metadata: { ...copy.metadata, epochs: 2 }, model: autoencoder.model })
    autoencoder.dispose()
    expect(saved.folder).toBe(join(store.root, 'models', copyId))
    expect((await store.get(original.id)).metadata.epochs).toBe(1)
  })

  it('refuses to export a model whose weights are cut short, says why, and writes nothing', async () => {
    const store = freshStore()
    const record = await savedModel(store, 'broken weights')
    const weights = readFileSync(join(record.versionFolder, 'weights.bin'))
    writeFileSync(join(record.versionFolder, 'weights.bin'), weights.subarray(0, weights.length >> 1))
    const exports = join(scratch, `exports-${++counter}`)
    mkdirSync(exports)
    const error = await store.export(record.id, join(exports, 'copy')).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'MODEL_CORRUPT' })
    expect((error as Error).message).toMatch(
      /^"broken weights" was not exported: its saved files are damaged, so a copy could not be imported\. .*weights\.bin holds \d+ bytes but model\.json lists \d+ bytes of weights \(truncated\)\.$/,
    )
    expect(readdirSync(exports)).toEqual([])

    // An intact model still exports, and the copy imports.
    const intact = await savedModel(store, 'intact')
    const copy = await store.export(intact.id, join(exports, 'intact'))
    const imported = await store.import(copy)
    expect(imported.metadata.name).toBe('intact (2)')
  })
})

/** Overwrites the input layer's shape model.json records (`[null, height, width, channels]`). */
function setSavedInputShape(record: ModelRecord, shape: (number | null)[]): void {
  const file = join(record.versionFolder, 'model.json')
  const json = JSON.parse(readFileSync(file, 'utf8'))
  const input = json.modelTopology.config.layers.find((layer: { class_name: string }) => layer.class_name === 'InputLayer')
  input.config.batch_input_shape = shape
  writeFileSync(file, JSON.stringify(json))
}

describe('a bottleneck.json asking for another input than model.json was saved with', () => {
  async function saved(autoencoder: Autoencoder): Promise<{ store: Store; record: ModelRecord }> {
    const store = freshStore()
    const record = await store.save({ metadata: metadata(autoencoder), model: autoencoder.model })
    autoencoder.dispose()
    return { store, record }
  }

  function askFor(record: ModelRecord, inputShape: number[]): void {
    const file = join(record.versionFolder, 'bottleneck.json')
    const json = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, JSON.stringify({ ...json, config: { ...json.config, inputShape } }))
  }

  it('is refused at once, as damage, before a model of that size is built (load and import alike)', async () => {
    const { store, record } = await saved(smallModel())
    // Built, a dense model on 3000×3000 images takes seconds and gigabytes before its weights could refuse it.
    askFor(record, [3000, 3000, 1])
    const tensorsAtStart = tf.memory().numTensors
    const started = performance.now()
    await expect(store.load(record.id)).rejects.toMatchObject({
      code: 'MODEL_CORRUPT',
      message:
        `The model in ${record.folder} cannot be loaded: model.json does not match its own configuration (bottleneck.json): ` +
        'its input layer takes 12×12×1 images where the configuration asks for 3000×3000×1 images.',
    })
    await expect(freshStore().import(record.folder)).rejects.toMatchObject({ code: 'MODEL_CORRUPT' })
    expect(performance.now() - started).toBeLessThan(2000)
    expect(tf.memory().numTensors).toBe(tensorsAtStart)
  })

  it('compares only the channels of a U-Net, whose input takes images of any size', async () => {
    const { store, record } = await saved(buildAutoencoder(createModelConfig('unet', [16, 16, 3], { seed: 1, filters: 2 })))
    askFor(record, [16, 16, 1])
    await expect(store.load(record.id)).rejects.toMatchObject({
      code: 'MODEL_CORRUPT',
      message:
        `The model in ${record.folder} cannot be loaded: model.json does not match its own configuration (bottleneck.json): ` +
        'its input layer takes images of any size with 3 channels where the configuration asks for 16×16×1 images.',
    })
    // Another size with the same channels fits the same weights: it loads.
    askFor(record, [32, 32, 3])
    const { autoencoder } = await store.load(record.id)
    expect(autoencoder.config.inputShape).toEqual([32, 32, 3])
    autoencoder.dispose()
  })
})

describe('damaged weight files in a saved version', () => {
  it('are reported as the model folder’s, as damage to bottleneck.json is, not as the version folder’s', async () => {
    const store = freshStore()
    const autoencoder = smallModel()
    const record = await store.save({ metadata: metadata(autoencoder), model: autoencoder.model })
    autoencoder.dispose()
    const modelJson = join(record.versionFolder, 'model.json')
    const intact = readFileSync(modelJson, 'utf8')
    writeFileSync(modelJson, intact.slice(0, intact.length / 2))
    await expect(store.load(record.id)).rejects.toMatchObject({
      code: 'MODEL_CORRUPT',
      message: `The model in ${record.folder} cannot be loaded: model.json is not valid JSON (truncated?).`,
    })
    writeFileSync(modelJson, intact)
    const weights = join(record.versionFolder, 'weights.bin')
    writeFileSync(weights, readFileSync(weights).subarray(0, 100))
    await expect(store.load(record.id)).rejects.toMatchObject({
      code: 'MODEL_CORRUPT',
      message: expect.stringMatching(
        new RegExp(`^The model in ${record.folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be loaded: weights\\.bin holds 100 bytes`),
      ),
    })
  })
})
