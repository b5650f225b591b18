// `npm run setup:native`: makes @tensorflow/tfjs-node's native backend work, also without internet access.
// Order: already working → restore from the cache → tfjs-node's own download → build from PyPI's tensorflow-cpu wheel.
// Usage: node scripts/setup-native.js [--check] [--force] [--tf-version=X.Y.Z] [--skip-official-download]
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import {
  clearInstalledNative,
  commitEntry,
  findEntries,
  installEntry,
  removeAbandonedStaging,
  stageInstalledDeps,
  stagingDir,
} from './native/cache.js'
import { COPY_MARKER } from './native/binding-patch.js'
import { compileAddon, verifyLinkage } from './native/compile.js'
import {
  bindingTensorflowIncludes,
  cacheEntryName,
  locateTfjsNode,
  nativeCacheRoot,
  projectRoot,
} from './native/locations.js'
import { runOfficialInstaller } from './native/official-route.js'
import {
  StepError,
  endChildrenOnInterrupt,
  getLogFile,
  runCommand,
  say,
  seconds,
  setLogFile,
} from './native/shell.js'
import { DEFAULT_TENSORFLOW_VERSIONS, downloadWheel, extractWheel, findPython } from './native/wheel-route.js'

const USAGE = `Usage: npm run setup:native -- [options]
  --check                   only run the final check (load, numbers, one conv training step)
  --force                   rebuild even if the backend works or a cached build exists
  --tf-version=X.Y.Z        TensorFlow version of the PyPI wheel (default: ${DEFAULT_TENSORFLOW_VERSIONS[0]}, then ${DEFAULT_TENSORFLOW_VERSIONS.slice(1).join(', ')})
  --skip-official-download  do not try tfjs-node's own libtensorflow download (air-gapped machines)
Environment: BOTTLENECK_CACHE or XDG_CACHE_HOME (cache location), BOTTLENECK_TF_VERSION, BOTTLENECK_PYTHON.`

const CHECK_SCRIPT = join(projectRoot, 'scripts', 'native', 'check-backend.js')

function parseArguments(argv) {
  const options = {
    check: false,
    force: false,
    tensorflowVersion: process.env.BOTTLENECK_TF_VERSION || null,
    skipOfficial: false,
  }
  for (const argument of argv) {
    if (argument === '--check') options.check = true
    else if (argument === '--force') options.force = true
    else if (argument === '--skip-official-download') options.skipOfficial = true
    else if (argument.startsWith('--tf-version='))
      options.tensorflowVersion = argument.slice('--tf-version='.length)
    else if (argument === '--help' || argument === '-h') options.help = true
    else throw new StepError('options', `unknown option ${argument}\n${USAGE}`)
  }
  return options
}

function startLog(cacheRoot) {
  const logDir = join(cacheRoot, 'logs')
  try {
    mkdirSync(logDir, { recursive: true })
    const logs = readdirSync(logDir).sort()
    for (const old of logs.slice(0, Math.max(0, logs.length - 9))) rmSync(join(logDir, old), { force: true })
    setLogFile(join(logDir, `setup-native-${new Date().toISOString().replace(/[:.]/g, '-')}.log`))
  } catch {
    // No writable cache: progress still prints, details are just not kept.
  }
}

/** Runs check-backend.js in a fresh Node process, so nothing this process loaded can hide a broken install. */
async function checkInChild({ loadOnly }) {
  const args = [CHECK_SCRIPT, ...(loadOnly ? ['--load-only'] : [])]
  const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '1' }
  const result = await runCommand(process.execPath, args, {
    cwd: projectRoot,
    env,
    timeoutMs: 5 * 60_000,
    label: 'check-backend',
  })
  const lastJson = result.stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .at(-1)
  try {
    return { ...JSON.parse(lastJson), ms: result.ms }
  } catch {
    const detail =
      result.stoppedBecause ??
      (result.signal ? `the process died with ${result.signal}` : `exit code ${result.code}`)
    return {
      ok: false,
      step: loadOnly ? 'load' : 'check',
      error: `tfjs-node crashed the check process (${detail})`,
      ms: result.ms,
    }
  }
}

async function loadStep() {
  const loaded = await checkInChild({ loadOnly: true })
  if (!loaded.ok) throw new StepError('load', loaded.error)
  say('load', `ok: backend ${loaded.backend}, TensorFlow ${loaded.tensorflowVersion} (${seconds(loaded.ms)})`)
  return loaded
}

async function checkStep() {
  const checked = await checkInChild({ loadOnly: false })
  if (!checked.ok) throw new StepError(checked.step ?? 'check', checked.error)
  say(
    'check',
    `ok: backend ${checked.backend}, TensorFlow ${checked.tensorflowVersion}, tfjs-node ${checked.tfjsNodeVersion}, ` +
      `matMul and conv2d match known values, one conv2d training step loss ${checked.convLoss.toFixed(4)} (${seconds(checked.ms)})`,
  )
  return checked
}

