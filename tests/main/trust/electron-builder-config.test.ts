// Installer configuration, checked offline: electron-builder has no "validate" command, so this loads
// electron-builder.yml through electron-builder's own config loader and JSON-schema validator, then checks the
// fields Bottleneck relies on and that every file the config names exists (a missing icon only fails at `npm run dist`).
import { createRequire } from 'node:module'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(__dirname, '../../..')
const require = createRequire(join(root, 'package.json'))

interface FileAssociation {
  ext: string | string[]
  name?: string
  icon?: string
  mimeType?: string
}
interface BuilderConfig {
  appId?: string
  productName?: string
  directories?: { output?: string; buildResources?: string }
  files?: Array<string | { filter?: string[] }>
  asarUnpack?: string[]
  fileAssociations?: FileAssociation[]
  linux?: { target?: string[]; icon?: string }
  mac?: { target?: string[]; icon?: string }
  win?: { target?: string[]; icon?: string }
  nsis?: { perMachine?: boolean; installerIcon?: string; uninstallerIcon?: string }
  [key: string]: unknown
}
interface ConfigModule {
  getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<BuilderConfig>
  validateConfiguration(config: BuilderConfig, logger: unknown): Promise<void>
}

const configModule = require('app-builder-lib/out/util/config/config.js') as ConfigModule
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown }

async function loadConfig(): Promise<BuilderConfig> {
  return configModule.getConfig(root, join(root, 'electron-builder.yml'), null)
}

const resources = join(root, 'resources')
/** PNG width/height from the IHDR chunk, without decoding. */
function pngSize(path: string): { width: number; height: number } {
  const bytes = readFileSync(path)
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG')
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

describe('electron-builder.yml', () => {
  it('passes electron-builder’s own schema validation', async () => {
    const config = await loadConfig()
    await expect(configModule.validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined()
  })

  it('is rejected by the same validator when a field is misspelled (the check can fail)', async () => {
    const config = { ...(await loadConfig()), productname: 'typo' }
    await expect(configModule.validateConfiguration(config, new DebugLogger(false))).rejects.toThrow(
      /productname/,
    )
  })

  it('names the app and its installers for every platform', async () => {
    const config = await loadConfig()
    expect(config.appId).toBe('app.bottleneck.desktop')
    expect(config.productName).toBe('Bottleneck')
    expect(config.linux?.target).toEqual(expect.arrayContaining(['AppImage', 'deb']))
    expect(config.mac?.target).toEqual(expect.arrayContaining(['dmg']))
    expect(config.win?.target).toEqual(expect.arrayContaining(['nsis']))
  })

  it('packages the electron-vite build and unpacks native modules from the asar', async () => {
    const config = await loadConfig()
    // getConfig normalises `files` to [{ filter: [...] }].
    const patterns = (config.files ?? []).flatMap((entry) =>
      typeof entry === 'string' ? [entry] : (entry.filter ?? []),
    )
    expect(patterns).toContain('out/**')
    const unpack = config.asarUnpack ?? []
    expect(unpack.some((glob) => glob.includes('@tensorflow/tfjs-node'))).toBe(true)
    expect(unpack.some((glob) => glob.includes('sharp'))).toBe(true)
    // The packaged app's entry must be what electron-vite builds.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      main: string
      scripts: Record<string, string>
    }
    expect(pkg.main.startsWith('out/')).toBe(true)
    expect(pkg.scripts.dist).toMatch(/electron-builder/)
  })

  it('associates exported models (.bottleneck) with the app, per-machine on Windows so the association is written', async () => {
    const config = await loadConfig()
    const association = config.fileAssociations?.find((item) => [item.ext].flat().includes('bottleneck'))
    expect(association).toBeDefined()
    expect(association?.mimeType).toMatch(/^application\//)
    expect(config.nsis?.perMachine).toBe(true)
  })

  it('every file it references exists in resources/', async () => {
    const config = await loadConfig()
    expect(config.directories?.buildResources).toBe('resources')
    const files = [
      config.mac?.icon,
      config.win?.icon,
      config.nsis?.installerIcon,
      config.nsis?.uninstallerIcon,
      // File-association icons are named without extension; electron-builder adds .icns (macOS) / .ico (Windows).
      ...(config.fileAssociations ?? []).flatMap((item) =>
        item.icon ? [`${item.icon}.icns`, `${item.icon}.ico`] : [],
      ),
    ].filter((file): file is string => typeof file === 'string')
    expect(files.length).toBeGreaterThanOrEqual(5)
    for (const file of files) expect(existsSync(join(resources, file)), `resources/${file}`).toBe(true)
    const linuxIcons = join(resources, config.linux?.icon ?? 'missing')
    expect(statSync(linuxIcons).isDirectory()).toBe(true)
  })

  it('ships real icons: square PNGs from 16 to 1024 px, an .ico and an .icns holding PNG entries', () => {
    for (const size of [16, 32, 48, 64, 128, 256, 512, 1024]) {
      expect(pngSize(join(resources, 'icons', `${size}x${size}.png`))).toEqual({ width: size, height: size })
    }
    expect(pngSize(join(resources, 'icon.png'))).toEqual({ width: 1024, height: 1024 })

    const ico = readFileSync(join(resources, 'icon.ico'))
    expect(ico.readUInt16LE(2)).toBe(1)
    const count = ico.readUInt16LE(4)
    expect(count).toBeGreaterThanOrEqual(5)
    for (let i = 0; i < count; i++) {
      const offset = ico.readUInt32LE(6 + 16 * i + 12)
      const length = ico.readUInt32LE(6 + 16 * i + 8)
      expect(offset + length).toBeLessThanOrEqual(ico.length)
      expect(ico.subarray(offset + 1, offset + 4).toString('latin1')).toBe('PNG')
    }

    const icns = readFileSync(join(resources, 'icon.icns'))
    expect(icns.subarray(0, 4).toString('latin1')).toBe('icns')
    expect(icns.readUInt32BE(4)).toBe(icns.length)
    const types: string[] = []
    for (let at = 8; at < icns.length; at += icns.readUInt32BE(at + 4)) {
      types.push(icns.subarray(at, at + 4).toString('latin1'))
      expect(icns.subarray(at + 9, at + 12).toString('latin1')).toBe('PNG')
    }
    // 1024 px (ic10) is what current macOS uses for the Dock and Finder at Retina sizes.
    expect(types).toEqual(expect.arrayContaining(['ic07', 'ic08', 'ic09', 'ic10']))
  })
})
