// The latent map's hit testing and keyboard: a click selects the nearest visible point (within a few pixels, never a
// far one), arrow keys move to the nearest point in that direction, A and B mark ends, the legend hides digits. And its
// size: as large as the card's width and the window's height allow, sharp at any pixel ratio, clickable at any size.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import LatentScatter from '@renderer/components/LatentScatter.vue'

// happy-dom lays nothing out: the window's size comes from its viewport; the card's width, the map's place on the page
// (the legend 30 px high, 8 px under it) and where the canvas is drawn (30 px right of and 50 px below the window's
// corner, at its CSS size) are stubbed.
const happyDOM = (window as unknown as { happyDOM: { setViewport(viewport: Record<string, number>): void } })
  .happyDOM
const DRAWN_AT = { left: 30, top: 50 }
const LEGEND = { gap: 8, height: 30 }

function layOut({ cardWidth, mapTop = 0 }: { cardWidth: number; mapTop?: number }) {
  const side = (element: HTMLElement) => parseFloat(element.style.height) || 0
  const box = (element: HTMLElement) => {
    if (element.classList.contains('canvas-box')) return { top: mapTop, height: side(element) }
    if (element.classList.contains('legend')) {
      const map = element.parentElement!.querySelector<HTMLElement>('.canvas-box')!
      return { top: mapTop + side(map) + LEGEND.gap, height: LEGEND.height }
    }
    return { top: 0, height: 0 }
  }
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(cardWidth)
  vi.spyOn(HTMLElement.prototype, 'offsetTop', 'get').mockImplementation(function (this: HTMLElement) {
    return box(this).top
  })
  vi.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockImplementation(function (this: HTMLElement) {
    return box(this).height
  })
  vi.spyOn(HTMLCanvasElement.prototype, 'getBoundingClientRect').mockImplementation(function (
    this: HTMLElement,
  ) {
    return DOMRect.fromRect({ x: DRAWN_AT.left, y: DRAWN_AT.top, width: side(this), height: side(this) })
  })
  return {
    moveMapTo(top: number) {
      mapTop = top
    },
  }
}

afterEach(() => {
  vi.restoreAllMocks()
  happyDOM.setViewport({ width: 1024, height: 768, devicePixelRatio: 1 })
  document.body.innerHTML = ''
})

// Five points: centre, right, left, up, and far up-right; labels 0…4.
const points = [0, 0, 1, 0, -1, 0, 0, 1, 1, 1]
const labels = [0, 1, 2, 3, 4]

function mountScatter(props: Record<string, unknown> = {}) {
  return mount(LatentScatter, { attachTo: document.body, props: { points, labels, ...props } })
}

type Exposed = { pixelOf(index: number): [number, number] }

function mapSide(wrapper: ReturnType<typeof mountScatter>): number {
  return parseFloat((wrapper.get('[data-testid="latent-map"]').element as HTMLCanvasElement).style.width)
}

