// registerIpc(): the one place where contract calls are bound to Electron IPC. Every handler goes through one
// wrapper that refuses senders other than our own top-level frame and lets the service parse the payload.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { CALL_NAMES, ipcChannel, IPC_EVENT_CHANNEL, type Envelope } from '../../contract/index'
import type { Service } from '../../service/types'

export interface IpcOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>
  service: Service
  /** True when `url` is a page of our renderer (the app:// scheme or, in development, the dev server). */
  isAppUrl: (url: string) => boolean
  /** The web contents we created; events go only to these. */
  trustedContents: () => WebContents[]
  log?: (message: string) => void
}

/** Our own top-level frame showing our own page, in a window we created; nothing else may call. */
export function isTrustedSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  trustedContents: WebContents[],
  isAppUrl: (url: string) => boolean,
): boolean {
  const frame = event.senderFrame
  if (!frame) return false
  if (frame.parent !== null) return false
  if (!trustedContents.includes(event.sender)) return false
  return isAppUrl(frame.url)
}

let registered = false

/** Binds every call once; calling it again is a programming error (double handlers throw in Electron). */
export function registerIpc(options: IpcOptions): () => void {
  if (registered) throw new Error('registerIpc() was already called')
  registered = true
  const log = options.log ?? ((message: string) => console.warn(message))
  for (const name of CALL_NAMES) {
    options.ipcMain.handle(
      ipcChannel(name),
      async (event: IpcMainInvokeEvent, payload: unknown): Promise<Envelope<unknown>> => {
        if (!isTrustedSender(event, options.trustedContents(), options.isAppUrl)) {
          log(`[ipc] refused ${name} from ${event.senderFrame?.url ?? 'an unknown frame'}`)
          return { ok: false, error: { code: 'FORBIDDEN', message: 'This window may not call Bottleneck.' } }
        }
        return options.service.handle(name, payload)
      },
    )
  }
  const unsubscribe = options.service.onEvent((message) => {
    for (const contents of options.trustedContents()) {
      if (!contents.isDestroyed()) contents.send(IPC_EVENT_CHANNEL, message)
    }
  })
  return () => {
    unsubscribe()
    for (const name of CALL_NAMES) options.ipcMain.removeHandler(ipcChannel(name))
    registered = false
  }
}
