// The model store: one folder per model under <root>/models/<id>/. Each save writes a complete new version folder
// (v000001, v000002, …) and then swaps a one-line pointer file `current` by atomic rename, so a crash at any
// moment leaves either the old or the new version loadable, never a mix. Folder names are ids we generate;
// user-given names live only inside bottleneck.json.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { link, copyFile, lstat, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { homedir, platform } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import type * as tf from '@tensorflow/tfjs'
import { buildAutoencoder, type Autoencoder, type ModelConfig } from '../ml/architectures/index'
import { BottleneckError } from '../ml/errors'
import {
  ensureDirectory,
  fileInTheWay,
  folderFailureReason,
  isDirectory,
  noNewFilesReason,
  randomSuffix,
  replaceFileAtomic,
  syncDirectory,
  writeDurable,
} from '../ml/file-system'
import {
  cleanName,
  FORMAT_VERSION,
  MAX_NAME_LENGTH,
  ModelMetadataSchema,
  withStreamedTestCount,
  type ModelMetadata,
} from './metadata'
import { loadWeightsInto, readModelArtifacts, restoreOptimizerState, serializeModel, serializeOptimizer } from './tfjs-io'

export type { ModelMetadata, EpochRecord } from './metadata'

export interface ModelRecord {
  id: string
  /** The model's folder (<root>/models/<id>, or an outside folder given by path). */
  folder: string
  /** The folder holding the live version's files (model.json, weights.bin, bottleneck.json). */
  versionFolder: string
  metadata: ModelMetadata
}

export interface ListedModel {
  id: string
  folder: string
  metadata?: ModelMetadata
  /** Why this folder could not be read; such models are listed so the user can see and remove them. */
  problem?: string
  /** For a folder whose pointer does not lead to a version: the complete version `restoreVersion` would point it at. */
  restorableVersion?: string
  /**
   * With `restorableVersion`: the problem said without the shell command that restores it, for a view that offers
   * the restore as a button beside it.
   */
  problemBesideRestore?: string
}

export interface LoadedModel {
  record: ModelRecord
  autoencoder: Autoencoder
}

export interface SaveRequest {
  /** Existing model to add a version to (a checkpoint); omitted for a new model. */
  id?: string
  metadata: Omit<ModelMetadata, 'id' | 'formatVersion' | 'createdAt' | 'updatedAt'> & { createdAt?: string }
  model: tf.LayersModel
  /** Saved alongside so `--resume` continues with Adam's moments instead of restarting them. */
  optimizer?: tf.Optimizer
  /** Test hook: awaited at each step of the save so a test can kill the process exactly there. */
  onStep?: (step: SaveStep) => Promise<void> | void
}

export type SaveStep = 'version-written' | 'pointer-written' | 'old-versions-removed'

export interface Store {
  root: string
  list(): Promise<ListedModel[]>
  get(ref: string): Promise<ModelRecord>
  load(ref: string): Promise<LoadedModel>
  /**
   * The live version folder's name (v000007) of the model with this id: one tiny synchronous read, so a process
   * that keeps loaded models can check per call, in microseconds, that it still holds the latest save.
   */
  currentVersion(id: string): string
  /**
   * What each model folder holds now, as one short string per id (its live version's name; a flat folder's
   * bottleneck.json time): two of these differ exactly where a model was added, saved, renamed or removed. Folders
   * without a readable pointer are left out, so a model another process is still creating is not reported half made.
   * Asynchronous, as the app's main process polls it: a store of a thousand models takes tens of milliseconds.
   */
  modelsState(): Promise<Map<string, string>>
  /** The one entry of `modelsState` for this id (undefined when the model is gone or not readable yet). */
  modelState(id: string): Promise<string | undefined>
  /**
   * Restores the optimizer state saved with the model's live version; false when there is none or it is damaged.
   * A damaged one is skipped (Adam restarts its moments, the weights are untouched) and `onDamaged` gets a sentence
   * saying so: losing the moments costs a few noisier steps, refusing to resume would cost the whole run.
   */
  restoreOptimizer(record: ModelRecord, optimizer: tf.Optimizer, onDamaged?: (warning: string) => void): Promise<boolean>
  save(request: SaveRequest): Promise<ModelRecord>
  /**
   * Throws what `save` would for this name (and existing model `id`, for a checkpoint of it) before any training is
   * spent: an invalid name, or a store folder that cannot be created or written (a small probe file is written and
   * removed). Creates the store folder when missing, as `save` would.
   */
  checkCanSave(name: string, id?: string): Promise<void>
  rename(ref: string, name: string): Promise<ModelRecord>
  /** Given an id, removes that folder even when it cannot be read (how the user gets rid of a damaged model). */
  remove(ref: string): Promise<void>
  /**
   * Points the model with this id at its newest complete version again, when its `current` file is missing, damaged
   * or names a version that is gone (the message `get` and `list` give then says to). Refused when the pointer names
   * a version that exists: a pointer that works is never replaced.
   */
  restoreVersion(id: string): Promise<ModelRecord>
  /**
   * Writes a plain folder (model.json, weights.bin, bottleneck.json) at `destination`, which must not exist; refused
   * with MODEL_CORRUPT when the model's files would not load (the copy could not be imported).
   */
  export(ref: string, destination: string): Promise<string>
  /** Copies a model folder (exported or another store's) into this store under a new id. */
  import(source: string): Promise<ModelRecord>
}

