import { afterEach, describe, expect, it } from 'vitest'
import { defineComponent, h, nextTick, ref, withDirectives } from 'vue'
import { mount, type VueWrapper } from '@vue/test-utils'
import { vFieldValue } from '@renderer/lib/field-value'

// A field bound to `committed`, and an unrelated counter that re-renders the component as progress events do.
function fieldWithTicker() {
  const committed = ref<number | null>(7)
  const ticks = ref(0)
  const Field = defineComponent(() => () =>
    h('div', [
      withDirectives(h('input', { type: 'number', 'aria-label': 'Epochs' }), [[vFieldValue, committed.value]]),
      h('span', String(ticks.value)),
    ]),
  )
  return { committed, ticks, Field }
}

let wrapper: VueWrapper | undefined
afterEach(() => wrapper?.unmount())

describe('v-field-value', () => {
  it('keeps what the person is typing through re-renders, then shows committed values', async () => {
    const { committed, ticks, Field } = fieldWithTicker()
    wrapper = mount(Field, { attachTo: document.body })
    const input = wrapper.get('input').element as HTMLInputElement
    expect(input.value).toBe('7')

    input.focus()
    input.value = '12'
    ticks.value++
    await nextTick()
    expect(wrapper.get('span').text()).toBe('1')
    expect(input.value).toBe('12')

    // The value itself changing (a reply, another control) is shown even while focused.
    committed.value = 30
    await nextTick()
    expect(input.value).toBe('30')
  })

  it('puts the committed value back after a refused entry once the field is left', async () => {
    const { ticks, Field } = fieldWithTicker()
    wrapper = mount(Field, { attachTo: document.body })
    const input = wrapper.get('input').element as HTMLInputElement
    input.focus()
    input.value = '-5'
    input.blur()
    ticks.value++
    await nextTick()
    expect(input.value).toBe('7')
  })

  it('shows the value in use right after a refused entry is committed, while the field keeps focus', async () => {
    const { committed, Field } = fieldWithTicker()
    wrapper = mount(Field, { attachTo: document.body })
    const input = wrapper.get('input').element as HTMLInputElement
    input.focus()
    input.value = '5000'
    // Enter commits; the view refuses the entry, so the value and the render stay as they were.
    input.dispatchEvent(new Event('change'))
    await nextTick()
    expect(input.value).toBe('7')
    // An accepted entry shows as committed.
    input.value = '8'
    input.dispatchEvent(new Event('change'))
    committed.value = 8
    await nextTick()
    expect(input.value).toBe('8')
  })

  it('shows null as an empty field', async () => {
    const { committed, Field } = fieldWithTicker()
    wrapper = mount(Field, { attachTo: document.body })
    committed.value = null
    await nextTick()
    expect((wrapper.get('input').element as HTMLInputElement).value).toBe('')
  })
})
