// setup:native's pieces that decide what ends up in node_modules: the wheel extractor (on a small fake wheel),
// the cache layout and lookup, the pip platform tags, and the command's own check when the addon is installed.
import { execFileSync, spawnSync } from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  findEntries,
  installEntry,
  removeAbandonedStaging,
  type CacheManifest,
} from '../../../scripts/native/cache.js'
import {
  cacheEntryName,
  locateTfjsNode,
  nativeCacheRoot,
  projectRoot,
} from '../../../scripts/native/locations.js'
import { COPY_MARKER, LENT, patchBindingSource } from '../../../scripts/native/binding-patch.js'
import { StepError } from '../../../scripts/native/shell.js'
import { extractWheel, wheelPlatformTags } from '../../../scripts/native/wheel-route.js'

const python = process.env.BOTTLENECK_PYTHON ?? 'python3'
let work: string

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'bottleneck-native-'))
})
afterEach(() => {
  rmSync(work, { recursive: true, force: true })
})

/** Writes a zip with Python's zipfile, as pip's wheels are plain zips. */
function writeWheel(path: string, files: Record<string, string>) {
  const script =
    'import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1],"w")\nfor n,d in json.load(sys.stdin).items(): z.writestr(n,d)\nz.close()'
  execFileSync(python, ['-c', script, path], { input: JSON.stringify(files) })
}

const fakeWheelFiles = {
  'tensorflow/libtensorflow_cc.so.2': 'cc library bytes',
  'tensorflow/libtensorflow_framework.so.2': 'framework library bytes',
  'tensorflow/include/LICENSE': 'Apache License 2.0',
  'tensorflow/include/tensorflow/c/c_api.h': '#include <stdint.h>\n#include "tensorflow/c/tf_status.h"\n',
  'tensorflow/include/tensorflow/c/tf_status.h': '#include "tsl/c/tsl_status.h"\n',
  'tensorflow/include/tsl/c/tsl_status.h': '// leaf\n',
  // Newer wheels keep ctstring_internal.h only under tsl/: the extractor must bridge the old path.
  'tensorflow/include/tsl/platform/ctstring_internal.h': '// the real one\n',
  'tensorflow/include/tensorflow/core/framework/unrelated.h': '// not reachable from the binding\n',
  'tensorflow/python/_pywrap.so': 'python only',
}

describe('extracting a tensorflow wheel', () => {
  it('takes the two libraries and only the headers reachable from the roots, bridging moved headers', async () => {
    const wheel = join(work, 'tensorflow_cpu-9.9.9-cp311-cp311-manylinux2014_x86_64.whl')
    writeWheel(wheel, fakeWheelFiles)
    const deps = join(work, 'deps')
    const report = await extractWheel(python, wheel, deps, [
      'tensorflow/c/c_api.h',
      'tensorflow/core/platform/ctstring_internal.h',
    ])

    expect(report.libraries).toEqual(['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'])
    expect(report.headers).toBe(4)
    expect(report.bridged).toEqual({
      'tensorflow/core/platform/ctstring_internal.h': 'tsl/platform/ctstring_internal.h',
    })
    expect(readFileSync(join(deps, 'lib', 'libtensorflow_cc.so.2'), 'utf8')).toBe('cc library bytes')
    // binding.gyp links -ltensorflow and -ltensorflow_framework.
    expect(readlinkSync(join(deps, 'lib', 'libtensorflow.so'))).toBe('libtensorflow_cc.so.2')
    expect(readlinkSync(join(deps, 'lib', 'libtensorflow_framework.so'))).toBe('libtensorflow_framework.so.2')
    expect(existsSync(join(deps, 'include', 'tsl', 'c', 'tsl_status.h'))).toBe(true)
    expect(existsSync(join(deps, 'include', 'tensorflow', 'core', 'framework', 'unrelated.h'))).toBe(false)
    expect(existsSync(join(deps, 'lib', '_pywrap.so'))).toBe(false)
    const bridge = readFileSync(
      join(deps, 'include', 'tensorflow', 'core', 'platform', 'ctstring_internal.h'),
      'utf8',
    )
    expect(bridge).toContain('#include "tsl/platform/ctstring_internal.h"')
    expect(readFileSync(join(deps, 'LICENSE-tensorflow'), 'utf8')).toBe('Apache License 2.0')
  })

  it('fails at the extract step, naming what is missing, for a wheel without the C library', async () => {
    const wheel = join(work, 'old.whl')
    const { 'tensorflow/libtensorflow_cc.so.2': _dropped, ...withoutLibrary } = fakeWheelFiles
    writeWheel(wheel, withoutLibrary)
    const failure = extractWheel(python, wheel, join(work, 'deps'), ['tensorflow/c/c_api.h'])
    await expect(failure).rejects.toBeInstanceOf(StepError)
    await expect(failure).rejects.toMatchObject({
      step: 'extract',
      message: expect.stringContaining('libtensorflow_cc'),
    })
  })

  it('fails at the headers step when a header the binding includes is nowhere in the wheel', async () => {
    const wheel = join(work, 'headerless.whl')
    writeWheel(wheel, fakeWheelFiles)
    const failure = extractWheel(python, wheel, join(work, 'deps'), ['tensorflow/c/eager/c_api.h'])
    await expect(failure).rejects.toMatchObject({
      step: 'headers',
      message: expect.stringContaining('tensorflow/c/eager/c_api.h'),
    })
  })
})

