// Builds tfjs-node's addon from its own binding.gyp with node-gyp, against the local Node headers (node-gyp would
// otherwise download them), and checks the result links to the libraries in deps/lib.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { patchBinding } from './binding-patch.js'
import { projectRoot } from './locations.js'
import { StepError, lastLine, runCommand } from './shell.js'

/** node-gyp's script: BOTTLENECK_NODE_GYP, else the copy bundled with npm, else one installed in the project. */
export function findNodeGyp(env = process.env) {
  const candidates = [env.BOTTLENECK_NODE_GYP]
  if (env.npm_execpath)
    candidates.push(join(dirname(env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  const prefix = resolve(dirname(process.execPath), '..')
  candidates.push(
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  )
  candidates.push(
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  )
  try {
    candidates.push(createRequire(join(projectRoot, 'package.json')).resolve('node-gyp/bin/node-gyp.js'))
  } catch {
    // Not installed in the project: fine when npm's copy exists.
  }
  return candidates.find((candidate) => candidate && existsSync(candidate)) ?? null
}

/**
 * A folder with include/node/{node_api.h,common.gypi} for this Node: npm_config_nodedir, the prefix Node runs from
 * (/usr for distribution packages, the install folder for official tarballs), or node-gyp's own download cache.
 */
export function findNodeHeaders(env = process.env) {
  const cacheBase = env.XDG_CACHE_HOME || join(homedir(), '.cache')
  const candidates = [
    env.npm_config_nodedir,
    resolve(dirname(process.execPath), '..'),
    join(cacheBase, 'node-gyp', process.versions.node),
  ]
  return (
    candidates.find(
      (dir) =>
        dir &&
        existsSync(join(dir, 'include', 'node', 'node_api.h')) &&
        existsSync(join(dir, 'include', 'node', 'common.gypi')),
    ) ?? null
  )
}

export async function compileAddon(tfjsNode) {
  const nodeGyp = findNodeGyp()
  if (!nodeGyp)
    throw new StepError(
      'compile',
      'node-gyp not found (it comes with npm); set BOTTLENECK_NODE_GYP to its bin/node-gyp.js',
    )
  const nodeDir = findNodeHeaders()
  if (!nodeDir) {
    throw new StepError(
      'compile',
      `Node ${process.versions.node} headers not found next to ${process.execPath}; install the Node development headers or set npm_config_nodedir`,
    )
  }
  patchBinding(tfjsNode.packageDir)
  const args = [
    nodeGyp,
    'rebuild',
    `--nodedir=${nodeDir}`,
    `--jobs=${availableParallelism()}`,
    // binding.gyp expects the variables node-pre-gyp normally passes.
    `--module_name=${tfjsNode.moduleName}`,
    `--module_path=${tfjsNode.moduleDir}`,
    `--napi_build_version=${tfjsNode.napiBuildVersion}`,
  ]
  const result = await runCommand(process.execPath, args, {
    cwd: tfjsNode.packageDir,
    timeoutMs: 15 * 60_000,
    label: 'node-gyp',
  })
  if (result.code !== 0 || !existsSync(tfjsNode.addonPath)) {
    const firstError = result.stderr
      .split('\n')
      .find((line) => /error/i.test(line) && !/^gyp (info|ERR! (stack|cwd|node|command|System))/.test(line))
    throw new StepError(
      'compile',
      `node-gyp failed: ${(firstError ?? lastLine(result.stderr) ?? result.stoppedBecause).trim()}`,
    )
  }
  return { nodeGyp, nodeDir, ms: result.ms }
}

/** Resolves the addon's shared-library dependencies with ldd; every libtensorflow* must come from deps/lib. */
export async function verifyLinkage(tfjsNode) {
  const result = await runCommand('ldd', [tfjsNode.addonPath], { timeoutMs: 60_000, label: 'ldd' })
  if (result.spawnError) return { skipped: 'ldd not available', libraries: [] }
  const lines = result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const missing = lines.filter((line) => /not found/.test(line)).map((line) => line.split(/\s/)[0])
  const versionProblems = result.stderr.split('\n').filter((line) => /version .* not found/.test(line))
  if (missing.length || versionProblems.length) {
    throw new StepError(
      'link',
      `the addon cannot resolve ${[...missing, ...versionProblems.map((line) => line.trim())].join(', ')}`,
    )
  }
  const depsLib = join(tfjsNode.depsDir, 'lib')
  const libraries = lines
    .filter((line) => line.startsWith('libtensorflow'))
    .map((line) => {
      const [name, , path] = line.split(/\s+/)
      return { name, path }
    })
  const outside = libraries.filter(({ path }) => !resolve(path).startsWith(depsLib))
  if (libraries.length === 0 || outside.length) {
    throw new StepError(
      'link',
      `the addon does not load TensorFlow from ${depsLib} (${libraries.map((l) => `${l.name} → ${l.path}`).join(', ') || 'no libtensorflow found'})`,
    )
  }
  return { libraries: libraries.map(({ name }) => name) }
}
