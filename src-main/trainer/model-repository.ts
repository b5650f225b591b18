// Models on disk as the service and the trainer need them: one folder per model under <root>/models/<id>/ with
// tfjs `model.json` + `weights.bin` + `bottleneck.json` (docs/design.md). Every write is atomic: a new folder or
// file is written beside the old one, fsynced and renamed over it, so a trainer killed mid-save leaves the
// previous checkpoint intact. (The service and trainer use this narrow interface; src-main/store is the CLI's.)
import { randomBytes } from 'node:crypto'
import { cp, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { HistoryEntry, Noise } from '../contract/index'
import type { ModelConfig } from '../ml/architectures/index'
import { BottleneckError } from '../ml/errors'

export interface ModelRecord {
  id: string
  name: string
  config: ModelConfig
  dataset: { id: string; spec: string; name: string }
  noise?: Noise
  backend?: string
  createdAt: string
  updatedAt: string
  /** Epochs asked for; `history.length` are done. */
  targetEpochs: number
  batchSize: number
  trainLimit?: number
  testLimit?: number
  history: HistoryEntry[]
  metrics?: Record<string, number>
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/
const RECORD_FILE = 'bottleneck.json'

export function newModelId(architecture: string): string {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')
  return `${architecture}-${stamp}-${randomBytes(3).toString('hex')}`
}

async function writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Replaces `path` with new contents atomically (temp file in the same folder, fsync, rename). */
async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFileSynced(temporary, data)
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

function isRecord(value: unknown): value is ModelRecord {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Partial<ModelRecord>
  return (
    typeof record.id === 'string' &&
    typeof record.name === 'string' &&
    typeof record.config === 'object' &&
    record.config !== null &&
    Array.isArray(record.history) &&
    typeof record.targetEpochs === 'number'
  )
}

export class ModelRepository {
  readonly root: string
  readonly modelsDir: string

  constructor(root: string) {
    this.root = resolve(root)
    this.modelsDir = join(this.root, 'models')
  }

  folder(id: string): string {
    // Ids come from the contract's schema already; this guard keeps the file system safe even if a caller forgets.
    if (!ID_PATTERN.test(id)) throw new BottleneckError('INVALID_INPUT', `"${id}" is not a model id.`)
    return join(this.modelsDir, id)
  }

  async list(): Promise<ModelRecord[]> {
    const names = await readdir(this.modelsDir).catch(() => [] as string[])
    const records: ModelRecord[] = []
    for (const name of names) {
      if (!ID_PATTERN.test(name)) continue
      const record = await this.get(name).catch(() => undefined)
      if (record) records.push(record)
    }
    return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  }

  async get(id: string): Promise<ModelRecord> {
    let text: string
    try {
      text = await readFile(join(this.folder(id), RECORD_FILE), 'utf8')
    } catch {
      throw new BottleneckError('MODEL_NOT_FOUND', `There is no model "${id}" in ${this.modelsDir}.`)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new BottleneckError('MODEL_CORRUPT', `The metadata of model "${id}" is not valid JSON.`, error)
    }
    if (!isRecord(parsed) || parsed.id !== id) {
      throw new BottleneckError('MODEL_CORRUPT', `The metadata of model "${id}" is incomplete.`)
    }
    return parsed
  }

  /** Writes model + weights + record as one new folder and swaps it in: the old checkpoint survives a crash. */
  async save(record: ModelRecord, model: tf.LayersModel): Promise<void> {
    const target = this.folder(record.id)
    await mkdir(this.modelsDir, { recursive: true })
    const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`
    const staging = join(this.modelsDir, `.new-${record.id}-${suffix}`)
    const retired = join(this.modelsDir, `.old-${record.id}-${suffix}`)
    await mkdir(staging)
    try {
      await model.save(
        tf.io.withSaveHandler(async (artifacts) => {
          const weights = artifacts.weightData
            ? new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData))
            : new Uint8Array(0)
          const modelJson = {
            format: 'layers-model',
            generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
            convertedBy: null,
            modelTopology: artifacts.modelTopology,
            weightsManifest: [{ paths: ['./weights.bin'], weights: artifacts.weightSpecs ?? [] }],
          }
          await writeFileSynced(join(staging, 'weights.bin'), weights)
          await writeFileSynced(join(staging, 'model.json'), JSON.stringify(modelJson))
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
        }),
      )
      await writeFileSynced(join(staging, RECORD_FILE), JSON.stringify(record, null, 2))
      const hadOld = await stat(target).then(
        () => true,
        () => false,
      )
      if (hadOld) await rename(target, retired)
      await rename(staging, target)
      if (hadOld) await rm(retired, { recursive: true, force: true })
    } catch (error) {
      await rm(staging, { recursive: true, force: true })
      // If the swap failed halfway, put the old checkpoint back.
      const targetExists = await stat(target).then(
        () => true,
        () => false,
      )
      if (!targetExists) await rename(retired, target).catch(() => undefined)
      throw new BottleneckError(
        'STORE_ERROR',
        `Saving model "${record.id}" failed: ${(error as Error).message}`,
        error,
      )
    }
  }

  async loadModel(id: string): Promise<{ record: ModelRecord; model: tf.LayersModel }> {
    const record = await this.get(id)
    const folder = this.folder(id)
    try {
      const modelJson = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8')) as {
        modelTopology: object
        weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[]
      }
      const weights = await readFile(join(folder, 'weights.bin'))
      const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)
      const model = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: modelJson.modelTopology,
          weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
          weightData,
        }),
      )
      return { record, model }
    } catch (error) {
      throw new BottleneckError(
        'MODEL_CORRUPT',
        `The files of model "${record.name}" cannot be loaded.`,
        error,
      )
    }
  }

  /** Metadata-only update (rename, metrics): one atomic file write. */
  async updateRecord(id: string, change: (record: ModelRecord) => ModelRecord): Promise<ModelRecord> {
    const next = change(await this.get(id))
    await writeFileAtomic(join(this.folder(id), RECORD_FILE), JSON.stringify(next, null, 2))
    return next
  }

  async remove(id: string): Promise<void> {
    await this.get(id)
    // Rename first so a half-deleted folder never looks like a model.
    const doomed = join(this.modelsDir, `.del-${id}-${randomBytes(4).toString('hex')}`)
    await rename(this.folder(id), doomed)
    await rm(doomed, { recursive: true, force: true })
  }

  /** Copies the model folder to `<directory>/<id>`; returns the path written. */
  async exportTo(id: string, directory: string): Promise<string> {
    await this.get(id)
    const destination = join(resolve(directory), id)
    const exists = await stat(destination).then(
      () => true,
      () => false,
    )
    if (exists)
      throw new BottleneckError('STORE_ERROR', `${destination} already exists; choose another folder.`)
    await cp(this.folder(id), destination, { recursive: true, errorOnExist: true })
    return destination
  }

  /** Copies a model folder (one with bottleneck.json) into the store under a fresh id if the old one is taken. */
  async importFrom(directory: string): Promise<ModelRecord> {
    const source = resolve(directory)
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(join(source, RECORD_FILE), 'utf8'))
    } catch {
      throw new BottleneckError(
        'FILE_NOT_FOUND',
        `${source} is not a Bottleneck model folder (no readable ${RECORD_FILE}).`,
      )
    }
    for (const file of ['model.json', 'weights.bin']) {
      await stat(join(source, file)).catch(() => {
        throw new BottleneckError('MODEL_CORRUPT', `${source} has no ${file}.`)
      })
    }
    if (!isRecord(parsed))
      throw new BottleneckError('MODEL_CORRUPT', `${source}/${RECORD_FILE} is incomplete.`)
    let id = ID_PATTERN.test(parsed.id)
      ? parsed.id
      : newModelId(String(parsed.config.architecture ?? 'model'))
    if (
      await this.get(id).then(
        () => true,
        () => false,
      )
    )
      id = newModelId(String(parsed.config.architecture ?? 'model'))
    await mkdir(this.modelsDir, { recursive: true })
    const staging = join(this.modelsDir, `.new-${id}-${randomBytes(4).toString('hex')}`)
    try {
      await cp(source, staging, { recursive: true })
      const record: ModelRecord = { ...parsed, id, updatedAt: new Date().toISOString() }
      await writeFileAtomic(join(staging, RECORD_FILE), JSON.stringify(record, null, 2))
      await rename(staging, this.folder(id))
      return record
    } catch (error) {
      await rm(staging, { recursive: true, force: true })
      throw new BottleneckError(
        'STORE_ERROR',
        `Importing ${basename(source)} failed: ${(error as Error).message}`,
        error,
      )
    }
  }
}
