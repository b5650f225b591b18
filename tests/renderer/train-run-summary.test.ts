// What the Train view says about the run it shows, as a user reads it: the name the model was saved under (numbered
// by the back end when the typed one is taken), epochs counted in proper English, a model deleted since the run, the
// architecture's shape for a code size the form refuses, and which run and dataset the sample reconstructions are of.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import TrainView from '@renderer/views/TrainView.vue'
import { useTrainingStore } from '@renderer/stores/training'
import { useSystemStore } from '@renderer/stores/system'
import { useModelsStore } from '@renderer/stores/models'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { makeModel, PHOTO_FOLDER, type FakeApi } from './support/fake-api'
import { flushPromises, mountWith, setup } from './support/mount'

/** How long Cancel ignores clicks after it takes Start's place. */
const CANCEL_SETTLE_MS = 500

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
})

afterEach(() => {
  vi.useRealTimers()
  document.body.innerHTML = ''
})

/** A model the store already holds under the name a user is about to type again. */
const EXISTING = makeModel({ id: 'dense-mnist-0', name: 'dense on MNIST' })

/** As the store names a new model (src-main/store: freeName): a name another model has gets the first free " (n)". */
function numberTakenNames(api: FakeApi): void {
  const start = api.training.start
  api.training.start = async (config) => {
    const run = await start(config)
    const model = api.state.models.find((candidate) => candidate.id === run.modelId)!
    const taken = api.state.models.filter((other) => other !== model).map((other) => other.name)
    const wanted = model.name
    for (let number = 2; taken.includes(model.name); number++) model.name = `${wanted} (${number})`
    return run
  }
}

async function mountTrain(prepare: (api: FakeApi) => void = () => undefined) {
  const { api, pinia } = setup({ models: [EXISTING] })
  numberTakenNames(api)
  prepare(api)
  // As the app starts (main.ts): the model list follows the back end's models.onChanged.
  useModelsStore().watchChanges((error) => useNotificationsStore().error(error))
  await useTrainingStore().attach()
  await useSystemStore().load()
  await useModelsStore().refresh()
  const wrapper = await mountWith(TrainView, pinia)
  return { api, pinia, wrapper }
}

type Wrapper = Awaited<ReturnType<typeof mountTrain>>['wrapper']

function statusText(wrapper: Wrapper): string {
  return wrapper.get('[aria-label="Training progress"][role="region"]').text()
}

function button(wrapper: Wrapper, text: string) {
  return wrapper.findAll('button').find((candidate) => candidate.text() === text)
}

function toasts(): string[] {
  return useNotificationsStore().notices.map((notice) => notice.message)
}

async function setField(wrapper: Wrapper, label: string, value: string): Promise<void> {
  const field = wrapper.get(`[aria-label="${label}"]`)
  await field.setValue(value)
  await field.trigger('change')
}

/** Starts a run from the form with `epochs` epochs, under `name` when one is given. */
async function startRun(
  wrapper: Wrapper,
  { epochs, name }: { epochs: number; name?: string },
): Promise<void> {
  if (name !== undefined) await setField(wrapper, 'Model name', name)
  await setField(wrapper, 'Epochs', String(epochs))
  await wrapper.get('form').trigger('submit')
  await flushPromises()
}

/** Trains `count` epochs of the run going on and lets it finish. */
async function trainAndFinish(api: FakeApi, count: number): Promise<void> {
  for (let epoch = 1; epoch <= count; epoch++) {
    api.progress(epoch, 10, 10)
    api.endEpoch(epoch, 0.3 / epoch, 0.3 / epoch)
  }
  api.finish('completed')
  await flushPromises()
}

describe('the name the model is saved under', () => {
  it('says before training that a typed name is taken', async () => {
    const { wrapper } = await mountTrain()
    await setField(wrapper, 'Model name', 'dense on MNIST')
    expect(wrapper.get('#train-name-taken').text()).toBe(
      'Another model is named "dense on MNIST", so this one will be saved with a number after the name.',
    )
    expect(wrapper.get('[aria-label="Model name"]').attributes('aria-describedby')).toBe('train-name-taken')
    await setField(wrapper, 'Model name', 'fresh name')
    expect(wrapper.find('#train-name-taken').exists()).toBe(false)
  })

  it('names the numbered model, and why, from the start of the run to its end and in the toast', async () => {
    const { api, wrapper } = await mountTrain()
    await startRun(wrapper, { epochs: 2, name: 'dense on MNIST' })
    const why = '"dense on MNIST (2)", because "dense on MNIST" is taken'
    expect(statusText(wrapper)).toContain(`Saving as ${why}.`)

    await trainAndFinish(api, 2)
    expect(statusText(wrapper)).toContain(`Finished after 2 epochs; saved as ${why}.`)
    expect(toasts()).toContain(`Training finished after 2 epochs; the model is saved as ${why}.`)
  })

  it('names a model saved under the name asked for, without a reason', async () => {
    const { api, wrapper } = await mountTrain()
    await startRun(wrapper, { epochs: 1, name: 'my digits' })
    await trainAndFinish(api, 1)
    expect(statusText(wrapper)).toContain('Finished after 1 epoch; saved as "my digits".')
    expect(statusText(wrapper)).not.toContain('taken')
    expect(toasts()).toContain('Training finished after 1 epoch; the model is saved as "my digits".')
  })

  it('names the model of a stopped run in the toast too', async () => {
    const { api, wrapper } = await mountTrain()
    await startRun(wrapper, { epochs: 3, name: 'dense on MNIST' })
    api.progress(1, 10, 10)
    api.endEpoch(1, 0.2, 0.2)
    vi.advanceTimersByTime(CANCEL_SETTLE_MS)
    await button(wrapper, 'Cancel')!.trigger('click')
    api.finish('cancelled')
    await flushPromises()
    expect(statusText(wrapper)).toContain(
      'Stopped after 1 epoch; saved as "dense on MNIST (2)", because "dense on MNIST" is taken.',
    )
    expect(toasts()).toContain(
      'Training stopped after epoch 1; the model is saved as "dense on MNIST (2)", because "dense on MNIST" is taken. You can resume it.',
    )
  })

  it('follows a rename in the Models view', async () => {
    const { api, wrapper } = await mountTrain()
    await startRun(wrapper, { epochs: 1, name: 'dense on MNIST' })
    await trainAndFinish(api, 1)
    const { modelId } = useTrainingStore()
    await useModelsStore().rename(modelId!, 'digits, small')
    api.emit('models.onChanged', { reason: 'renamed', id: modelId! })
    await flushPromises()
    expect(statusText(wrapper)).toContain('Finished after 1 epoch; saved as "digits, small".')
    expect(statusText(wrapper)).not.toContain('taken')
  })
})

