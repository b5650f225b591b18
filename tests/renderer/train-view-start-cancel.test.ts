// Starting and stopping a run from the Train view as a user does it: a double click on Start starts one run and
// does not cancel it, a run stopped or failed before its first epoch leaves no model to try or resume, and the
// finished model is offered to the view that can use it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import TrainView from '@renderer/views/TrainView.vue'
import { useTrainingStore } from '@renderer/stores/training'
import { useSystemStore } from '@renderer/stores/system'
import { useModelsStore } from '@renderer/stores/models'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { useNavigationStore } from '@renderer/stores/navigation'
import { useDenoiseStore } from '@renderer/stores/denoise'
import { PHOTO_FOLDER, type FakeApi } from './support/fake-api'
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

async function mountTrain(prepare: (api: FakeApi) => void = () => undefined) {
  const { api, pinia } = setup()
  prepare(api)
  // As the app starts (main.ts): the model list follows the back end's models.onChanged.
  useModelsStore().watchChanges((error) => useNotificationsStore().error(error))
  await useTrainingStore().attach()
  await useSystemStore().load()
  await useModelsStore().refresh()
  const wrapper = await mountWith(TrainView, pinia)
  return { api, wrapper }
}

type Wrapper = Awaited<ReturnType<typeof mountTrain>>['wrapper']

/** The button in the form's action row where Start training sits: what a second click there lands on. */
function actionButton(wrapper: Wrapper) {
  return wrapper.get('.actions button')
}

function button(wrapper: Wrapper, text: string) {
  return wrapper.findAll('button').find((candidate) => candidate.text() === text)
}

function statusText(wrapper: Wrapper): string {
  return wrapper.get('[aria-label="Training progress"][role="region"]').text()
}

const callsOf = (api: FakeApi, name: string) => api.calls.filter((call) => call.name === name).length

describe('a double click on Start training', () => {
  it('starts one run and does not cancel it; Cancel works once the click has settled, while preparing', async () => {
    const { api, wrapper } = await mountTrain()
    expect(actionButton(wrapper).text()).toBe('Start training')
    await wrapper.get('form').trigger('submit')
    // The second click of the double click, on the button now in Start's place.
    expect(actionButton(wrapper).text()).toBe('Cancel')
    await actionButton(wrapper).trigger('click')
    await flushPromises()
    expect(callsOf(api, 'training.start')).toBe(1)
    expect(callsOf(api, 'training.cancel')).toBe(0)
    expect(useTrainingStore().state).toBe('running')

    vi.advanceTimersByTime(CANCEL_SETTLE_MS)
    expect(statusText(wrapper)).toContain('Preparing the data and the model…')
    await actionButton(wrapper).trigger('click')
    await flushPromises()
    expect(callsOf(api, 'training.cancel')).toBe(1)
  })

  it('never sends a second start while the first is on its way', async () => {
    const { api, wrapper } = await mountTrain()
    await Promise.all([wrapper.get('form').trigger('submit'), wrapper.get('form').trigger('submit')])
    await flushPromises()
    expect(callsOf(api, 'training.start')).toBe(1)
    // The back end's refusal of a second run would have made the page think nothing trains.
    expect(useTrainingStore().state).toBe('running')
    expect(useNotificationsStore().notices.filter((notice) => notice.kind === 'error')).toEqual([])
  })
})

