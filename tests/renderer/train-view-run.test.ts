// The Train view's status panel, chart and form for a run the page did not start itself (after a reload, resumed
// from the Models list), around a cancel and resume, between batches and epoch ends, a resumed model's damaged
// optimizer state, and the typed-folder dialog.
import { afterEach, describe, expect, it, vi } from 'vitest'
import TrainView from '@renderer/views/TrainView.vue'
import { useTrainingStore } from '@renderer/stores/training'
import { useSystemStore } from '@renderer/stores/system'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { digitImage, makeModel } from './support/fake-api'
import { flushPromises, mountWith, setup } from './support/mount'

afterEach(() => {
  vi.useRealTimers()
  document.body.innerHTML = ''
})

/** Clicks Cancel once it takes clicks: it ignores them for a moment after it takes Start's place. */
async function clickCancel(wrapper: Wrapper, api: ReturnType<typeof setup>['api']): Promise<void> {
  vi.advanceTimersByTime(500)
  await wrapper
    .findAll('button')
    .find((b) => b.text() === 'Cancel')!
    .trigger('click')
  expect(api.calls.some((c) => c.name === 'training.cancel')).toBe(true)
}

/** The chart as a user reads it: how many epochs it plots and where each per-batch point sits on the x axis. */
const chartStub = {
  template:
    '<div class="loss-chart-stub" :data-epochs="epochs.map((e) => e.epoch).join(\',\')" :data-batch-x="batchLoss.map((p) => p.x.toFixed(2)).join(\',\')" />',
  props: ['epochs', 'batchLoss', 'label', 'height', 'separateScales'],
}

/** A deep model on MNIST, Gaussian noise, learning rate 0.002, batch 64: saved after 2 of 4 epochs. */
function halfTrained() {
  return makeModel({
    id: 'deep-mnist-7',
    name: 'deep 4ep',
    architecture: 'deep',
    codeSize: 16,
    epochs: 2,
    targetEpochs: 4,
    noise: { type: 'gaussian', stddev: 0.4 },
    noiseMode: 'fixed',
    config: { learningRate: 0.002 },
    history: [
      { epoch: 1, loss: 0.2, valLoss: 0.19 },
      { epoch: 2, loss: 0.15, valLoss: 0.14 },
    ],
  })
}

/** The run training the half-trained model on the back end, as a page loaded now finds it. */
const RUN_ON_THE_BACK_END = {
  runId: 'run-9',
  modelId: 'deep-mnist-7',
  config: {
    architecture: 'deep',
    datasetId: 'mnist',
    codeSize: 16,
    epochs: 4,
    batchSize: 64,
    learningRate: 0.002,
  },
} as const

/** That run, in its third epoch. */
function runningSinceBeforeTheReload(api: ReturnType<typeof setup>['api']): void {
  api.state.training = structuredClone(RUN_ON_THE_BACK_END)
  api.progress(3, 4, 10)
}

async function mountTrain(pinia: ReturnType<typeof setup>['pinia']) {
  const training = useTrainingStore()
  await training.attach()
  await useSystemStore().load()
  const wrapper = await mountWith(TrainView, pinia, { global: { stubs: { LossChart: chartStub } } })
  await flushPromises()
  return { wrapper, training }
}

type Wrapper = Awaited<ReturnType<typeof mountTrain>>['wrapper']

function input(wrapper: Wrapper, label: string): HTMLInputElement {
  return wrapper.get<HTMLInputElement>(`[aria-label="${label}"]`).element
}

function chartEpochs(wrapper: Wrapper): string | undefined {
  return wrapper.get('.loss-chart-stub').attributes('data-epochs')
}

function statusText(wrapper: Wrapper): string {
  return wrapper.get('[aria-label="Training progress"][role="region"]').text()
}

