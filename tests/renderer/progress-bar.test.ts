import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import ProgressBar from '@renderer/components/ProgressBar.vue'

describe('ProgressBar', () => {
  it('announces the percentage and scales its fill, clamped to 0–100 %', () => {
    const half = mount(ProgressBar, { props: { value: 0.5, label: 'Training progress' } })
    expect(half.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('50')
    expect(half.get('[role="progressbar"]').attributes('aria-label')).toBe('Training progress')
    // A transform, not a width: width changes re-lay out the page on every frame of the transition.
    const fill = half.get('.fill').element as HTMLElement
    expect(fill.style.transform).toBe('scaleX(0.5)')
    expect(fill.style.width).toBe('')
    const over = mount(ProgressBar, { props: { value: 1.7, label: 'p' } })
    expect((over.get('.fill').element as HTMLElement).style.transform).toBe('scaleX(1)')
    expect(over.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('100')
    const under = mount(ProgressBar, { props: { value: -1, label: 'p' } })
    expect((under.get('.fill').element as HTMLElement).style.transform).toBe('scaleX(0)')
  })
})
