// The Electron shell with `electron` mocked: the window's webPreferences are the secure ones, every contract call
// is bound exactly once, a frame that is not our own top-level page is refused, navigation/new windows/permissions
// are denied, window bounds survive as an atomic JSON file, and our window hears how each of its saves ended.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { scratchDir } from '../support/scratch'

const electron = vi.hoisted(() => {
  const windows: { options: Record<string, unknown> }[] = []
  class BrowserWindow {
    options: Record<string, unknown>
    webContents = { id: 1 }
    constructor(options: Record<string, unknown>) {
      this.options = options
      windows.push(this)
    }
    once() {}
    show() {}
  }
  const handlers = new Map<string, (...args: unknown[]) => unknown>()
  const ipcMain = {
    handle: vi.fn((channel: string, handler: (...args: unknown[]) => unknown) => {
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
      handlers.set(channel, handler)
    }),
    removeHandler: vi.fn((channel: string) => handlers.delete(channel)),
  }
  const sessionHandlers: Record<string, (...args: unknown[]) => unknown> = {}
  const session = {
    defaultSession: {
      setPermissionRequestHandler: vi.fn((handler) => (sessionHandlers.request = handler)),
      setPermissionCheckHandler: vi.fn((handler) => (sessionHandlers.check = handler)),
      webRequest: { onHeadersReceived: vi.fn((handler) => (sessionHandlers.headers = handler)) },
    },
  }
  const appListeners: Record<string, (...args: unknown[]) => void> = {}
  const app = {
    on: vi.fn((event: string, listener: (...args: unknown[]) => void) => (appListeners[event] = listener)),
  }
  return { BrowserWindow, windows, ipcMain, handlers, session, sessionHandlers, app, appListeners }
})

vi.mock('electron', () => ({
  BrowserWindow: electron.BrowserWindow,
  ipcMain: electron.ipcMain,
  session: electron.session,
  app: electron.app,
}))

const { createMainWindow, createAppUrlCheck, hardenWebContents, installHardening, contentSecurityPolicy } =
  await import('../../../src-main/shell/electron/window')
const { registerIpc, isTrustedSender } = await import('../../../src-main/shell/electron/ipc')
const { loadWindowState, saveWindowState } = await import('../../../src-main/shell/electron/bounds')
const { reportDownloads } = await import('../../../src-main/shell/electron/downloads')
const { CALL_NAMES, ipcChannel, IPC_EVENT_CHANNEL } = await import('../../../src-main/contract/index')
type Service = import('../../../src-main/service/types').Service
type EventMessage = import('../../../src-main/contract/index').EventMessage

const isAppUrl = createAppUrlCheck()

function fakeService() {
  const listeners = new Set<(message: EventMessage) => void>()
  const handle = vi.fn(async (name: string, payload: unknown) => ({
    ok: true as const,
    value: { name, payload },
  }))
  const service: Service = {
    handle,
    onEvent(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async close() {},
  }
  return {
    service,
    handle,
    emit: (message: EventMessage) => listeners.forEach((listener) => listener(message)),
  }
}

function fakeContents() {
  return { send: vi.fn(), isDestroyed: () => false }
}

describe('main window', () => {
  it('is created with contextIsolation, sandbox and no Node integration', () => {
    createMainWindow({ preload: '/app/out/preload/index.cjs', isAppUrl })
    const options = electron.windows.at(-1)!.options as { webPreferences: Record<string, unknown> }
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    })
  })

  it('blocks navigation away from the app, new windows and webviews', () => {
    const listeners: Record<string, (event: { preventDefault: () => void }, url?: string) => void> = {}
    let openHandler: (() => { action: string }) | undefined
    const contents = {
      on: (event: string, listener: (event: { preventDefault: () => void }, url?: string) => void) =>
        (listeners[event] = listener),
      setWindowOpenHandler: (handler: () => { action: string }) => (openHandler = handler),
    }
    hardenWebContents(contents as never, isAppUrl)
    const navigate = (url: string) => {
      const event = { preventDefault: vi.fn() }
      listeners['will-navigate']!(event, url)
      return event.preventDefault.mock.calls.length > 0
    }
    expect(navigate('https://evil.example/')).toBe(true)
    expect(navigate('file:///etc/passwd')).toBe(true)
    expect(navigate('app://bottleneck/index.html')).toBe(false)
    const attach = { preventDefault: vi.fn() }
    listeners['will-attach-webview']!(attach)
    expect(attach.preventDefault).toHaveBeenCalled()
    expect(openHandler!()).toEqual({ action: 'deny' })
  })

  it('denies every permission and sends a strict CSP', () => {
    installHardening(isAppUrl)
    const answer = vi.fn()
    electron.sessionHandlers.request!({}, 'media', answer)
    expect(answer).toHaveBeenCalledWith(false)
    expect(electron.sessionHandlers.check!({}, 'notifications')).toBe(false)
    const callback = vi.fn()
    electron.sessionHandlers.headers!({ responseHeaders: {} }, callback)
    const policy = callback.mock.calls[0]![0].responseHeaders['Content-Security-Policy'][0] as string
    expect(policy).toBe(contentSecurityPolicy())
    expect(policy).toContain("default-src 'self'")
    expect(policy).toContain("object-src 'none'")
    expect(policy).not.toContain('unsafe-eval')
    expect(electron.appListeners['web-contents-created']).toBeTypeOf('function')
  })

  it('treats only app:// (and the dev server in development) as our pages', () => {
    expect(isAppUrl('app://bottleneck/index.html')).toBe(true)
    expect(isAppUrl('app://other/index.html')).toBe(false)
    expect(isAppUrl('http://localhost:5173/')).toBe(false)
    expect(createAppUrlCheck('http://localhost:5173')('http://localhost:5173/#/train')).toBe(true)
    expect(isAppUrl('not a url')).toBe(false)
  })
})