describe('a run the page did not start', () => {
  it('after a reload mid-run, charts every saved epoch and fills the form with the run’s settings', async () => {
    const { api, pinia } = setup({ models: [halfTrained()] })
    runningSinceBeforeTheReload(api)
    const { wrapper } = await mountTrain(pinia)

    expect(chartEpochs(wrapper)).toBe('1,2')
    expect(input(wrapper, 'Model name').value).toBe('deep 4ep')
    expect(wrapper.get<HTMLDetailsElement>('details.advanced').element.open).toBe(true)
    expect((input(wrapper, 'Architecture') as unknown as HTMLSelectElement).value).toBe('deep')
    expect(input(wrapper, 'Epochs').value).toBe('4')
    expect(input(wrapper, 'Code size').value).toBe('16')
    expect(input(wrapper, 'Learning rate').value).toBe('0.002')
    expect((input(wrapper, 'Noise type') as unknown as HTMLSelectElement).value).toBe('gaussian')
    expect((input(wrapper, 'Noise draws') as unknown as HTMLSelectElement).value).toBe('fixed')
    // The saved model does not report its batch size or image limit: no form value stands in for them.
    expect(input(wrapper, 'Batch size').value).toBe('')
    expect(input(wrapper, 'Batch size').placeholder).toBe('as saved')
    expect(input(wrapper, 'Limit training images').placeholder).toBe('as saved')

    api.progress(3, 10, 10)
    api.endEpoch(3, 0.12, 0.11)
    await flushPromises()
    expect(chartEpochs(wrapper)).toBe('1,2,3')
  })

  it('leaves the name field to its placeholder for a model named by the back end', async () => {
    const { api, pinia } = setup({
      models: [{ ...halfTrained(), name: 'deep 16 on MNIST (built in)', dataset: 'MNIST (built in)' }],
    })
    runningSinceBeforeTheReload(api)
    const { wrapper } = await mountTrain(pinia)
    expect(input(wrapper, 'Model name').value).toBe('')
    expect(input(wrapper, 'Model name').placeholder).toBe('deep 16 on MNIST (built in)')
    // Nothing under Advanced differs from a fresh form's, so the section stays as the user left it.
    expect(wrapper.get<HTMLDetailsElement>('details.advanced').element.open).toBe(false)
  })

  it('after a reload mid-run, shows the last finished epoch’s reconstructions at once', async () => {
    const { api, pinia } = setup({ models: [halfTrained()] })
    runningSinceBeforeTheReload(api)
    // Epoch 2 ended before the reload: its event is gone, the back end still has its samples.
    api.state.training!.samples = [0, 1, 2, 3].map((i) => ({
      original: digitImage(i),
      reconstruction: digitImage(i + 1),
    }))
    const { wrapper } = await mountTrain(pinia)
    expect(wrapper.findAll('[aria-label^="Test digit "]')).toHaveLength(4)
    expect(wrapper.findAll('[aria-label^="Reconstruction "]')).toHaveLength(4)
    expect(wrapper.get('.samples-card').text()).not.toContain('appear here after every epoch')

    // The next epoch's own samples replace them.
    api.progress(3, 10, 10)
    api.endEpoch(3, 0.12, 0.11)
    await flushPromises()
    expect(wrapper.findAll('[aria-label^="Reconstruction "]')).toHaveLength(3)
  })

  it('fills batch size and image limit from a model that reports them', async () => {
    const { api, pinia } = setup({ models: [{ ...halfTrained(), batchSize: 64, trainCount: 512 }] })
    runningSinceBeforeTheReload(api)
    const { wrapper } = await mountTrain(pinia)
    expect(input(wrapper, 'Batch size').value).toBe('64')
    expect(input(wrapper, 'Limit training images').value).toBe('512')
  })

  it('opens Advanced to show the image limit of a run it picks up while it is on screen', async () => {
    // After a reload the view shows before the run's saved settings have arrived.
    const { api, pinia } = setup({ models: [{ ...halfTrained(), batchSize: 64, trainCount: 512 }] })
    const { wrapper } = await mountTrain(pinia)
    const advanced = () => wrapper.get<HTMLDetailsElement>('details.advanced').element
    expect(advanced().open).toBe(false)
    runningSinceBeforeTheReload(api)
    await flushPromises()
    expect(input(wrapper, 'Limit training images').value).toBe('512')
    expect(advanced().open).toBe(true)
  })

  it('charts the model’s whole history when the run ends, from the finished event', async () => {
    const { api, pinia } = setup({ models: [halfTrained()] })
    api.state.training = structuredClone(RUN_ON_THE_BACK_END)
    // The saved history cannot be read at the reload; the finished event still carries all of it.
    api.failNext('models.get', 'STORE_ERROR', 'The model folder is busy.')
    const { wrapper } = await mountTrain(pinia)
    expect(wrapper.find('.loss-chart-stub').exists()).toBe(false)
    api.state.models[0]!.history.push({ epoch: 3, loss: 0.12 }, { epoch: 4, loss: 0.1 })
    api.state.models[0]!.epochs = 4
    api.finish('completed')
    await flushPromises()
    expect(chartEpochs(wrapper)).toBe('1,2,3,4')
    expect(wrapper.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('100')
  })

  it('resumed from the Models list after a reload, charts the saved epochs before the new ones', async () => {
    const { api, pinia } = setup({ models: [halfTrained()] })
    const { wrapper, training } = await mountTrain(pinia)
    // What ModelsView's Resume button does.
    await training.resume('deep-mnist-7')
    await flushPromises()
    expect(chartEpochs(wrapper)).toBe('1,2')
    expect(input(wrapper, 'Epochs').value).toBe('4')
    api.progress(3, 10, 10)
    api.endEpoch(3, 0.12, 0.11)
    await flushPromises()
    expect(chartEpochs(wrapper)).toBe('1,2,3')
  })
})

describe('a resumed model whose saved optimizer state is damaged', () => {
  /** The store's sentence, as the service passes it on (the CLI prints the same one). */
  const WARNING =
    'The optimizer state saved with "deep 4ep" is damaged (optimizer.json is not valid JSON); the model\'s weights ' +
    'are fine, so training resumes with fresh Adam moment estimates (the next checkpoint saves a new optimizer state).'

  it('says so by the run from its start, and still once it has finished, until another run takes its place', async () => {
    const { api, pinia } = setup({ models: [halfTrained(), makeModel()] })
    api.state.damagedOptimizerState.add('deep-mnist-7')
    const { wrapper, training } = await mountTrain(pinia)
    // What ModelsView's Resume button does; the warning comes before the call answers.
    await training.resume('deep-mnist-7')
    await flushPromises()
    expect(statusText(wrapper)).toContain('Preparing the data and the model…')
    expect(statusText(wrapper)).toContain(WARNING)

    api.progress(3, 10, 10)
    api.endEpoch(3, 0.12, 0.11)
    api.progress(4, 10, 10)
    api.endEpoch(4, 0.1, 0.1)
    api.finish('completed')
    await flushPromises()
    expect(statusText(wrapper)).toContain('Finished after 4 epochs; saved as "deep 4ep".')
    expect(statusText(wrapper)).toContain(WARNING)

    // Another model, whose saved state is sound: its run is not shown with the first one's warning.
    await training.resume('dense-mnist-1', 5)
    await flushPromises()
    expect(statusText(wrapper)).not.toContain('optimizer state')
  })

  it('says so for a run resumed elsewhere, once the page shows that run', async () => {
    const { api, pinia } = setup({ models: [halfTrained()] })
    const { wrapper } = await mountTrain(pinia)
    // Another window resumed it: the warning arrives before the run's first batch tells this page of it.
    api.state.training = structuredClone(RUN_ON_THE_BACK_END)
    api.emit('training.onWarning', { runId: 'run-9', modelId: 'deep-mnist-7', message: WARNING })
    await flushPromises()
    expect(statusText(wrapper)).not.toContain(WARNING)
    api.progress(3, 1, 10)
    await flushPromises()
    expect(statusText(wrapper)).toContain(WARNING)
  })
})

describe('the status panel', () => {
  it('says the run is being prepared until the first batch, never "Not training"', async () => {
    const { api, pinia } = setup()
    const { wrapper } = await mountTrain(pinia)
    expect(statusText(wrapper)).toContain('Not training')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(statusText(wrapper)).toContain('Preparing the data and the model…')
    expect(statusText(wrapper)).not.toContain('Not training')
    api.progress(1, 1)
    await flushPromises()
    expect(statusText(wrapper)).not.toContain('Preparing')
  })

  it('says an epoch is being validated and saved once its last batch is done, until its end arrives', async () => {
    const { api, pinia } = setup()
    const { wrapper } = await mountTrain(pinia)
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    api.progress(1, 9, 10)
    await flushPromises()
    expect(statusText(wrapper)).not.toContain('Validating')
    api.progress(1, 10, 10)
    await flushPromises()
    expect(statusText(wrapper)).toContain('Validating and saving epoch 1…')
    expect(statusText(wrapper)).not.toContain('ETA')
    api.endEpoch(1, 0.2, 0.19)
    await flushPromises()
    expect(statusText(wrapper)).not.toContain('Validating')
  })

  it('after a cancel, shows the saved state instead of the last batch’s figures', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { api, pinia } = setup()
    const { wrapper } = await mountTrain(pinia)
    await wrapper.get('input[aria-label="Epochs"]').setValue('3')
    await wrapper.get('input[aria-label="Epochs"]').trigger('change')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    api.endEpoch(1, 0.2, 0.19)
    api.endEpoch(2, 0.15, 0.14)
    api.progress(3, 304, 512)
    await flushPromises()
    expect(statusText(wrapper)).toContain('Batch 304 / 512')
    await clickCancel(wrapper, api)
    api.finish('cancelled')
    await flushPromises()
    const text = statusText(wrapper)
    expect(text).toContain('Stopped after 2 epochs;')
    expect(text).not.toContain('Batch 304')
    expect(text).not.toContain('ETA')
    expect(text).not.toContain('samples/s')
    expect(text).toContain('val_loss 0.1400')
    expect(wrapper.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('67')
  })

  it('after Cancel then Resume, drops the discarded partial epoch’s batches so the loss line never runs back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { api, pinia } = setup()
    const { wrapper } = await mountTrain(pinia)
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    api.progress(1, 5, 10)
    api.progress(1, 10, 10)
    api.endEpoch(1, 0.2, 0.19)
    api.progress(2, 5, 10)
    await flushPromises()
    await clickCancel(wrapper, api)
    api.finish('cancelled')
    await flushPromises()
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Resume')!
      .trigger('click')
    await flushPromises()
    api.progress(2, 1, 10)
    await flushPromises()
    expect(wrapper.get('.loss-chart-stub').attributes('data-batch-x')).toBe('0.50,1.00,1.10')
  })
})

