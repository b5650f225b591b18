// Types for cache.js, so TypeScript tests can import it.
import type { TfjsNodeInstall } from './locations.js'

export interface CacheManifest {
  tfjsNodeVersion: string
  tensorflowVersion: string
  route: string
  platform: string
  arch: string
  addonRelativePath: string
  createdAt: string
  [key: string]: unknown
}
type TfjsNodeLayout = Pick<
  TfjsNodeInstall,
  'version' | 'depsDir' | 'addonPath' | 'addonRelativePath' | 'moduleDir'
>
export const MANIFEST: string
export function copyTree(source: string, destination: string, options?: { hardLink?: boolean }): void
export function readManifest(entryDir: string): CacheManifest | null
export function entryProblem(
  entryDir: string,
  manifest: CacheManifest | null,
  tfjsNode: TfjsNodeLayout,
): string | null
export function findEntries(
  cacheRoot: string,
  tfjsNode: TfjsNodeLayout,
  tensorflowVersion?: string | null,
): { entryDir: string; manifest: CacheManifest }[]
export function clearInstalledNative(tfjsNode: TfjsNodeLayout): void
export function installEntry(
  entryDir: string,
  tfjsNode: TfjsNodeLayout,
  options?: { withAddon?: boolean },
): void
export function stagingDir(cacheRoot: string, entryName: string): string
export function removeAbandonedStaging(cacheRoot: string): void
export function commitEntry(
  staging: string,
  cacheRoot: string,
  entryName: string,
  manifest: CacheManifest,
  tfjsNode: TfjsNodeLayout,
): string
export function stageInstalledDeps(staging: string, tfjsNode: TfjsNodeLayout): void