describe('registerIpc', () => {
  beforeEach(() => {
    electron.handlers.clear()
    electron.ipcMain.handle.mockClear()
  })

  it('binds every contract call exactly once, and refuses to bind twice', () => {
    const { service } = fakeService()
    const unregister = registerIpc({
      ipcMain: electron.ipcMain as never,
      service,
      isAppUrl,
      trustedContents: () => [],
    })
    expect(electron.ipcMain.handle).toHaveBeenCalledTimes(CALL_NAMES.length)
    expect([...electron.handlers.keys()].sort()).toEqual(CALL_NAMES.map(ipcChannel).sort())
    expect(() =>
      registerIpc({ ipcMain: electron.ipcMain as never, service, isAppUrl, trustedContents: () => [] }),
    ).toThrow(/already/)
    unregister()
    expect(electron.handlers.size).toBe(0)
  })

  it('passes calls from our top-level frame to the service, refuses every other sender', async () => {
    const { service, handle } = fakeService()
    const ours = fakeContents()
    const unregister = registerIpc({
      ipcMain: electron.ipcMain as never,
      service,
      isAppUrl,
      trustedContents: () => [ours as never],
      log: () => undefined,
    })
    const list = electron.handlers.get(ipcChannel('models.list'))!
    const topFrame = { parent: null, url: 'app://bottleneck/index.html' }

    await expect(list({ sender: ours, senderFrame: topFrame }, {})).resolves.toEqual({
      ok: true,
      value: { name: 'models.list', payload: {} },
    })
    const refused = [
      { sender: fakeContents(), senderFrame: topFrame }, // a web contents we did not create
      { sender: ours, senderFrame: { parent: topFrame, url: 'app://bottleneck/index.html' } }, // a subframe
      { sender: ours, senderFrame: { parent: null, url: 'https://evil.example/' } }, // navigated away
      { sender: ours, senderFrame: null }, // frame already gone
    ]
    for (const event of refused) {
      await expect(list(event, {})).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    }
    expect(handle).toHaveBeenCalledTimes(1)
    unregister()
  })

  it('forwards service events to our windows only, on the one event channel', () => {
    const { service, emit } = fakeService()
    const ours = fakeContents()
    const unregister = registerIpc({
      ipcMain: electron.ipcMain as never,
      service,
      isAppUrl,
      trustedContents: () => [ours as never],
    })
    const message: EventMessage = {
      name: 'models.onChanged',
      payload: { reason: 'created', id: 'a1b2c3d4e5f6' },
    }
    emit(message)
    expect(ours.send).toHaveBeenCalledWith(IPC_EVENT_CHANNEL, message)
    unregister()
  })

  it('isTrustedSender requires all three: our contents, top frame, our URL', () => {
    const ours = fakeContents()
    const frame = { parent: null, url: 'app://bottleneck/' }
    expect(isTrustedSender({ sender: ours, senderFrame: frame } as never, [ours as never], isAppUrl)).toBe(
      true,
    )
    expect(isTrustedSender({ sender: ours, senderFrame: frame } as never, [], isAppUrl)).toBe(false)
  })
})

