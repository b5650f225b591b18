// The sandboxed preload: exposes the contract as named functions on `window.api` (`api.models.list()`), each
// bound to its own IPC channel. ipcRenderer itself never crosses the bridge, so the page cannot send arbitrary
// channels or listen to anything but contract events.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { createApi, ipcChannel, isEventName, IPC_EVENT_CHANNEL, type Envelope } from '../contract/runtime'
// Types only (erased at build): the preload bundle must not pull zod in, a sandboxed preload cannot require it.
import type { EventName } from '../contract/index'

const listeners = new Map<EventName, Set<(payload: unknown) => void>>()

// One IPC listener for all events; the page's callbacks never receive the IpcRendererEvent (it holds `sender`).
ipcRenderer.on(
  IPC_EVENT_CHANNEL,
  (_event: IpcRendererEvent, message: { name?: unknown; payload?: unknown }) => {
    if (!isEventName(message?.name)) return
    for (const listener of listeners.get(message.name) ?? []) listener(message.payload)
  },
)

// contextBridge would strip an Error's `code`, so failures cross as plain objects (see createApi).
const api = createApi(
  {
    invoke: (name, payload) => ipcRenderer.invoke(ipcChannel(name), payload) as Promise<Envelope<unknown>>,
    subscribe(name, listener) {
      let set = listeners.get(name)
      if (!set) listeners.set(name, (set = new Set()))
      set.add(listener)
      return () => {
        set.delete(listener)
      }
    },
  },
  (code, message) => ({ name: 'ApiError', code, message }),
)

contextBridge.exposeInMainWorld('api', api)
