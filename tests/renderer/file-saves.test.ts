// What the user reads once a file they exported from the desktop app has been saved, or has not: the shell reports
// each save (files.onSaved) and a notice says where the file went, or that it was not saved and why.
import { afterEach, describe, expect, it } from 'vitest'
import type { VueWrapper } from '@vue/test-utils'
import ToastHost from '@renderer/components/ToastHost.vue'
import { useFilesStore } from '@renderer/stores/files'
import { flushPromises, mountWith, setup } from './support/mount'

let wrapper: VueWrapper | undefined

afterEach(() => {
  wrapper?.unmount()
  wrapper = undefined
})

async function watchedToasts() {
  const { api, pinia } = setup()
  wrapper = await mountWith(ToastHost, pinia)
  useFilesStore().watchSaves()
  return { api, toasts: wrapper }
}

describe('saved files', () => {
  it('says where a saved file went', async () => {
    const { api, toasts } = await watchedToasts()
    api.emit('files.onSaved', {
      fileName: 'mnist-codes.csv',
      outcome: 'saved',
      path: '/home/ada/Documents/mnist-codes.csv',
    })
    await flushPromises()
    const toast = toasts.get('[role="status"]')
    expect(toast.text()).toContain('Saved mnist-codes.csv to /home/ada/Documents/mnist-codes.csv.')
  })

  it('says a failed save did not save the file, and why, as an alert', async () => {
    const { api, toasts } = await watchedToasts()
    api.emit('files.onSaved', {
      fileName: 'denoised.png',
      outcome: 'failed',
      reason:
        'The disk may be full, the folder may not be writable, or the file may have been moved while it was written.',
    })
    await flushPromises()
    const alert = toasts.get('[role="alert"]')
    expect(alert.text()).toContain('denoised.png was not saved.')
    expect(alert.text()).toContain('The disk may be full')
  })

  it('says nothing when the user cancelled the save dialog themselves', async () => {
    const { api, toasts } = await watchedToasts()
    api.emit('files.onSaved', { fileName: 'comparison.png', outcome: 'cancelled' })
    await flushPromises()
    expect(toasts.findAll('.toast')).toHaveLength(0)
  })
})
