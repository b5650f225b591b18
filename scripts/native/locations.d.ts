// Types for locations.js, so TypeScript tests can import it.
export interface TfjsNodeInstall {
  packageDir: string
  packageJsonPath: string
  version: string
  moduleName: string
  addonPath: string
  addonRelativePath: string
  moduleDir: string
  napiBuildVersion: number | null
  depsDir: string
  officialTensorflowVersion: string | null
}
export const projectRoot: string
export function nativeCacheRoot(env?: Record<string, string | undefined>, home?: string): string
export function cacheEntryName(tfjsNodeVersion: string, tensorflowVersion: string): string
export function locateTfjsNode(root?: string): TfjsNodeInstall | null
export function bindingTensorflowIncludes(packageDir: string): string[]