describe('the run’s model deleted since', () => {
  /** What the Models view's Delete does, and the event the service sends every window after it. */
  async function deleteInModelsView(api: FakeApi, id: string): Promise<void> {
    await useModelsStore().remove(id)
    api.emit('models.onChanged', { reason: 'deleted', id })
    vi.runOnlyPendingTimers()
    await flushPromises()
  }

  it('is said to be deleted, and no longer offered to open, try or resume', async () => {
    const { api, pinia, wrapper } = await mountTrain()
    await startRun(wrapper, { epochs: 2, name: 'quick digits' })
    await trainAndFinish(api, 2)
    expect(button(wrapper, 'Open model')).toBeDefined()

    await deleteInModelsView(api, useTrainingStore().modelId!)
    // Coming back to the Train view, as the user does.
    wrapper.unmount()
    const again = await mountWith(TrainView, pinia)
    expect(statusText(again)).toContain('Finished after 2 epochs; "quick digits" has since been deleted.')
    for (const offer of ['Open model', 'Try it in Draw', 'Try it in Denoise', 'Resume'])
      expect(button(again, offer), offer).toBeUndefined()
  })

  it('stopped and deleted, is no longer offered to resume', async () => {
    const { api, wrapper } = await mountTrain()
    await startRun(wrapper, { epochs: 3 })
    api.progress(1, 10, 10)
    api.endEpoch(1, 0.2, 0.2)
    vi.advanceTimersByTime(CANCEL_SETTLE_MS)
    await button(wrapper, 'Cancel')!.trigger('click')
    api.finish('cancelled')
    await flushPromises()
    expect(button(wrapper, 'Resume')).toBeDefined()

    await deleteInModelsView(api, useTrainingStore().modelId!)
    expect(statusText(wrapper)).toContain('Stopped after 1 epoch; "dense on mnist" has since been deleted.')
    expect(button(wrapper, 'Resume')).toBeUndefined()
    expect(button(wrapper, 'Open model')).toBeUndefined()
  })
})

describe('the architecture’s shape', () => {
  it('leaves out a code size the form refuses, and shows it again once it is valid', async () => {
    const { wrapper } = await mountTrain()
    const note = () =>
      wrapper
        .get('[aria-label="Architecture"]')
        .element.parentElement!.querySelector('small')!
        .textContent!.trim()
    await setField(wrapper, 'Code size', '2.5')
    expect(wrapper.get('#train-codeSize-error').text()).toContain('Code size must be')
    expect(note()).toBe('One hidden layer: 784 → code → 784.')
    await setField(wrapper, 'Code size', '3')
    expect(note()).toBe('One hidden layer: 784 → 3 → 784.')
  })
})

describe('the sample reconstructions', () => {
  it('stay named by the run and dataset they come from when the form moves to another dataset', async () => {
    const { api, wrapper } = await mountTrain((fake) => fake.state.datasets.push(PHOTO_FOLDER))
    await startRun(wrapper, { epochs: 1 })
    await trainAndFinish(api, 1)
    const card = () => wrapper.get('.samples-card')
    const source = 'From the latest epoch of "dense on mnist", trained on MNIST (built in).'
    expect(card().get('h2').text()).toBe('Test digits and reconstructions')
    expect(card().get('[data-testid="samples-source"]').text()).toBe(source)

    await wrapper.get('[aria-label="Dataset"]').setValue(PHOTO_FOLDER.id)
    expect(card().get('h2').text()).toBe('Test digits and reconstructions')
    expect(card().get('[data-testid="samples-source"]').text()).toBe(source)
    expect(card().get('[role="group"]').attributes('aria-label')).toBe(
      'Test digits and their reconstructions',
    )
  })

  it('of a run on the photo folder are images, not digits, when the form goes back to MNIST', async () => {
    const { api, wrapper } = await mountTrain((fake) => fake.state.datasets.push(PHOTO_FOLDER))
    await wrapper.get('[aria-label="Dataset"]').setValue(PHOTO_FOLDER.id)
    await startRun(wrapper, { epochs: 1, name: 'photos' })
    await trainAndFinish(api, 1)
    await wrapper.get('[aria-label="Dataset"]').setValue('mnist')
    const card = wrapper.get('.samples-card')
    expect(card.get('h2').text()).toBe('Test images and reconstructions')
    expect(card.get('[data-testid="samples-source"]').text()).toBe(
      'From the latest epoch of "photos", trained on mixed.',
    )
  })
})
