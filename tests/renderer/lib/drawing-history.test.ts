import { describe, expect, it } from 'vitest'
import {
  canUndo,
  clearDrawing,
  createDrawingHistory,
  undoLast,
  visibleStrokes,
  type Stroke,
} from '@renderer/lib/drawing-history'

const stroke = (x: number): Stroke => ({ points: [{ x, y: x, pressure: 1 }], size: 18, erase: false })

describe('drawing history', () => {
  it('undo after a clear brings the cleared drawing back', () => {
    const history = createDrawingHistory()
    history.actions.push(stroke(1), stroke(2))
    clearDrawing(history)
    expect(visibleStrokes(history)).toEqual([])
    expect(canUndo(history)).toBe(true)
    undoLast(history)
    expect(visibleStrokes(history)).toEqual([stroke(1), stroke(2)])
  })

  it('strokes drawn after a clear are undone first, then the clear', () => {
    const history = createDrawingHistory()
    history.actions.push(stroke(1))
    clearDrawing(history)
    history.actions.push(stroke(3))
    expect(visibleStrokes(history)).toEqual([stroke(3)])
    undoLast(history)
    expect(visibleStrokes(history)).toEqual([])
    undoLast(history)
    expect(visibleStrokes(history)).toEqual([stroke(1)])
    undoLast(history)
    expect(canUndo(history)).toBe(false)
  })

  it('clearing an empty canvas adds nothing to undo', () => {
    const history = createDrawingHistory()
    clearDrawing(history)
    expect(canUndo(history)).toBe(false)
    history.actions.push(stroke(1))
    clearDrawing(history)
    clearDrawing(history)
    undoLast(history)
    expect(visibleStrokes(history)).toEqual([stroke(1)])
  })
})
