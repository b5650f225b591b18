// Types for wheel-route.js, so TypeScript tests can import it.
export const DEFAULT_TENSORFLOW_VERSIONS: string[]
export function findPython(): Promise<string>
export function wheelPlatformTags(
  report?: { header?: { glibcVersionRuntime?: string } },
  arch?: string,
  platform?: string,
): string[]
export function downloadWheel(
  python: string,
  version: string,
  downloadDir: string,
): Promise<{ wheelPath: string; wheelName: string; bytes: number; ms: number }>
export function extractWheel(
  python: string,
  wheelPath: string,
  depsDir: string,
  rootHeaders: string[],
): Promise<{ ok: true; libraries: string[]; headers: number; bridged: Record<string, string>; ms: number }>
