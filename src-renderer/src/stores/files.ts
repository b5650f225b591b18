// How the files the user exported (PNG, CSV…) were saved, as the desktop app reports each one: where it went, or that
// it was not saved and why. The web build never hears of its saves; the browser keeps them with its downloads.
import { defineStore } from 'pinia'
import { useApi } from '@renderer/api'
import { useNotificationsStore } from './notifications'

export const useFilesStore = defineStore('files', () => {
  let watching = false

  /** Follows files.onSaved for the whole session; call once the API is connected. */
  function watchSaves(): void {
    if (watching) return
    watching = true
    const notifications = useNotificationsStore()
    useApi().files.onSaved((save) => {
      // A cancelled save is the user's own doing (they closed the save dialog): nothing to tell them.
      if (save.outcome === 'saved') notifications.success(`Saved ${save.fileName} to ${save.path}.`)
      else if (save.outcome === 'failed')
        notifications.push({ kind: 'error', message: `${save.fileName} was not saved. ${save.reason}` })
    })
  }

  return { watchSaves }
})
