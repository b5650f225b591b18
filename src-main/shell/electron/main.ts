// The desktop app's main process: lifecycle, the one window, the app:// protocol that serves the renderer with a
// strict CSP, dialogs, menu, and registerIpc(). It runs no TensorFlow: the service drives two utility processes.
import { join, normalize, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BrowserWindow, Menu, app, dialog, ipcMain, net, protocol, screen, session } from 'electron'
import { createService } from '../../service/index'
import { APP_MODELS_WATCH_MS } from '../../service/models-watch'
import type { Dialogs } from '../../service/types'
import { loadWindowState, saveWindowState, windowStatePath, type WindowState } from './bounds'
import { reportDownloads } from './downloads'
import { registerIpc } from './ipc'
import { buildMenu } from './menu'
import { utilityTrainer } from './utility-transport'
import {
  APP_HOST,
  APP_ORIGIN,
  APP_SCHEME,
  contentSecurityPolicy,
  createAppUrlCheck,
  createMainWindow,
  installHardening,
} from './window'

const here = fileURLToPath(new URL('.', import.meta.url))
const rendererDir = join(here, '../renderer')
const preloadPath = join(here, '../preload/index.cjs')
const trainerEntry = join(here, 'trainer.js')
const devServer = process.env.ELECTRON_RENDERER_URL
const isAppUrl = createAppUrlCheck(devServer)

function log(message: string): void {
  process.stderr.write(`[main pid=${process.pid}] ${message}\n`)
}

// Must happen before `ready`: app:// behaves like https (secure context, fetch, no mixed content).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
])

if (!app.requestSingleInstanceLock()) {
  // A second start only focuses the first window (see 'second-instance').
  app.quit()
} else {
  void start()
}

/** Serves out/renderer on app://bottleneck/ with our CSP; nothing outside that folder is reachable. */
function registerAppProtocol(): void {
  const policy = contentSecurityPolicy()
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url)
    if (url.host !== APP_HOST) return new Response('Not found', { status: 404 })
    const relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)
    const file = normalize(join(rendererDir, relative))
    if (!file.startsWith(rendererDir + sep)) return new Response('Not found', { status: 404 })
    const response = await net.fetch(pathToFileURL(file).toString())
    const headers = new Headers(response.headers)
    headers.set('Content-Security-Policy', policy)
    headers.set('X-Content-Type-Options', 'nosniff')
    return new Response(response.body, { status: response.status, headers })
  })
}

async function start(): Promise<void> {
  await app.whenReady()
  installHardening(isAppUrl, devServer)
  registerAppProtocol()

  const userData = app.getPath('userData')
  const storeRoot = process.env.BOTTLENECK_HOME || userData
  const stateFile = windowStatePath(userData)
  // Filled once the window exists; dialogs and IPC read it lazily.
  const shellState: { window?: BrowserWindow } = {}

  const dialogs: Dialogs = {
    async chooseFolder(title) {
      const options = { title, properties: ['openDirectory' as const] }
      const result = window
        ? await dialog.showOpenDialog(window, options)
        : await dialog.showOpenDialog(options)
      return result.canceled ? undefined : result.filePaths[0]
    },
    async chooseSaveFolder(title) {
      const options = { title, properties: ['openDirectory' as const, 'createDirectory' as const] }
      const result = window
        ? await dialog.showOpenDialog(window, options)
        : await dialog.showOpenDialog(options)
      return result.canceled ? undefined : result.filePaths[0]
    },
  }

  const service = createService({
    storeRoot,
    spawn: utilityTrainer(trainerEntry, (line) => process.stderr.write(`${line}\n`)),
    shell: 'electron',
    watchModelsEveryMs: APP_MODELS_WATCH_MS,
    dialogs,
    appVersion: app.getVersion(),
    logsDir: app.getPath('logs'),
    log: (level, message) => log(`${level}: ${message}`),
  })

  const trustedContents = () => {
    const current = shellState.window
    return current && !current.isDestroyed() ? [current.webContents] : []
  }
  registerIpc({ ipcMain, service, isAppUrl, trustedContents, log })
  // Exports go through the system's save dialog; this tells the page where each file went, or why it did not.
  reportDownloads({ session: session.defaultSession, isAppUrl, trustedContents })

  const displays = screen.getAllDisplays().map((display) => display.workArea)
  const saved: WindowState | undefined = await loadWindowState(stateFile, displays)
  const window = createMainWindow({ preload: preloadPath, bounds: saved, isAppUrl })
  shellState.window = window
  if (saved?.maximized) window.maximize()

  const menu = buildMenu({
    service,
    window: () => shellState.window,
    storeRoot,
    development: devServer !== undefined,
  })
  Menu.setApplicationMenu(menu)

  // Bounds are saved when the window closes (not on every move): one atomic write per session.
  window.on('close', () => {
    const bounds = window.getNormalBounds()
    void saveWindowState(stateFile, { ...bounds, maximized: window.isMaximized() }).catch((error: unknown) =>
      log(`could not save the window state: ${(error as Error).message}`),
    )
  })

  app.on('second-instance', () => {
    if (window.isDestroyed()) return
    if (window.isMinimized()) window.restore()
    window.focus()
  })

  let quitting = false
  app.on('before-quit', (event) => {
    if (quitting) return
    // Let the trainers stop (politely, then by force) before the app exits.
    event.preventDefault()
    quitting = true
    void service.close().finally(() => app.quit())
  })
  app.on('window-all-closed', () => app.quit())

  if (devServer) await window.loadURL(devServer)
  else await window.loadURL(`${APP_ORIGIN}/index.html`)
}