const ID_PATTERN = /^[a-z0-9]{12}$/
const VERSION_PATTERN = /^v\d{6}$/
/** The temp files a save writes in a model folder (the pointer's replacement, the write probe): `.….tmp`. */
const TEMP_FILE_PATTERN = /^\..+\.tmp$/
const POINTER = 'current'
const MODEL_FILES = ['model.json', 'weights.bin', 'bottleneck.json'] as const
const OPTIONAL_FILES = ['optimizer.json', 'optimizer.bin'] as const
/** The folders a new model is written in (`.new-`) and a removed one is erased from (`.removed-`), by process id. */
const WORK_FOLDER_PATTERN = /^\.(?:new|removed)-(\d+)-[0-9a-f]+$/
/**
 * How long a work folder must sit untouched before it counts as left over. A process id only says something about
 * this machine: a store on a shared drive may have a writer on another one, whose files keep changing while it writes.
 */
const LEFTOVER_AGE_MS = 10 * 60 * 1000

/**
 * Work folders an operation of this process is on right now, whichever store object runs it: never leftovers, though
 * named with this process's id. Another process's are told by its id being alive.
 */
const workFoldersInUse = new Set<string>()

/** BOTTLENECK_HOME, else ~/.bottleneck (the app passes Electron's userData instead). */
export function defaultStoreRoot(): string {
  return resolve(process.env.BOTTLENECK_HOME || join(homedir(), '.bottleneck'))
}

/** The version a model folder's pointer names (v000007), or MODEL_CORRUPT when the pointer is damaged. */
function pointedVersion(pointerText: string, folder: string): string {
  const version = pointerText.trim()
  if (!VERSION_PATTERN.test(version)) {
    throw new BottleneckError('MODEL_CORRUPT', `The model in ${folder} cannot be loaded: its ${POINTER} file is damaged.`)
  }
  return version
}

/** The version folders (v000001, …) in a model folder, oldest first; none when it cannot be read. */
async function versionNames(folder: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[])
  return names.filter((name) => VERSION_PATTERN.test(name)).sort()
}

/**
 * The newest version in a model folder that a save finished writing: every model file there and a bottleneck.json
 * describing a model (a save writes it last). Undefined when there is none.
 */
async function newestCompleteVersion(folder: string): Promise<string | undefined> {
  for (const version of (await versionNames(folder)).reverse()) {
    const files = await Promise.all(MODEL_FILES.map((name) => stat(join(folder, version, name)).catch(() => undefined)))
    if (!files.every((file) => file?.isFile())) continue
    try {
      const metadata: unknown = JSON.parse(await readFile(join(folder, version, 'bottleneck.json'), 'utf8'))
      if (ModelMetadataSchema.safeParse(metadata).success) return version
    } catch {
      // Not a finished save: look at the one before.
    }
  }
  return undefined
}

/** A pointer file's text (undefined when there is none) and whether it names a version folder that exists. */
async function readPointer(folder: string, file: string): Promise<{ text?: string; works: boolean }> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return { works: false }
  }
  const version = text.trim()
  return { text, works: VERSION_PATTERN.test(version) && (await isDirectory(join(folder, version))) }
}

