// Picks the transport once at start: the preload's `window.api` in Electron, otherwise the WebSocket client that
// talks to `npm run serve`. Everything else in the renderer calls `useApi()` and never knows which one it got.
import type { BottleneckApi } from '@contract'

let current: BottleneckApi | null = null

/** Installs the API (tests install a fake). */
export function setApi(api: BottleneckApi | null): void {
  current = api
}

export function useApi(): BottleneckApi {
  if (!current) throw new Error('The Bottleneck API is not connected yet.')
  return current
}

export function hasApi(): boolean {
  return current !== null
}

/** Connects to whichever back end serves this window. Throws a user-facing error when none is reachable. */
export async function connectApi(): Promise<BottleneckApi> {
  if (window.api) {
    current = window.api
    return current
  }
  const { connectWebSocketApi } = await import('./websocket')
  current = await connectWebSocketApi()
  return current
}
