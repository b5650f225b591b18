// Compare works on grey images: a colour model is given the grey copied to its channels, and the view says so (and
// where colour photos are denoised in colour) instead of letting a user discover their photo turned grey.
import { afterEach, describe, expect, it } from 'vitest'
import CompareView from '@renderer/views/CompareView.vue'
import { useModelsStore } from '@renderer/stores/models'
import { makeModel } from './support/fake-api'
import { mountWith, setup } from './support/mount'

afterEach(() => {
  document.body.innerHTML = ''
})

async function mountCompare(model: ReturnType<typeof makeModel>) {
  const { pinia } = setup({ models: [model] })
  await useModelsStore().refresh()
  return mountWith(CompareView, pinia)
}

describe('CompareView with a colour model', () => {
  it('says it works in grey and points to Denoise for colour photos', async () => {
    const wrapper = await mountCompare(makeModel({ id: 'rgb-1', inputShape: [32, 32, 3] }))
    const note = wrapper.get('[data-testid="grey-note"]').text()
    expect(note).toContain('Compare works in grey: this 3-channel model')
    expect(note).toContain('use the Denoise view')
  })

  it('says nothing of grey for a one-channel model', async () => {
    const wrapper = await mountCompare(makeModel())
    expect(wrapper.find('[data-testid="grey-note"]').exists()).toBe(false)
  })
})