/** Gives `source`'s content the name `target` only if nothing has that name, as one step (a hard link) where possible. */
async function createOnly(source: string, target: string): Promise<void> {
  try {
    await link(source, target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return
    // A file system without hard links (FAT, some network shares): an exclusive create, never over an existing file.
    await writeDurable(target, await readFile(source)).catch((failure: NodeJS.ErrnoException) => {
      if (failure.code !== 'EEXIST') throw failure
    })
  }
}

/** The shell command that writes a pointer file by hand, for the platform the message is read on. */
function pointerCommand(pointerFile: string, version: string): string {
  // Single quotes: nothing in a path (spaces, $, backquotes) is expanded inside them by a POSIX shell or PowerShell.
  if (platform() === 'win32') return `Set-Content -Path '${pointerFile.replaceAll("'", "''")}' -Value ${version} (in PowerShell)`
  return `echo ${version} > '${pointerFile.replaceAll("'", "'\\''")}'`
}

/** Whether a process with this id runs on this machine (one owned by another user counts: it exists). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** When anything in a work folder last changed: the folder, its entries and theirs (a version's files). */
async function lastChange(folder: string): Promise<number> {
  let latest = 0
  const visit = async (path: string, depth: number): Promise<void> => {
    const info = await lstat(path).catch(() => undefined)
    if (!info) return
    latest = Math.max(latest, info.mtimeMs)
    if (depth === 0 || !info.isDirectory()) return
    for (const name of await readdir(path).catch(() => [] as string[])) await visit(join(path, name), depth - 1)
  }
  await visit(folder, 2)
  return latest
}

/**
 * A model whose `current` pointer does not lead to a version. Its weights are usually intact in a version beside it,
 * and a list of unreadable folders invites deleting them: the message names that version and the one command that
 * brings it back (restoreVersion does the same).
 */
class PointerProblem extends BottleneckError {
  /** The same without the command: for a view with a Restore button. */
  readonly withoutCommand: string

  constructor(
    folder: string,
    fault: string,
    /** The newest complete version, which restoreVersion would point the model at; undefined when there is none. */
    readonly restorableVersion: string | undefined,
    detail: unknown,
  ) {
    const problem = `The model in ${folder} cannot be loaded: ${fault}.`
    const complete = restorableVersion ? ` Its saved version ${restorableVersion} is complete` : ''
    super(
      'MODEL_CORRUPT',
      restorableVersion
        ? `${problem}${complete}; to use it again, run: ${pointerCommand(join(folder, POINTER), restorableVersion)}`
        : problem,
      detail,
    )
    this.withoutCommand = `${problem}${complete}.`
  }
}

export function openStore(root: string = defaultStoreRoot()): Store {
  const storeRoot = resolve(root)
  const modelsFolder = join(storeRoot, 'models')

  async function liveVersionFolder(folder: string): Promise<string> {
    let pointer: string
    try {
      pointer = await readFile(join(folder, POINTER), 'utf8')
    } catch (error) {
      // An exported (flat) model folder has the files directly.
      if (await exists(join(folder, 'bottleneck.json'))) return folder
      if ((await versionNames(folder)).length === 0) {
        throw new BottleneckError('MODEL_CORRUPT', `${folder} is not a Bottleneck model folder: it has no bottleneck.json.`)
      }
      const fault = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'cannot be read'
      throw await pointerProblem(folder, `its ${POINTER} file ${fault}`, error)
    }
    try {
      return join(folder, pointedVersion(pointer, folder))
    } catch (error) {
      throw await pointerProblem(folder, `its ${POINTER} file is damaged`, error)
    }
  }

  /**
   * The error for a model whose pointer does not lead to a version, naming the version that would restore it.
   * Reading never restores it on its own: a folder without a pointer may be one another writer is still filling in
   * (a copy into the store, a sync tool), whose pointer comes when its files are all there.
   */
  async function pointerProblem(folder: string, fault: string, detail: unknown): Promise<PointerProblem> {
    return new PointerProblem(folder, fault, await newestCompleteVersion(folder), detail)
  }

  function currentVersion(id: string): string {
    if (!ID_PATTERN.test(id)) throw new BottleneckError('INVALID_INPUT', `"${id.slice(0, 40)}" is not a model id.`)
    const folder = join(modelsFolder, id)
    let pointer: string
    try {
      pointer = readFileSync(join(folder, POINTER), 'utf8')
    } catch {
      throw new BottleneckError('MODEL_NOT_FOUND', `No model "${id}" in ${storeRoot} (it may have been deleted).`)
    }
    return pointedVersion(pointer, folder)
  }

  async function modelState(id: string): Promise<string | undefined> {
    const folder = join(modelsFolder, id)
    try {
      return (await readFile(join(folder, POINTER), 'utf8')).trim()
    } catch {
      try {
        return `flat ${(await stat(join(folder, 'bottleneck.json'))).mtimeMs}`
      } catch {
        return undefined
      }
    }
  }

  async function modelsState(): Promise<Map<string, string>> {
    const state = new Map<string, string>()
    let names: string[]
    try {
      names = await readdir(modelsFolder)
    } catch {
      return state
    }
    const ids = names.filter((name) => ID_PATTERN.test(name))
    // A few dozen reads at a time: enough to hide each one's latency, few enough not to exhaust file handles.
    for (let start = 0; start < ids.length; start += 32) {
      const batch = ids.slice(start, start + 32)
      const states = await Promise.all(batch.map(modelState))
      batch.forEach((id, index) => {
        const current = states[index]
        if (current !== undefined) state.set(id, current)
      })
    }
    return state
  }

  async function readRecord(folder: string): Promise<ModelRecord> {
    let versionFolder = await liveVersionFolder(folder)
    let text: string | undefined
    for (let attempt = 0; text === undefined; attempt++) {
      try {
        text = await readFile(join(versionFolder, 'bottleneck.json'), 'utf8')
      } catch (error) {
        // A concurrent checkpoint may have just replaced this version: follow the pointer once more.
        const latest = await liveVersionFolder(folder)
        if (latest === versionFolder || attempt >= 9) {
          // A pointer to a version that is gone is the cause to name, not the metadata file inside it.
          if (versionFolder !== folder && !(await exists(versionFolder))) {
            throw await pointerProblem(folder, `the version it points to (${basename(versionFolder)}) is missing`, error)
          }
          throw new BottleneckError('MODEL_CORRUPT', `The model in ${folder} cannot be loaded: bottleneck.json is missing.`, error)
        }
        versionFolder = latest
      }
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new BottleneckError('MODEL_CORRUPT', `The model in ${folder} cannot be loaded: bottleneck.json is not valid JSON.`, error)
    }
    const formatVersion = (parsed as { formatVersion?: unknown } | null)?.formatVersion
    if (typeof formatVersion === 'number' && formatVersion > FORMAT_VERSION) {
      // Not damage: a newer Bottleneck wrote it (an export from another machine); this one cannot know its fields.
      throw new BottleneckError(
        'NOT_SUPPORTED',
        `The model in ${folder} was saved by a newer version of Bottleneck (format ${formatVersion}; this version reads format ${FORMAT_VERSION}). Update Bottleneck to open it.`,
      )
    }
    const result = ModelMetadataSchema.safeParse(parsed)
    if (!result.success) {
      // The schema's own wording is for developers: the user gets the field to look at, the log keeps the rest.
      throw new BottleneckError(
        'MODEL_CORRUPT',
        `The model in ${folder} cannot be loaded: bottleneck.json is damaged (${damagedField(parsed, result.error.issues[0]?.path ?? [])}).`,
        result.error,
      )
    }
    // In the store a model is its folder. A folder copied from another model's still names that model's id inside;
    // taken from there, the model's checkpoints would be refused as "outside the store" and its id would find no model.
    const id = dirname(folder) === modelsFolder && ID_PATTERN.test(basename(folder)) ? basename(folder) : result.data.id
    return { id, folder, versionFolder, metadata: withStreamedTestCount({ ...result.data, id }) }
  }

  async function ids(): Promise<string[]> {
    try {
      return (await readdir(modelsFolder)).filter((name) => ID_PATTERN.test(name))
    } catch {
      return []
    }
  }

  async function list(): Promise<ListedModel[]> {
    // Listing is when the store is looked at as a whole: the moment to drop what interrupted saves and deletes left.
    await removeLeftovers()
    const listed: ListedModel[] = []
    for (const id of await ids()) {
      const folder = join(modelsFolder, id)
      try {
        const record = await readRecord(folder)
        listed.push({ id, folder, metadata: record.metadata })
      } catch (error) {
        // Only where restoreVersion would act: a pointer that leads to a version is never replaced.
        const restore =
          error instanceof PointerProblem && error.restorableVersion
            ? { restorableVersion: error.restorableVersion, problemBesideRestore: error.withoutCommand }
            : {}
        listed.push({ id, folder, problem: (error as Error).message, ...restore })
      }
    }
    return listed.sort((a, b) => (b.metadata?.updatedAt ?? '').localeCompare(a.metadata?.updatedAt ?? ''))
  }

  async function get(ref: string): Promise<ModelRecord> {
    const wanted = ref.trim()
    if (ID_PATTERN.test(wanted) && (await exists(join(modelsFolder, wanted)))) return readRecord(join(modelsFolder, wanted))
    const byName = (await list()).filter((model) => model.metadata?.name === wanted)
    if (byName.length === 1) return readRecord(byName[0]!.folder)
    if (byName.length > 1) {
      throw new BottleneckError(
        'MODEL_AMBIGUOUS',
        `${byName.length} models are named "${wanted}" (${byName.map((m) => m.id).join(', ')}); use an id.`,
      )
    }
    // A path to a model folder (inside or outside the store), e.g. an exported model.
    if ((wanted.includes('/') || wanted.includes('\\') || wanted.startsWith('.')) && (await isDirectory(wanted))) {
      return readRecord(resolve(wanted))
    }
    throw new BottleneckError('MODEL_NOT_FOUND', `No model "${wanted}" in ${storeRoot} (run \`bottleneck models\` to list them).`)
  }

  async function load(ref: string): Promise<LoadedModel> {
    let record = await get(ref)
    let autoencoder: Autoencoder | undefined
    for (let attempt = 0; !autoencoder; attempt++) {
      try {
        autoencoder = await loadChecked(record)
      } catch (error) {
        // A checkpoint saved while we read deletes the version we were reading; the pointer then names a newer one.
        // Damage is reported as soon as the pointer stays put; a writer saving non-stop gets a few chances.
        const latest = await get(record.folder).catch(() => record)
        if (latest.versionFolder === record.versionFolder || attempt >= 9) throw error
        record = latest
      }
    }
    return { record, autoencoder }
  }

  /** The architecture bottleneck.json names, rebuilt by our code, with the folder's weights (checked against it). */
  async function loadChecked(record: ModelRecord): Promise<Autoencoder> {
    const config = record.metadata.config as ModelConfig
    return loadWeightsInto(record.versionFolder, record.folder, (modelTopology) => {
      assertInputMatchesModelJson(record, modelTopology)
      let autoencoder: Autoencoder
      try {
        autoencoder = buildAutoencoder(config)
      } catch (error) {
        // Our own refusals name what is wrong ("Unknown architecture …"); anything else is tfjs or JavaScript
        // failing on impossible numbers (a RangeError for a huge input shape): for the log, not for the sentence.
        const reason = error instanceof BottleneckError ? `: ${error.message}` : '.'
        throw new BottleneckError(
          'MODEL_CORRUPT',
          `The model in ${record.folder} cannot be loaded: its configuration (bottleneck.json) does not describe a ` +
            `model Bottleneck can build${reason}`,
          error,
        )
      }
      return { model: autoencoder.model, result: autoencoder, dispose: () => autoencoder.dispose() }
    })
  }

  /** Fills the (new, empty) folder `target` with a complete version. */
  async function writeVersion(
    target: string,
    metadata: ModelMetadata,
    files: { modelJson: string; weights: Uint8Array } | { linkFrom: string },
    optimizer?: { modelJson: string; weights: Uint8Array },
  ): Promise<void> {
    if ('linkFrom' in files) {
      for (const name of [...MODEL_FILES.filter((f) => f !== 'bottleneck.json'), ...OPTIONAL_FILES]) {
        if (await exists(join(files.linkFrom, name))) await linkOrCopy(join(files.linkFrom, name), join(target, name))
      }
    } else {
      await writeDurable(join(target, 'model.json'), files.modelJson)
      await writeDurable(join(target, 'weights.bin'), files.weights)
    }
    if (optimizer) {
      await writeDurable(join(target, 'optimizer.json'), optimizer.modelJson)
      await writeDurable(join(target, 'optimizer.bin'), optimizer.weights)
    }
    await writeDurable(join(target, 'bottleneck.json'), `${JSON.stringify(metadata, null, 2)}\n`)
    await syncDirectory(target)
  }

  /** Adds a version to an existing model folder and switches the pointer to it; older versions are removed after. */
  async function commitVersion(
    folder: string,
    metadata: ModelMetadata,
    files: { modelJson: string; weights: Uint8Array } | { linkFrom: string },
    optimizer?: { modelJson: string; weights: Uint8Array },
    onStep?: SaveRequest['onStep'],
  ): Promise<void> {
    const entries = await readdir(folder)
    const versions = entries.filter((name) => VERSION_PATTERN.test(name)).sort()
    const next = `v${String(Number((versions.at(-1) ?? 'v000000').slice(1)) + 1).padStart(6, '0')}`
    const target = join(folder, next)
    // Not recursive: a save racing for the same version number fails here, before it could claim the other's folder.
    await mkdir(target)
    try {
      await writeVersion(target, metadata, files, optimizer)
      await onStep?.('version-written')
      await replaceFileAtomic(join(folder, POINTER), `${next}\n`)
    } catch (error) {
      // A version the pointer does not name is dead weight, and on a full disk it holds the space the user must
      // free: drop it now, not at the next successful save. Best effort: the error to report is the first one.
      const pointer = await readFile(join(folder, POINTER), 'utf8').catch(() => '')
      if (pointer.trim() !== next) await rm(target, { recursive: true, force: true }).catch(() => undefined)
      throw error
    }
    await onStep?.('pointer-written')
    // Leftovers of earlier versions and of interrupted saves (stray temp files) are safe to drop now. Anything else
    // in the folder was put there by someone else (notes, a copy of a figure) and is not the store's to delete.
    for (const name of entries) {
      if (name === next || !(VERSION_PATTERN.test(name) || TEMP_FILE_PATTERN.test(name))) continue
      await rm(join(folder, name), { recursive: true, force: true })
    }
    await onStep?.('old-versions-removed')
  }

  /** A new model appears whole: built in a temp folder beside the others, then renamed to its id. */
  async function createModelFolder(
    id: string,
    metadata: ModelMetadata,
    files: { modelJson: string; weights: Uint8Array } | { linkFrom: string },
    optimizer?: { modelJson: string; weights: Uint8Array },
    onStep?: SaveRequest['onStep'],
  ): Promise<string> {
    await ensureDirectory(modelsFolder)
    const temp = join(modelsFolder, `.new-${randomSuffix()}`)
    const folder = join(modelsFolder, id)
    workFoldersInUse.add(temp)
    try {
      await ensureDirectory(join(temp, 'v000001'))
      await writeVersion(join(temp, 'v000001'), metadata, files, optimizer)
      await onStep?.('version-written')
      await writeDurable(join(temp, POINTER), 'v000001\n')
      await syncDirectory(temp)
      await rename(temp, folder)
      await syncDirectory(modelsFolder)
      await onStep?.('pointer-written')
    } catch (error) {
      await rm(temp, { recursive: true, force: true }).catch(() => undefined)
      throw error
    } finally {
      workFoldersInUse.delete(temp)
    }
    await onStep?.('old-versions-removed')
    return folder
  }

  /**
   * File-system failures while writing, in words a person can act on. A save only swaps the pointer after the new
   * version is complete, so a model that had a version keeps it; a new model is simply not there.
   */
  async function writing<T>(what: string, hasPreviousVersion: boolean, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      if (error instanceof BottleneckError) throw error
      const outcome = hasPreviousVersion ? 'Nothing was lost: the previous version is kept.' : 'Nothing was saved.'
      throw new BottleneckError('STORE_ERROR', `Could not ${what}: ${await fileSystemReason(error, storeRoot)}. ${outcome}`, error)
    }
  }

  function validName(name: string): string {
    const cleaned = cleanName(name)
    if (!cleaned) throw new BottleneckError('INVALID_INPUT', 'A model name must be 1–200 characters without control characters.')
    return cleaned
  }

  /** The store's model a checkpoint adds a version to (none for a new model). */
  async function checkpointTarget(id: string | undefined): Promise<ModelRecord | undefined> {
    const existing = id ? await get(id) : undefined
    if (existing && existing.folder !== join(modelsFolder, existing.id)) {
      throw new BottleneckError('INVALID_INPUT', `${existing.folder} is outside the store; import it first.`)
    }
    return existing
  }

  /** Every model but the one with `ownId`: the names that one may not take. */
  async function otherModels(ownId: string | undefined): Promise<ListedModel[]> {
    return (await list()).filter((model) => model.id !== ownId)
  }

  /**
   * The CLI finds a model by id or exact name, so a model never takes a name another model has: like a desktop
   * app's "Untitled 2", it gets the first free "NAME (2)", "NAME (3)"… A model's own name is never taken from it.
   */
  async function freeName(wanted: string, ownId?: string): Promise<string> {
    const taken = new Set((await otherModels(ownId)).map((model) => model.metadata?.name))
    if (!taken.has(wanted)) return wanted
    // A copy of "digits (2)" becomes "digits (3)", not "digits (2) (2)".
    const base = wanted.replace(/ \(\d+\)$/, '')
    for (let number = 2; ; number++) {
      const suffix = ` (${number})`
      const candidate = `${base.slice(0, MAX_NAME_LENGTH - suffix.length).trimEnd()}${suffix}`
      if (!taken.has(candidate)) return candidate
    }
  }

  async function save(request: SaveRequest): Promise<ModelRecord> {
    const name = validName(request.metadata.name)
    const now = new Date().toISOString()
    const existing = await checkpointTarget(request.id)
    const id = existing?.id ?? newId()
    const metadata = ModelMetadataSchema.parse({
      ...request.metadata,
      // A checkpoint that re-sends the name its run started with ("digits" for the model that became "digits (2)")
      // keeps the model's own name: "digits (2)" is free for it, "digits" is not.
      // Every epoch's checkpoint re-sends the name the model has: that needs no look at the other models.
      name: name === existing?.metadata.name ? name : await freeName(name, existing?.id),
      formatVersion: FORMAT_VERSION,
      id,
      createdAt: existing?.metadata.createdAt ?? request.metadata.createdAt ?? now,
      updatedAt: now,
    })
    const files = await serializeModel(request.model)
    const optimizer = request.optimizer ? await serializeOptimizer(request.optimizer) : undefined
    return writing(`save the model "${metadata.name}"`, existing !== undefined, async () => {
      if (existing) {
        await commitVersion(existing.folder, metadata, files, optimizer, request.onStep)
        return readRecord(existing.folder)
      }
      return readRecord(await createModelFolder(id, metadata, files, optimizer, request.onStep))
    })
  }

  async function checkCanSave(wantedName: string, id?: string): Promise<void> {
    const name = validName(wantedName)
    const existing = await checkpointTarget(id)
    await writing(`save the model "${existing?.metadata.name ?? name}"`, existing !== undefined, async () => {
      const folder = existing?.folder ?? modelsFolder
      await ensureDirectory(folder)
      const probe = join(folder, `.probe-${randomSuffix()}.tmp`)
      try {
        await writeDurable(probe, 'Bottleneck checks it can save here; this file is removed at once.\n')
      } finally {
        await rm(probe, { force: true }).catch(() => undefined)
      }
    })
  }

  async function renameModel(ref: string, newName: string): Promise<ModelRecord> {
    const name = validName(newName)
    const record = await get(ref)
    // The CLI finds a model by id or exact name, so a second model with this name would make the name ambiguous.
    const namesake = (await otherModels(record.id)).find((model) => model.metadata?.name === name)
    if (namesake) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `Another model (${namesake.id}) is already named "${name}". Choose a different name, so a command given a model's name knows which one you mean.`,
      )
    }
    // updatedAt stays: it says when the weights last changed (the list's order, the Latent view's cached map).
    const metadata = { ...record.metadata, name }
    // Weights are hard-linked into the new version, so renaming a large model costs no copy.
    await writing(`rename the model "${record.metadata.name}"`, true, () =>
      commitVersion(record.folder, metadata, { linkFrom: record.versionFolder }),
    )
    return readRecord(record.folder)
  }

  /** The store folder `remove` deletes: by id without reading it, so a model folder that cannot be read can go too. */
  async function folderToRemove(ref: string): Promise<string> {
    const wanted = ref.trim()
    if (ID_PATTERN.test(wanted) && (await isDirectory(join(modelsFolder, wanted)))) return join(modelsFolder, wanted)
    const record = await get(ref)
    if (record.folder !== join(modelsFolder, record.id)) {
      throw new BottleneckError('INVALID_INPUT', `${record.folder} is not in the store; Bottleneck only removes its own models.`)
    }
    return record.folder
  }

  async function remove(ref: string): Promise<void> {
    const folder = await folderToRemove(ref)
    // Renamed away first, so the model vanishes at once even if deleting its files is interrupted.
    const trash = join(modelsFolder, `.removed-${randomSuffix()}`)
    workFoldersInUse.add(trash)
    try {
      await rename(folder, trash)
      await syncDirectory(modelsFolder)
      await rm(trash, { recursive: true, force: true })
    } finally {
      workFoldersInUse.delete(trash)
    }
  }

  /**
   * Removes the `.new-` and `.removed-` folders a killed save or delete left in the models folder (a whole model's
   * weights each). One is left alone while an operation of this process is on it, while the process named in it is
   * alive, and until it has been untouched for LEFTOVER_AGE_MS. Best effort: a leftover that cannot go now stays
   * for the next look.
   */
  async function removeLeftovers(): Promise<void> {
    const names = await readdir(modelsFolder).catch(() => [] as string[])
    for (const name of names) {
      const match = WORK_FOLDER_PATTERN.exec(name)
      const path = join(modelsFolder, name)
      if (!match || workFoldersInUse.has(path)) continue
      const pid = Number(match[1])
      if (pid !== process.pid && isRunning(pid)) continue
      if (Date.now() - (await lastChange(path)) < LEFTOVER_AGE_MS) continue
      workFoldersInUse.add(path)
      try {
        await rm(path, { recursive: true, force: true })
      } catch {
        // Still there next time; a leftover is never worth failing the listing for.
      } finally {
        workFoldersInUse.delete(path)
      }
    }
  }

  async function restoreVersion(id: string): Promise<ModelRecord> {
    if (!ID_PATTERN.test(id)) throw new BottleneckError('INVALID_INPUT', `"${id.slice(0, 40)}" is not a model id.`)
    const folder = join(modelsFolder, id)
    if (!(await isDirectory(folder))) {
      throw new BottleneckError('MODEL_NOT_FOUND', `No model "${id}" in ${storeRoot} (it may have been deleted).`)
    }
    const pointer = join(folder, POINTER)
    const alreadyWorks = (text = '') =>
      new BottleneckError(
        'INVALID_INPUT',
        `The model in ${folder} already points to a version it holds (${text.trim()}); nothing was changed.`,
      )
    const nothingToRestore = () =>
      new BottleneckError('MODEL_CORRUPT', `The model in ${folder} has no complete saved version to restore.`)
    const before = await readPointer(folder, pointer)
    if (before.works) throw alreadyWorks(before.text)
    if (!(await newestCompleteVersion(folder))) throw nothingToRestore()
    const aside = join(folder, `.${POINTER}-${randomSuffix()}.tmp`)
    const replacement = join(folder, `.${randomSuffix()}.tmp`)
    await writing(`restore the model in ${folder}`, false, async () => {
      if (before.text !== undefined) {
        // Moved aside rather than overwritten: a save in another process may have written a good pointer since it
        // was read, and that one must stay.
        let moved: { text?: string; works: boolean } = { works: false }
        try {
          await rename(pointer, aside)
          moved = await readPointer(folder, aside)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        }
        if (moved.works) {
          await createOnly(aside, pointer)
          await rm(aside, { force: true })
          throw alreadyWorks(moved.text)
        }
        await rm(aside, { force: true })
      }
      // Looked for again now the broken pointer is out of the way: a save that finished meanwhile counts.
      const version = await newestCompleteVersion(folder)
      if (!version) throw nothingToRestore()
      try {
        await writeDurable(replacement, `${version}\n`)
        // Created only where there is none, so a pointer a save writes meanwhile is kept.
        await createOnly(replacement, pointer)
      } finally {
        await rm(replacement, { force: true }).catch(() => undefined)
      }
      await syncDirectory(folder)
    })
    return readRecord(folder)
  }

  async function exportModel(ref: string, destination: string): Promise<string> {
    const record = await get(ref)
    await checkExportable(record)
    const target = resolve(destination)
    if (await exists(target)) throw new BottleneckError('INVALID_INPUT', `${target} already exists; choose a new folder.`)
    const folder = dirname(target)
    const temp = join(folder, `.${basename(target)}.${randomSuffix()}.tmp`)
    try {
      // Not recursive: the folder the user chose must exist (and a recursive mkdir under /proc never returns).
      await mkdir(temp)
      for (const name of [...MODEL_FILES, ...OPTIONAL_FILES]) {
        if (await exists(join(record.versionFolder, name))) await copyFile(join(record.versionFolder, name), join(temp, name))
      }
      await syncDirectory(temp)
      await rename(temp, target)
    } catch (error) {
      // Cleaning up fails the same way in an unusable folder (ENOTDIR under a file): the first error is the one to tell.
      await rm(temp, { recursive: true, force: true }).catch(() => undefined)
      throw new BottleneckError(
        'STORE_ERROR',
        `Could not export "${record.metadata.name}" into ${folder}: ${await fileSystemReason(error, folder)}.`,
        error,
      )
    }
    return target
  }

  /**
   * Refuses to export a version whose files fail the checks `load` and `import` make on them (weights as long as
   * model.json says, all finite): the copy would only fail later, at its import, far from the cause.
   */
  async function checkExportable(record: ModelRecord): Promise<void> {
    try {
      await readModelArtifacts(record.versionFolder, record.folder)
    } catch (error) {
      if (!(error instanceof BottleneckError)) throw error
      throw new BottleneckError(
        'MODEL_CORRUPT',
        `"${record.metadata.name}" was not exported: its saved files are damaged, so a copy could not be imported. ${error.message}`,
        error,
      )
    }
  }

  async function importModel(source: string): Promise<ModelRecord> {
    const folder = resolve(source)
    const found = await stat(folder).catch(() => undefined)
    if (!found) throw new BottleneckError('INVALID_INPUT', `${folder} does not exist.`)
    if (!found.isDirectory()) {
      throw new BottleneckError('INVALID_INPUT', `${folder} is a file; choose the model's folder (the one holding bottleneck.json).`)
    }
    const record = await readRecord(folder)
    // Load once to prove the weights are complete before anything lands in the store.
    ;(await loadChecked(record)).dispose()
    const id = newId()
    const name = await freeName(record.metadata.name)
    const metadata = { ...record.metadata, id, name, updatedAt: new Date().toISOString() }
    return writing(`import ${source}`, false, async () =>
      readRecord(await createModelFolder(id, metadata, { linkFrom: record.versionFolder })),
    )
  }

  return {
    root: storeRoot,
    list,
    get,
    currentVersion,
    modelsState,
    modelState: async (id) => (ID_PATTERN.test(id) ? modelState(id) : undefined),
    load,
    restoreOptimizer: async (record, optimizer, onDamaged) => {
      const outcome = await restoreOptimizerState(record.versionFolder, optimizer)
      if (outcome === 'restored') return true
      if (outcome !== 'none') {
        onDamaged?.(
          `The optimizer state saved with "${record.metadata.name}" is damaged (${outcome.damaged}); the model's weights ` +
            'are fine, so training resumes with fresh Adam moment estimates (the next checkpoint saves a new optimizer state).',
        )
      }
      return false
    },
    save,
    checkCanSave,
    rename: renameModel,
    remove,
    restoreVersion,
    export: exportModel,
    import: importModel,
  }
}

