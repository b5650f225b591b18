// The Models view offers to restore a model folder whose version pointer broke (its weights are intact in a saved
// version), so a desktop user gets the model back instead of deleting it or typing a shell command.
import { afterEach, describe, expect, it } from 'vitest'
import { enableAutoUnmount } from '@vue/test-utils'
import type { UnreadableModel } from '@contract'
import ModelsView from '@renderer/views/ModelsView.vue'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { useSystemStore } from '@renderer/stores/system'
import { makeModel } from './support/fake-api'
import { flushPromises, mountWith, setup } from './support/mount'

enableAutoUnmount(afterEach)

afterEach(() => {
  document.body.innerHTML = ''
})

const FOLDER = '/home/me/.bottleneck/models/a1b2c3d4e5f6'
const lostPointer: UnreadableModel = {
  id: 'a1b2c3d4e5f6',
  folder: FOLDER,
  reason:
    `The model in ${FOLDER} cannot be loaded: its current file is missing. Its saved version v000002 is complete; ` +
    `to use it again, run: echo v000002 > '${FOLDER}/current'`,
  restorableVersion: 'v000002',
}
const noMetadata: UnreadableModel = {
  id: 'f6e5d4c3b2a1',
  folder: '/home/me/.bottleneck/models/f6e5d4c3b2a1',
  reason:
    'The model in /home/me/.bottleneck/models/f6e5d4c3b2a1 cannot be loaded: bottleneck.json is missing.',
}
const restoredModel = makeModel({
  id: 'a1b2c3d4e5f6',
  name: 'digits, week 2',
  updatedAt: '2026-11-20T09:00:00Z',
})

async function mountWithUnreadable(unreadable: UnreadableModel[]) {
  const { api, pinia } = setup({ models: [makeModel()], unreadable })
  api.state.restorable.set(lostPointer.id, restoredModel)
  await useSystemStore().load()
  const wrapper = await mountWith(ModelsView, pinia)
  const entry = (id: string) => wrapper.find(`[data-unreadable-id="${id}"]`)
  const listedNames = () => wrapper.findAll('tbody tr a.name').map((a) => a.text())
  const lastNotice = () => useNotificationsStore(pinia).notices.at(-1)
  return { api, wrapper, entry, listedNames, lastNotice }
}

describe('ModelsView: restoring a model folder whose version pointer broke', () => {
  it('offers "Restore v000002" only where a saved version can be used, and lists the model again', async () => {
    const { api, entry, listedNames, lastNotice } = await mountWithUnreadable([lostPointer, noMetadata])
    expect(
      entry(lostPointer.id)
        .findAll('button')
        .map((b) => b.text()),
    ).toEqual(['Restore v000002', 'Delete'])
    expect(
      entry(noMetadata.id)
        .findAll('button')
        .map((b) => b.text()),
    ).toEqual(['Delete'])
    expect(listedNames()).toEqual(['dense on mnist'])

    await entry(lostPointer.id)
      .get('[aria-label="Restore v000002 of the model folder a1b2c3d4e5f6"]')
      .trigger('click')
    await flushPromises()

    expect(api.calls.filter((c) => c.name === 'models.restoreVersion').map((c) => c.payload)).toEqual([
      { id: 'a1b2c3d4e5f6' },
    ])
    expect(entry(lostPointer.id).exists()).toBe(false)
    expect(entry(noMetadata.id).exists()).toBe(true)
    expect(listedNames()).toEqual(['dense on mnist', 'digits, week 2'])
    expect(lastNotice()).toMatchObject({
      kind: 'success',
      message: 'Restored “digits, week 2” to its saved version v000002.',
    })
    // The pressed button is gone with its entry: the keyboard goes on from the restored model.
    expect(document.activeElement?.textContent).toBe('digits, week 2')
  })

  it('shows a refused restore as a sentence and keeps the folder, so it can be tried again', async () => {
    const { api, entry, listedNames, lastNotice } = await mountWithUnreadable([lostPointer])
    api.failNext(
      'models.restoreVersion',
      'STORE_ERROR',
      `Cannot restore the model in ${FOLDER}: the disk is full.`,
    )
    const restore = () => entry(lostPointer.id).get('button')
    await restore().trigger('click')
    await flushPromises()
    expect(lastNotice()).toMatchObject({
      kind: 'error',
      message: `Cannot restore the model in ${FOLDER}: the disk is full.`,
    })
    expect(listedNames()).toEqual(['dense on mnist'])
    expect(restore().text()).toBe('Restore v000002')
    expect(restore().attributes('disabled')).toBeUndefined()

    await restore().trigger('click')
    await flushPromises()
    expect(entry(lostPointer.id).exists()).toBe(false)
    expect(listedNames()).toEqual(['dense on mnist', 'digits, week 2'])
  })

  it('reads the list again when the folder was repaired elsewhere since it was listed', async () => {
    const { api, wrapper, entry, listedNames, lastNotice } = await mountWithUnreadable([lostPointer])
    // Restored in another window (or by hand): the back end now refuses to replace a pointer that works.
    api.state.unreadable = []
    api.state.models.push(restoredModel)
    await entry(lostPointer.id).get('button').trigger('click')
    await flushPromises()
    expect(lastNotice()).toMatchObject({
      kind: 'error',
      message: 'The model a1b2c3d4e5f6 already points to a version it holds; nothing was changed.',
    })
    expect(wrapper.find('[aria-labelledby="unreadable-title"]').exists()).toBe(false)
    expect(listedNames()).toEqual(['dense on mnist', 'digits, week 2'])
  })

  it('warns before deleting a folder whose saved version could be restored', async () => {
    const { wrapper, entry } = await mountWithUnreadable([lostPointer])
    await entry(lostPointer.id).get('[aria-label="Delete the model folder a1b2c3d4e5f6"]').trigger('click')
    expect(wrapper.get('[role="dialog"]').text()).toContain(
      'the complete saved version v000002 too. Restore that version instead to keep the model.',
    )
  })
})
