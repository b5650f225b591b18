// The Latent view against the fake API: what it says with no model or a model without a code, the map it asks for,
// a selected point's digit and reconstruction, interpolation with its slider, a VAE's grid, errors as sentences.
import { afterEach, describe, expect, it, vi } from 'vitest'
import LatentView from '@renderer/views/LatentView.vue'
import LatentScatter from '@renderer/components/LatentScatter.vue'
import ModelDetail from '@renderer/views/ModelDetail.vue'
import { useModelsStore } from '@renderer/stores/models'
import { useLatentStore } from '@renderer/stores/latent'
import { useNavigationStore } from '@renderer/stores/navigation'
import { useNotificationsStore } from '@renderer/stores/notifications'
import type { ModelDetail as Detail } from '@contract'
import { makeModel } from './support/fake-api'
import { installLatentFake, type LatentDataset } from './support/fake-latent'
import { flushPromises, mountWith, setup } from './support/mount'
import { trackPaintedCanvases } from './support/painted-canvases'

afterEach(() => {
  document.body.innerHTML = ''
  vi.restoreAllMocks()
})

const dense2 = makeModel({ id: 'dense-2', name: 'plane', codeSize: 2 })
const dense32 = makeModel({ id: 'dense-32', name: 'wide', codeSize: 32 })
const vae = makeModel({ id: 'vae-1', name: 'variational', architecture: 'vae', codeSize: 2 })
const unet = makeModel({ id: 'unet-1', name: 'skips', architecture: 'unet', codeSize: 8 })

async function mountLatent(models: Detail[], before?: () => void, dataset?: LatentDataset) {
  const { api, pinia } = setup({ models })
  const fake = installLatentFake(api, dataset)
  await useModelsStore().refresh()
  before?.()
  const wrapper = await mountWith(LatentView, pinia)
  await flushPromises()
  return { api, fake, wrapper, latent: useLatentStore() }
}

const callsOf = (api: { calls: { name: string; payload: unknown }[] }, name: string) =>
  api.calls.filter((c) => c.name === name).map((c) => c.payload)

