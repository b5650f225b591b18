// The model list and its operations (rename, delete, restore, import, export), plus the model Draw and Compare use.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ApiError, hasCodeLayer, type ModelDetail, type ModelSummary, type UnreadableModel } from '@contract'
import { useApi } from '@renderer/api'
import { toUserError } from '@renderer/api/errors'
import { modelSortToken, parseModelSort, type ModelSort } from '@renderer/lib/model-sort'

const ACTIVE_KEY = 'bottleneck.activeModel'
/** How the Models view orders its table; kept here so the choice outlives the view and the session. */
const SORT_KEY = 'bottleneck.modelsSort'

// The back end refuses to rename or delete the model it is training, in these words; the UI says so up front.
export const RENAME_WHILE_TRAINING = 'This model is training; rename it when the training ends.'
export const DELETE_WHILE_TRAINING = 'This model is training; cancel the training first.'
/** A model deleted since the list was shown (in another window, or its folder by hand), in the UI's words: the
 * back end's are the CLI's ("run `bottleneck models`"). */
const MODEL_GONE = 'This model is no longer in the store; it may have been deleted in another window.'

/** Draw works on single-channel 28×28 models only: that is what a drawn digit becomes. */
export function isDrawable(model: Pick<ModelSummary, 'inputShape'>): boolean {
  const [height, width, channels] = model.inputShape
  return height === 28 && width === 28 && channels === 1
}

/** U-Net style models pass features through skips and have no single code layer: nothing to encode. */
export function hasCode(model: Pick<ModelSummary, 'architecture'>): boolean {
  return hasCodeLayer(model.architecture)
}

export const useModelsStore = defineStore('models', () => {
  const models = ref<ModelSummary[]>([])
  /** Model folders the back end cannot read: only the Models view shows them, to offer their deletion or restore. */
  const unreadable = ref<UnreadableModel[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  const details = ref<Record<string, ModelDetail>>({})
  const activeModelId = ref<string | null>(readStored(ACTIVE_KEY))
  const sort = ref<ModelSort>(parseModelSort(readStored(SORT_KEY)))

  const activeModel = computed(() => models.value.find((m) => m.id === activeModelId.value) ?? null)
  const drawableModels = computed(() => models.value.filter(isDrawable))

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      const listed = await useApi().models.list()
      models.value = listed.models
      unreadable.value = listed.unreadable
      loaded.value = true
      if (activeModelId.value && !models.value.some((m) => m.id === activeModelId.value)) setActive(null)
    } finally {
      loading.value = false
    }
  }

  async function detail(id: string, force = false): Promise<ModelDetail> {
    const cached = details.value[id]
    if (cached && !force) return cached
    // A model whose folder was removed by hand (no event tells of that) leaves the lists when its page finds it gone.
    const fetched = await aboutModel(id, () => useApi().models.get({ id }))
    details.value = { ...details.value, [id]: fetched }
    return fetched
  }

  /** Runs a call about model `id`; a model found gone leaves the lists and fails with MODEL_GONE. */
  async function aboutModel<T>(id: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      if (toUserError(error).code !== 'MODEL_NOT_FOUND') throw error
      forget(id)
      throw new ApiError('MODEL_NOT_FOUND', MODEL_GONE)
    }
  }

  async function rename(id: string, name: string): Promise<ModelSummary> {
    const updated = await aboutModel(id, () => useApi().models.rename({ id, name }))
    models.value = models.value.map((m) => (m.id === id ? updated : m))
    const cached = details.value[id]
    if (cached) details.value = { ...details.value, [id]: { ...cached, name: updated.name } }
    return updated
  }

  async function remove(id: string): Promise<void> {
    try {
      await useApi().models.delete({ id })
    } catch (error) {
      // Deleted already (in another window): what was asked for is done.
      if (toUserError(error).code !== 'MODEL_NOT_FOUND') throw error
    }
    forget(id)
    const { [id]: _removed, ...rest } = details.value
    details.value = rest
  }

  /**
   * Points an unreadable folder's model at its saved version again: the folder leaves the unreadable list and the
   * model joins the list. A refusal means the folder changed since it was listed (repaired or restored elsewhere, or
   * its saved version gone too), so the list is read again before the refusal is passed on.
   */
  async function restoreVersion(id: string): Promise<ModelSummary> {
    let restored: ModelSummary
    try {
      restored = await aboutModel(id, () => useApi().models.restoreVersion({ id }))
    } catch (error) {
      const { code } = toUserError(error)
      if (code === 'INVALID_INPUT' || code === 'MODEL_CORRUPT') await refresh().catch(() => undefined)
      throw error
    }
    unreadable.value = unreadable.value.filter((entry) => entry.id !== id)
    upsert(restored)
    return restored
  }

  async function importModel(path?: string): Promise<ModelSummary | null> {
    const imported = await useApi().models.import(path ? { path } : {})
    if (imported) await refresh()
    return imported
  }

  async function exportModel(id: string, path?: string): Promise<string | null> {
    const result = await aboutModel(id, () => useApi().models.export(path ? { id, path } : { id }))
    return result?.path ?? null
  }

  /** Drops a deleted model (readable or not) from the lists. */
  function forget(id: string): void {
    models.value = models.value.filter((m) => m.id !== id)
    unreadable.value = unreadable.value.filter((entry) => entry.id !== id)
    if (activeModelId.value === id) setActive(null)
  }

  function setActive(id: string | null): void {
    activeModelId.value = id
    try {
      if (id) localStorage.setItem(ACTIVE_KEY, id)
      else localStorage.removeItem(ACTIVE_KEY)
    } catch {
      // Storage may be disabled; the choice then lasts for this session only.
    }
  }

  function setSort(next: ModelSort): void {
    sort.value = next
    try {
      localStorage.setItem(SORT_KEY, modelSortToken(next))
    } catch {
      // Storage may be disabled; the order then lasts for this session only.
    }
  }

  /** The active model if it suits `filter`, else the newest one that does. */
  function pickModel(filter: (m: ModelSummary) => boolean = () => true): ModelSummary | null {
    const active = activeModel.value
    if (active && filter(active)) return active
    return models.value.find(filter) ?? null
  }

  let watching = false
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  /** Follows the back end's models.onChanged (saves each epoch, renames elsewhere…), coalescing bursts into one reload. */
  function watchChanges(onError: (error: unknown) => void): void {
    if (watching) return
    watching = true
    useApi().models.onChanged((change) => {
      if (change.reason === 'deleted') forget(change.id)
      const { [change.id]: _stale, ...rest } = details.value
      details.value = rest
      clearTimeout(refreshTimer)
      refreshTimer = setTimeout(() => refresh().catch(onError), 150)
    })
  }

  /** Adds or updates a model that training just created, without a full reload. */
  function upsert(model: ModelSummary): void {
    const index = models.value.findIndex((m) => m.id === model.id)
    if (index >= 0) models.value = models.value.map((m) => (m.id === model.id ? model : m))
    else models.value = [model, ...models.value]
  }

  return {
    models,
    unreadable,
    loaded,
    loading,
    details,
    activeModelId,
    activeModel,
    drawableModels,
    sort,
    refresh,
    detail,
    rename,
    remove,
    restoreVersion,
    importModel,
    exportModel,
    setActive,
    setSort,
    pickModel,
    upsert,
    watchChanges,
  }
})

function readStored(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}