async function linkStep(tfjsNode) {
  const linkage = await verifyLinkage(tfjsNode)
  if (linkage.skipped) say('link', `not verified: ${linkage.skipped}`)
  else
    say(
      'link',
      `${linkage.libraries.join(', ')} resolve to ${relative(projectRoot, join(tfjsNode.depsDir, 'lib'))}`,
    )
}

function manifestFor(tfjsNode, checked, route, extra = {}) {
  return {
    tfjsNodeVersion: tfjsNode.version,
    tensorflowVersion: checked.tensorflowVersion,
    route,
    platform: process.platform,
    arch: process.arch,
    addonRelativePath: tfjsNode.addonRelativePath,
    builtWithNode: process.versions.node,
    createdAt: new Date().toISOString(),
    bindingPatch: COPY_MARKER,
    ...extra,
  }
}

async function restoreFromCache(tfjsNode, cacheRoot, options) {
  const entries = findEntries(cacheRoot, tfjsNode, options.tensorflowVersion)
  if (entries.length === 0) {
    say(
      'cache',
      `no cached build for tfjs-node ${tfjsNode.version}${options.tensorflowVersion ? ` and TensorFlow ${options.tensorflowVersion}` : ''} in ${cacheRoot}`,
    )
    return false
  }
  const { entryDir, manifest } = entries[0]
  const started = Date.now()
  installEntry(entryDir, tfjsNode)
  say(
    'cache',
    `restored TensorFlow ${manifest.tensorflowVersion} (${manifest.route}) from ${entryDir} (${seconds(Date.now() - started)})`,
  )
  try {
    await linkStep(tfjsNode)
    await loadStep()
    await checkStep()
    return true
  } catch (error) {
    say('cache', `the cached build does not work here (${error.step}: ${error.message}); building anew`)
    clearInstalledNative(tfjsNode)
    return false
  }
}

async function tryOfficialRoute(tfjsNode, cacheRoot) {
  clearInstalledNative(tfjsNode)
  say(
    'download',
    `trying tfjs-node's own download of libtensorflow ${tfjsNode.officialTensorflowVersion} (gives up if it has not started in 20 s)`,
  )
  const official = await runOfficialInstaller(tfjsNode)
  if (!official.ok && !official.librariesDownloaded) {
    say(
      'download',
      `tfjs-node's download failed after ${seconds(official.ms)}: ${official.reason}; using the PyPI wheel instead`,
    )
    clearInstalledNative(tfjsNode)
    return false
  }
  try {
    // The addon is compiled here either way: the prebuilt one lacks the binding patch (native/binding-patch.js).
    say(
      'download',
      official.ok
        ? `tfjs-node's installer downloaded libtensorflow (${seconds(official.ms)}); compiling the addon here`
        : `libtensorflow downloaded but the addon was not (${official.reason}); compiling it here`,
    )
    const compiled = await compileAddon(tfjsNode)
    say('compile', `node-gyp built ${relative(projectRoot, tfjsNode.addonPath)} (${seconds(compiled.ms)})`)
    await linkStep(tfjsNode)
    await loadStep()
    const checked = await checkStep()
    const entryName = cacheEntryName(tfjsNode.version, checked.tensorflowVersion)
    const staging = stagingDir(cacheRoot, entryName)
    stageInstalledDeps(staging, tfjsNode)
    const entryDir = commitEntry(
      staging,
      cacheRoot,
      entryName,
      manifestFor(tfjsNode, checked, 'tfjs-node-download'),
      tfjsNode,
    )
    say('cache', `saved to ${entryDir}`)
    return true
  } catch (error) {
    say(
      error.step ?? 'download',
      `the official libtensorflow did not work (${error.message}); using the PyPI wheel instead`,
    )
    clearInstalledNative(tfjsNode)
    return false
  }
}

