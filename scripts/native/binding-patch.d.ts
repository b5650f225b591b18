export const COPY_MARKER: string
export const LENT: string
export function patchBindingSource(source: string): { source: string; changed: boolean }
export function patchBinding(packageDir: string): { file: string; changed: boolean }
