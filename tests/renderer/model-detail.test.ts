// The detail page of a model `bottleneck train` trained on a folder of photos: its figure runs the test patches of
// that folder once it is added in the app, says in a sentence why it cannot otherwise, and the About card shows the
// noise level as it was set rather than as a long float.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { enableAutoUnmount } from '@vue/test-utils'
import { ApiError, parseInput, type DatasetSummary, type ModelDetail as Detail } from '@contract'
import ModelDetail from '@renderer/views/ModelDetail.vue'
import { useDatasetsStore } from '@renderer/stores/datasets'
import { useModelsStore } from '@renderer/stores/models'
import { makeDenoiser, makeModel, PHOTO_FOLDER, type FakeApi } from './support/fake-api'
import { flushPromises, mountWith, setup } from './support/mount'

enableAutoUnmount(afterEach)

afterEach(() => {
  document.body.innerHTML = ''
})

/** As the CLI saves a photo denoiser (preset photo-denoise): its dataset is named by the folder, not by an id. */
function photoDenoiser(overrides: Partial<Detail> = {}): Detail {
  return makeDenoiser(
    { type: 'gaussian', stddev: 25 / 255 },
    {
      id: 'unet-photos-1',
      name: 'unet supervised denoising on /data/mixed',
      architecture: 'unet',
      inputShape: [64, 64, 3],
      dataset: '/data/mixed (supervised denoising)',
      trainCount: 12,
      batchSize: 16,
      config: { learningRate: 0.001, training: { mode: 'supervised', patchSize: 64, stepsPerEpoch: 100 } },
      ...overrides,
    },
  )
}

async function openDetail(model: Detail) {
  const { api, pinia } = setup({ models: [model] })
  await useModelsStore().refresh()
  const wrapper = await mountWith(ModelDetail, pinia, { props: { modelId: model.id } })
  await flushPromises()
  return { api, wrapper }
}

type PreviewSamples = FakeApi['datasets']['previewSamples']

/**
 * The photo folder's test patches as the back end cuts them: the payload parsed by the contract (whose refusal the
 * page gets), then grey patches of the size asked.
 */
const cutLikeTheBackEnd: PreviewSamples = async (payload) => {
  const parsed = parseInput('datasets.previewSamples', payload)
  if (!parsed.ok) throw new ApiError(parsed.error.code, parsed.error.message)
  const { count, patchSize = 64, channels = 3 } = parsed.value
  const values = new Array<number>(patchSize * patchSize * channels).fill(128)
  const patch = { width: patchSize, height: patchSize, channels, data: values }
  return { images: Array.from({ length: count }, () => patch) }
}

/** Opens the model, trained on the photo folder, with that folder added and its samples given by `previewSamples`. */
async function openOnPhotoFolder(model: Detail, previewSamples: PreviewSamples = cutLikeTheBackEnd) {
  const { api, pinia } = setup({ models: [model] })
  api.state.datasets.push(PHOTO_FOLDER)
  const asked = vi.spyOn(api.datasets, 'previewSamples').mockImplementation(previewSamples)
  await useModelsStore().refresh()
  const wrapper = await mountWith(ModelDetail, pinia, { props: { modelId: model.id } })
  await flushPromises()
  return { api, wrapper, previewSamples: asked }
}

const figureStatus = (wrapper: Awaited<ReturnType<typeof openDetail>>['wrapper']) =>
  wrapper.get('.figure [role="status"]').text()