/** Why a file-system call failed, as the middle of a sentence about `folder` (the one the user knows). */
async function fileSystemReason(error: unknown, folder: string): Promise<string> {
  const aboutFolder = folderFailureReason(error, folder)
  if (aboutFolder) return aboutFolder
  const { code, path, syscall } = error as NodeJS.ErrnoException
  switch (code) {
    case 'ENOENT': {
      const parent = path && (syscall === 'mkdir' || syscall === 'open') ? dirname(path) : undefined
      return (parent && noNewFilesReason(parent)) || `${folder} does not exist`
    }
    case 'ENOTDIR':
    case 'EEXIST': {
      // A file where a folder must be (the store given as a file's path). An existing file that open() refuses to
      // overwrite is a collision with another save instead: the generic sentence below.
      const file = path && (code === 'ENOTDIR' || syscall === 'mkdir') ? await fileInTheWay(path) : undefined
      if (file) return `${file} is not a folder`
      break
    }
  }
  return `the file system refused (${code ?? (error as Error).message})`
}

/**
 * Building a model costs what its config asks for: a damaged inputShape of 3000×3000 makes a dense layer of 9 million
 * inputs (seconds and gigabytes) before its weights could refuse it. model.json records the input the weights were
 * saved for; read as data only, it refuses a mismatch before anything is built.
 */
