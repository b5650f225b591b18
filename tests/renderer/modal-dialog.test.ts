// The rename and export dialogs keep a failed confirmation's reason on screen only while it is about what the field
// holds: once the user edits the name, "already named …" no longer describes it.
import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import ModalDialog from '@renderer/components/ModalDialog.vue'

afterEach(() => {
  document.body.innerHTML = ''
})

describe('ModalDialog', () => {
  it('hides the error once the field is edited, and shows the next one for the value it is about', async () => {
    const wrapper = mount(ModalDialog, {
      props: { title: 'Rename model', inputLabel: 'New name', initialValue: 'seed dense' },
      attachTo: document.body,
    })
    const field = wrapper.get('input')
    await field.setValue('dense on MNIST')
    await wrapper.setProps({ error: 'Another model is already named "dense on MNIST".' })
    expect(wrapper.get('[role="alert"]').text()).toContain('already named')
    expect(field.attributes('aria-invalid')).toBe('true')

    await field.setValue('my seed')
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(field.attributes('aria-invalid')).toBeUndefined()

    // The parent clears the error as it confirms again, then sets the new refusal.
    await wrapper.setProps({ error: '' })
    await wrapper.setProps({ error: 'Another model is already named "my seed".' })
    expect(wrapper.get('[role="alert"]').text()).toContain('"my seed"')
  })

  it('keeps the error of a dialog without a field', async () => {
    const wrapper = mount(ModalDialog, {
      props: { title: 'Delete?', error: 'The disk is full.' },
      attachTo: document.body,
    })
    expect(wrapper.get('[role="alert"]').text()).toBe('The disk is full.')
  })
})