describe('the native cache', () => {
  it('lives under BOTTLENECK_CACHE, else an absolute XDG_CACHE_HOME, else ~/.cache', () => {
    expect(nativeCacheRoot({ BOTTLENECK_CACHE: '/data/cache' }, '/home/ada')).toBe('/data/cache/native')
    expect(nativeCacheRoot({ XDG_CACHE_HOME: '/xdg' }, '/home/ada')).toBe('/xdg/bottleneck/native')
    expect(nativeCacheRoot({ XDG_CACHE_HOME: 'relative' }, '/home/ada')).toBe(
      '/home/ada/.cache/bottleneck/native',
    )
    expect(nativeCacheRoot({}, '/home/ada')).toBe('/home/ada/.cache/bottleneck/native')
    expect(cacheEntryName('4.22.0', '2.16.2')).toBe('4.22.0-2.16.2')
  })

  function fakeInstall() {
    const packageDir = join(work, 'node_modules', '@tensorflow', 'tfjs-node')
    mkdirSync(packageDir, { recursive: true })
    const addonRelativePath = join('lib', 'napi-v8', 'tfjs_binding.node')
    return {
      version: '4.22.0',
      depsDir: join(packageDir, 'deps'),
      addonPath: join(packageDir, addonRelativePath),
      addonRelativePath,
      moduleDir: join(packageDir, 'lib', 'napi-v8'),
    }
  }

  function writeEntry(cacheRoot: string, name: string, manifest: Partial<CacheManifest>) {
    const entry = join(cacheRoot, name)
    mkdirSync(join(entry, 'deps', 'lib'), { recursive: true })
    mkdirSync(join(entry, 'lib', 'napi-v8'), { recursive: true })
    writeFileSync(join(entry, 'deps', 'lib', 'libtensorflow_cc.so.2'), `library of ${name}`)
    symlinkSync('libtensorflow_cc.so.2', join(entry, 'deps', 'lib', 'libtensorflow.so'))
    writeFileSync(join(entry, 'lib', 'napi-v8', 'tfjs_binding.node'), `addon of ${name}`)
    const full: CacheManifest = {
      tfjsNodeVersion: '4.22.0',
      tensorflowVersion: name.split('-')[1] ?? '',
      route: 'pypi-wheel',
      platform: process.platform,
      arch: process.arch,
      addonRelativePath: join('lib', 'napi-v8', 'tfjs_binding.node'),
      createdAt: '2026-01-01T00:00:00.000Z',
      bindingPatch: COPY_MARKER,
      ...manifest,
    }
    writeFileSync(join(entry, 'manifest.json'), JSON.stringify(full))
    return entry
  }

  it('finds usable entries newest first and ignores other platforms, other tfjs-node versions and unfinished builds', () => {
    const cacheRoot = join(work, 'cache')
    const tfjsNode = fakeInstall()
    writeEntry(cacheRoot, '4.22.0-2.16.2', { createdAt: '2026-01-01T00:00:00.000Z' })
    writeEntry(cacheRoot, '4.22.0-2.20.0', { createdAt: '2026-02-01T00:00:00.000Z' })
    writeEntry(cacheRoot, '4.22.0-2.9.1', { platform: 'win32' })
    writeEntry(cacheRoot, '4.21.0-2.16.2', { tfjsNodeVersion: '4.21.0' })
    // Built before the binding patch: its addon lends JavaScript memory to TensorFlow.
    writeEntry(cacheRoot, '4.22.0-2.18.0', { createdAt: '2026-04-01T00:00:00.000Z', bindingPatch: undefined })
    const unfinished = writeEntry(cacheRoot, '4.22.0-2.17.1', { createdAt: '2026-03-01T00:00:00.000Z' })
    rmSync(join(unfinished, 'manifest.json'))

    expect(findEntries(cacheRoot, tfjsNode).map((entry) => entry.manifest.tensorflowVersion)).toEqual([
      '2.20.0',
      '2.16.2',
    ])
    expect(
      findEntries(cacheRoot, tfjsNode, '2.16.2').map((entry) => entry.manifest.tensorflowVersion),
    ).toEqual(['2.16.2'])
    expect(findEntries(join(work, 'no-cache-yet'), tfjsNode)).toEqual([])
  })

  it('restores an entry into tfjs-node: libraries with their symlinks, and the addon where the loader looks', () => {
    const cacheRoot = join(work, 'cache')
    const tfjsNode = fakeInstall()
    const entry = writeEntry(cacheRoot, '4.22.0-2.16.2', {})
    mkdirSync(join(tfjsNode.depsDir, 'lib'), { recursive: true })
    writeFileSync(join(tfjsNode.depsDir, 'lib', 'stale.so'), 'left by an older install')

    installEntry(entry, tfjsNode)

    expect(readFileSync(join(tfjsNode.depsDir, 'lib', 'libtensorflow_cc.so.2'), 'utf8')).toBe(
      'library of 4.22.0-2.16.2',
    )
    expect(lstatSync(join(tfjsNode.depsDir, 'lib', 'libtensorflow.so')).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(tfjsNode.depsDir, 'lib', 'libtensorflow.so'), 'utf8')).toBe(
      'library of 4.22.0-2.16.2',
    )
    expect(existsSync(join(tfjsNode.depsDir, 'lib', 'stale.so'))).toBe(false)
    expect(readFileSync(tfjsNode.addonPath, 'utf8')).toBe('addon of 4.22.0-2.16.2')
  })

  it('removes staging folders of runs that died, and keeps those of live runs', () => {
    const cacheRoot = join(work, 'cache')
    const deadPid = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString()
    mkdirSync(join(cacheRoot, `4.22.0-2.16.2.partial-${deadPid}`), { recursive: true })
    mkdirSync(join(cacheRoot, `download.partial-${deadPid}`), { recursive: true })
    mkdirSync(join(cacheRoot, `4.22.0-2.16.2.partial-${process.pid}`), { recursive: true })

    removeAbandonedStaging(cacheRoot)

    expect(existsSync(join(cacheRoot, `4.22.0-2.16.2.partial-${deadPid}`))).toBe(false)
    expect(existsSync(join(cacheRoot, `download.partial-${deadPid}`))).toBe(false)
    expect(existsSync(join(cacheRoot, `4.22.0-2.16.2.partial-${process.pid}`))).toBe(true)
  })
})

