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

  it('places a 2-D code as a point on the plane, clamped to stay visible', () => {
    const wrapper = mount(CodeView, { props: { code: [1.5, -10] } })
    const point = wrapper.get('svg.plane circle')
    expect(Number(point.attributes('cx'))).toBeCloseTo(72.5, 5) // x = 1.5 of ±3 → three quarters across
    expect(Number(point.attributes('cy'))).toBeCloseTo(95, 5) // y = −10 clamps to the bottom edge (−3)
    expect(wrapper.get('svg.plane').attributes('aria-label')).toBe('Code point at (1.50, -10.00)')
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
