// What the back end runs on (TensorFlow backend, versions, shell) and whether the UI is connected to it.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { BackendInfo, Versions } from '@contract'
import { useApi } from '@renderer/api'
import { toUserError, type UserError } from '@renderer/api/errors'

export const useSystemStore = defineStore('system', () => {
  const backend = ref<BackendInfo | null>(null)
  const versions = ref<Versions | null>(null)
  const connection = ref<'connecting' | 'connected' | 'failed'>('connecting')
  const connectionError = ref<UserError | null>(null)

  async function load(): Promise<void> {
    const api = useApi()
    const [backendResult, versionsResult] = await Promise.allSettled([
      api.system.backend(),
      api.system.versions(),
    ])
    if (backendResult.status === 'fulfilled') backend.value = backendResult.value
    if (versionsResult.status === 'fulfilled') versions.value = versionsResult.value
  }

  function markFailed(error: unknown): void {
    connection.value = 'failed'
    connectionError.value = toUserError(error)
  }

  /** Electron can show native dialogs; the web shell needs typed paths for import, export and datasets. */
  function hasNativeDialogs(): boolean {
    return versions.value?.nativeDialogs ?? false
  }

  return { backend, versions, connection, connectionError, load, markFailed, hasNativeDialogs }
})
