// Remembers the main window's size and place between runs, in userData/window-state.json, written atomically so
// a crash mid-write leaves the previous state. A state that would put the window off every screen is ignored.
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'

export interface WindowState {
  x?: number
  y?: number
  width: number
  height: number
  maximized: boolean
}

interface Area {
  x: number
  y: number
  width: number
  height: number
}

export function windowStatePath(userData: string): string {
  return join(userData, 'window-state.json')
}

/** Reads the saved state; undefined when missing, unreadable, or not visible on any of `displays`. */
export async function loadWindowState(file: string, displays: Area[]): Promise<WindowState | undefined> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'))
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const { x, y, width, height, maximized } = parsed as Record<string, unknown>
  const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value)
  if (!isInt(width) || !isInt(height) || width < 400 || height < 300 || width > 20000 || height > 20000)
    return undefined
  const state: WindowState = { width, height, maximized: maximized === true }
  if (isInt(x) && isInt(y)) {
    // At least a 100 px square of the title bar area must land on some display, or the window would be lost.
    const visible = displays.some(
      (area) =>
        x + 100 > area.x &&
        x < area.x + area.width - 100 &&
        y >= area.y - 10 &&
        y < area.y + area.height - 50,
    )
    if (visible) Object.assign(state, { x, y })
  }
  return state
}

/** Temp file in the same folder, fsync, rename: the old file survives any crash. */
export async function saveWindowState(file: string, state: WindowState): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`
  const handle = await open(temporary, 'w')
  try {
    await handle.writeFile(JSON.stringify(state, null, 2))
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temporary, file)
  } catch (error) {
    await unlink(temporary).catch(() => undefined)
    throw error
  }
}
