import { afterEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import DrawingPad from '@renderer/components/DrawingPad.vue'
import { createDrawingHistory, visibleStrokes } from '@renderer/lib/drawing-history'

afterEach(() => {
  document.body.innerHTML = ''
})

/** A pad at the page's top-left corner, shown at its own size: client coordinates are canvas coordinates. */
function mountPad() {
  const history = createDrawingHistory()
  const wrapper = mount(DrawingPad, { props: { history }, attachTo: document.body })
  const canvas = wrapper.get('canvas').element as HTMLCanvasElement
  canvas.getBoundingClientRect = () => new DOMRect(0, 0, 280, 280)
  const pointer = (
    type: string,
    pointerId: number,
    x: number,
    y: number,
    init: Partial<PointerEventInit> = {},
  ) =>
    canvas.dispatchEvent(
      new PointerEvent(type, {
        bubbles: true,
        cancelable: true,
        pointerId,
        pointerType: 'touch',
        clientX: x,
        clientY: y,
        button: type === 'pointermove' ? -1 : 0,
        ...init,
      }),
    )
  return { history, pointer }
}

describe('DrawingPad', () => {
  it('draws one stroke with the first finger, and a second finger touching down meanwhile adds nothing to it', () => {
    const { history, pointer } = mountPad()
    pointer('pointerdown', 1, 40, 100)
    pointer('pointermove', 1, 80, 100)
    pointer('pointerdown', 2, 40, 250)
    pointer('pointermove', 2, 80, 250)
    pointer('pointermove', 1, 120, 100)
    // The second finger lifts first: the first one is still drawing.
    pointer('pointerup', 2, 80, 250)
    pointer('pointermove', 1, 160, 100)
    pointer('pointerup', 1, 160, 100)
    const strokes = visibleStrokes(history)
    expect(strokes).toHaveLength(1)
    expect(strokes[0]!.points.map((p) => [p.x, p.y])).toEqual([
      [40, 100],
      [80, 100],
      [120, 100],
      [160, 100],
    ])
  })

  it('starts a new stroke when the same pointer presses again after a release it never reported', () => {
    const { history, pointer } = mountPad()
    pointer('pointerdown', 1, 40, 40, { pointerType: 'mouse' })
    pointer('pointerdown', 1, 200, 200, { pointerType: 'mouse' })
    pointer('pointermove', 1, 220, 220, { pointerType: 'mouse' })
    expect(visibleStrokes(history).map((s) => s.points.length)).toEqual([1, 2])
  })

  it('erases with the eraser end of a pen', () => {
    const { history, pointer } = mountPad()
    pointer('pointerdown', 3, 40, 40, { pointerType: 'pen', button: 5, pressure: 0.5 })
    pointer('pointerup', 3, 40, 40, { pointerType: 'pen', button: 5 })
    pointer('pointerdown', 3, 60, 60, { pointerType: 'pen', button: 0, pressure: 0.5 })
    expect(visibleStrokes(history).map((s) => s.erase)).toEqual([true, false])
  })
})
