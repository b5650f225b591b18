// The native cache: each entry mirrors tfjs-node's own layout (`deps/` with libraries and headers, `lib/napi-vN/`
// with the built addon) plus `manifest.json`, so restoring after a fresh `npm install` is a copy that takes seconds.
import { COPY_MARKER } from './binding-patch.js'
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'

export const MANIFEST = 'manifest.json'

/**
 * Copies a tree, recreating symlinks as symlinks. With `hardLink`, regular files become hard links when the two
 * folders share a file system: the TensorFlow library is ~600 MB and a link costs nothing.
 */
export function copyTree(source, destination, { hardLink = false } = {}) {
  const stats = lstatSync(source)
  if (stats.isSymbolicLink()) {
    symlinkSync(readlinkSync(source), destination)
  } else if (stats.isDirectory()) {
    mkdirSync(destination, { recursive: true })
    for (const name of readdirSync(source))
      copyTree(join(source, name), join(destination, name), { hardLink })
  } else if (hardLink) {
    try {
      linkSync(source, destination)
    } catch {
      copyFileSync(source, destination)
    }
  } else {
    copyFileSync(source, destination)
  }
}

export function readManifest(entryDir) {
  try {
    return JSON.parse(readFileSync(join(entryDir, MANIFEST), 'utf8'))
  } catch {
    return null
  }
}

/** Why an entry cannot serve this tfjs-node on this machine, or null when it can. */
export function entryProblem(entryDir, manifest, tfjsNode) {
  if (!manifest) return 'no manifest (an interrupted build?)'
  if (manifest.tfjsNodeVersion !== tfjsNode.version) return `built for tfjs-node ${manifest.tfjsNodeVersion}`
  if (manifest.platform !== process.platform || manifest.arch !== process.arch) {
    return `built for ${manifest.platform}-${manifest.arch}`
  }
  if (manifest.addonRelativePath !== tfjsNode.addonRelativePath)
    return `addon at ${manifest.addonRelativePath}`
  if (!existsSync(join(entryDir, manifest.addonRelativePath))) return 'addon file missing'
  if (!existsSync(join(entryDir, 'deps', 'lib'))) return 'libraries missing'
  return null
}

/** Usable entries for this tfjs-node, the most recently built first; `tensorflowVersion` narrows to one. */
export function findEntries(cacheRoot, tfjsNode, tensorflowVersion) {
  if (!existsSync(cacheRoot)) return []
  const entries = []
  for (const name of readdirSync(cacheRoot)) {
    if (!name.startsWith(`${tfjsNode.version}-`) || name.includes('.partial')) continue
    const entryDir = join(cacheRoot, name)
    const manifest = readManifest(entryDir)
    if (tensorflowVersion && manifest?.tensorflowVersion !== tensorflowVersion) continue
    // Builds without the binding patch (binding-patch.js) lend JavaScript memory to TensorFlow: never restored.
    if (manifest?.bindingPatch !== COPY_MARKER) continue
    if (entryProblem(entryDir, manifest, tfjsNode) === null) entries.push({ entryDir, manifest })
  }
  return entries.sort((a, b) => String(b.manifest.createdAt).localeCompare(String(a.manifest.createdAt)))
}

/** Removes what a previous install left: tfjs-node's deps/ and the addon the loader would pick up. */
export function clearInstalledNative(tfjsNode) {
  rmSync(tfjsNode.depsDir, { recursive: true, force: true })
  rmSync(tfjsNode.addonPath, { force: true })
}

/** Lays out an entry's deps/ (and its addon, when it has one) inside the installed tfjs-node. */
export function installEntry(entryDir, tfjsNode, { withAddon = true } = {}) {
  clearInstalledNative(tfjsNode)
  copyTree(join(entryDir, 'deps'), tfjsNode.depsDir, { hardLink: true })
  if (withAddon) {
    mkdirSync(tfjsNode.moduleDir, { recursive: true })
    copyFileSync(join(entryDir, tfjsNode.addonRelativePath), tfjsNode.addonPath)
  }
}

/** A folder to build an entry in; `commitEntry` renames it into place so readers never see half an entry. */
export function stagingDir(cacheRoot, entryName) {
  const dir = join(cacheRoot, `${entryName}.partial-${process.pid}`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  return dir
}

function processAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

/** Staging and download folders of interrupted runs (their process is gone) would otherwise keep ~600 MB each. */
export function removeAbandonedStaging(cacheRoot) {
  if (!existsSync(cacheRoot)) return
  for (const name of readdirSync(cacheRoot)) {
    const match = /\.partial-(\d+)$/.exec(name)
    if (match && Number(match[1]) !== process.pid && !processAlive(Number(match[1]))) {
      rmSync(join(cacheRoot, name), { recursive: true, force: true })
    }
  }
}

export function commitEntry(staging, cacheRoot, entryName, manifest, tfjsNode) {
  const addonTarget = join(staging, tfjsNode.addonRelativePath)
  mkdirSync(dirname(addonTarget), { recursive: true })
  copyFileSync(tfjsNode.addonPath, addonTarget)
  writeFileSync(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`)
  const entryDir = join(cacheRoot, entryName)
  rmSync(entryDir, { recursive: true, force: true })
  renameSync(staging, entryDir)
  return entryDir
}

/** Copies the deps/ that tfjs-node's own installer produced into a staging folder. */
export function stageInstalledDeps(staging, tfjsNode) {
  copyTree(tfjsNode.depsDir, join(staging, 'deps'), { hardLink: true })
}
