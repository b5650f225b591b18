// Route 1: tfjs-node's own installer (downloads libtensorflow from Google's storage, then fetches or builds the
// addon). It hangs or fails without that host, so a watchdog gives the download a short time to start.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { projectRoot } from './locations.js'
import { lastLine, runCommand } from './shell.js'

const DOWNLOAD_START_TIMEOUT_MS = 20_000
const INSTALL_TIMEOUT_MS = 15 * 60_000

function hasEntries(dir) {
  try {
    return readdirSync(dir).length > 0
  } catch {
    return false
  }
}

/** The official libtensorflow tarball lays out deps/lib/libtensorflow.so.<version>; tfjs-node checks the same file. */
export function officialLibraryPresent(tfjsNode) {
  const version = tfjsNode.officialTensorflowVersion
  return Boolean(version) && existsSync(join(tfjsNode.depsDir, 'lib', `libtensorflow.so.${version}`))
}

const NETWORK_ERROR = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/

/** The line that says why: a network error if there is one (install.js prints some to stdout), else the last one. */
function failureReason(result) {
  if (result.stoppedBecause) return result.stoppedBecause
  const output = `${result.stderr}\n${result.stdout}`
  const networkLine = output.split('\n').find((line) => NETWORK_ERROR.test(line))
  const reason =
    (networkLine
      ? networkLine.replace(/^(node-pre-gyp ERR!|Error:)\s*/, '').trim()
      : lastLine(result.stderr)) || `exit code ${result.code}`
  return reason.length > 200 ? `${reason.slice(0, 197)}...` : reason
}

/**
 * Runs `node scripts/install.js` inside tfjs-node. Resolves to `{ ok, librariesDownloaded, reason, ms }`;
 * `librariesDownloaded` lets the caller build the addon itself when only the prebuilt-addon download failed.
 * The caller has cleared deps/ beforehand, so anything appearing there means the download is flowing.
 */
export async function runOfficialInstaller(tfjsNode) {
  // install.js rewrites its package.json while it builds and restores it only on success.
  const packageJsonBefore = readFileSync(tfjsNode.packageJsonPath, 'utf8')
  const binPaths = [
    join(tfjsNode.packageDir, 'node_modules', '.bin'),
    join(projectRoot, 'node_modules', '.bin'),
  ]
  const result = await runCommand(process.execPath, ['scripts/install.js'], {
    cwd: tfjsNode.packageDir,
    env: { ...process.env, PATH: [...binPaths, process.env.PATH].join(delimiter) },
    timeoutMs: INSTALL_TIMEOUT_MS,
    label: 'tfjs-node install.js',
    watchdog: (elapsed) =>
      elapsed > DOWNLOAD_START_TIMEOUT_MS && !hasEntries(tfjsNode.depsDir)
        ? `the libtensorflow download did not start within ${DOWNLOAD_START_TIMEOUT_MS / 1000} s`
        : null,
  })
  if (readFileSync(tfjsNode.packageJsonPath, 'utf8') !== packageJsonBefore) {
    writeFileSync(tfjsNode.packageJsonPath, packageJsonBefore)
  }
  const librariesDownloaded = officialLibraryPresent(tfjsNode)
  const ok =
    result.code === 0 && !result.stoppedBecause && librariesDownloaded && existsSync(tfjsNode.addonPath)
  const reason = ok ? null : failureReason(result)
  return { ok, librariesDownloaded, reason, ms: result.ms }
}