describe('the binding patch', () => {
  const binding = () =>
    readFileSync(join(projectRoot, 'node_modules', '@tensorflow', 'tfjs-node', 'binding', 'tfjs_backend.cc'), 'utf8')

  it("makes tensors from typed arrays copy into TensorFlow's memory, once, and refuses code it does not know", () => {
    const stock = `// before\n${LENT}\n  TF_AutoStatus tf_status;\n`
    const { source, changed } = patchBindingSource(stock)
    expect(changed).toBe(true)
    expect(source).toContain(COPY_MARKER)
    expect(source).toContain('TF_AllocateTensor(dtype, shape, shape_length, byte_size)')
    expect(source).not.toContain('DeallocTensor, auto_ref')
    expect(patchBindingSource(source)).toEqual({ source, changed: false })
    expect(() => patchBindingSource('// another binding')).toThrow(expect.objectContaining({ step: 'patch' }))
    // The installed tfjs-node (patched by setup:native in CI, stock after a plain npm install) is one or the other.
    const installed = binding()
    expect(installed.includes(COPY_MARKER) || installed.includes(LENT)).toBe(true)
  })
})

describe('pip platform tags', () => {
  it('lists every manylinux tag the machine glibc runs, down to manylinux2014', () => {
    const tags = wheelPlatformTags({ header: { glibcVersionRuntime: '2.19' } }, 'x64', 'linux')
    expect(tags).toEqual([
      'manylinux_2_19_x86_64',
      'manylinux_2_18_x86_64',
      'manylinux_2_17_x86_64',
      'manylinux2014_x86_64',
    ])
  })

  it('refuses, at the download step, platforms that have no such wheel', () => {
    expect(() => wheelPlatformTags({ header: {} }, 'x64', 'linux')).toThrow(/glibc/)
    expect(() => wheelPlatformTags({ header: { glibcVersionRuntime: '2.36' } }, 'arm64', 'darwin')).toThrow(
      StepError,
    )
  })
})

describe('npm run setup:native', () => {
  function run(...args: string[]) {
    return spawnSync(process.execPath, [join(projectRoot, 'scripts', 'setup-native.js'), ...args], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...process.env, BOTTLENECK_CACHE: join(work, 'cache') },
    })
  }

  it('names the failed step and exits non-zero on a bad option', () => {
    const result = run('--no-such-option')
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('FAILED at step "options"')
  })

  // Needs the native addon, which `npm run setup:native` installs; without it there is nothing to check.
  const tfjsNode = locateTfjsNode()
  it.skipIf(!tfjsNode || !existsSync(tfjsNode.addonPath))(
    '--check loads TensorFlow, checks known values and trains one conv step',
    () => {
      const result = run('--check')
      expect(result.status, result.stderr).toBe(0)
      expect(result.stdout).toMatch(/load {6}ok: backend tensorflow, TensorFlow \d+\.\d+\.\d+/)
      expect(result.stdout).toMatch(
        /check {5}ok: .*matMul and conv2d match known values, one conv2d training step loss \d/,
      )
    },
  )
})
