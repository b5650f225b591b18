// The main window and the rules every web contents lives by: secure webPreferences written out literally,
// no navigation away from the app, no new windows, no webviews, every permission request denied, strict CSP.
import { BrowserWindow, app, session, type Rectangle, type WebContents } from 'electron'

export const APP_SCHEME = 'app'
export const APP_HOST = 'bottleneck'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

/** The renderer's CSP. `devServer` (electron-vite dev) adds its origin and HMR socket, nothing more. */
export function contentSecurityPolicy(devServer?: string): string {
  const dev = devServer ? new URL(devServer) : undefined
  const devSources = dev ? ` ${dev.origin} ws://${dev.host}` : ''
  return [
    "default-src 'self'",
    `script-src 'self'${dev ? ` ${dev.origin}` : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${devSources}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** Only our own pages: the app:// origin, or the dev server's origin during `electron-vite dev`. */
export function createAppUrlCheck(devServer?: string): (url: string) => boolean {
  const devOrigin = devServer ? new URL(devServer).origin : undefined
  return (url) => {
    try {
      const parsed = new URL(url)
      // Node's URL gives custom schemes the origin "null", so app:// is matched by scheme and host instead.
      if (parsed.protocol === `${APP_SCHEME}:`) return parsed.host === APP_HOST
      return devOrigin !== undefined && parsed.origin === devOrigin
    } catch {
      return false
    }
  }
}

export interface MainWindowOptions {
  preload: string
  bounds?: Partial<Rectangle>
  isAppUrl: (url: string) => boolean
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: options.bounds?.width ?? 1280,
    height: options.bounds?.height ?? 820,
    x: options.bounds?.x,
    y: options.bounds?.y,
    // The renderer's body has the same minimum (styles.css): a narrower window would cut off the right edge.
    minWidth: 1024,
    minHeight: 600,
    show: false,
    title: 'Bottleneck',
    backgroundColor: '#111318',
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Middle-click (auxclick) on a link would otherwise ask for a new window; denied anyway, but not even asked.
      disableBlinkFeatures: 'Auxclick',
    },
  })
  window.once('ready-to-show', () => window.show())
  return window
}

/** Locks down every web contents the app ever creates (windows, devtools, anything a bug might open). */
export function hardenWebContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
}

/** Denies every permission (camera, notifications, …) for the default session and sets the CSP header. */
export function hardenSession(devServer?: string): void {
  const defaultSession = session.defaultSession
  defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  defaultSession.setPermissionCheckHandler(() => false)
  const policy = contentSecurityPolicy(devServer)
  // Covers the dev server's responses; app:// responses carry the header from the protocol handler.
  defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } })
  })
}

export function installHardening(isAppUrl: (url: string) => boolean, devServer?: string): void {
  hardenSession(devServer)
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, isAppUrl))
}
