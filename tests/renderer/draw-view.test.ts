import { afterEach, describe, expect, it, vi } from 'vitest'
import { enableAutoUnmount } from '@vue/test-utils'
import DrawView from '@renderer/views/DrawView.vue'
import DrawingPad from '@renderer/components/DrawingPad.vue'
import { useModelsStore } from '@renderer/stores/models'
import { makeDenoiser, makeModel } from './support/fake-api'
import { flushPromises, mountWith, setup } from './support/mount'
import { toMnistInput, type GrayImage } from '@renderer/lib/digit-preprocess'
import { imageToFloat } from '@renderer/lib/contract-images'
import { psnr } from '@renderer/lib/metrics'
import { useDrawingStore } from '@renderer/stores/drawing'
import { visibleStrokes } from '@renderer/lib/drawing-history'
import type { Image } from '@contract'

// A view left mounted keeps its window key listener and its watchers, which then act during later tests: a late
// reload of an earlier test's models store re-ran its view's watchers, which made that test's Pinia the active one, so
// a `useDrawingStore()` read the wrong (empty) drawing (Ctrl+Z then "saw 0 strokes" under load). Stores are therefore
// read from the view's own Pinia below, never from whichever one is active.
enableAutoUnmount(afterEach)

afterEach(() => {
  document.body.innerHTML = ''
  // The chosen model is remembered in localStorage: each test starts from the newest model.
  localStorage.clear()
})

/** A 280 × 280 drawing with a filled rectangle of ink (a square unless a width is given). */
function drawing(x0: number, y0: number, side: number, width = side): GrayImage {
  const pixels = new Float32Array(280 * 280)
  for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + width; x++) pixels[y * 280 + x] = 1
  return { pixels, width: 280, height: 280 }
}

async function mountDraw(models = [makeModel()]) {
  const { api, pinia } = setup({ models })
  await useModelsStore().refresh()
  const wrapper = await mountWith(DrawView, pinia)
  return { api, pinia, wrapper }
}

async function draw(
  wrapper: Awaited<ReturnType<typeof mountDraw>>['wrapper'],
  image: GrayImage,
  strokes = 1,
) {
  const pad = wrapper.getComponent(DrawingPad)
  pad.vm.$emit('strokes', strokes)
  pad.vm.$emit('change', image)
  await flushPromises()
}

