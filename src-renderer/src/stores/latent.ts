// The Latent view's state: which model, its map of test codes, the selected point with its reconstruction, the two
// ends of an interpolation and its decoded strip, and a VAE's generated grid. Each request is "latest wins": an
// answer that arrives after the user moved on (another point, another model) is dropped, never shown.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { LatentGrid, LatentInterpolation, LatentMap, LatentSample, ModelSummary } from '@contract'
import { useApi } from '@renderer/api'
import { toUserError } from '@renderer/api/errors'
import { hasCode, useModelsStore } from '@renderer/stores/models'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { forgetGoneModel, isModelGone } from '@renderer/lib/model-gone'

/** How many test images the map may show; 10,000 is MNIST's whole test set. */
export const MAP_SIZES = [1000, 2000, 5000, 10000] as const
export const DEFAULT_STEPS = 10

/** Why a model has no latent space to show, in a sentence; null when it has one. */
export function latentUnavailableReason(model: Pick<ModelSummary, 'architecture'>): string | null {
  if (hasCode(model)) return null
  return `A ${model.architecture} model has no latent space: its skip connections carry the image from encoder to decoder at every resolution, so there is no single code layer whose values could be placed on a map. Pick a dense, sparse, deep, conv, seq2seq or vae model.`
}

/** A counter per kind of request: an answer counts only if no newer request of its kind started since. */
function requestGate() {
  let latest = 0
  return {
    next: () => ++latest,
    isCurrent: (ticket: number) => ticket === latest,
    invalidate: () => void ++latest,
  }
}

