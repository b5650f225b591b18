// Which canvases of a view hold a picture, for tests of views that paint on canvases.
import { vi } from 'vitest'

/**
 * happy-dom paints nothing: records which canvases hold a picture, and forgets it when the canvas is resized, as a
 * browser clears a canvas whose width or height is set (by property or attribute).
 */
export function trackPaintedCanvases(): Set<HTMLCanvasElement> {
  const painted = new Set<HTMLCanvasElement>()
  const setAttribute = Element.prototype.setAttribute
  vi.spyOn(Element.prototype, 'setAttribute').mockImplementation(function (
    this: Element,
    name: string,
    value: string,
  ) {
    if (this instanceof HTMLCanvasElement && (name === 'width' || name === 'height')) painted.delete(this)
    setAttribute.call(this, name, value)
  })
  for (const side of ['width', 'height'] as const) {
    const original = Object.getOwnPropertyDescriptor(HTMLCanvasElement.prototype, side)!
    vi.spyOn(HTMLCanvasElement.prototype, side, 'set').mockImplementation(function (
      this: HTMLCanvasElement,
      value: number,
    ) {
      painted.delete(this)
      original.set!.call(this, value)
    })
  }
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (this: HTMLCanvasElement) {
    const record = () => void painted.add(this)
    return new Proxy(
      {},
      { get: (_target, key) => (key === 'putImageData' ? record : () => undefined) },
    ) as CanvasRenderingContext2D
  } as unknown as typeof HTMLCanvasElement.prototype.getContext)
  return painted
}