/** Adds an image folder as the web shell does: the Add button, then the path typed in its dialog. */
async function addImageFolder(wrapper: Wrapper, path: string): Promise<void> {
  await wrapper
    .findAll('button')
    .find((b) => b.text() === 'Add image folder…')!
    .trigger('click')
  await wrapper.get<HTMLInputElement>('[role="dialog"] input').setValue(path)
  await wrapper.get('[role="dialog"] button.primary').trigger('click')
  await flushPromises()
}

describe('the form', () => {
  it('says on the dataset line when only the first N training images are used', async () => {
    const { pinia } = setup()
    const { wrapper } = await mountTrain(pinia)
    const datasetLine = () => wrapper.get('[aria-label="Dataset"]').element.parentElement!.textContent ?? ''
    expect(datasetLine()).toContain('60,000 training / 10,000 test images')
    await wrapper.get('input[aria-label="Limit training images"]').setValue('512')
    await wrapper.get('input[aria-label="Limit training images"]').trigger('change')
    expect(datasetLine()).toContain('512 of 60,000 training / 10,000 test images')
  })

  it('keeps the typed folder path and says why when adding it fails, and closes once it is added', async () => {
    const { api, pinia } = setup()
    const { wrapper } = await mountTrain(pinia)
    await wrapper
      .findAll('button')
      .find((b) => b.text() === 'Add IDX folder…')!
      .trigger('click')
    const path = wrapper.get<HTMLInputElement>('[role="dialog"] input')
    await path.setValue('/data/fashoin')
    api.failNext('datasets.addIdxFolder', 'FILE_NOT_FOUND', 'No folder "/data/fashoin" on this machine.')
    await wrapper.get('[role="dialog"] button.primary').trigger('click')
    await flushPromises()
    expect(wrapper.find('[role="dialog"]').exists()).toBe(true)
    expect(wrapper.get<HTMLInputElement>('[role="dialog"] input').element.value).toBe('/data/fashoin')
    expect(wrapper.get('[role="dialog"] [role="alert"]').text()).toBe(
      'No folder "/data/fashoin" on this machine.',
    )

    await path.setValue('/data/fashion')
    await wrapper.get('[role="dialog"] button.primary').trigger('click')
    await flushPromises()
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false)
    expect((input(wrapper, 'Dataset') as unknown as HTMLSelectElement).selectedOptions[0]?.text).toBe(
      'fashion',
    )
  })

  it('says how many images an added image folder has and what training draws from them', async () => {
    const { pinia } = setup()
    const { wrapper } = await mountTrain(pinia)
    await addImageFolder(wrapper, '/photos/holiday')
    expect(useNotificationsStore().notices.map((notice) => notice.message)).toContain(
      'Added dataset "holiday": 12 images found. Training uses 2,048 random 64×64 patches of them, and tests on 256 more.',
    )
  })

  it('takes an added dataset off the list and goes back to MNIST; MNIST cannot be removed', async () => {
    const { api, pinia } = setup()
    const { wrapper } = await mountTrain(pinia)
    const removeButton = () => wrapper.find('button[aria-label="Remove holiday from the dataset list"]')
    const datasetNames = () =>
      (input(wrapper, 'Dataset') as unknown as HTMLSelectElement).querySelectorAll('option').length
    expect(wrapper.findAll('button').some((b) => b.text() === 'Remove from list')).toBe(false)
    await addImageFolder(wrapper, '/photos/holiday')
    expect(datasetNames()).toBe(2)

    await removeButton().trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'datasets.remove')?.payload).toEqual({ id: 'folder-1' })
    expect(datasetNames()).toBe(1)
    expect((input(wrapper, 'Dataset') as unknown as HTMLSelectElement).value).toBe('mnist')
    expect(removeButton().exists()).toBe(false)
    expect(useNotificationsStore().notices.map((notice) => notice.message)).toContain(
      'Removed "holiday" from the list. Its files and the models trained on it stay; add the folder again to train on it.',
    )
  })
})