describe('DrawView', () => {
  it('starts a denoising model at the noise it was trained on, and a plain one at none', async () => {
    const { wrapper } = await mountDraw([makeDenoiser({ type: 'saltPepper', amount: 0.2 })])
    expect((wrapper.get('[aria-label="Noise type"]').element as HTMLSelectElement).value).toBe('saltPepper')
    expect((wrapper.get('[aria-label="Noise level"]').element as HTMLInputElement).value).toBe('0.2')
    const plain = await mountDraw()
    expect((plain.wrapper.get('[aria-label="Noise level"]').element as HTMLInputElement).value).toBe('0')
  })

  it('redraws the current digit with the new model’s noise when the model changes', async () => {
    // Older than the plain model, so Draw opens on the plain one.
    const denoiser = makeDenoiser(
      { type: 'saltPepper', amount: 0.2 },
      { updatedAt: '2026-11-27T08:00:00.000Z' },
    )
    const { api, wrapper } = await mountDraw([makeModel(), denoiser])
    await draw(wrapper, drawing(80, 60, 120))
    const pixelsSent = () =>
      api.calls
        .filter((c) => c.name === 'inference.reconstruct')
        .map((c) => c.payload as { id: string; images: { data: number[] }[] })
    expect(pixelsSent()).toHaveLength(1)
    await wrapper.get('[aria-label="Model"]').setValue('denoiser-1')
    await flushPromises()
    const [clean, noisy] = [pixelsSent()[0]!, pixelsSent().at(-1)!]
    expect(noisy.id).toBe('denoiser-1')
    expect(noisy.images[0]!.data).not.toEqual(clean.images[0]!.data)
  })

  it('says what to do when no 28×28 grayscale model exists', async () => {
    const { wrapper } = await mountDraw([makeModel({ id: 'rgb', inputShape: [32, 32, 3] })])
    expect(wrapper.text()).toContain('No model to draw with yet')
    expect(wrapper.find('canvas').exists()).toBe(false)
  })

  it('sends the MNIST-style 28×28 input, then shows the code, the reconstruction and the latency', async () => {
    const { api, wrapper } = await mountDraw()
    await draw(wrapper, drawing(40, 40, 100))
    // One request carries the drawing and asks for its code too.
    expect(api.calls.filter((c) => c.name === 'inference.encode')).toHaveLength(0)
    const request = api.calls.find((c) => c.name === 'inference.reconstruct')!
    const payload = request.payload as {
      id: string
      withCodes: boolean
      images: { width: number; height: number; channels: number; data: number[] }[]
    }
    expect(payload.id).toBe('dense-mnist-1')
    expect(payload.withCodes).toBe(true)
    const image = payload.images[0]!
    expect([image.width, image.height, image.channels]).toEqual([28, 28, 1])
    // The square fills the central 20 × 20 box, as MNIST digits do.
    expect(image.data.filter((v) => v > 200)).toHaveLength(400)
    expect(image.data[14 * 28 + 14]).toBe(255)
    expect(image.data[2 * 28 + 2]).toBe(0)
    expect(api.calls.filter((c) => c.name === 'inference.reconstruct')).toHaveLength(1)
    expect(wrapper.get('[role="group"]').attributes('aria-label')).toMatch(/^Latent code: 32 values/)
    expect(wrapper.get('[data-testid="latency"]').text()).toMatch(/^\d+\.\d ms$/)
    expect(wrapper.text()).toMatch(/PSNR \d+\.\d dB/)
  })

  it('loads the chosen model ahead of the first stroke', async () => {
    const { api } = await mountDraw()
    expect(api.calls.filter((c) => c.name === 'inference.prepare').map((c) => c.payload)).toEqual([
      { id: 'dense-mnist-1' },
    ])
    expect(api.calls.some((c) => c.name === 'inference.reconstruct')).toBe(false)
  })

  it('keeps one request in flight and sends only the latest drawing when it returns', async () => {
    const { api, wrapper } = await mountDraw()
    api.inferenceDelayMs = 30
    const pad = wrapper.getComponent(DrawingPad)
    pad.vm.$emit('strokes', 1)
    // Rectangles 40…100 px wide and 100 px tall become 8…20 px wide boxes of 20 px height.
    for (const width of [40, 60, 80, 100]) pad.vm.$emit('change', drawing(20, 20, 100, width))
    // Wait for both round trips (slow machines included), then make sure nothing else follows.
    await vi.waitFor(
      () => expect(api.calls.filter((c) => c.name === 'inference.reconstruct')).toHaveLength(2),
      {
        timeout: 5_000,
      },
    )
    await new Promise((r) => setTimeout(r, 100))
    const encodes = api.calls.filter((c) => c.name === 'inference.reconstruct')
    expect(encodes).toHaveLength(2)
    const ink = (call: (typeof encodes)[number]) =>
      (call.payload as { images: { data: number[] }[] }).images[0]!.data.filter((v) => v > 200).length
    expect(ink(encodes[0]!)).toBe(8 * 20) // the first drawing went out at once…
    expect(ink(encodes[1]!)).toBe(20 * 20) // …then the latest; the 60 and 80 px ones were skipped
  })

  it('adds noise before encoding when the noise slider is up', async () => {
    const { api, wrapper } = await mountDraw()
    await wrapper.get('[aria-label="Noise type"]').setValue('saltPepper')
    await wrapper.get('[aria-label="Noise level"]').setValue('0.5')
    await draw(wrapper, drawing(40, 40, 100))
    const data = (
      api.calls.find((c) => c.name === 'inference.reconstruct')!.payload as { images: { data: number[] }[] }
    ).images[0]!.data
    // Outside the 20 × 20 box some background pixels are now white salt.
    const outside = data.filter((v, i) => {
      const x = i % 28
      const y = Math.floor(i / 28)
      return (x < 4 || x >= 24 || y < 4 || y >= 24) && v === 255
    })
    expect(outside.length).toBeGreaterThan(10)
  })

  it('clears results when the drawing is cleared, and reports failures as sentences', async () => {
    const { api, pinia, wrapper } = await mountDraw()
    api.failNext(
      'inference.reconstruct',
      'MODEL_CORRUPT',
      'The model "dense on mnist" could not be read. Delete it and train it again.',
    )
    const { useNotificationsStore } = await import('@renderer/stores/notifications')
    await draw(wrapper, drawing(40, 40, 100))
    expect(useNotificationsStore(pinia).notices.at(-1)?.message).toContain('could not be read')
    await draw(wrapper, drawing(0, 0, 0), 0)
    expect(wrapper.text()).toContain('No code yet.')
  })

  it('after Clear says only where to start, without the last drawing’s figures', async () => {
    const { wrapper } = await mountDraw()
    await draw(wrapper, drawing(40, 40, 100))
    expect(wrapper.get('[data-testid="latency"]').text()).toMatch(/ms$/)
    await draw(wrapper, drawing(0, 0, 0), 0)
    expect(wrapper.get('p[aria-live="polite"]').text()).toBe('Start drawing on the left.')
  })

  it('moves on to another model, and says so, when its model’s folder was removed behind the app’s back', async () => {
    const other = makeModel({ id: 'older-1', name: 'older digits', updatedAt: '2026-11-26T09:00:00.000Z' })
    const { api, pinia, wrapper } = await mountDraw([makeModel(), other])
    await draw(wrapper, drawing(40, 40, 100))
    expect(wrapper.findAllComponents({ name: 'ImageView' })[1]!.props('image')).not.toBeNull()
    // Deleted on disk: no event says so, the next request is the first to find out.
    api.state.models = api.state.models.filter((m) => m.id !== 'dense-mnist-1')
    api.inferenceDelayMs = 0
    await draw(wrapper, drawing(40, 40, 120))
    await flushPromises()
    const { useNotificationsStore } = await import('@renderer/stores/notifications')
    // Said once, in the words of every view, with the model Draw uses now (not also as a second "was deleted").
    expect(useNotificationsStore(pinia).notices.map((n) => n.message)).toEqual([
      '"dense on mnist" is no longer in the store; it may have been deleted in another window or on disk. Draw now uses "older digits".',
    ])
    expect((wrapper.get('[aria-label="Model"]').element as HTMLSelectElement).value).toBe('older-1')
    // The drawing is sent again, to the model now chosen.
    expect(api.calls.filter((c) => c.name === 'inference.reconstruct').at(-1)!.payload).toMatchObject({
      id: 'older-1',
    })
  })

  it('names a gone model once, and the reason the model list could not be reloaded once, when that fails', async () => {
    const other = makeModel({ id: 'older-1', name: 'older digits', updatedAt: '2026-11-26T09:00:00.000Z' })
    const { api, pinia, wrapper } = await mountDraw([makeModel(), other])
    await draw(wrapper, drawing(40, 40, 100))
    api.state.models = api.state.models.filter((m) => m.id !== 'dense-mnist-1')
    api.failNext('models.list', 'STORE_ERROR', 'The models folder cannot be read: permission denied.')
    await draw(wrapper, drawing(40, 40, 120))
    await flushPromises()
    const { useNotificationsStore } = await import('@renderer/stores/notifications')
    // Not the back end's 'No model "dense-mnist-1" in the store', and the failed reload is not kept quiet.
    expect(useNotificationsStore(pinia).notices.map((n) => n.message)).toEqual([
      'The models folder cannot be read: permission denied.',
      '"dense on mnist" is no longer in the store; it may have been deleted in another window or on disk.',
    ])
  })

  it('says which model it now uses when its model is deleted in another window', async () => {
    const other = makeModel({ id: 'older-1', name: 'older digits', updatedAt: '2026-11-26T09:00:00.000Z' })
    const { api, pinia } = await mountDraw([makeModel(), other])
    useModelsStore(pinia).watchChanges(() => undefined)
    api.state.models = api.state.models.filter((m) => m.id !== 'dense-mnist-1')
    api.emit('models.onChanged', { reason: 'deleted', id: 'dense-mnist-1' })
    await flushPromises()
    const { useNotificationsStore } = await import('@renderer/stores/notifications')
    expect(useNotificationsStore(pinia).notices.at(-1)?.message).toBe(
      '“dense on mnist” was deleted, so Draw now uses “older digits”.',
    )
  })

  it('clears the reconstruction of an earlier drawing when a request fails', async () => {
    const { api, wrapper } = await mountDraw()
    await draw(wrapper, drawing(40, 40, 100))
    api.failNext('inference.reconstruct', 'TRAINER_CRASHED', 'The inference process stopped.')
    await draw(wrapper, drawing(40, 40, 120))
    expect(wrapper.findAllComponents({ name: 'ImageView' })[1]!.props('image')).toBeNull()
    expect(wrapper.text()).toContain('No code yet.')
  })

  it('scores a denoiser against the clean drawing, not against the noisy input it was given', async () => {
    const { api, wrapper } = await mountDraw([makeDenoiser({ type: 'gaussian', stddev: 0.5 })])
    const image = drawing(40, 40, 100)
    await draw(wrapper, image)
    const call = api.calls.find((c) => c.name === 'inference.reconstruct')!
    const noisy = imageToFloat((call.payload as { images: Image[] }).images[0]!)
    const clean = toMnistInput(image)
    const rebuilt = wrapper.findAllComponents({ name: 'ImageView' })[1]!.props('image') as Image
    const againstClean = psnr(clean, imageToFloat(rebuilt))
    const againstNoisy = psnr(noisy, imageToFloat(rebuilt))
    // The fake model blurs what it is given, so the two scores differ: the test can tell which one is shown.
    expect(againstClean.toFixed(1)).not.toBe(againstNoisy.toFixed(1))
    expect(wrapper.text()).toContain(
      `PSNR ${againstClean.toFixed(1)} dB vs your drawing (noisy input ${psnr(clean, noisy).toFixed(1)} dB)`,
    )
  })

  it('keeps the drawing and the chosen noise when the view is closed and opened again', async () => {
    const { pinia } = setup({ models: [makeModel()] })
    await useModelsStore().refresh()
    const first = await mountWith(DrawView, pinia)
    first.getComponent(DrawingPad).vm.drawStrokes([
      [
        { x: 50, y: 50 },
        { x: 200, y: 200 },
      ],
    ])
    await first.get('[aria-label="Noise level"]').setValue('0.3')
    first.unmount()
    const again = await mountWith(DrawView, pinia)
    expect(useDrawingStore(pinia).history.actions).toHaveLength(1)
    expect(again.getComponent(DrawingPad).props('history')).toBe(useDrawingStore(pinia).history)
    expect((again.get('[aria-label="Noise level"]').element as HTMLInputElement).value).toBe('0.3')
  })

  it('takes Delete and Ctrl+Z for the drawing even while a slider or the model list has focus', async () => {
    const { pinia, wrapper } = await mountDraw()
    wrapper.getComponent(DrawingPad).vm.drawStrokes([
      [
        { x: 50, y: 50 },
        { x: 200, y: 200 },
      ],
    ])
    const history = useDrawingStore(pinia).history
    const press = (selector: string, init: KeyboardEventInit) => {
      const element = wrapper.get(selector).element as HTMLElement
      element.focus()
      element.dispatchEvent(new KeyboardEvent('keydown', { bubbles: true, ...init }))
    }
    press('[aria-label="Brush size"]', { key: 'Delete' })
    expect(visibleStrokes(history)).toHaveLength(0)
    press('[aria-label="Noise type"]', { key: 'z', ctrlKey: true })
    expect(visibleStrokes(history)).toHaveLength(1)
  })
})
