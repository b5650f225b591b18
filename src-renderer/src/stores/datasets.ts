// Datasets the Train view can use: MNIST built in, plus folders the user added through the contract.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { DatasetSummary } from '@contract'
import { useApi } from '@renderer/api'

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

  /**
   * The dataset id for a model's `dataset` field, which holds the dataset's id or its display name depending on
   * who saved the model (CLI or app); matched case-insensitively, falling back to the value itself.
   */
  async function resolveId(reference: string): Promise<string> {
    if (!loaded.value) await refresh()
    const wanted = reference.toLowerCase()
    const match =
      datasets.value.find((d) => d.id.toLowerCase() === wanted) ??
      datasets.value.find((d) => d.name.toLowerCase() === wanted)
    return match?.id ?? reference
  }

  return { datasets, loaded, refresh, addFolder, resolveId }
})