async function buildFromWheel(tfjsNode, cacheRoot, python, tensorflowVersion) {
  const entryName = cacheEntryName(tfjsNode.version, tensorflowVersion)
  const staging = stagingDir(cacheRoot, entryName)
  const downloadDir = join(cacheRoot, `download.partial-${process.pid}`)
  try {
    say(
      'download',
      `pip download tensorflow-cpu==${tensorflowVersion} (manylinux x86_64 wheel, not installed)`,
    )
    const wheel = await downloadWheel(python, tensorflowVersion, downloadDir)
    say('download', `${wheel.wheelName}, ${(wheel.bytes / 1e6).toFixed(1)} MB (${seconds(wheel.ms)})`)

    const extracted = await extractWheel(
      python,
      wheel.wheelPath,
      join(staging, 'deps'),
      bindingTensorflowIncludes(tfjsNode.packageDir),
    )
    say(
      'extract',
      `${extracted.libraries.join(', ')} → deps/lib, linked as libtensorflow.so and libtensorflow_framework.so (${seconds(extracted.ms)})`,
    )
    const bridged = Object.entries(extracted.bridged)
    say(
      'headers',
      `${extracted.headers} headers → deps/include${bridged.length ? `; bridged ${bridged.map(([from, to]) => `${from} → ${to}`).join(', ')}` : ''}`,
    )

    installEntry(staging, tfjsNode, { withAddon: false })
    const compiled = await compileAddon(tfjsNode)
    say(
      'compile',
      `node-gyp (headers ${compiled.nodeDir}/include/node) built ${relative(projectRoot, tfjsNode.addonPath)} (${seconds(compiled.ms)})`,
    )
    await linkStep(tfjsNode)
    await loadStep()
    const checked = await checkStep()
    if (checked.tensorflowVersion !== tensorflowVersion) {
      throw new StepError(
        'check',
        `the addon reports TensorFlow ${checked.tensorflowVersion}, expected ${tensorflowVersion}`,
      )
    }
    const manifest = manifestFor(tfjsNode, checked, 'pypi-wheel', {
      wheel: wheel.wheelName,
      wheelBytes: wheel.bytes,
    })
    const entryDir = commitEntry(staging, cacheRoot, entryName, manifest, tfjsNode)
    say('cache', `saved to ${entryDir}`)
  } catch (error) {
    rmSync(staging, { recursive: true, force: true })
    throw error
  } finally {
    // pip keeps its own cache of the wheel; ours would only duplicate 200+ MB.
    rmSync(downloadDir, { recursive: true, force: true })
  }
}

async function wheelRoute(tfjsNode, cacheRoot, options) {
  const versions = options.tensorflowVersion ? [options.tensorflowVersion] : DEFAULT_TENSORFLOW_VERSIONS
  const python = await findPython()
  const failures = []
  let lastError = null
  for (const version of versions) {
    try {
      await buildFromWheel(tfjsNode, cacheRoot, python, version)
      return
    } catch (error) {
      if (!(error instanceof StepError)) throw error
      lastError = error
      failures.push(`TensorFlow ${version} failed at ${error.step}: ${error.message}`)
      clearInstalledNative(tfjsNode)
      if (version !== versions.at(-1))
        say(error.step, `TensorFlow ${version} failed (${error.message}); trying the next version`)
    }
  }
  throw new StepError(lastError.step, failures.join('\n  '))
}

async function main() {
  const started = Date.now()
  endChildrenOnInterrupt()
  const options = parseArguments(process.argv.slice(2))
  if (options.help) {
    console.log(USAGE)
    return
  }
  const tfjsNode = locateTfjsNode()
  if (!tfjsNode)
    throw new StepError('locate', '@tensorflow/tfjs-node is not installed here; run npm install first')
  const cacheRoot = nativeCacheRoot()
  startLog(cacheRoot)
  removeAbandonedStaging(cacheRoot)
  say(
    'start',
    `tfjs-node ${tfjsNode.version}, addon ${relative(projectRoot, tfjsNode.addonPath)}, cache ${cacheRoot}`,
  )

  if (options.check) {
    await loadStep()
    await checkStep()
    return
  }
  if (!options.force) {
    const loaded = await checkInChild({ loadOnly: true })
    const wanted = options.tensorflowVersion
    if (loaded.ok && (!wanted || loaded.tensorflowVersion === wanted)) {
      say(
        'load',
        `already working: backend ${loaded.backend}, TensorFlow ${loaded.tensorflowVersion}; nothing to do (--force rebuilds, --check tests)`,
      )
      return
    }
    say(
      'load',
      loaded.ok
        ? `working with TensorFlow ${loaded.tensorflowVersion}, but ${wanted} was asked for`
        : `not working yet: ${loaded.error.trim()}`,
    )
    if (await restoreFromCache(tfjsNode, cacheRoot, options)) {
      say('done', `native backend ready in ${seconds(Date.now() - started)}`)
      return
    }
  }
  mkdirSync(cacheRoot, { recursive: true })
  const officialDone =
    options.skipOfficial || options.tensorflowVersion ? false : await tryOfficialRoute(tfjsNode, cacheRoot)
  if (!officialDone) await wheelRoute(tfjsNode, cacheRoot, options)
  say('done', `native backend ready in ${seconds(Date.now() - started)}`)
}

main().catch((error) => {
  const step = error instanceof StepError ? error.step : 'internal'
  console.error(`setup:native  FAILED at step "${step}": ${error.message}`)
  if (!(error instanceof StepError)) console.error(error.stack)
  if (getLogFile()) console.error(`setup:native  details: ${getLogFile()}`)
  process.exitCode = 1
})