describe('the detail page of a model the CLI trained on a folder of photos', () => {
  it('says the folder’s test images are not available here, in a sentence, while the folder is not added', async () => {
    const { api, wrapper } = await openDetail(photoDenoiser())
    expect(figureStatus(wrapper)).toBe(
      'The test images of “/data/mixed (supervised denoising)”, the dataset this model was trained on, are not ' +
        'available here. Add that dataset in the Train view to see how the model rebuilds them.',
    )
    // The folder's display name is never sent as a dataset id (the back end would refuse it in schema words).
    expect(api.calls.some((call) => call.name === 'datasets.previewSamples')).toBe(false)
  })

  it('runs the added folder’s test patches through the model, the folder added after the list was read', async () => {
    const { api, pinia } = setup({ models: [photoDenoiser({ datasetId: PHOTO_FOLDER.id })] })
    await useModelsStore().refresh()
    await useDatasetsStore().refresh()
    // Added in another window: the service knows it, this window's list does not yet.
    api.state.datasets.push(PHOTO_FOLDER)
    const wrapper = await mountWith(ModelDetail, pinia, { props: { modelId: 'unet-photos-1' } })
    await flushPromises()
    expect(api.calls.find((call) => call.name === 'datasets.previewSamples')?.payload).toMatchObject({
      datasetId: PHOTO_FOLDER.id,
      split: 'test',
    })
    expect(wrapper.findAll('[aria-label^="Noisy input "]')).toHaveLength(10)
    expect(wrapper.findAll('[aria-label^="Denoised "]')).toHaveLength(10)
    expect(wrapper.find('.figure [role="status"]').exists()).toBe(false)
  })

  it('asks the added folder for patches of the model’s own size and shows its outputs on them', async () => {
    const model = photoDenoiser({ inputShape: [48, 48, 3], datasetId: PHOTO_FOLDER.id })
    const { wrapper, previewSamples } = await openOnPhotoFolder(model)
    expect(previewSamples.mock.calls[0]?.[0]).toMatchObject({
      datasetId: PHOTO_FOLDER.id,
      patchSize: 48,
      channels: 3,
    })
    expect(wrapper.find('.figure [role="status"]').exists()).toBe(false)
    const originals = wrapper.findAll('[aria-label^="Test image "]')
    expect(originals).toHaveLength(10)
    expect(originals[0]!.attributes()).toMatchObject({ width: '48', height: '48' })
    expect(wrapper.findAll('[aria-label^="Denoised "]')).toHaveLength(10)
  })

  it('says the folder’s patches are not the model’s size when no patch that large can be cut', async () => {
    const model = photoDenoiser({ inputShape: [2048, 2048, 3], datasetId: PHOTO_FOLDER.id })
    const { api, wrapper } = await openOnPhotoFolder(model)
    expect(figureStatus(wrapper)).toBe(
      'The test patches of “mixed” are 64×64×3, but this model takes 2048×2048×3, so they cannot be run through it here.',
    )
    expect(api.calls.some((call) => call.name === 'inference.denoise')).toBe(false)
  })

  it('asks for as many of a large model’s patches as one batch of images to the model may hold', async () => {
    const model = photoDenoiser({ inputShape: [1024, 1024, 3], datasetId: PHOTO_FOLDER.id })
    // Only the request is looked at: the fake back end would take long over a figure of 1024×1024 patches.
    const { previewSamples } = await openOnPhotoFolder(model, async () => ({ images: [] }))
    const asked = previewSamples.mock.calls[0]?.[0]
    // Ten would be 31 M values, where one batch may hold 16.7 M.
    expect(asked).toMatchObject({ patchSize: 1024, channels: 3, count: 5 })
    expect(parseInput('datasets.previewSamples', asked).ok).toBe(true)
  })

  it('shows a noise level set in 255ths as it was set, with its value to 3 digits', async () => {
    const { wrapper } = await openDetail(photoDenoiser())
    expect(wrapper.get('.meta').text()).toContain('gaussian, stddev 25/255 ≈ 0.098 (fresh every batch)')
  })

  it('rounds any other long noise level to 3 significant digits', async () => {
    const { wrapper } = await openDetail(photoDenoiser({ noise: { type: 'saltPepper', amount: 0.123456 } }))
    expect(wrapper.get('.meta').text()).toContain('saltPepper, amount 0.123 (fresh every batch)')
  })
})

describe('the detail page of a model trained on an IDX dataset', () => {
  it('still says an IDX dataset’s images are not the size the model takes, instead of asking the back end', async () => {
    const idx: DatasetSummary = {
      id: 'idx-letters',
      name: 'letters',
      kind: 'idx',
      height: 28,
      width: 28,
      channels: 1,
      trainCount: 100,
      testCount: 10,
      path: '/data/letters',
    }
    const model = makeModel({
      id: 'dense-letters',
      inputShape: [32, 32, 1],
      datasetId: idx.id,
      dataset: 'letters',
    })
    const { api, pinia } = setup({ models: [model] })
    api.state.datasets.push(idx)
    await useModelsStore().refresh()
    const wrapper = await mountWith(ModelDetail, pinia, { props: { modelId: model.id } })
    await flushPromises()
    expect(figureStatus(wrapper)).toBe(
      'The test images of “letters” are 28×28×1, but this model takes 32×32×1, so they cannot be run through it here.',
    )
    expect(api.calls.some((call) => call.name === 'datasets.previewSamples')).toBe(false)
  })
})
