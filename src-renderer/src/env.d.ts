// Globals the renderer may see: the preload's `window.api` (Electron only; absent in a plain browser).
import type { BottleneckApi } from '@contract'

declare global {
  interface Window {
    api?: BottleneckApi
  }
}

export {}
