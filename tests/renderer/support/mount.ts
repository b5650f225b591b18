// Mounts a component the way the app does (real Pinia, the API installed) but with the fake API behind it.
import { mount, flushPromises, type ComponentMountingOptions } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { Component } from 'vue'
import { setApi } from '@renderer/api'
import { createFakeApi, type FakeApi } from './fake-api'

export function setup(options: Parameters<typeof createFakeApi>[0] = {}): {
  api: FakeApi
  pinia: ReturnType<typeof createPinia>
} {
  const api = createFakeApi(options)
  setApi(api)
  const pinia = createPinia()
  setActivePinia(pinia)
  return { api, pinia }
}

export async function mountWith<C extends Component>(
  component: C,
  pinia: ReturnType<typeof createPinia>,
  options: ComponentMountingOptions<C> = {},
) {
  const wrapper = mount(component, {
    attachTo: document.body,
    ...options,
    global: {
      plugins: [pinia],
      // Chart.js needs a real canvas; its behaviour is covered in the browser end-to-end run.
      stubs: {
        LossChart: {
          template:
            '<div class="loss-chart-stub" :data-epochs="epochs.length" :data-separate-scales="String(!!separateScales)" />',
          props: ['epochs', 'batchLoss', 'label', 'height', 'separateScales'],
        },
      },
      ...options.global,
    },
  })
  await flushPromises()
  return wrapper
}

export { flushPromises }
