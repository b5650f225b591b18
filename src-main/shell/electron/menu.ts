// The application menu: the few actions that belong to the app rather than a view, with the usual shortcuts.
// Menu actions go through the same service calls the UI makes, so dialogs and events behave identically.
import { Menu, app, dialog, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron'
import type { Service } from '../../service/types'

export interface MenuOptions {
  service: Service
  window: () => BrowserWindow | undefined
  storeRoot: string
  development: boolean
}

export function buildMenu(options: MenuOptions): Menu {
  const isMac = process.platform === 'darwin'
  const call = (name: string) => () => {
    void options.service.handle(name, {}).then((envelope) => {
      if (!envelope.ok) {
        const window = options.window()
        const message = { type: 'error' as const, title: 'Bottleneck', message: envelope.error.message }
        void (window ? dialog.showMessageBox(window, message) : dialog.showMessageBox(message))
      }
    })
  }
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Import Model…', accelerator: 'CmdOrCtrl+I', click: call('models.import') },
        {
          label: 'Add IDX Dataset Folder…',
          accelerator: 'CmdOrCtrl+Shift+D',
          click: call('datasets.addIdxFolder'),
        },
        {
          label: 'Add Image Folder…',
          accelerator: 'CmdOrCtrl+Shift+F',
          click: call('datasets.addImageFolder'),
        },
        { type: 'separator' },
        { label: 'Show Models Folder', click: () => void shell.openPath(options.storeRoot) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit', accelerator: 'CmdOrCtrl+Q' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        ...(options.development
          ? ([
              { role: 'reload' },
              { role: 'toggleDevTools' },
              { type: 'separator' },
            ] as MenuItemConstructorOptions[])
          : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      label: '&Help',
      submenu: [
        {
          label: 'About Bottleneck',
          click: () => {
            const detail = [
              `Version ${app.getVersion()}`,
              `Electron ${process.versions.electron}`,
              `Chromium ${process.versions.chrome}`,
              `Node ${process.versions.node}`,
            ].join('\n')
            void dialog.showMessageBox({ title: 'About Bottleneck', message: 'Bottleneck', detail })
          },
        },
      ],
    },
  ]
  return Menu.buildFromTemplate(template)
}