export const useLatentStore = defineStore('latent', () => {
  const models = useModelsStore()
  const notifications = useNotificationsStore()

  /** The model chosen here; null until the user or a detail page picks one (then the app's active model is used). */
  const chosenModelId = ref<string | null>(null)
  const mapSize = ref<number>(2000)
  const map = shallowRef<LatentMap | null>(null)
  const mapLoading = ref(false)
  const mapError = ref<string | null>(null)
  /** The model version the map was computed for, so a retrained model's map is refreshed. */
  const mapUpdatedAt = ref<string | null>(null)

  const selectedIndex = ref<number | null>(null)
  const sample = shallowRef<LatentSample | null>(null)
  const sampleLoading = ref(false)
  const sampleError = ref<string | null>(null)

  const fromIndex = ref<number | null>(null)
  const toIndex = ref<number | null>(null)
  const steps = ref(DEFAULT_STEPS)
  /** Which of the strip's images the slider shows (0 = the start's reconstruction). */
  const position = ref(0)
  const interpolation = shallowRef<LatentInterpolation | null>(null)
  const interpolationLoading = ref(false)
  const interpolationError = ref<string | null>(null)

  const gridSide = ref(15)
  /** The prior's probability range the grid spans: from = 1 − to, like the Keras blog's 0.05–0.95. */
  const gridReach = ref(0.95)
  const grid = shallowRef<LatentGrid | null>(null)
  const gridLoading = ref(false)
  const gridError = ref<string | null>(null)

  /** The model every result above belongs to; when the current model differs, they are all dropped. */
  const resultsFor = ref<string | null>(null)

  const mapGate = requestGate()
  const sampleGate = requestGate()
  const interpolationGate = requestGate()
  const gridGate = requestGate()

  const model = computed<ModelSummary | null>(() => {
    // A chosen model that has left the list (deleted here, in another window or on disk) gives way to the one the view
    // picks by itself, not to "none of your models has a latent space".
    const chosen = chosenModelId.value ? models.models.find((m) => m.id === chosenModelId.value) : undefined
    return chosen ?? models.pickModel(hasCode)
  })
  const modelId = computed(() => model.value?.id ?? null)
  const unavailableReason = computed(() => (model.value ? latentUnavailableReason(model.value) : null))
  const isVariational = computed(() => model.value?.architecture === 'vae')
  /** Where the slider stands on the line from start to end, 0 … 1. */
  const fraction = computed(() => (steps.value > 1 ? position.value / (steps.value - 1) : 0))

  /**
   * The sentence for the panel of a request about `about` that failed; null when the model has left the store. That
   * is said in a notification instead: the reloaded model list drops the model and the view moves on to another one,
   * clearing the panels, which would take the sentence with them. Requests that fail together push the same sentence,
   * which the notifications show once.
   */
  function failure(error: unknown, about: ModelSummary): string | null {
    if (!isModelGone(error)) return toUserError(error).message
    void forgetGoneModel(about.id).then((message) =>
      notifications.push({ kind: 'error', code: 'MODEL_NOT_FOUND', message }),
    )
    return null
  }

  function clearResults(): void {
    for (const gate of [mapGate, sampleGate, interpolationGate, gridGate]) gate.invalidate()
    map.value = null
    mapUpdatedAt.value = null
    mapError.value = null
    mapLoading.value = false
    selectedIndex.value = null
    sample.value = null
    sampleError.value = null
    sampleLoading.value = false
    fromIndex.value = null
    toIndex.value = null
    position.value = 0
    interpolation.value = null
    interpolationError.value = null
    interpolationLoading.value = false
    grid.value = null
    gridError.value = null
    gridLoading.value = false
  }

  /** Chooses the model to explore (from the picker or a model's detail page); ensureLoaded starts over with it. */
  function chooseModel(id: string): void {
    chosenModelId.value = id
    models.setActive(id)
  }

  /** Loads whatever the current model needs and does not have yet: its map, and for a VAE its grid. */
  async function ensureLoaded(): Promise<void> {
    const current = model.value
    if (!current || unavailableReason.value) return
    if (resultsFor.value !== current.id) {
      clearResults()
      resultsFor.value = current.id
    } else if (mapUpdatedAt.value !== null && mapUpdatedAt.value !== current.updatedAt) {
      // Retrained since: every picture of the old weights goes, the chosen points stay.
      const keep = { selected: selectedIndex.value, from: fromIndex.value, to: toIndex.value }
      clearResults()
      selectedIndex.value = keep.selected
      fromIndex.value = keep.from
      toIndex.value = keep.to
    }
    const work: Promise<void>[] = []
    if (!map.value && !mapLoading.value) work.push(loadMap())
    if (selectedIndex.value !== null && !sample.value && !sampleLoading.value) work.push(select(selectedIndex.value))
    if (fromIndex.value !== null && toIndex.value !== null && !interpolation.value && !interpolationLoading.value)
      work.push(interpolate())
    if (isVariational.value && !grid.value && !gridLoading.value) work.push(loadGrid())
    await Promise.all(work)
  }

  async function loadMap(): Promise<void> {
    const current = model.value
    if (!current) return
    const ticket = mapGate.next()
    mapLoading.value = true
    mapError.value = null
    try {
      const result = await useApi().latent.map({ id: current.id, limit: mapSize.value })
      if (!mapGate.isCurrent(ticket)) return
      map.value = result
      mapUpdatedAt.value = current.updatedAt
    } catch (error) {
      if (mapGate.isCurrent(ticket)) mapError.value = failure(error, current)
    } finally {
      if (mapGate.isCurrent(ticket)) mapLoading.value = false
    }
  }

  async function setMapSize(size: number): Promise<void> {
    mapSize.value = size
    // Points past the new size are no longer on the map; keep the choices that still are.
    if (selectedIndex.value !== null && selectedIndex.value >= size) {
      selectedIndex.value = null
      sample.value = null
    }
    const endsOffMap = [fromIndex.value, toIndex.value].some((index) => index !== null && index >= size)
    if (fromIndex.value !== null && fromIndex.value >= size) fromIndex.value = null
    if (toIndex.value !== null && toIndex.value >= size) toIndex.value = null
    if (endsOffMap) {
      interpolationGate.invalidate()
      interpolation.value = null
      interpolationError.value = null
    }
    map.value = null
    await loadMap()
  }

  /** Selects test image `index` (a point on the map) and fetches the image, its code and its reconstruction. */
  async function select(index: number): Promise<void> {
    const current = model.value
    if (!current) return
    const ticket = sampleGate.next()
    selectedIndex.value = index
    sampleLoading.value = true
    sampleError.value = null
    try {
      const { samples } = await useApi().latent.samples({ id: current.id, indices: [index] })
      if (!sampleGate.isCurrent(ticket)) return
      sample.value = samples[0] ?? null
    } catch (error) {
      if (sampleGate.isCurrent(ticket)) {
        sample.value = null
        sampleError.value = failure(error, current)
      }
    } finally {
      if (sampleGate.isCurrent(ticket)) sampleLoading.value = false
    }
  }

  function clearSelection(): void {
    sampleGate.invalidate()
    selectedIndex.value = null
    sample.value = null
    sampleError.value = null
    sampleLoading.value = false
  }

  /** Sets one end of the interpolation; once both ends are set, the strip is decoded. */
  async function setEnd(end: 'from' | 'to', index: number | null): Promise<void> {
    if (end === 'from') fromIndex.value = index
    else toIndex.value = index
    interpolation.value = null
    interpolationError.value = null
    if (fromIndex.value !== null && toIndex.value !== null) await interpolate()
    else interpolationGate.invalidate()
  }

  async function swapEnds(): Promise<void> {
    const from = fromIndex.value
    fromIndex.value = toIndex.value
    toIndex.value = from
    if (fromIndex.value !== null && toIndex.value !== null) await interpolate()
  }

  async function setSteps(count: number): Promise<void> {
    steps.value = count
    if (fromIndex.value !== null && toIndex.value !== null) await interpolate()
  }

  async function interpolate(): Promise<void> {
    const current = model.value
    const from = fromIndex.value
    const to = toIndex.value
    if (!current || from === null || to === null) return
    const ticket = interpolationGate.next()
    interpolationLoading.value = true
    interpolationError.value = null
    try {
      const result = await useApi().latent.interpolate({ id: current.id, from, to, steps: steps.value })
      if (!interpolationGate.isCurrent(ticket)) return
      interpolation.value = result
      position.value = Math.min(position.value, result.images.length - 1)
    } catch (error) {
      if (interpolationGate.isCurrent(ticket)) {
        interpolation.value = null
        interpolationError.value = failure(error, current)
      }
    } finally {
      if (interpolationGate.isCurrent(ticket)) interpolationLoading.value = false
    }
  }

  async function loadGrid(): Promise<void> {
    const current = model.value
    if (!current || !isVariational.value) return
    const ticket = gridGate.next()
    gridLoading.value = true
    gridError.value = null
    const reach = gridReach.value
    try {
      const result = await useApi().latent.generate({ id: current.id, n: gridSide.value, from: Number((1 - reach).toFixed(3)), to: reach })
      if (!gridGate.isCurrent(ticket)) return
      grid.value = result
    } catch (error) {
      if (gridGate.isCurrent(ticket)) gridError.value = failure(error, current)
    } finally {
      if (gridGate.isCurrent(ticket)) gridLoading.value = false
    }
  }

  async function setGrid(options: { side?: number; reach?: number }): Promise<void> {
    if (options.side !== undefined) gridSide.value = options.side
    if (options.reach !== undefined) gridReach.value = options.reach
    await loadGrid()
  }

  return {
    chosenModelId,
    model,
    modelId,
    unavailableReason,
    isVariational,
    mapSize,
    map,
    mapLoading,
    mapError,
    selectedIndex,
    sample,
    sampleLoading,
    sampleError,
    fromIndex,
    toIndex,
    steps,
    position,
    fraction,
    interpolation,
    interpolationLoading,
    interpolationError,
    gridSide,
    gridReach,
    grid,
    gridLoading,
    gridError,
    chooseModel,
    ensureLoaded,
    loadMap,
    setMapSize,
    select,
    clearSelection,
    setEnd,
    swapEnds,
    setSteps,
    interpolate,
    loadGrid,
    setGrid,
  }
})
