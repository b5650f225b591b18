import { afterEach, describe, expect, it, vi } from 'vitest'
import App from '@renderer/App.vue'
import { useCompareStore } from '@renderer/stores/compare'
import { useSystemStore } from '@renderer/stores/system'
import { useNavigationStore, parseHash } from '@renderer/stores/navigation'
import { toUserError } from '@renderer/api/errors'
import { ApiError } from '@contract'
import { flushPromises, mountWith, setup } from './support/mount'
import { makeModel } from './support/fake-api'

afterEach(() => {
  document.body.innerHTML = ''
  history.replaceState(null, '', '#/')
})

describe('App', () => {
  it('switches views with Ctrl+1..4 and marks the current one for assistive tech', async () => {
    const { pinia } = setup()
    useSystemStore().connection = 'connected'
    const wrapper = await mountWith(App, pinia)
    expect(wrapper.get('h1').text()).toBe('Train')
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '2', ctrlKey: true }))
    await flushPromises()
    expect(useNavigationStore().view).toBe('draw')
    expect(location.hash).toBe('#/draw')
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '4', ctrlKey: true }))
    await flushPromises()
    expect(wrapper.get('h1').text()).toBe('Models')
    expect(wrapper.get('[aria-current="page"]').text()).toContain('Models')
  })

  it('keeps the view under an open dialog: Ctrl+2 does not switch away and drop it', async () => {
    const { pinia } = setup({ models: [makeModel()] })
    useSystemStore().connection = 'connected'
    const wrapper = await mountWith(App, pinia)
    useNavigationStore().go('models')
    await flushPromises()
    await wrapper.get('[aria-label="Rename dense on mnist"]').trigger('click')
    await flushPromises()
    const input = wrapper.get('[role="dialog"] input')
    await input.setValue('half typed')
    input.element.dispatchEvent(new KeyboardEvent('keydown', { key: '2', ctrlKey: true, bubbles: true }))
    await flushPromises()
    expect(useNavigationStore().view).toBe('models')
    expect(wrapper.get<HTMLInputElement>('[role="dialog"] input').element.value).toBe('half typed')
  })

  it('explains how to recover when the back end is unreachable', async () => {
    const { pinia } = setup()
    useSystemStore().markFailed({ code: 'DISCONNECTED', message: 'Bottleneck could not reach its server.' })
    const wrapper = await mountWith(App, pinia)
    const banner = wrapper.get('[role="alert"]')
    expect(banner.text()).toContain('Bottleneck could not reach its server.')
    expect(banner.text()).toContain('Restart the Bottleneck server')
  })
})

/** A drag from a file manager, as the browser reports it at `target`; true when something prevented the default. */
function dragFiles(target: Element, type: 'dragover' | 'drop', files: File[] = [new File(['png'], 'a.png')]) {
  const event = new Event(type, { bubbles: true, cancelable: true }) as DragEvent
  const dataTransfer = { types: ['Files'], files, dropEffect: 'copy' }
  Object.defineProperty(event, 'dataTransfer', { value: dataTransfer })
  target.dispatchEvent(event)
  return { prevented: event.defaultPrevented, dropEffect: dataTransfer.dropEffect }
}

describe('files dropped on the window', () => {
  it('are kept from the browser in views that take no drops, so it does not open them and leave the app', async () => {
    const { pinia } = setup({ models: [makeModel()] })
    useSystemStore().connection = 'connected'
    const wrapper = await mountWith(App, pinia)
    for (const view of ['train', 'draw', 'models', 'latent'] as const) {
      useNavigationStore().go(view)
      await flushPromises()
      const heading = wrapper.get('h1').element
      expect(dragFiles(heading, 'dragover')).toEqual({ prevented: true, dropEffect: 'none' })
      expect(dragFiles(heading, 'drop').prevented).toBe(true)
    }
  })

  it('still reach a view that takes them', async () => {
    const { pinia } = setup({ models: [makeModel()] })
    useSystemStore().connection = 'connected'
    const addFiles = vi.spyOn(useCompareStore(), 'addFiles').mockResolvedValue(undefined)
    const wrapper = await mountWith(App, pinia)
    useNavigationStore().go('compare')
    await flushPromises()
    const files = [new File(['png'], 'seven.png', { type: 'image/png' })]
    expect(dragFiles(wrapper.get('h1').element, 'dragover')).toEqual({ prevented: true, dropEffect: 'copy' })
    dragFiles(wrapper.get('h1').element, 'drop', files)
    expect(addFiles).toHaveBeenCalledWith(files)
  })

  it('leave text dragged into a field to the field', async () => {
    const { pinia } = setup()
    useSystemStore().connection = 'connected'
    const wrapper = await mountWith(App, pinia)
    const field = wrapper.get('input').element
    const event = new Event('drop', { bubbles: true, cancelable: true }) as DragEvent
    Object.defineProperty(event, 'dataTransfer', { value: { types: ['text/plain'], files: [] } })
    field.dispatchEvent(event)
    expect(event.defaultPrevented).toBe(false)
  })
})

describe('navigation and errors', () => {
  it('parses hashes, falling back to Train for unknown views', () => {
    expect(parseHash('#/models/abc-1')).toEqual({ view: 'models', modelId: 'abc-1' })
    expect(parseHash('#/nowhere')).toEqual({ view: 'train', modelId: null })
    expect(parseHash('')).toEqual({ view: 'train', modelId: null })
  })

  it('turns errors into sentences: contract errors keep their message, unknown ones never leak internals', () => {
    expect(toUserError(new ApiError('MODEL_NOT_FOUND', 'No model "x".'))).toEqual({
      code: 'MODEL_NOT_FOUND',
      message: 'No model "x".',
    })
    expect(toUserError({ code: 'TRAINER_UNAVAILABLE', message: 'The trainer did not start.' }).message).toBe(
      'The trainer did not start. Restart Bottleneck; if it keeps happening, check the log folder shown under Settings.',
    )
    // The back end's crash messages say what happens next themselves; nothing contradicting is added to them.
    const crash = 'The training process stopped unexpectedly (SIGKILL) while the run was starting; start it again.'
    expect(toUserError({ code: 'TRAINER_CRASHED', message: crash }).message).toBe(crash)
    const unknown = toUserError(new TypeError('Cannot read properties of undefined'))
    expect(unknown.code).toBe('INTERNAL')
    expect(unknown.message).not.toContain('undefined')
  })
})