describe('LatentScatter', () => {
  it('selects the point under a click, and nothing when the click is far from every point', async () => {
    const wrapper = mountScatter()
    const [x, y] = (wrapper.vm as unknown as Exposed).pixelOf(1)
    const map = wrapper.get('[data-testid="latent-map"]')
    await map.trigger('click', { clientX: x + 3, clientY: y - 2 })
    expect(wrapper.emitted('select')).toEqual([[1]])
    const [cx, cy] = (wrapper.vm as unknown as Exposed).pixelOf(0)
    await map.trigger('click', { clientX: (x + cx) / 2, clientY: (y + cy) / 2 + 60 })
    expect(wrapper.emitted('select')).toHaveLength(1)
  })

  it('moves the selection with the arrow keys and marks ends with A and B', async () => {
    const wrapper = mountScatter({ selected: 0 })
    const map = wrapper.get('[data-testid="latent-map"]')
    await map.trigger('keydown', { key: 'ArrowRight' })
    await map.trigger('keydown', { key: 'ArrowLeft' })
    await map.trigger('keydown', { key: 'ArrowUp' })
    expect(wrapper.emitted('select')).toEqual([[1], [2], [3]])
    // Nothing below the centre: the selection stays.
    await map.trigger('keydown', { key: 'ArrowDown' })
    expect(wrapper.emitted('select')).toHaveLength(3)
    await map.trigger('keydown', { key: 'a' })
    await map.trigger('keydown', { key: 'b' })
    expect(wrapper.emitted('end')).toEqual([
      ['from', 0],
      ['to', 0],
    ])
  })

  it('starts keyboard selection at the point nearest the centre', async () => {
    // With a sixth point below, the plot's centre is the data's origin: point 0.
    const wrapper = mountScatter({ selected: null, points: [...points, 0, -1], labels: [...labels, 5] })
    await wrapper.get('[data-testid="latent-map"]').trigger('keydown', { key: 'ArrowRight' })
    expect(wrapper.emitted('select')).toEqual([[0]])
  })

  it('hides a digit from the legend: its points can no longer be picked, and its button says so', async () => {
    const wrapper = mountScatter()
    const legend = wrapper.findAll('.legend-item')
    expect(legend).toHaveLength(10)
    await legend[1]!.trigger('click')
    expect(legend[1]!.attributes('aria-pressed')).toBe('false')
    const [x, y] = (wrapper.vm as unknown as Exposed).pixelOf(1)
    await wrapper.get('[data-testid="latent-map"]').trigger('click', { clientX: x, clientY: y })
    expect(wrapper.emitted('select')).toBeUndefined()
    await legend[1]!.trigger('click')
    await wrapper.get('[data-testid="latent-map"]').trigger('click', { clientX: x, clientY: y })
    expect(wrapper.emitted('select')).toEqual([[1]])
  })

  it('tells screen readers what the map holds and how to use it', () => {
    const wrapper = mountScatter({ label: 'Latent map of plane' })
    expect(wrapper.get('[data-testid="latent-map"]').attributes('aria-label')).toMatch(
      /^Latent map of plane: 5 test images\. Click a point, or focus the map and use the arrow keys/,
    )
    expect(wrapper.get('[data-testid="latent-map"]').attributes('tabindex')).toBe('0')
  })

  it('fills the card’s width on a tall window, and the window’s height below the map on a short one', async () => {
    happyDOM.setViewport({ width: 1600, height: 1200 })
    layOut({ cardWidth: 900, mapTop: 150 })
    const wrapper = mountScatter()
    await wrapper.vm.$nextTick()
    expect(mapSide(wrapper)).toBe(900)
    happyDOM.setViewport({ width: 1600, height: 800 })
    await wrapper.vm.$nextTick()
    // The whole map and its legend are on screen, with only a little air left under them.
    const legendBottom = 150 + mapSide(wrapper) + LEGEND.gap + LEGEND.height
    expect(legendBottom).toBeLessThanOrEqual(800)
    expect(legendBottom).toBeGreaterThan(770)
    happyDOM.setViewport({ width: 1600, height: 300 })
    await wrapper.vm.$nextTick()
    expect(mapSide(wrapper)).toBe(320)
  })

  it('keeps fitting the window when new points arrive with more above the map', async () => {
    happyDOM.setViewport({ width: 1600, height: 800 })
    const layout = layOut({ cardWidth: 900, mapTop: 150 })
    const wrapper = mountScatter()
    await wrapper.vm.$nextTick()
    const legendBottom = (mapTop: number) => mapTop + mapSide(wrapper) + LEGEND.gap + LEGEND.height
    expect(legendBottom(150)).toBeLessThanOrEqual(800)
    // A longer caption for the new map takes another line: the map now starts 20 px lower.
    layout.moveMapTo(170)
    await wrapper.setProps({ points: [...points, 2, 2], labels: [...labels, 5] })
    await wrapper.vm.$nextTick()
    expect(legendBottom(170)).toBeLessThanOrEqual(800)
    expect(legendBottom(170)).toBeGreaterThan(770)
  })

  it('draws at the screen’s pixel ratio, and again when it changes', async () => {
    happyDOM.setViewport({ width: 1600, height: 1200, devicePixelRatio: 1 })
    layOut({ cardWidth: 500 })
    const wrapper = mountScatter()
    await wrapper.vm.$nextTick()
    const canvases = wrapper.findAll('canvas').map((canvas) => canvas.element as HTMLCanvasElement)
    expect(canvases.map((canvas) => canvas.width)).toEqual([500, 500])
    happyDOM.setViewport({ devicePixelRatio: 2 })
    await wrapper.vm.$nextTick()
    expect(canvases.map((canvas) => [canvas.width, canvas.height])).toEqual([
      [1000, 1000],
      [1000, 1000],
    ])
    expect(mapSide(wrapper)).toBe(500)
  })

  it('picks the point under a click at a large size and, after the window shrinks, at a small one', async () => {
    happyDOM.setViewport({ width: 1600, height: 1200 })
    layOut({ cardWidth: 900 })
    const wrapper = mountScatter()
    await wrapper.vm.$nextTick()
    const map = wrapper.get('[data-testid="latent-map"]')
    const exposed = wrapper.vm as unknown as Exposed
    const clickOn = (index: number) => {
      const [x, y] = exposed.pixelOf(index)
      return map.trigger('click', { clientX: DRAWN_AT.left + x, clientY: DRAWN_AT.top + y })
    }
    expect(mapSide(wrapper)).toBe(900)
    const [largeX] = exposed.pixelOf(1)
    await clickOn(1)
    await clickOn(4)
    expect(wrapper.emitted('select')).toEqual([[1], [4]])

    happyDOM.setViewport({ width: 1600, height: 500 })
    await wrapper.vm.$nextTick()
    expect(mapSide(wrapper)).toBeLessThan(500)
    // The points moved in with the map's edges, and a click where one is drawn now still picks it.
    expect(exposed.pixelOf(1)[0]).toBeLessThan(largeX - 300)
    await clickOn(1)
    await clickOn(3)
    expect(wrapper.emitted('select')).toEqual([[1], [4], [1], [3]])
    // Where point 1 was on the large map is off the small one: nothing is picked.
    await map.trigger('click', {
      clientX: DRAWN_AT.left + largeX,
      clientY: DRAWN_AT.top + exposed.pixelOf(1)[1],
    })
    expect(wrapper.emitted('select')).toHaveLength(4)
  })
})
