// What every view does with a model the back end finds gone: the sentence naming it, and one reload of the model list.
import { describe, expect, it } from 'vitest'
import { forgetGoneModel } from '@renderer/lib/model-gone'
import { useModelsStore } from '@renderer/stores/models'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { makeModel } from '../support/fake-api'
import { setup } from '../support/mount'

const digits = makeModel({ id: 'dense-1', name: 'digits' })
const other = makeModel({ id: 'dense-2', name: 'other digits' })

async function storeWithout(gone: string) {
  const { api } = setup({ models: [digits, other] })
  await useModelsStore().refresh()
  // Removed on disk: no event says so, and the list still holds it.
  api.state.models = api.state.models.filter((model) => model.id !== gone)
  return api
}

const listCalls = (api: Awaited<ReturnType<typeof storeWithout>>) =>
  api.calls.filter((call) => call.name === 'models.list').length

describe('forgetGoneModel', () => {
  it('names the model and reloads the list, which drops it from every picker', async () => {
    await storeWithout('dense-1')
    expect(await forgetGoneModel('dense-1')).toBe(
      '"digits" is no longer in the store; it may have been deleted in another window or on disk.',
    )
    expect(useModelsStore().models.map((model) => model.id)).toEqual(['dense-2'])
    expect(useNotificationsStore().notices).toEqual([])
  })

  it('reloads once, and reports a failed reload once, when several requests find the model gone together', async () => {
    const api = await storeWithout('dense-1')
    const before = listCalls(api)
    api.failNext('models.list', 'STORE_ERROR', 'The models folder cannot be read: permission denied.')
    const messages = await Promise.all([forgetGoneModel('dense-1'), forgetGoneModel('dense-1')])
    expect(messages[0]).toBe(messages[1])
    expect(listCalls(api)).toBe(before + 1)
    expect(useNotificationsStore().notices.map((notice) => notice.message)).toEqual([
      'The models folder cannot be read: permission denied.',
    ])
  })

  it('speaks of "the model you were using", never its id, when the list does not know the model', async () => {
    await storeWithout('dense-9')
    expect(await forgetGoneModel('dense-9')).toBe(
      'The model you were using is no longer in the store; it may have been deleted in another window or on disk.',
    )
  })
})
