// Datasets the Train view can use: MNIST built in, plus folders the user added through the contract, and the
// sentence that says what an added one holds.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { DatasetSummary, ModelDetail, ModelSummary } from '@contract'
import { useApi } from '@renderer/api'

/** Image files named in the notice before the rest are only counted. */
const UNREADABLE_NAMED = 3

const count = (value: number) => value.toLocaleString('en')
const images = (value: number) => `${count(value)} ${value === 1 ? 'image' : 'images'}`

/**
 * What the notice says once a dataset is added. An image folder's counts are patches cut at random from its images
 * (what training uses), so its image files are counted apart, and the ones that cannot be read are named.
 */
export function describeAddedDataset(dataset: DatasetSummary): string {
  const { name, width, height, trainCount, testCount, imageFiles } = dataset
  if (!imageFiles)
    return `Added dataset "${name}" (${count(trainCount)} training and ${count(testCount)} test images).`
  const { found, unreadableCount, unreadable } = imageFiles
  let skipped = ''
  if (unreadableCount > 0) {
    const named = unreadable.slice(0, UNREADABLE_NAMED).map((entry) => entry.file)
    const more = unreadableCount - named.length
    const list = more > 0 ? `${named.join(', ')} and ${count(more)} more` : named.join(', ')
    skipped = `; ${count(unreadableCount)} cannot be read and ${unreadableCount === 1 ? 'is' : 'are'} skipped (${list})`
  }
  const readable = found - unreadableCount
  const source =
    unreadableCount === 0
      ? found === 1
        ? 'it'
        : 'them'
      : `the ${readable === 1 ? 'one' : count(readable)} that can be read`
  const gifs = imageFiles.gifsLeftOut ?? 0
  // The back end's reason, in the app's words: a GIF's palette would teach a denoiser its dither.
  const gifNote =
    gifs === 0
      ? ''
      : ` ${gifs === 1 ? 'One GIF file is' : `${count(gifs)} GIF files are`} left out: a GIF's 256 colours dither a photo, and a denoiser would learn the dither. Save ${gifs === 1 ? 'it' : 'them'} as PNG to use ${gifs === 1 ? 'it' : 'them'}.`
  return (
    `Added dataset "${name}": ${images(found)} found${skipped}. ` +
    `Training uses ${count(trainCount)} random ${width}×${height} patches of ${source}, and tests on ${count(testCount)} more.` +
    gifNote
  )
}

/**
 * The line under the Train view's dataset: the size training sees and how many of them, the first `trainLimit` when
 * that is fewer. An image folder's are patches cut from its readable images, which it counts apart.
 */
export function describeDatasetContents(dataset: DatasetSummary, trainLimit: number | null): string {
  const { width, height, channels, trainCount, testCount, imageFiles } = dataset
  const training =
    trainLimit !== null && trainLimit < trainCount
      ? `${count(trainLimit)} of ${count(trainCount)}`
      : count(trainCount)
  const size = `${width}×${height}×${channels}`
  if (dataset.kind !== 'folder') return `${size}, ${training} training / ${count(testCount)} test images`
  // A folder listed before its image files were counted says only that its counts are patches.
  const source = imageFiles ? ` cut from ${images(imageFiles.found - imageFiles.unreadableCount)}` : ''
  return `${size} patches${source}: ${training} training / ${count(testCount)} test`
}

/**
 * What an image folder is cut to for a model: patches of its input. A folder added in the app is listed at 64×64, but
 * the CLI trains on any --patch-size. Null for an input no folder is cut to (not square, or not 1 or 3 channels).
 */
export function folderPatchesFor(
  model: Pick<ModelSummary, 'inputShape'>,
): { patchSize: number; channels: 1 | 3 } | null {
  const [height, width, channels] = model.inputShape
  return height === width && (channels === 1 || channels === 3) ? { patchSize: height, channels } : null
}

export const useDatasetsStore = defineStore('datasets', () => {
  const datasets = ref<DatasetSummary[]>([])
  const loaded = ref(false)

  async function refresh(): Promise<void> {
    datasets.value = await useApi().datasets.list()
    loaded.value = true
  }

  async function addFolder(kind: 'idx' | 'folder', path?: string): Promise<DatasetSummary | null> {
    const api = useApi()
    const payload = path ? { path } : {}
    const added =
      kind === 'idx' ? await api.datasets.addIdxFolder(payload) : await api.datasets.addImageFolder(payload)
    if (added) await refresh()
    return added
  }

  /** Takes an added dataset off the list (its files stay) and reloads the list. */
  async function remove(id: string): Promise<void> {
    await useApi().datasets.remove({ id })
    await refresh()
  }

  /** The listed dataset whose id, else whose display name, is `reference` (case-insensitively). */
  function findByReference(reference: string): DatasetSummary | undefined {
    const wanted = reference.toLowerCase()
    return (
      datasets.value.find((d) => d.id.toLowerCase() === wanted) ??
      datasets.value.find((d) => d.name.toLowerCase() === wanted)
    )
  }

  /**
   * The listed dataset a model was trained on, null when there is none (a folder the CLI trained on that was never
   * added here). The service names it by `datasetId` when it matched it by folder; the list is read again when it
   * does not hold that one yet (added in another window). Without it, the model's `dataset` is matched as an id or
   * name: the CLI's name for a folder, "/photos (supervised denoising)", is neither, and is never sent as an id.
   */
  async function trainedOn(
    model: Pick<ModelDetail, 'dataset' | 'datasetId'>,
  ): Promise<DatasetSummary | null> {
    const { datasetId } = model
    const listed = () =>
      datasetId ? datasets.value.find((d) => d.id === datasetId) : findByReference(model.dataset)
    if (!loaded.value || (datasetId && !listed())) await refresh()
    return listed() ?? null
  }

  return { datasets, loaded, refresh, addFolder, remove, trainedOn }
})
