import { describe, expect, it } from 'vitest'
import { mount, type DOMWrapper } from '@vue/test-utils'
import CodeView from '@renderer/components/CodeView.vue'
import Sparkline from '@renderer/components/Sparkline.vue'

describe('CodeView', () => {
  it('draws one strip cell and one bar per code value, labelled with the range', () => {
    const code = Array.from({ length: 32 }, (_, i) => (i - 16) / 8)
    const wrapper = mount(CodeView, { props: { code } })
    expect(wrapper.findAll('.strip span')).toHaveLength(32)
    expect(wrapper.findAll('.bar')).toHaveLength(32)
    expect(wrapper.findAll('.bar.negative')).toHaveLength(16)
    expect(wrapper.attributes('aria-label')).toBe('Latent code: 32 values from −2.00 to 1.88')
    expect(wrapper.find('svg.plane').exists()).toBe(false)
  })

  it('places a 2-D code where its values say, widening the plane past ±3 and labelling its axes', () => {
    // A VAE code the Latent view shows at y ≈ −3.6: on a fixed ±3 plane it used to sit pinned to the edge.
    const wrapper = mount(CodeView, { props: { code: [-2.04, -3.57] } })
    const point = wrapper.get('svg.plane circle')
    // ±4 spans the plotting area, 28 units either side of the centre (the band around it holds the axis numbers).
    expect(Number(point.attributes('cx'))).toBeCloseTo(50 - (2.04 / 4) * 28, 5)
    expect(Number(point.attributes('cy'))).toBeCloseTo(50 + (3.57 / 4) * 28, 5) // inside the reach (78), not on it
    expect(wrapper.findAll('svg.plane text').map((text) => text.text())).toEqual(['−4', '4', '4', '−4'])
    expect(wrapper.get('svg.plane').attributes('aria-label')).toBe(
      'Code point at (−2.04, −3.57) on a ±4 plane',
    )

    // Codes inside ±3 share one plane, so rows side by side compare at a glance.
    const near = mount(CodeView, { props: { code: [1.5, -0.5] } })
    expect(Number(near.get('svg.plane circle').attributes('cx'))).toBeCloseTo(50 + (1.5 / 3) * 28, 5)
    expect(near.get('svg.plane').attributes('aria-label')).toContain('on a ±3 plane')
  })

  it('keeps the point clear of the axis numbers, wherever on the plane it lies', () => {
    // A number's box in viewBox units at the 10-unit font size of .axis-values, as Chromium's getBBox gives it with
    // the default sans-serif: 0.75 em per character on average (the minus sign is 0.84 em), or its squeezed length;
    // from 1 em above its baseline to 0.25 em below.
    const numberBox = (text: DOMWrapper<Element>) => {
      const x = Number(text.attributes('x'))
      const y = Number(text.attributes('y'))
      const width = Number(text.attributes('textLength') ?? text.text().length * 7.5)
      const left = text.attributes('text-anchor') === 'end' ? x - width : x
      return { left, right: left + width, top: y - 10, bottom: y + 2.5 }
    }
    // Points at the plane's reach and just inside it, next to each number, and far out where the numbers grow wide.
    const codes = [
      [-3, 0.3],
      [3, 0.3],
      [-2.99, 0],
      [0.2, 3],
      [0.3, -3],
      [-3, 3],
      [3, -3],
      [-12.6, 0.5],
      [12.6, 0.5],
      [0.4, -12.6],
    ]
    for (const code of codes) {
      const plane = mount(CodeView, { props: { code } }).get('svg.plane')
      const circle = plane.get('circle')
      const [cx, cy, r] = ['cx', 'cy', 'r'].map((name) => Number(circle.attributes(name)))
      const dot = { left: cx! - r!, right: cx! + r!, top: cy! - r!, bottom: cy! + r! }
      expect(dot.left, `dot of ${code} inside the plane`).toBeGreaterThanOrEqual(0)
      expect(dot.right, `dot of ${code} inside the plane`).toBeLessThanOrEqual(100)
      for (const text of plane.findAll('text')) {
        const box = numberBox(text)
        const overlaps =
          dot.left < box.right && box.left < dot.right && dot.top < box.bottom && box.top < dot.bottom
        expect(overlaps, `dot of ${code} over the axis number ${text.text()}`).toBe(false)
      }
    }
  })

  it('shows a 2-D code on the plane only: a strip of two cells would always be the same two colours', () => {
    const wrapper = mount(CodeView, { props: { code: [0.1, 0.2], compact: true } })
    expect(wrapper.find('svg.plane').exists()).toBe(true)
    expect(wrapper.find('.strip').exists()).toBe(false)
    expect(wrapper.text()).toContain('2-D')
  })

  it('draws a code whose values differ by less than the legend shows in one mid-scale colour', () => {
    // All but zero: a dead code from a collapsed model, with rounding noise in a few places.
    const code = Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 3e-7 : 0))
    const wrapper = mount(CodeView, { props: { code } })
    expect(wrapper.text()).toContain('min 0.00')
    expect(wrapper.text()).toContain('max 0.00')
    const colours = new Set(wrapper.findAll('.strip span').map((cell) => cell.attributes('style')))
    expect([...colours]).toEqual(['background: rgb(33, 145, 140);'])

    // A real range still runs from the dark end of the scale to the bright one.
    const spread = mount(CodeView, { props: { code: [0, 0.5, 1, 0.25] } })
    const cells = spread.findAll('.strip span').map((cell) => cell.attributes('style'))
    expect(cells[0]).toBe('background: rgb(68, 1, 84);')
    expect(cells[2]).toBe('background: rgb(252, 230, 37);')
  })

  it('says there is no code yet instead of drawing an empty strip', () => {
    expect(mount(CodeView, { props: { code: null } }).text()).toContain('No code yet.')
  })
})

describe('Sparkline', () => {
  it('draws a polyline scaled to its box, and a dashed placeholder for fewer than two points', () => {
    const line = mount(Sparkline, { props: { values: [3, 2, 1], width: 100, height: 20, label: 'loss' } })
    const points = line.get('polyline').attributes('points')!.split(' ')
    expect(points).toEqual(['1.0,1.0', '50.0,10.0', '99.0,19.0'])
    expect(
      mount(Sparkline, { props: { values: [1], label: 'loss' } })
        .find('polyline')
        .exists(),
    ).toBe(false)
  })
})
