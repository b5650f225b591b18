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
    const added = kind === 'idx' ? await api.datasets.addIdxFolder(payload) : await api.datasets.addImageFolder(payload)
    if (added) await refresh()
    return added
  }

  return { datasets, loaded, refresh, addFolder }
})
