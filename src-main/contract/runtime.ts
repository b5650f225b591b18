// The runtime half of the contract that needs no schema library: call and event names, the ApiError clients
// throw, createApi (which both the preload and the WebSocket client use) and the IPC channel names. Kept free of
// zod so the sandboxed preload bundles only this; ./index re-exports all of it and checks the names match.
import type { BottleneckApi, CallName, ContractErrorShape, EventName } from './index'

type Unsubscribe = () => void

/** Every call, as `namespace.method`; ./index proves at compile time that this matches its schemas. */
export const CALL_NAMES = [
  'models.list',
  'models.get',
  'models.rename',
  'models.delete',
  'models.restoreVersion',
  'models.import',
  'models.export',
  'datasets.builtIns',
  'datasets.list',
  'datasets.addIdxFolder',
  'datasets.addImageFolder',
  'datasets.remove',
  'datasets.previewSamples',
  'training.start',
  'training.cancel',
  'training.resume',
  'training.status',
  'training.presets',
  'inference.prepare',
  'inference.encode',
  'inference.decode',
  'inference.reconstruct',
  'inference.denoise',
  'inference.denoiseImage',
  'inference.cancelDenoise',
  'inference.denoiseResult',
  'latent.map',
  'latent.samples',
  'latent.interpolate',
  'latent.generate',
  'system.backend',
  'system.versions',
  'system.paths',
] as const satisfies readonly CallName[]

export const EVENT_NAMES = [
  'models.onChanged',
  'training.onBatchProgress',
  'training.onEpochEnd',
  'training.onDone',
  'training.onError',
  'training.onWarning',
  'inference.onDenoiseProgress',
  'inference.onDenoiseDone',
  'files.onSaved',
] as const satisfies readonly EventName[]

const callNameSet: ReadonlySet<string> = new Set(CALL_NAMES)
const eventNameSet: ReadonlySet<string> = new Set(EVENT_NAMES)

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && callNameSet.has(name)
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && eventNameSet.has(name)
}

/** What every client (preload, WebSocket) throws when a call fails: `code` to switch on, `message` to show. */
export class ApiError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = 'ApiError'
    this.code = code
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError
}

/** True for an ApiError and for the plain `{ code, message }` a preload call rejects with (see createApi). */
export function isApiErrorLike(error: unknown): error is { code: string; message: string } {
  if (error instanceof ApiError) return true
  if (typeof error !== 'object' || error === null) return false
  const { code, message } = error as { code?: unknown; message?: unknown }
  return typeof code === 'string' && typeof message === 'string'
}

/** How a result crosses IPC and the WebSocket: never a thrown error (Electron would mangle its message). */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ContractErrorShape }

/** The two primitives a transport provides; `createApi` turns them into the namespaced API. */
export interface Transport {
  /** Sends one call; resolves with the envelope (never rejects for a failed call, only for a broken transport). */
  invoke(name: CallName, payload: unknown): Promise<Envelope<unknown>>
  /** Subscribes to one event; returns the unsubscribe function. */
  subscribe(name: EventName, listener: (payload: unknown) => void): Unsubscribe
}

/**
 * Builds `api.models.list()` … from a transport, unwrapping envelopes into values or thrown ApiErrors.
 * `makeError` exists for the preload: Electron's contextBridge drops an Error's custom fields (our `code`), so
 * there a failed call rejects with a plain `{ name: 'ApiError', code, message }` object instead. Check failures
 * with `isApiErrorLike`, which accepts both forms.
 */
export function createApi(
  transport: Transport,
  makeError: (code: string, message: string) => unknown = (code, message) => new ApiError(code, message),
): BottleneckApi {
  const api: Record<string, Record<string, unknown>> = {}
  for (const name of CALL_NAMES) {
    const [namespace, method] = name.split('.') as [string, string]
    api[namespace] ??= {}
    api[namespace][method] = async (payload?: unknown) => {
      const envelope = await transport.invoke(name, payload ?? {})
      if (envelope.ok) return envelope.value
      throw makeError(envelope.error.code, envelope.error.message)
    }
  }
  for (const name of EVENT_NAMES) {
    const [namespace, method] = name.split('.') as [string, string]
    api[namespace] ??= {}
    api[namespace][method] = (listener: (payload: unknown) => void) => transport.subscribe(name, listener)
  }
  return api as unknown as BottleneckApi
}

/** IPC channel names (Electron): one prefix so the main process can refuse anything else. */
export const IPC_PREFIX = 'bottleneck:'
export const IPC_EVENT_CHANNEL = 'bottleneck:event'
export function ipcChannel(name: CallName): string {
  return `${IPC_PREFIX}${name}`
}

/** WebSocket frames (web shell): JSON text, one message per frame. */
export type WsRequest = { type: 'call'; id: number; name: CallName; payload: unknown }
export type WsResponse = { type: 'result'; id: number; envelope: Envelope<unknown> }
export type WsEvent = { type: 'event'; name: EventName; payload: unknown }