describe('reportDownloads', () => {
  type DoneState = 'completed' | 'cancelled' | 'interrupted'

  function fakeSession() {
    let listener: ((event: unknown, item: unknown, contents: unknown) => void) | undefined
    const session = {
      on: vi.fn((_event: string, added: typeof listener) => (listener = added)),
      removeListener: vi.fn(() => (listener = undefined)),
    }
    /** Starts a download the way Electron does for an <a download> click; `end` is the save's outcome. */
    function download(contents: unknown, fileName: string, savePath = '') {
      let done: ((event: unknown, state: DoneState) => void) | undefined
      const item = {
        getFilename: () => fileName,
        getSavePath: () => savePath,
        once: vi.fn((_event: string, listener: typeof done) => (done = listener)),
      }
      listener?.({}, item, contents)
      return { end: (state: DoneState) => done?.({}, state) }
    }
    return { session, download }
  }

  function ourPage(url = 'app://bottleneck/index.html') {
    return { ...fakeContents(), getURL: () => url }
  }

  function report(trusted: unknown[]) {
    const { session, download } = fakeSession()
    const stop = reportDownloads({
      session: session as never,
      isAppUrl,
      trustedContents: () => trusted as never,
    })
    return { session, download, stop }
  }

  it('tells our window where a completed save went, under the name the user chose', () => {
    const ours = ourPage()
    const { download } = report([ours])
    download(ours, 'codes.csv', '/home/ada/Documents/mnist-codes.csv').end('completed')
    expect(ours.send).toHaveBeenCalledWith(IPC_EVENT_CHANNEL, {
      name: 'files.onSaved',
      payload: { fileName: 'mnist-codes.csv', outcome: 'saved', path: '/home/ada/Documents/mnist-codes.csv' },
    })
  })

  it('reports a closed save dialog as cancelled, and an interrupted save as failed with a reason', () => {
    const ours = ourPage()
    const { download } = report([ours])
    download(ours, 'comparison.png').end('cancelled')
    expect(ours.send).toHaveBeenLastCalledWith(IPC_EVENT_CHANNEL, {
      name: 'files.onSaved',
      payload: { fileName: 'comparison.png', outcome: 'cancelled' },
    })
    download(ours, 'denoised.png', '/mnt/full-disk/denoised.png').end('interrupted')
    const failed = ours.send.mock.lastCall![1] as { name: string; payload: Record<string, unknown> }
    expect(failed.name).toBe('files.onSaved')
    expect(failed.payload).toMatchObject({ fileName: 'denoised.png', outcome: 'failed' })
    expect(failed.payload.path).toBeUndefined()
    expect(failed.payload.reason).toMatch(/disk may be full/)
  })

  it('ignores downloads of web contents we did not create or that left our page', () => {
    const ours = ourPage()
    const stranger = ourPage()
    const { download } = report([ours])
    download(stranger, 'secret.png', '/home/ada/secret.png').end('completed')
    expect(stranger.send).not.toHaveBeenCalled()
    expect(ours.send).not.toHaveBeenCalled()

    const navigatedAway = ourPage('https://evil.example/')
    const second = report([navigatedAway])
    second.download(navigatedAway, 'secret.png', '/home/ada/secret.png').end('completed')
    expect(navigatedAway.send).not.toHaveBeenCalled()
  })

  it('stops listening when asked', () => {
    const ours = ourPage()
    const { session, stop } = report([ours])
    stop()
    expect(session.removeListener).toHaveBeenCalledWith('will-download', session.on.mock.calls[0]![1])
  })
})

describe('window bounds', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }]

  it('round-trips through an atomic write and leaves no temp files', async () => {
    const folder = scratchDir('bounds')
    const file = join(folder, 'window-state.json')
    await saveWindowState(file, { x: 100, y: 80, width: 1200, height: 800, maximized: false })
    await saveWindowState(file, { x: 120, y: 90, width: 1300, height: 820, maximized: true })
    expect(await loadWindowState(file, screen)).toEqual({
      x: 120,
      y: 90,
      width: 1300,
      height: 820,
      maximized: true,
    })
    expect(readdirSync(folder)).toEqual(['window-state.json'])
    expect(JSON.parse(readFileSync(file, 'utf8')).width).toBe(1300)
  })

  it('ignores damaged files and positions that are off every screen', async () => {
    const folder = scratchDir('bounds')
    const file = join(folder, 'window-state.json')
    writeFileSync(file, '{"width": 1200, "hei')
    expect(await loadWindowState(file, screen)).toBeUndefined()
    writeFileSync(file, JSON.stringify({ x: 5000, y: 5000, width: 1200, height: 800 }))
    expect(await loadWindowState(file, screen)).toEqual({ width: 1200, height: 800, maximized: false })
    writeFileSync(file, JSON.stringify({ width: 10, height: 10 }))
    expect(await loadWindowState(file, screen)).toBeUndefined()
    expect(await loadWindowState(join(folder, 'missing.json'), screen)).toBeUndefined()
  })
})
