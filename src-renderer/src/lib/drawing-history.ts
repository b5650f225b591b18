// What the Draw view's pad has drawn, as a list of actions: strokes, and clears that hide the strokes before them.
// Keeping a clear as an action (rather than emptying the list) is what lets Undo bring a cleared drawing back, and
// keeping the list outside the pad lets the drawing survive the Draw view being closed and opened again.

export interface StrokePoint {
  x: number
  y: number
  pressure: number
}

export interface Stroke {
  points: StrokePoint[]
  size: number
  erase: boolean
}

export type DrawingAction = Stroke | 'clear'

export interface DrawingHistory {
  actions: DrawingAction[]
}

export function createDrawingHistory(): DrawingHistory {
  return { actions: [] }
}

/** The strokes on the canvas now: those after the last clear. */
export function visibleStrokes(history: DrawingHistory): Stroke[] {
  const lastClear = history.actions.lastIndexOf('clear')
  return history.actions.slice(lastClear + 1) as Stroke[]
}

export function canUndo(history: DrawingHistory): boolean {
  return history.actions.length > 0
}

/** A stroke joins the drawing when it starts; its points are appended to the same object as the pointer moves. */
export function addStroke(history: DrawingHistory, stroke: Stroke): void {
  history.actions.push(stroke)
}

/** Takes back the last stroke, or the last clear (which brings the drawing before it back). */
export function undoLast(history: DrawingHistory): void {
  history.actions.pop()
}

/** Hides every stroke; does nothing on an empty canvas, so Undo never has to take back an invisible clear. */
export function clearDrawing(history: DrawingHistory): void {
  if (visibleStrokes(history).length > 0) history.actions.push('clear')
}
