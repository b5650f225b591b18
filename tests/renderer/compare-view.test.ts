import { afterEach, describe, expect, it } from 'vitest'
import CompareView from '@renderer/views/CompareView.vue'
import { useModelsStore } from '@renderer/stores/models'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { makeDenoiser, makeModel } from './support/fake-api'
import { flushPromises, mountWith, setup } from './support/mount'

afterEach(() => {
  document.body.innerHTML = ''
})

async function mountCompare(models = [makeModel()]) {
  const { api, pinia } = setup({ models })
  await useModelsStore().refresh()
  const wrapper = await mountWith(CompareView, pinia)
  return { api, wrapper }
}

function button(wrapper: Awaited<ReturnType<typeof mountCompare>>['wrapper'], text: string) {
  return wrapper.findAll('button').find((b) => b.text() === text)!
}

describe('CompareView', () => {
  it('asks to train or import when there is no model', async () => {
    const { wrapper } = await mountCompare([])
    expect(wrapper.text()).toContain('No model yet')
    expect(wrapper.text()).toContain('Go to Train')
  })

  it('tells the user how to start when there are no images', async () => {
    const { wrapper } = await mountCompare()
    expect(wrapper.text()).toContain('Drop PNG, JPEG, WebP or BMP images here')
  })

  it('adds test samples as rows with original, code, reconstruction, difference, PSNR and SSIM', async () => {
    const { api, wrapper } = await mountCompare()
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'datasets.previewSamples')?.payload).toMatchObject({
      datasetId: 'mnist',
      split: 'test',
      count: 8,
    })
    const rows = wrapper.findAll('tbody tr')
    expect(rows).toHaveLength(8)
    expect(rows[0]!.text()).toContain('test #0 (digit 0)')
    expect(rows[0]!.text()).toMatch(/PSNR \d+\.\d\d dB/)
    expect(rows[0]!.text()).toMatch(/SSIM 0\.\d{3}/)
    expect(rows[0]!.text()).toContain('no noise')
    expect(rows[0]!.find('[aria-label^="Absolute difference"]').exists()).toBe(true)
    // One batched request per kind, not one per row.
    expect(api.calls.filter((c) => c.name === 'inference.reconstruct')).toHaveLength(1)
    expect(api.calls.filter((c) => c.name === 'inference.encode')).toHaveLength(1)
  })

  it('re-runs every row through the denoiser with the chosen synthetic noise', async () => {
    const { api, wrapper } = await mountCompare()
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    await wrapper.get('[aria-label="Synthetic noise type"]').setValue('mask')
    await flushPromises()
    const denoise = api.calls.find((c) => c.name === 'inference.denoise')!
    expect((denoise.payload as { noise: unknown }).noise).toEqual({ type: 'mask', amount: 0.3 })
    expect((denoise.payload as { images: unknown[] }).images).toHaveLength(8)
    expect(wrapper.findAll('[aria-label^="Noisy "]')).toHaveLength(8)
  })

  it('with noise, sets each classical filter on the same noisy images and says what the model gains over the best', async () => {
    const { api, wrapper } = await mountCompare([makeDenoiser({ type: 'gaussian', stddev: 0.5 })])
    expect(wrapper.find('[aria-label="Against classical filters"]').exists()).toBe(false)
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    const denoise = api.calls.find((c) => c.name === 'inference.denoise')!
    expect((denoise.payload as { baselines: unknown }).baselines).toEqual([
      'median',
      'median5',
      'gaussian',
      'nlm',
    ])
    const rows = wrapper.findAll('tbody tr').filter((row) => row.find('[aria-label^="Original"]').exists())
    expect(rows).toHaveLength(8)
    // A denoiser has no single code, so the table has no column for one.
    expect(wrapper.findAll('thead th').map((th) => th.text())).not.toContain('Code')
    for (const row of rows) {
      expect(
        row
          .find('[aria-label^="Best classical filter ("][aria-label$=") for ' + row.get('th').text() + '"]')
          .exists(),
      ).toBe(true)
      expect(row.text()).toMatch(/[+−]\d+\.\d\d dB vs filter/)
    }
    const summary = wrapper.get('[aria-label="Against classical filters"]')
    expect(summary.text()).toContain('Mean over the 8 images below')
    const lines = summary.findAll('tbody tr').map((line) => line.get('th').text())
    expect(lines).toEqual([
      'mnist-denoise',
      expect.stringMatching(/^Median 3×3/),
      expect.stringMatching(/^Median 5×5/),
      expect.stringMatching(/^Gaussian blur/),
      expect.stringMatching(/^Non-local means/),
      'Noisy input',
    ])
    expect(lines.filter((line) => line.endsWith('(best filter)'))).toHaveLength(1)
    expect(summary.text()).toMatch(
      /mnist-denoise: [+−]\d+\.\d\d dB PSNR and [+−]\d\.\d{3} SSIM against the best filter/,
    )

    // Without noise there is nothing for a filter to remove: no filters asked for, no comparison shown.
    await wrapper.get('[aria-label="Synthetic noise type"]').setValue('none')
    await flushPromises()
    expect(api.calls.filter((c) => c.name === 'inference.reconstruct').at(-1)).toBeDefined()
    expect(wrapper.find('[aria-label="Against classical filters"]').exists()).toBe(false)
  })

  it('starts from the noise a denoising model was trained on, and from none for a plain one', async () => {
    const { api, wrapper } = await mountCompare([makeDenoiser({ type: 'gaussian', stddev: 0.5 })])
    expect((wrapper.get('[aria-label="Synthetic noise type"]').element as HTMLSelectElement).value).toBe(
      'gaussian',
    )
    expect(wrapper.text()).toContain('0.50')
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    const denoise = api.calls.find((c) => c.name === 'inference.denoise')!
    expect((denoise.payload as { noise: unknown }).noise).toEqual({ type: 'gaussian', stddev: 0.5 })

    const plain = await mountCompare()
    expect(
      (plain.wrapper.get('[aria-label="Synthetic noise type"]').element as HTMLSelectElement).value,
    ).toBe('none')
  })

  it('skips files that are not images with a message naming them', async () => {
    const { wrapper } = await mountCompare()
    const input = wrapper.get('input[type="file"]')
    Object.defineProperty(input.element, 'files', {
      value: [new File(['x'], 'notes.txt', { type: 'text/plain' })],
    })
    await input.trigger('change')
    await flushPromises()
    expect(useNotificationsStore().notices.at(-1)?.message).toBe(
      '"notes.txt" is not a PNG, JPEG, WebP or BMP image and was skipped.',
    )
    expect(wrapper.findAll('tbody tr')).toHaveLength(0)
  })

  it('shows an inference failure as a toast and keeps the rows', async () => {
    const { api, wrapper } = await mountCompare()
    api.failNext(
      'inference.reconstruct',
      'MODEL_NOT_FOUND',
      'No model "dense-mnist-1" in the store. Pick one from the Models view.',
    )
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(useNotificationsStore().notices.at(-1)?.message).toContain('Pick one from the Models view')
    expect(wrapper.findAll('tbody tr')).toHaveLength(8)
  })
})
