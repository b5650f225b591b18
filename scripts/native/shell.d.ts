// Types for shell.js, so TypeScript tests can import it.
export class StepError extends Error {
  constructor(step: string, message: string)
  step: string
}
export function endChildrenOnInterrupt(): void
export function setLogFile(path: string | null): void
export function getLogFile(): string | null
export function logDetail(text: string): void
export function say(step: string, message: string): void
export function seconds(milliseconds: number): string
export function lastLine(text: string): string
export function runCommand(
  command: string,
  args: string[],
  options?: {
    cwd?: string
    env?: NodeJS.ProcessEnv
    timeoutMs?: number
    label?: string
    watchdog?: (elapsedMs: number) => string | null
  },
): Promise<{
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  stoppedBecause: string | null
  ms: number
  spawnError?: Error
}>