function assertInputMatchesModelJson(record: ModelRecord, modelTopology: unknown): void {
  const saved = savedInputShape(modelTopology)
  const wanted = record.metadata.config.inputShape
  if (!saved || saved.every((size, axis) => size === null || size === wanted[axis])) return
  const [height, width, channels] = saved
  const savedText =
    height === null || width === null
      ? `images of any size with ${channels} channel${channels === 1 ? '' : 's'}`
      : `${height}×${width}×${channels} images`
  throw new BottleneckError(
    'MODEL_CORRUPT',
    `The model in ${record.folder} cannot be loaded: model.json does not match its own configuration (bottleneck.json): ` +
      `its input layer takes ${savedText} where the configuration asks for ${wanted.join('×')} images.`,
  )
}

/** Height, width and channels; null where the layer takes any size (a U-Net's height and width). */
type SavedInputShape = [number | null, number | null, number | null]

/** The input layer's shape in model.json's modelTopology, or undefined when it records none that can be read. */
function savedInputShape(modelTopology: unknown): SavedInputShape | undefined {
  type Layer = { name?: unknown; class_name?: unknown; config?: { batch_input_shape?: unknown } } | null
  type Graph = { layers?: unknown; input_layers?: unknown } | undefined
  const topology = modelTopology as { model_config?: { config?: Graph }; config?: Graph } | null | undefined
  const graph = topology?.model_config?.config ?? topology?.config
  if (!Array.isArray(graph?.layers)) return undefined
  const inputName = Array.isArray(graph.input_layers) ? (graph.input_layers[0] as unknown[] | undefined)?.[0] : undefined
  const input = (graph.layers as Layer[]).find(
    (layer) => layer?.class_name === 'InputLayer' && (inputName === undefined || layer.name === inputName),
  )
  const shape = input?.config?.batch_input_shape
  if (!Array.isArray(shape) || shape.length !== 4) return undefined
  const size = (value: unknown) => (typeof value === 'number' ? value : null)
  return [size(shape[1]), size(shape[2]), size(shape[3])]
}

/** Where bottleneck.json fails its schema, as a sentence naming the field a person would look for. */
function damagedField(parsed: unknown, path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'it does not describe a model'
  // "config.inputShape", not "config.inputShape.0": the field as it reads in the file.
  const end = path.findIndex((key) => typeof key === 'number')
  const field = path.slice(0, end === -1 ? undefined : Math.max(end, 1)).map(String).join('.')
  let value: unknown = parsed
  for (const key of path) value = (value as Record<PropertyKey, unknown> | null | undefined)?.[key]
  return `its "${field}" is ${value === undefined ? 'missing' : 'not valid'}`
}

function newId(): string {
  return randomBytes(6).toString('hex')
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  // link() on a symlink links the symlink itself, which would point out of the store: keep a copy of its target.
  if ((await lstat(from)).isSymbolicLink()) return copyFile(from, to)
  try {
    await link(from, to)
  } catch {
    await copyFile(from, to)
  }
}
