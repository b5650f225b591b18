// The browser side of the web shell: implements BottleneckApi over one WebSocket (JSON frames), so the renderer
// uses the same `api.models.list()` whether it runs inside Electron (preload) or in a browser (`npm run serve`).
// Pure TypeScript without DOM types: the socket is created by an injectable factory (the browser's WebSocket by
// default, the `ws` package in Node tests).
import {
  createApi,
  isEventName,
  type BottleneckApi,
  type CallName,
  type Envelope,
  type EventName,
  type WsEvent,
  type WsRequest,
  type WsResponse,
} from './index'

/** The part of the WebSocket interface we use; both the browser's and the `ws` package's sockets have it. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onclose: ((event: unknown) => void) | null
  onerror: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
}

export interface WsClientOptions {
  /** ws://host:port/ws; defaults to the page's own origin. The auth cookie set on page load rides along. */
  url?: string
  /** Creates the socket; defaults to the global WebSocket. */
  createSocket?: (url: string) => WebSocketLike
  /** How long one call may take before it fails (training runs are events, so calls are short). */
  callTimeoutMs?: number
  /** Delay before reconnecting after the connection drops. */
  reconnectDelayMs?: number
}

export interface WsClient {
  api: BottleneckApi
  /** Resolves once connected (first connection). */
  ready: Promise<void>
  close(): void
}

const OPEN = 1

/** What each call is doing, in the words a timeout message shows; a call not listed gets a sentence without them. */
const CALL_ACTIVITIES: Partial<Record<CallName, string>> = {
  'models.list': 'listing the models',
  'models.get': 'reading the model',
  'models.rename': 'renaming the model',
  'models.delete': 'deleting the model',
  'models.import': 'importing the model',
  'models.export': 'exporting the model',
  'datasets.builtIns': 'listing the built-in datasets',
  'datasets.list': 'listing the datasets',
  'datasets.addIdxFolder': 'adding the IDX folder',
  'datasets.addImageFolder': 'adding the image folder',
  'datasets.remove': 'removing the dataset from the list',
  'datasets.previewSamples': 'reading sample images',
  'training.start': 'starting the training',
  'training.cancel': 'stopping the training',
  'training.resume': 'resuming the training',
  'training.status': 'reporting the training status',
  'training.presets': 'listing the training presets',
  'inference.prepare': 'loading the model',
  'inference.encode': 'encoding the images',
  'inference.decode': 'decoding the code',
  'inference.reconstruct': 'reconstructing the images',
  'inference.denoise': 'denoising the image',
  'inference.denoiseImage': 'opening the photo to denoise',
  'inference.cancelDenoise': 'stopping the denoising',
  'inference.denoiseResult': 'sending the denoised photo',
  'latent.map': 'making the latent map',
  'latent.samples': 'encoding the chosen test images',
  'latent.interpolate': 'interpolating between the two images',
  'latent.generate': 'generating the grid of images',
  'system.backend': 'reporting its TensorFlow.js backend',
  'system.versions': 'reporting its versions',
  'system.paths': 'reporting its folders',
}

/** "The back end did not answer within 120 s (making the latent map)." */
export function timeoutMessage(name: CallName, timeoutMs: number): string {
  const activity = CALL_ACTIVITIES[name]
  return `The back end did not answer within ${timeoutMs / 1000} s${activity ? ` (${activity})` : ''}.`
}

/** The WebSocket URL of the page that served the renderer, with its token if the URL still carries it. */
export function defaultSocketUrl(location: { protocol: string; host: string; search: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  const token = new URLSearchParams(location.search).get('token')
  return `${scheme}//${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`
}

export function createWsClient(options: WsClientOptions = {}): WsClient {
  const globalScope = globalThis as unknown as {
    WebSocket?: new (url: string) => WebSocketLike
    location?: { protocol: string; host: string; search: string }
  }
  const url = options.url ?? (globalScope.location ? defaultSocketUrl(globalScope.location) : undefined)
  if (!url) throw new Error('createWsClient needs a url outside a browser page')
  const createSocket =
    options.createSocket ??
    ((socketUrl: string) => {
      if (!globalScope.WebSocket) throw new Error('No WebSocket implementation available')
      return new globalScope.WebSocket(socketUrl)
    })
  const callTimeoutMs = options.callTimeoutMs ?? 120_000
  const reconnectDelayMs = options.reconnectDelayMs ?? 1_000

  let socket: WebSocketLike | null = null
  let closedByUser = false
  let nextId = 1
  const pending = new Map<
    number,
    { resolve: (envelope: Envelope<unknown>) => void; timer: ReturnType<typeof setTimeout> }
  >()
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>()
  // Calls made while (re)connecting wait here instead of failing.
  const queue: string[] = []

  let resolveReady!: () => void
  const ready = new Promise<void>((resolve) => (resolveReady = resolve))

  function failAll(code: string, message: string): void {
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer)
      entry.resolve({ ok: false, error: { code, message } })
      pending.delete(id)
    }
  }

  function connect(): void {
    const current = createSocket(url!)
    socket = current
    current.onopen = () => {
      resolveReady()
      while (queue.length > 0 && current.readyState === OPEN) current.send(queue.shift()!)
    }
    current.onmessage = (event) => {
      if (typeof event.data !== 'string') return
      let message: WsResponse | WsEvent
      try {
        message = JSON.parse(event.data) as WsResponse | WsEvent
      } catch {
        return
      }
      if (message.type === 'result') {
        const entry = pending.get(message.id)
        if (!entry) return
        clearTimeout(entry.timer)
        pending.delete(message.id)
        entry.resolve(message.envelope)
      } else if (message.type === 'event' && isEventName(message.name)) {
        for (const listener of listeners.get(message.name) ?? []) listener(message.payload)
      }
    }
    current.onerror = () => {
      // onclose follows; it decides about reconnecting.
    }
    current.onclose = () => {
      if (socket !== current) return
      socket = null
      failAll('DISCONNECTED', 'The connection to Bottleneck was lost. Is `npm run serve` still running?')
      if (!closedByUser) setTimeout(connect, reconnectDelayMs)
    }
  }

  function invoke(name: CallName, payload: unknown): Promise<Envelope<unknown>> {
    const id = nextId++
    const request: WsRequest = { type: 'call', id, name, payload }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        resolve({
          ok: false,
          error: { code: 'TIMEOUT', message: timeoutMessage(name, callTimeoutMs) },
        })
      }, callTimeoutMs)
      pending.set(id, { resolve, timer })
      const frame = JSON.stringify(request)
      if (socket && socket.readyState === OPEN) socket.send(frame)
      else queue.push(frame)
    })
  }

  function subscribe(name: EventName, listener: (payload: unknown) => void): () => void {
    let set = listeners.get(name)
    if (!set) listeners.set(name, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  }

  connect()
  return {
    api: createApi({ invoke, subscribe }),
    ready,
    close() {
      closedByUser = true
      failAll('DISCONNECTED', 'The connection was closed.')
      socket?.close()
    },
  }
}
