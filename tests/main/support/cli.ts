// The real `bottleneck` command (bin/bottleneck.js) run as a child process, the way a user runs it: the CLI tests
// assert on its exit code, its output and the files it leaves, so they share one way of starting it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { expect } from 'vitest'

/** The command's entry point; run with this test's Node (`process.execPath`). */
export const bottleneckBin = resolve(__dirname, '../../../bin/bottleneck.js')

/** How a run of the command ended and what it printed. */
export interface CliResult {
  /** The exit code; null when a signal ended the process. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A run that was watched as it went: also stdout and stderr interleaved in the order they arrived, as a terminal shows them. */
export interface WatchedCliResult extends CliResult {
  output: string
}

export interface CliOptions {
  /** Appended as `--store FOLDER`; without it the command uses BOTTLENECK_HOME or its default store. */
  store?: string
  /** The folder the command runs in (relative paths and presets' folders are taken from there); the test's own by default. */
  cwd?: string
}

export interface WatchedCliOptions extends CliOptions {
  /** Added to this process's environment for the command (BOTTLENECK_HOME, BOTTLENECK_BACKEND, …). */
  env?: NodeJS.ProcessEnv
  /**
   * Called after every chunk on stdout or stderr with all output so far and the child, so a test can interrupt or
   * kill the command at a chosen moment (once an epoch line or a result line shows).
   */
  onOutput?: (seen: Omit<WatchedCliResult, 'code' | 'signal'>, child: ChildProcess) => void
}

function commandLine(args: string[], options: CliOptions): string[] {
  return [bottleneckBin, ...args, ...(options.store === undefined ? [] : ['--store', options.store])]
}

/** Runs `bottleneck ARGS` to its end, blocking: for commands that run one at a time and need no watching. */
export function runCliSync(args: string[], options: CliOptions = {}): CliResult {
  const result = spawnSync(process.execPath, commandLine(args, options), {
    encoding: 'utf8',
    ...(options.cwd ? { cwd: options.cwd } : {}),
  })
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr }
}

/** Runs `bottleneck ARGS` without blocking: several at once, with its own environment, or watched as it goes. */
export function runCli(args: string[], options: WatchedCliOptions = {}): Promise<WatchedCliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, commandLine(args, options), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    })
    const seen = { stdout: '', stderr: '', output: '' }
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream].on('data', (chunk: Buffer) => {
        seen[stream] += chunk
        seen.output += chunk
        options.onOutput?.(seen, child)
      })
    }
    // 'close', not 'exit': the process can exit before its pipes are drained, and the last lines would be missing.
    child.on('close', (code, signal) => done({ code, signal, ...seen }))
  })
}

/** What the command said on stderr, line by line, without the backend line a command prints once it has started. */
export function errorLines(stderr: string): string[] {
  return stderr
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('backend:'))
}

/** The one line a refused command prints (after the backend line, when it got that far); fails if there are more. */
export function onlyErrorLine(result: { stderr: string }): string {
  const lines = errorLines(result.stderr)
  expect(lines, result.stderr).toHaveLength(1)
  return lines[0]!
}
