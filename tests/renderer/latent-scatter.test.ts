// The latent map's hit testing and keyboard: a click selects the nearest visible point (within a few pixels, never a
// far one), arrow keys move to the nearest point in that direction, A and B mark ends, the legend hides labels (any
// labels, not only the digits 0–9), each drawn in its own colour. And its
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
    // The labels the map has, not always ten digits.
    expect(legend.map((item) => item.text())).toEqual(['0', '1', '2', '3', '4'])
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

/** Records the colour each dot is drawn in, by its centre (happy-dom has no 2-D context of its own). */
function recordDots(): Map<string, string> {
  const dots = new Map<string, string>()
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function () {
    const state: Record<string | symbol, unknown> = {}
    const context = new Proxy(state, {
      get: (target, key) =>
        key in target
          ? target[key]
          : key === 'rect'
            ? (x: number, y: number, width: number, height: number) =>
                dots.set(
                  `${Math.round(x + width / 2)},${Math.round(y + height / 2)}`,
                  String(state.fillStyle),
                )
            : () => undefined,
      set: (target, key, value) => {
        target[key] = value
        return true
      },
    })
    return context as unknown as CanvasRenderingContext2D
  } as unknown as typeof HTMLCanvasElement.prototype.getContext)
  return dots
}

describe('LatentScatter with labels other than the digits 0–9', () => {
  // EMNIST letters: labels 1–26, one point each, on a 6-wide grid.
  const letters = Array.from({ length: 26 }, (_, i) => i + 1)
  const grid = letters.flatMap((_, i) => [i % 6, Math.floor(i / 6)])
  const pointOf = (label: number) => label - 1

  function mountLetters() {
    const dots = recordDots()
    const wrapper = mountScatter({ points: grid, labels: letters })
    const exposed = wrapper.vm as unknown as Exposed
    const colourOf = (label: number) => {
      const [x, y] = exposed.pixelOf(pointOf(label))
      return dots.get(`${Math.round(x)},${Math.round(y)}`)
    }
    return { wrapper, dots, exposed, colourOf }
  }

  it('draws label 11 in a colour of its own, not in label 1’s, and its legend swatch in the same colour', () => {
    const { wrapper, colourOf } = mountLetters()
    expect(colourOf(1)).toBeDefined()
    expect(colourOf(11)).toBeDefined()
    expect(colourOf(11)).not.toBe(colourOf(1))
    const swatch = (label: number) =>
      wrapper
        .findAll('.legend-item')
        .find((item) => item.text() === String(label))!
        .get('.swatch')
        .attributes('style')
    expect(swatch(11)).toContain(colourOf(11))
    expect(swatch(1)).toContain(colourOf(1))
  })

  it('lists the labels the map has, 1 to 26, and says that colours repeat past twenty', () => {
    const { wrapper, colourOf } = mountLetters()
    expect(wrapper.findAll('.legend-item').map((item) => item.text())).toEqual(letters.map(String))
    expect(new Set(letters.slice(0, 20).map(colourOf)).size).toBe(20)
    expect(colourOf(21)).toBe(colourOf(1))
    expect(wrapper.get('[data-testid="legend-note"]').text()).toBe(
      '26 labels share 20 colours, so colours repeat: hide labels to tell them apart.',
    )
    expect(wrapper.get('.legend').attributes('aria-label')).toBe(
      'Label colours; press a label to hide or show its points',
    )
  })

  it('hides one label at a time: hiding label 1 leaves label 11’s point on the map and pickable', async () => {
    const { wrapper, exposed, dots, colourOf } = mountLetters()
    const one = wrapper.findAll('.legend-item').find((item) => item.text() === '1')!
    dots.clear()
    await one.trigger('click')
    expect(one.attributes('aria-pressed')).toBe('false')
    expect(wrapper.findAll('.legend-item[aria-pressed="false"]')).toHaveLength(1)
    // The map is drawn again without label 1's point, and with label 11's.
    expect(colourOf(1)).toBeUndefined()
    expect(colourOf(11)).toBeDefined()
    const map = wrapper.get('[data-testid="latent-map"]')
    for (const label of [1, 11]) {
      const [x, y] = exposed.pixelOf(pointOf(label))
      await map.trigger('click', { clientX: x, clientY: y })
    }
    expect(wrapper.emitted('select')).toEqual([[pointOf(11)]])
  })

  it('names a hovered point’s label as a label, not a digit', async () => {
    const { wrapper, exposed } = mountLetters()
    const [x, y] = exposed.pixelOf(pointOf(11))
    await wrapper.get('[data-testid="latent-map"]').trigger('pointermove', { clientX: x, clientY: y })
    expect(wrapper.get('.tooltip').text()).toBe('Test image 10 · label 11')
  })

  it('keeps MNIST’s digits in their tab10 colours, with no note about repeating colours', () => {
    const dots = recordDots()
    const digits = Array.from({ length: 10 }, (_, i) => i)
    const wrapper = mountScatter({
      points: digits.flatMap((i) => [i % 5, Math.floor(i / 5)]),
      labels: digits,
    })
    const exposed = wrapper.vm as unknown as Exposed
    const colours = digits.map((i) => {
      const [x, y] = exposed.pixelOf(i)
      return dots.get(`${Math.round(x)},${Math.round(y)}`)
    })
    expect(colours).toEqual([
      '#1f77b4',
      '#ff7f0e',
      '#2ca02c',
      '#d62728',
      '#9467bd',
      '#8c564b',
      '#e377c2',
      '#7f7f7f',
      '#bcbd22',
      '#17becf',
    ])
    expect(wrapper.find('[data-testid="legend-note"]').exists()).toBe(false)
    expect(wrapper.get('.legend').attributes('aria-label')).toBe(
      'Digit colours; press a digit to hide or show its points',
    )
  })
})
