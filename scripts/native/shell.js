// Running child processes for setup:native: output goes to the log file, a watchdog can stop a stalled step,
// and failures carry the name of the step so the person at the terminal knows what broke.
import { spawn } from 'node:child_process'
import { appendFileSync } from 'node:fs'

/** A failure of one named setup step (download, extract, headers, compile, link, load, check, ...). */
export class StepError extends Error {
  constructor(step, message) {
    super(message)
    this.name = 'StepError'
    this.step = step
  }
}

let logFile = null
const runningGroups = new Set()

/** Children run in their own process groups (so a timeout ends make and g++ too); an interrupted setup ends them. */
export function endChildrenOnInterrupt() {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      for (const pid of runningGroups) {
        try {
          process.kill(-pid, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
      console.error(`setup:native  interrupted (${signal}); the next run starts over`)
      process.exit(130)
    })
  }
}

export function setLogFile(path) {
  logFile = path
}

export function getLogFile() {
  return logFile
}

export function logDetail(text) {
  if (!logFile) return
  try {
    appendFileSync(logFile, text.endsWith('\n') ? text : `${text}\n`)
  } catch {
    // The log is a convenience; a read-only cache must not break the setup itself.
  }
}

/** Prints one progress line: the step name in a fixed column, then what happened. */
export function say(step, message) {
  const line = `setup:native  ${step.padEnd(9)} ${message}`
  console.log(line)
  logDetail(line)
}

export function seconds(milliseconds) {
  return `${(milliseconds / 1000).toFixed(1)} s`
}

/**
 * Runs a command to completion. The child gets its own process group so a timeout ends it and everything it
 * started (make, g++), and nothing else. `watchdog(elapsedMs)` may return a reason string to stop the child early.
 */
export function runCommand(command, args, options = {}) {
  const { cwd, env, timeoutMs = 10 * 60_000, watchdog, label = command } = options
  return new Promise((resolve) => {
    const started = Date.now()
    logDetail(`\n$ (cd ${cwd ?? process.cwd()} && ${[command, ...args].join(' ')})`)
    let stdout = ''
    let stderr = ''
    let stoppedBecause = null
    let child
    try {
      child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (error) {
      resolve({
        code: null,
        signal: null,
        stdout,
        stderr: String(error),
        stoppedBecause: null,
        ms: 0,
        spawnError: error,
      })
      return
    }
    runningGroups.add(child.pid)
    const stop = (reason) => {
      if (stoppedBecause) return
      stoppedBecause = reason
      logDetail(`[${label}] stopped: ${reason}`)
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      logDetail(chunk.toString())
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      logDetail(chunk.toString())
    })
    const timer = setInterval(() => {
      const elapsed = Date.now() - started
      if (elapsed > timeoutMs) stop(`no result after ${seconds(timeoutMs)}`)
      else if (watchdog) {
        const reason = watchdog(elapsed)
        if (reason) stop(reason)
      }
    }, 500)
    child.on('error', (error) => {
      clearInterval(timer)
      runningGroups.delete(child.pid)
      resolve({
        code: null,
        signal: null,
        stdout,
        stderr: stderr + String(error),
        stoppedBecause,
        ms: Date.now() - started,
        spawnError: error,
      })
    })
    child.on('close', (code, signal) => {
      clearInterval(timer)
      runningGroups.delete(child.pid)
      logDetail(
        `[${label}] exit code ${code}${signal ? `, signal ${signal}` : ''} after ${seconds(Date.now() - started)}`,
      )
      resolve({ code, signal, stdout, stderr, stoppedBecause, ms: Date.now() - started })
    })
  })
}

/** The last non-empty line of a command's error output: usually the one that names the problem. */
export function lastLine(text) {
  const lines = String(text)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  return lines.at(-1) ?? ''
}