describe('a run that ends before its first epoch', () => {
  it('cancelled, says nothing was kept and offers no model to try or resume; the model list drops it', async () => {
    const { api, wrapper } = await mountTrain()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const modelId = api.state.training!.modelId
    // Listed while it trains.
    expect(useModelsStore().models.map((model) => model.id)).toContain(modelId)
    vi.advanceTimersByTime(CANCEL_SETTLE_MS)
    await button(wrapper, 'Cancel')!.trigger('click')
    const listsBeforeTheEnd = callsOf(api, 'models.list')
    // The back end removes the model and says so (models.onChanged 'deleted').
    api.finish('cancelled')
    await flushPromises()

    const messages = useNotificationsStore().notices.map((notice) => notice.message)
    expect(messages).toContain(
      'Training stopped before its first epoch finished, so there is no model to keep.',
    )
    expect(messages.join(' ')).not.toContain('after epoch 0')
    expect(statusText(wrapper)).toContain('Stopped before the first epoch finished; no model was kept.')
    for (const offer of ['Resume', 'Try it in Draw', 'Try it in Denoise', 'Open model'])
      expect(button(wrapper, offer), offer).toBeUndefined()
    expect(useModelsStore().models.map((model) => model.id)).not.toContain(modelId)
    // The list is reloaded once, by the models store on that event: the training store does not reload it again.
    vi.runOnlyPendingTimers()
    await flushPromises()
    expect(callsOf(api, 'models.list') - listsBeforeTheEnd).toBe(1)
    expect(useModelsStore().models.map((model) => model.id)).not.toContain(modelId)
    expect(useTrainingStore().modelId).toBeNull()
  })

  it('failed, offers no Resume for the model the back end removed', async () => {
    const { api, wrapper } = await mountTrain()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const { modelId } = api.fail({
      code: 'BACKEND_UNAVAILABLE',
      message: 'The wasm backend cannot train convolutions.',
    })
    await flushPromises()
    expect(useTrainingStore().state).toBe('idle')
    expect(button(wrapper, 'Resume')).toBeUndefined()
    expect(useModelsStore().models.map((model) => model.id)).not.toContain(modelId)
    expect(useTrainingStore().modelId).toBeNull()
  })

  it('after a finished epoch, keeps offering Resume', async () => {
    const { api, wrapper } = await mountTrain()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    api.endEpoch(1, 0.2, 0.19)
    vi.advanceTimersByTime(CANCEL_SETTLE_MS)
    await button(wrapper, 'Cancel')!.trigger('click')
    api.finish('cancelled')
    await flushPromises()
    expect(statusText(wrapper)).toContain('Stopped after 1 epoch;')
    expect(button(wrapper, 'Resume')).toBeDefined()
    expect(button(wrapper, 'Try it in Draw')).toBeDefined()
  })
})

describe('the finished model', () => {
  it('is offered to Draw when it is a 28×28 one-channel model', async () => {
    const { api, wrapper } = await mountTrain()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const modelId = api.state.training!.modelId
    api.endEpoch(1, 0.2, 0.19)
    api.finish('completed')
    await flushPromises()
    expect(button(wrapper, 'Try it in Denoise')).toBeUndefined()
    await button(wrapper, 'Try it in Draw')!.trigger('click')
    expect(useNavigationStore().view).toBe('draw')
    expect(useModelsStore().activeModelId).toBe(modelId)
  })

  it('trained on 64×64 colour photos, is offered to Denoise, never to Draw, which cannot take it', async () => {
    const { api, wrapper } = await mountTrain((fake) => fake.state.datasets.push(PHOTO_FOLDER))
    await wrapper.get('[aria-label="Dataset"]').setValue(PHOTO_FOLDER.id)
    await wrapper.get('[aria-label="Architecture"]').setValue('unet')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const modelId = api.state.training!.modelId
    // The fake back end builds every model 28×28; this one takes the photos' patches.
    api.state.models.find((model) => model.id === modelId)!.inputShape = [64, 64, 3]
    await useModelsStore().refresh()
    api.endEpoch(1, 0.01, 0.012)
    api.finish('completed')
    await flushPromises()

    expect(button(wrapper, 'Try it in Draw')).toBeUndefined()
    await button(wrapper, 'Try it in Denoise')!.trigger('click')
    expect(useNavigationStore().view).toBe('denoise')
    expect(useDenoiseStore().modelId).toBe(modelId)
    expect(useModelsStore().activeModelId).toBe(modelId)
  })
})
