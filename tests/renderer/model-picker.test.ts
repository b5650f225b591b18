import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import ModelPicker from '@renderer/components/ModelPicker.vue'
import { makeModel } from './support/fake-api'

describe('ModelPicker', () => {
  it('names the code size only for models that have a code', () => {
    const wrapper = mount(ModelPicker, {
      props: {
        models: [
          makeModel({ id: 'dense-1', name: 'seed', codeSize: 32 }),
          makeModel({ id: 'denoiser-1', name: 'clean digits', architecture: 'denoiser', codeSize: 32 }),
        ],
        modelValue: 'dense-1',
      },
    })
    expect(wrapper.findAll('option').map((option) => option.text())).toEqual([
      'seed · dense · code 32',
      'clean digits · denoiser',
    ])
  })
})
