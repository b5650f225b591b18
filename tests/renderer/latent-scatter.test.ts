// The latent map's hit testing and keyboard: a click selects the nearest visible point (within a few pixels, never a
// far one), arrow keys move to the nearest point in that direction, A and B mark ends, the legend hides digits.
import { afterEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import LatentScatter from '@renderer/components/LatentScatter.vue'

afterEach(() => {
  document.body.innerHTML = ''
})

// Five points: centre, right, left, up, and far up-right; labels 0…4.
const points = [0, 0, 1, 0, -1, 0, 0, 1, 1, 1]
const labels = [0, 1, 2, 3, 4]

function mountScatter(props: Record<string, unknown> = {}) {
  return mount(LatentScatter, { attachTo: document.body, props: { points, labels, ...props } })
}

type Exposed = { pixelOf(index: number): [number, number] }

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
})
