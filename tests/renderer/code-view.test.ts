import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import CodeView from '@renderer/components/CodeView.vue'
import Sparkline from '@renderer/components/Sparkline.vue'

describe('CodeView', () => {
  it('draws one strip cell and one bar per code value, labelled with the range', () => {
    const code = Array.from({ length: 32 }, (_, i) => (i - 16) / 8)
    const wrapper = mount(CodeView, { props: { code } })
    expect(wrapper.findAll('.strip span')).toHaveLength(32)
    expect(wrapper.findAll('.bar')).toHaveLength(32)
    expect(wrapper.findAll('.bar.negative')).toHaveLength(16)
    expect(wrapper.attributes('aria-label')).toBe('Latent code: 32 values from -2.00 to 1.88')
    expect(wrapper.find('svg.plane').exists()).toBe(false)
  })

  it('places a 2-D code where its values say, widening the plane past ±3 and labelling its axes', () => {
    // A VAE code the Latent view shows at y ≈ −3.6: on a fixed ±3 plane it used to sit pinned to the edge.
    const wrapper = mount(CodeView, { props: { code: [-2.04, -3.57] } })
    const point = wrapper.get('svg.plane circle')
    expect(Number(point.attributes('cx'))).toBeCloseTo(50 - (2.04 / 4) * 45, 5)
    expect(Number(point.attributes('cy'))).toBeCloseTo(50 + (3.57 / 4) * 45, 5) // inside the edge (95), not on it
    expect(wrapper.findAll('svg.plane text').map((text) => text.text())).toEqual(['−4', '4', '4', '−4'])
    expect(wrapper.get('svg.plane').attributes('aria-label')).toBe(
      'Code point at (-2.04, -3.57) on a ±4 plane',
    )

    // Codes inside ±3 share one plane, so rows side by side compare at a glance.
    const near = mount(CodeView, { props: { code: [1.5, -0.5] } })
    expect(Number(near.get('svg.plane circle').attributes('cx'))).toBeCloseTo(72.5, 5)
    expect(near.get('svg.plane').attributes('aria-label')).toContain('on a ±3 plane')
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
