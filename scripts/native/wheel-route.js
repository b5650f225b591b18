// Route 2: the TensorFlow C library from PyPI. tensorflow-cpu wheels (2.12+) ship libtensorflow_cc.so.2, which
// exports the C and eager C APIs tfjs-node calls, plus its headers; pip downloads the wheel without installing it.
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StepError, lastLine, runCommand } from './shell.js'

// Both verified with tfjs-node 4.22 (C API and eager C API unchanged); 2.16.2 first, as its wheel is smaller.
export const DEFAULT_TENSORFLOW_VERSIONS = ['2.16.2', '2.20.0']
const WHEEL_PACKAGE = 'tensorflow-cpu'
// Any CPython the wheel exists for will do: libtensorflow_cc does not link libpython.
const WHEEL_PYTHON_VERSION = '3.11'
const EXTRACTOR = join(dirname(fileURLToPath(import.meta.url)), 'extract_tensorflow_wheel.py')

/** A Python that has pip: `BOTTLENECK_PYTHON`, else python3, else python. */
export async function findPython() {
  const candidates = [process.env.BOTTLENECK_PYTHON, 'python3', 'python'].filter(Boolean)
  for (const python of candidates) {
    const result = await runCommand(python, ['-m', 'pip', '--version'], {
      timeoutMs: 30_000,
      label: 'pip --version',
    })
    if (result.code === 0) return python
  }
  throw new StepError(
    'download',
    'no Python with pip found (tried ' +
      candidates.join(', ') +
      '); install python3-pip or set BOTTLENECK_PYTHON',
  )
}

/**
 * pip's --platform tags for this machine: every manylinux tag its glibc can run, newest first (pip does not widen
 * an explicit tag to older ones), down to manylinux2014 = glibc 2.17, the oldest TensorFlow 2.12+ was built for.
 */
export function wheelPlatformTags(
  report = process.report.getReport(),
  arch = process.arch,
  platform = process.platform,
) {
  if (platform !== 'linux' || arch !== 'x64') {
    throw new StepError(
      'download',
      `the PyPI wheel route supports Linux x86_64 only (this is ${platform}-${arch})`,
    )
  }
  const glibc = report.header?.glibcVersionRuntime
  if (!glibc)
    throw new StepError(
      'download',
      'the PyPI wheel route needs a glibc-based Linux (there are no musl wheels)',
    )
  const [major, minor] = glibc.split('.').map(Number)
  if (major !== 2 || minor < 17)
    throw new StepError('download', `glibc ${glibc} is older than the 2.17 TensorFlow wheels need`)
  const tags = []
  for (let version = minor; version >= 17; version -= 1) tags.push(`manylinux_2_${version}_x86_64`)
  return [...tags, 'manylinux2014_x86_64']
}

/** Downloads `tensorflow-cpu==version` into downloadDir with pip (whose own cache makes a repeat quick). */
export async function downloadWheel(python, version, downloadDir) {
  mkdirSync(downloadDir, { recursive: true })
  const args = [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--only-binary=:all:',
    '--disable-pip-version-check',
    '--python-version',
    WHEEL_PYTHON_VERSION,
    ...wheelPlatformTags().flatMap((tag) => ['--platform', tag]),
    '-d',
    downloadDir,
    `${WHEEL_PACKAGE}==${version}`,
  ]
  const result = await runCommand(python, args, { timeoutMs: 20 * 60_000, label: 'pip download' })
  if (result.code !== 0) {
    throw new StepError(
      'download',
      `pip could not download ${WHEEL_PACKAGE}==${version}: ${lastLine(result.stderr) || result.stoppedBecause}`,
    )
  }
  const prefix = `${WHEEL_PACKAGE.replace('-', '_')}-${version}-`
  const wheel = readdirSync(downloadDir).find((name) => name.startsWith(prefix) && name.endsWith('.whl'))
  if (!wheel)
    throw new StepError('download', `pip reported success but no ${prefix}*.whl is in ${downloadDir}`)
  const wheelPath = join(downloadDir, wheel)
  return { wheelPath, wheelName: wheel, bytes: statSync(wheelPath).size, ms: result.ms }
}

/**
 * Extracts the two libraries and the headers reachable from `rootHeaders` into `depsDir` (deps/lib, deps/include),
 * then adds the link names binding.gyp uses (-ltensorflow, -ltensorflow_framework). The addon then records the
 * libraries' sonames (libtensorflow_cc.so.2, libtensorflow_framework.so.2), which its rpath finds in deps/lib.
 */
export async function extractWheel(python, wheelPath, depsDir, rootHeaders) {
  const result = await runCommand(python, [EXTRACTOR, wheelPath, depsDir, ...rootHeaders], {
    timeoutMs: 10 * 60_000,
    label: 'extract wheel',
  })
  let report
  try {
    report = JSON.parse(lastLine(result.stdout))
  } catch {
    throw new StepError(
      'extract',
      `the extractor failed: ${lastLine(result.stderr) || result.stoppedBecause || `exit code ${result.code}`}`,
    )
  }
  if (!report.ok) throw new StepError(/header/.test(report.error) ? 'headers' : 'extract', report.error)
  const libDir = join(depsDir, 'lib')
  const links = {
    'libtensorflow.so': /^libtensorflow_cc\.so\.\d+$/,
    'libtensorflow_framework.so': /^libtensorflow_framework\.so\.\d+$/,
  }
  for (const [linkName, pattern] of Object.entries(links)) {
    const target = report.libraries.find((name) => pattern.test(name))
    const linkPath = join(libDir, linkName)
    if (!existsSync(linkPath)) symlinkSync(target, linkPath)
  }
  return { ...report, ms: result.ms }
}
