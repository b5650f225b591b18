// Where setup:native reads and writes: the installed tfjs-node package, the addon path its loader uses, the cache.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** `$BOTTLENECK_CACHE/native`, else `$XDG_CACHE_HOME/bottleneck/native`, else `~/.cache/bottleneck/native`. */
export function nativeCacheRoot(env = process.env, home = homedir()) {
  if (env.BOTTLENECK_CACHE) return join(resolve(env.BOTTLENECK_CACHE), 'native')
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const base =
    env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(home, '.cache')
  return join(base, 'bottleneck', 'native')
}

/** One cache entry per tfjs-node version and TensorFlow version, e.g. `4.22.0-2.16.2`. */
export function cacheEntryName(tfjsNodeVersion, tensorflowVersion) {
  // Builds from before the binding patch keep this name too: findEntries never restores them (their manifest lacks
  // bindingPatch), and the next build of the same versions replaces them instead of leaving 600 MB beside it.
  return `${tfjsNodeVersion}-${tensorflowVersion}`
}

/**
 * The installed @tensorflow/tfjs-node as this project resolves it, and the addon path its loader
 * (node-pre-gyp's `find`, called from tfjs-node's dist/index.js) will look at on this Node.
 */
export function locateTfjsNode(root = projectRoot) {
  const projectRequire = createRequire(join(root, 'package.json'))
  let packageJsonPath
  try {
    packageJsonPath = projectRequire.resolve('@tensorflow/tfjs-node/package.json')
  } catch {
    return null
  }
  const packageDir = dirname(packageJsonPath)
  const packageJson = JSON.parse(readFileSync(packageJsonPath, 'utf8'))
  const packageRequire = createRequire(packageJsonPath)
  const addonPath = packageRequire('@mapbox/node-pre-gyp').find(packageJsonPath)
  const napiMatch = /napi-v(\d+)/.exec(addonPath)
  return {
    packageDir,
    packageJsonPath,
    version: packageJson.version,
    moduleName: packageJson.binary.module_name,
    addonPath,
    addonRelativePath: relative(packageDir, addonPath),
    moduleDir: dirname(addonPath),
    napiBuildVersion: napiMatch ? Number(napiMatch[1]) : null,
    depsDir: join(packageDir, 'deps'),
    officialTensorflowVersion: readOfficialTensorflowVersion(packageDir),
  }
}

/** The libtensorflow version tfjs-node's own installer downloads (LIBTENSORFLOW_VERSION in deps-constants.js). */
function readOfficialTensorflowVersion(packageDir) {
  const constantsPath = join(packageDir, 'scripts', 'deps-constants.js')
  if (!existsSync(constantsPath)) return null
  const match = /LIBTENSORFLOW_VERSION\s*=\s*'([^']+)'/.exec(readFileSync(constantsPath, 'utf8'))
  return match ? match[1] : null
}

/** The TensorFlow headers the addon's sources include, e.g. `tensorflow/c/eager/c_api.h`. */
export function bindingTensorflowIncludes(packageDir) {
  const bindingDir = join(packageDir, 'binding')
  const includes = new Set()
  for (const file of readdirSync(bindingDir)) {
    if (!/\.(cc|h)$/.test(file)) continue
    const source = readFileSync(join(bindingDir, file), 'utf8')
    for (const match of source.matchAll(/^\s*#\s*include\s+"(tensorflow\/[^"]+)"/gm)) includes.add(match[1])
  }
  return [...includes].sort()
}