// Generous timeouts: these mount the whole view, and the machine is shared with other suites.
describe('LatentView', { timeout: 30_000 }, () => {
  it('says what to do when there is no model, and leads to Train', async () => {
    const { wrapper } = await mountLatent([])
    expect(wrapper.text()).toContain('No model to explore yet')
    await wrapper.get('button.primary').trigger('click')
    expect(useNavigationStore().view).toBe('train')
  })

  it('explains that U-Net models have no latent space, without asking the back end for a map', async () => {
    const { api, wrapper } = await mountLatent([unet])
    expect(wrapper.text()).toContain('None of your models has a latent space')
    expect(wrapper.text()).toContain('skip connections')
    expect(callsOf(api, 'latent.map')).toEqual([])
  })

  it('says why a chosen unet model has none, and maps the next model chosen', async () => {
    const { api, wrapper, latent } = await mountLatent([dense2, unet], () => useLatentStore().chooseModel('unet-1'))
    expect(wrapper.text()).toContain('Latent space is not available for this model')
    expect(wrapper.text()).toMatch(/A unet model has no latent space: its skip connections/)
    expect(callsOf(api, 'latent.map')).toEqual([])
    await wrapper.get('select[aria-label="Model"]').setValue('dense-2')
    await flushPromises()
    expect(latent.modelId).toBe('dense-2')
    expect(callsOf(api, 'latent.map')).toEqual([{ id: 'dense-2', limit: 2000 }])
    expect(wrapper.findComponent(LatentScatter).exists()).toBe(true)
  })

  it('maps a 2-D code as it is and passes every point and label to the scatter', async () => {
    const { api, wrapper } = await mountLatent([dense2])
    expect(callsOf(api, 'latent.map')).toEqual([{ id: 'dense-2', limit: 2000 }])
    expect(wrapper.text()).toContain('2,000 of the 10,000 test images of MNIST, at their 2-D codes as they are.')
    const scatter = wrapper.getComponent(LatentScatter)
    expect(scatter.props('points')).toHaveLength(4000)
    expect(scatter.props('labels')).toHaveLength(2000)
    expect(scatter.props('xTitle')).toBe('code 1')
    expect(wrapper.findAll('.legend-item').map((item) => item.text())).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    // No grid for a model that is not variational.
    expect(callsOf(api, 'latent.generate')).toEqual([])
    expect(wrapper.text()).not.toContain('Generated from the prior')
    // More points on request.
    await wrapper.get('select[aria-label="Test images on the map"]').setValue('10000')
    await flushPromises()
    expect(callsOf(api, 'latent.map').at(-1)).toEqual({ id: 'dense-2', limit: 10000 })
    expect(wrapper.getComponent(LatentScatter).props('points')).toHaveLength(20000)
  })

  it('names the principal components and their share of the variance for a wider code', async () => {
    const { wrapper } = await mountLatent([dense32])
    expect(wrapper.text()).toContain(
      'The 32-value codes are projected on their first two principal components, which explain 40% and 20% of their variance.',
    )
    expect(wrapper.getComponent(LatentScatter).props('xTitle')).toBe('PC 1 (40%)')
  })

  it('shows a selected point’s digit beside its reconstruction, by click or by number', async () => {
    const { api, wrapper } = await mountLatent([dense2])
    expect(wrapper.text()).toContain('Click a point on the map')
    wrapper.getComponent(LatentScatter).vm.$emit('select', 17)
    await flushPromises()
    expect(callsOf(api, 'latent.samples')).toEqual([{ id: 'dense-2', indices: [17] }])
    expect(wrapper.get('[data-testid="sample-summary"]').text()).toBe('Test image 17 · digit 7 · PSNR 23.0 dB')
    expect(wrapper.find('canvas[aria-label="Test image 17 · digit 7"]').exists()).toBe(true)
    expect(wrapper.find('canvas[aria-label="Reconstruction of test image 17"]').exists()).toBe(true)
    expect(wrapper.text()).toContain('code [0.17, 1.17]')
    expect(wrapper.getComponent(LatentScatter).props('selected')).toBe(17)
    const byNumber = wrapper.get('input[aria-label="Select test image by number"]')
    await byNumber.setValue('42')
    await byNumber.trigger('change')
    await flushPromises()
    expect(callsOf(api, 'latent.samples').at(-1)).toEqual({ id: 'dense-2', indices: [42] })
    expect(wrapper.get('[data-testid="sample-summary"]').text()).toContain('Test image 42 · digit 2')
  })

  it('maps EMNIST’s letters with a legend of their labels 1–26, and calls them labels, not digits', async () => {
    const letters: LatentDataset = { name: 'EMNIST letters', labelOf: (index) => (index % 26) + 1 }
    const { wrapper } = await mountLatent([vae], undefined, letters)
    expect(wrapper.text()).toContain('2,000 of the 10,000 test images of EMNIST letters')
    const legend = wrapper.findAll('.legend-item').map((item) => item.text())
    expect(legend).toEqual(Array.from({ length: 26 }, (_, i) => String(i + 1)))
    expect(wrapper.get('[data-testid="legend-note"]').text()).toContain('26 labels share 20 colours, so colours repeat')
    expect(wrapper.text()).toContain('to see its label and how the model rebuilds it')
    expect(wrapper.text()).not.toMatch(/digit/i)
    expect(wrapper.find('canvas[aria-label^="Images the VAE generates"]').exists()).toBe(true)
    wrapper.getComponent(LatentScatter).vm.$emit('select', 10)
    await flushPromises()
    expect(wrapper.get('[data-testid="sample-summary"]').text()).toBe('Test image 10 · label 11 · PSNR 23.0 dB')
    expect(wrapper.find('canvas[aria-label="Test image 10 · label 11"]').exists()).toBe(true)
  })

  it('shows the first point selected of a model whose images are not 28×28, not a blank square', async () => {
    const painted = trackPaintedCanvases()
    const photos = makeModel({ id: 'photos-1', name: 'photos', architecture: 'conv', inputShape: [32, 32, 3], codeSize: 128 })
    const { wrapper } = await mountLatent([photos])
    wrapper.getComponent(LatentScatter).vm.$emit('select', 5)
    await flushPromises()
    for (const label of ['Test image 5 · digit 5', 'Reconstruction of test image 5']) {
      const canvas = wrapper.get(`canvas[aria-label="${label}"]`).element as HTMLCanvasElement
      expect(canvas.width).toBe(32)
      expect(painted.has(canvas)).toBe(true)
    }
  })

  it('refuses a test image number past the map with a sentence, and asks nothing', async () => {
    const { api, wrapper } = await mountLatent([dense2])
    const byNumber = wrapper.get('input[aria-label="Select test image by number"]')
    await byNumber.setValue('2000')
    await byNumber.trigger('change')
    await flushPromises()
    expect(callsOf(api, 'latent.samples')).toEqual([])
    expect(useNotificationsStore().notices.at(-1)?.message).toBe(
      'Test image numbers go from 0 to 1999; type one in that range.',
    )
  })

  it('shows the number in use again after refusing one, for the selected point and for an end', async () => {
    const { api, wrapper, latent } = await mountLatent([dense2])
    wrapper.getComponent(LatentScatter).vm.$emit('select', 5)
    await flushPromises()
    const byNumber = wrapper.get('input[aria-label="Select test image by number"]')
    ;(byNumber.element as HTMLInputElement).focus()
    // setValue commits with a change event, as Enter or leaving the field does.
    await byNumber.setValue('5000')
    await flushPromises()
    expect(useNotificationsStore().notices.at(-1)?.message).toBe(
      'Test image numbers go from 0 to 1999; type one in that range.',
    )
    expect(latent.selectedIndex).toBe(5)
    expect((byNumber.element as HTMLInputElement).value).toBe('5')
    expect(callsOf(api, 'latent.samples')).toEqual([{ id: 'dense-2', indices: [5] }])

    const start = wrapper.get('input[aria-label="Start (A): test image number"]')
    ;(start.element as HTMLInputElement).focus()
    await start.setValue('-3')
    await flushPromises()
    expect(latent.fromIndex).toBeNull()
    expect((start.element as HTMLInputElement).value).toBe('')
  })

  it('interpolates between the two chosen ends and steps along the line with the slider', async () => {
    const { api, wrapper } = await mountLatent([dense2])
    expect(wrapper.text()).toContain('Choose two test images, A and B')
    const scatter = wrapper.getComponent(LatentScatter)
    scatter.vm.$emit('select', 3)
    await flushPromises()
    await wrapper.findAll('button').find((b) => b.text().startsWith('Use as start'))!.trigger('click')
    await flushPromises()
    expect(callsOf(api, 'latent.interpolate')).toEqual([])
    // Keyboard on the map: B makes the selected point the end.
    scatter.vm.$emit('select', 8)
    scatter.vm.$emit('end', 'to', 8)
    await flushPromises()
    expect(callsOf(api, 'latent.interpolate')).toEqual([{ id: 'dense-2', from: 3, to: 8, steps: 10 }])
    const strip = wrapper.get('[role="group"][aria-label="10 decoded images from A to B"]')
    expect(strip.findAll('canvas')).toHaveLength(10)
    expect(wrapper.text()).toContain('A · #3 · digit 3')
    expect(wrapper.text()).toContain('B · #8 · digit 8')
    expect(wrapper.getComponent(LatentScatter).props('marker')).toBe(0)
    const slider = wrapper.get('input[aria-label="Position along the line from A to B"]')
    await slider.setValue('3')
    expect(wrapper.text()).toContain('Step 4 of 10, t = 0.33 from A to B')
    expect(slider.attributes('aria-valuetext')).toBe('Step 4 of 10, t = 0.33 from A to B')
    expect(wrapper.getComponent(LatentScatter).props('marker')).toBeCloseTo(1 / 3)
    // Clicking a strip image moves the slider there too.
    await strip.findAll('button')[9]!.trigger('click')
    expect(wrapper.text()).toContain('Step 10 of 10, t = 1.00')
    // More steps, and swapping the ends, ask again.
    await wrapper.get('select[aria-label="Images along the line"]').setValue('16')
    await flushPromises()
    expect(callsOf(api, 'latent.interpolate').at(-1)).toEqual({ id: 'dense-2', from: 3, to: 8, steps: 16 })
    await wrapper.get('button[aria-label="Swap A and B"]').trigger('click')
    await flushPromises()
    expect(callsOf(api, 'latent.interpolate').at(-1)).toEqual({ id: 'dense-2', from: 8, to: 3, steps: 16 })
  })

  it('offers two test images to start an interpolation from', async () => {
    const { api, wrapper } = await mountLatent([dense2])
    await wrapper.findAll('button').find((b) => b.text() === 'Try two test images')!.trigger('click')
    await flushPromises()
    // Test image 0 is a 0, test image 1 a 1 in the fake map: the first two of different digits.
    expect(callsOf(api, 'latent.interpolate')).toEqual([{ id: 'dense-2', from: 0, to: 1, steps: 10 }])
  })

  it("shows a VAE's generated grid with its range, and asks again for another range", async () => {
    const { api, wrapper } = await mountLatent([vae])
    expect(callsOf(api, 'latent.generate')).toEqual([{ id: 'vae-1', n: 15, from: 0.05, to: 0.95 }])
    expect(wrapper.text()).toContain('Generated from the prior')
    const grid = wrapper.get('canvas[aria-label^="Digits the VAE generates"]')
    expect(grid.attributes('aria-label')).toContain(
      "15 × 15 codes at the prior's 5%–95% quantiles: z from −1.65 to 1.65 on both axes",
    )
    await wrapper.get('select[aria-label="Probability range of the prior the grid spans"]').setValue('0.99')
    await flushPromises()
    expect(callsOf(api, 'latent.generate').at(-1)).toEqual({ id: 'vae-1', n: 15, from: 0.01, to: 0.99 })
    expect(wrapper.text()).toContain('1%–99% quantiles: z from −2.33 to 2.33')
    await wrapper.get('select[aria-label="Images per side of the generated grid"]').setValue('20')
    await flushPromises()
    expect(callsOf(api, 'latent.generate').at(-1)).toEqual({ id: 'vae-1', n: 20, from: 0.01, to: 0.99 })
  })

  it('shows a failed map as a sentence with a way to try again', async () => {
    const { api, pinia } = setup({ models: [dense2] })
    installLatentFake(api)
    await useModelsStore().refresh()
    api.failNext('latent.map', 'MODEL_CORRUPT', 'The files of "plane" are damaged; export it again or delete it.')
    const wrapper = await mountWith(LatentView, pinia)
    await flushPromises()
    const alert = wrapper.get('[role="alert"]')
    expect(alert.text()).toContain('The files of "plane" are damaged; export it again or delete it.')
    expect(wrapper.findComponent(LatentScatter).exists()).toBe(false)
    await alert.get('button').trigger('click')
    await flushPromises()
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(wrapper.findComponent(LatentScatter).exists()).toBe(true)
  })

  it('maps another model when the one being explored is deleted, instead of saying no model has a latent space', async () => {
    const { api, wrapper, latent } = await mountLatent([dense2, dense32], () => useLatentStore().chooseModel('dense-32'))
    expect(callsOf(api, 'latent.map')).toEqual([{ id: 'dense-32', limit: 2000 }])
    await useModelsStore().remove('dense-32')
    await flushPromises()
    expect(wrapper.text()).not.toContain('None of your models has a latent space')
    expect(latent.modelId).toBe('dense-2')
    expect((wrapper.get('select[aria-label="Model"]').element as HTMLSelectElement).value).toBe('dense-2')
    expect(callsOf(api, 'latent.map').at(-1)).toEqual({ id: 'dense-2', limit: 2000 })
    expect(wrapper.text()).toContain('at their 2-D codes as they are.')
  })

  it('names a model whose folder went from the store while it was shown, and moves on to another model', async () => {
    const { api, wrapper, latent } = await mountLatent([dense2, dense32], () => useLatentStore().chooseModel('dense-32'))
    // Removed on disk: no event tells the view; the next question about the model finds it gone.
    api.state.models = api.state.models.filter((m) => m.id !== 'dense-32')
    wrapper.getComponent(LatentScatter).vm.$emit('select', 5)
    await flushPromises()
    // Said once, as a notification: the panel that asked is cleared as the view moves on to another model.
    expect(useNotificationsStore().notices.map((n) => n.message)).toEqual([
      '"wide" is no longer in the store; it may have been deleted in another window or on disk.',
    ])
    expect(wrapper.text()).not.toContain('There is no model with the id')
    expect(useModelsStore().models.map((m) => m.id)).toEqual(['dense-2'])
    expect(latent.modelId).toBe('dense-2')
    expect(callsOf(api, 'latent.map').at(-1)).toEqual({ id: 'dense-2', limit: 2000 })
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
  })

  it('names a gone model once, not also in the panel, and says once why the model list could not be reloaded', async () => {
    const { api, wrapper } = await mountLatent([dense2, vae], () => useLatentStore().chooseModel('vae-1'))
    expect(callsOf(api, 'latent.generate')).toHaveLength(1)
    api.state.models = api.state.models.filter((m) => m.id !== 'vae-1')
    api.failNext('models.list', 'STORE_ERROR', 'The models folder cannot be read: permission denied.')
    // A point asks for its sample, and a new map size for the map again: both find the model gone, together.
    wrapper.getComponent(LatentScatter).vm.$emit('select', 5)
    await wrapper.get('select[aria-label="Test images on the map"]').setValue('1000')
    await flushPromises()
    expect(callsOf(api, 'latent.samples')).toEqual([{ id: 'vae-1', indices: [5] }])
    expect(callsOf(api, 'latent.map').at(-1)).toEqual({ id: 'vae-1', limit: 1000 })
    expect(useNotificationsStore().notices.map((n) => n.message)).toEqual([
      'The models folder cannot be read: permission denied.',
      '"variational" is no longer in the store; it may have been deleted in another window or on disk.',
    ])
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
  })

  it('maps again when the model is retrained, keeping the chosen point', async () => {
    const { api, wrapper } = await mountLatent([dense2])
    wrapper.getComponent(LatentScatter).vm.$emit('select', 5)
    await flushPromises()
    const models = useModelsStore()
    models.upsert({ ...models.models[0]!, updatedAt: '2026-11-27T10:00:00.000Z', epochs: 4 })
    await flushPromises()
    expect(callsOf(api, 'latent.map')).toHaveLength(2)
    expect(callsOf(api, 'latent.samples')).toEqual([
      { id: 'dense-2', indices: [5] },
      { id: 'dense-2', indices: [5] },
    ])
    expect(wrapper.get('[data-testid="sample-summary"]').text()).toContain('Test image 5')
  })
})

describe('the model detail page', { timeout: 30_000 }, () => {
  it('opens the Latent view on that model', async () => {
    const { api, pinia } = setup({ models: [dense2, dense32] })
    installLatentFake(api)
    await useModelsStore().refresh()
    const wrapper = await mountWith(ModelDetail, pinia, { props: { modelId: 'dense-32' } })
    await wrapper.get('button[aria-label="Latent space of wide"]').trigger('click')
    expect(useNavigationStore().view).toBe('latent')
    expect(useLatentStore().modelId).toBe('dense-32')
  })

  it('offers no latent space for a U-Net', async () => {
    const { api, pinia } = setup({ models: [unet] })
    installLatentFake(api)
    await useModelsStore().refresh()
    const wrapper = await mountWith(ModelDetail, pinia, { props: { modelId: 'unet-1' } })
    expect(wrapper.find('button[aria-label="Latent space of skips"]').exists()).toBe(false)
  })
})
