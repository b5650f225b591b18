// A model's detail page when its test images are smaller than SSIM's 11×11 window: the back end scores them without
// SSIM, and the figure's mean scores show PSNR with SSIM as '—' instead of failing to render.
import { afterEach, describe, expect, it } from 'vitest'
import ModelsView from '@renderer/views/ModelsView.vue'
import { useSystemStore } from '@renderer/stores/system'
import { makeModel } from './support/fake-api'
import { flushPromises, mountWith, setup } from './support/mount'

afterEach(() => {
  document.body.innerHTML = ''
  history.replaceState(null, '', '#/')
})

describe('ModelDetail for images too small for SSIM', () => {
  it('shows the mean PSNR of the reconstructions and SSIM as —', async () => {
    const { api, pinia } = setup({ models: [makeModel()] })
    const reconstruct = api.inference.reconstruct
    // The back end leaves SSIM out for such images.
    api.inference.reconstruct = async (payload) => {
      const result = await reconstruct(payload)
      return { ...result, metrics: result.metrics.map(({ mse, psnr }) => ({ mse, psnr })) }
    }
    await useSystemStore().load()
    const wrapper = await mountWith(ModelsView, pinia)
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    expect(wrapper.get('.figure').text()).toMatch(/mean PSNR \d+\.\d\d dB · SSIM —/)
  })
})
