import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import DenoiseView from '@renderer/views/DenoiseView.vue'
import { useModelsStore } from '@renderer/stores/models'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { useSystemStore } from '@renderer/stores/system'
import { useDenoiseStore } from '@renderer/stores/denoise'
import { base64ToBytes } from '@renderer/lib/photos'
import { makeModel } from './support/fake-api'
import { addFakeDenoise } from './support/fake-denoise'
import { flushPromises, mountWith, setup } from './support/mount'

const unet = makeModel({
  id: 'unet000000001',
  name: 'photos unet',
  architecture: 'unet',
  inputShape: [64, 64, 3],
  codeSize: 0,
})
/** The model the picker moves to when `unet` goes. */
const secondUnet = makeModel({
  id: 'unet000000002',
  name: 'second unet',
  architecture: 'unet',
  inputShape: [64, 64, 3],
  codeSize: 0,
})

// Numbered across the whole file, not per test: an export revokes its URL a second later (downloadBlob), which may
// be during a later test, and such a URL must not pass for one of that test's pictures.
let objectUrls = 0
beforeEach(() => {
  URL.createObjectURL = vi.fn(() => `blob:fake/${++objectUrls}`)
  URL.revokeObjectURL = vi.fn()
})

afterEach(() => {
  document.body.innerHTML = ''
  vi.restoreAllMocks()
})

async function mountDenoise(models = [unet]) {
  const { api, pinia } = setup({ models })
  const fake = addFakeDenoise(api)
  await useModelsStore().refresh()
  const wrapper = await mountWith(DenoiseView, pinia)
  return { api, fake, wrapper }
}

type Wrapper = Awaited<ReturnType<typeof mountDenoise>>['wrapper']

function png(name = 'garden.png', bytes = [137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3]): File {
  return new File([new Uint8Array(bytes)], name, { type: name.endsWith('.png') ? 'image/png' : '' })
}

async function open(wrapper: Wrapper, ...files: File[]): Promise<void> {
  const input = wrapper.get('input[aria-label="Choose a photo to denoise"]')
  Object.defineProperty(input.element, 'files', { value: files, configurable: true })
  await input.trigger('change')
  await flushPromises()
}

/** Drops files on the view, as dragging them from a file manager does. */
async function drop(wrapper: Wrapper, ...files: File[]): Promise<void> {
  const event = new Event('drop', { bubbles: true, cancelable: true }) as DragEvent
  Object.defineProperty(event, 'dataTransfer', { value: { files } })
  wrapper.get('section.denoise').element.dispatchEvent(event)
  await flushPromises()
}

/** What the browser does once a picture's PNG has arrived: loads and decodes it, then the pane paints it. */
async function paint(wrapper: Wrapper): Promise<void> {
  for (const image of wrapper.findAll('img')) image.element.dispatchEvent(new Event('load'))
  await flushPromises()
}

function button(wrapper: Wrapper, text: string) {
  const found = wrapper.findAll('button').find((b) => b.text() === text)
  if (!found) throw new Error(`no button "${text}"`)
  return found
}

describe('DenoiseView', () => {
  it('says how to get a denoising model when the store has none (a dense digit model does not count)', async () => {
    const { wrapper } = await mountDenoise([makeModel()])
    expect(wrapper.text()).toContain('No denoising model yet')
    expect(wrapper.text()).toContain(
      'npx bottleneck train --dataset folder:DIR --arch unet --self-supervised',
    )
    expect(button(wrapper, 'Go to Train').exists()).toBe(true)
    expect(wrapper.find('input[type="file"]').exists()).toBe(false)
  })

  it('sends an opened photo as base64 bytes to the chosen U-Net, shows tile progress, then before/after and difference', async () => {
    const { fake, wrapper } = await mountDenoise([makeModel(), unet])
    expect(wrapper.text()).toContain('Drop a photo here')
    expect((wrapper.get('select[aria-label="Denoiser"]').element as HTMLSelectElement).value).toBe(unet.id)
    await open(wrapper, png())
    expect(fake.started).toHaveLength(1)
    const payload = fake.started[0] as {
      id: string
      source: { name: string; base64: string }
      tileSize: number
    }
    expect(payload.id).toBe(unet.id)
    expect(payload.source.name).toBe('garden.png')
    expect(Array.from(base64ToBytes(payload.source.base64))).toEqual([
      137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3,
    ])
    expect(payload).not.toHaveProperty('noise')
    expect(payload).not.toHaveProperty('reference')

    fake.progress(1, 4)
    await flushPromises()
    expect(wrapper.get('[role="progressbar"]').attributes('aria-valuenow')).toBe('25')
    expect(wrapper.text()).toContain('Tile 1 of 4')
    expect(wrapper.text()).toContain('640×480 (0.3 MP)')
    expect(button(wrapper, 'Cancel').exists()).toBe(true)

    fake.done()
    await flushPromises()
    expect(fake.results.map((r) => `${r.image}@${r.gain}`).sort()).toEqual([
      'denoised@1',
      'difference@8',
      'input@1',
    ])
    await paint(wrapper)
    expect(wrapper.find('[role="progressbar"]').exists()).toBe(false)
    expect(wrapper.text()).toContain('Denoised in 2.5 s (1.20 MP/s)')
    expect(wrapper.text()).toContain('Add a clean reference or synthetic noise to measure PSNR/SSIM.')
    const images = wrapper.findAll('img')
    expect(images.map((img) => img.attributes('alt'))).toEqual(['Before', 'Denoised', 'Absolute difference'])
    expect(images.every((img) => img.attributes('src')?.startsWith('blob:'))).toBe(true)
    expect(wrapper.text()).toContain('≥ 32/255')
  })

  it('with synthetic noise, reports PSNR and SSIM of the noisy input and the output against the clean photo', async () => {
    const { fake, wrapper } = await mountDenoise()
    await wrapper.get('select[aria-label="Synthetic noise type"]').setValue('gaussian')
    await open(wrapper, png())
    expect((fake.started[0] as { noise: unknown }).noise).toEqual({ type: 'gaussian', stddev: 0.1 })
    // Moving the level while that job runs replaces it: the result always matches the controls.
    const level = wrapper.get('input[aria-label="Synthetic noise level"]')
    ;(level.element as HTMLInputElement).value = '0.2'
    await level.trigger('change')
    await flushPromises()
    expect(fake.cancelled).toEqual(['denoise-job-1'])
    expect((fake.started.at(-1) as { noise: unknown }).noise).toEqual({ type: 'gaussian', stddev: 0.2 })
    expect(wrapper.text()).toContain('σ 0.20 (51/255)')
    fake.done({
      images: ['input', 'denoised', 'difference', 'reference', 'error'],
      metrics: {
        input: { mse: 0.01, psnr: 20.04, ssim: 0.412 },
        denoised: { mse: 0.001, psnr: 29.51, ssim: 0.873 },
      },
    })
    await flushPromises()
    const metrics = wrapper.get('dl[aria-label="Quality against the clean reference"]').text()
    expect(metrics).toContain('PSNR 20.04 dB · SSIM 0.412')
    expect(metrics).toContain('PSNR 29.51 dB · SSIM 0.873')
    expect(metrics).toContain('(+9.47 dB)')
    expect(metrics).toContain('against the clean photo (before synthetic noise)')
    expect(metrics).not.toContain('not defined')
    expect(wrapper.findAll('img')[0]!.attributes('alt')).toBe('Noisy')
    // The remaining error is offered now that there is a reference.
    await wrapper.get('select[aria-label="Difference to show"]').setValue('error')
    await flushPromises()
    expect(fake.results.at(-1)).toMatchObject({ image: 'error', gain: 8 })
  })

  it('shows SSIM as — and says why for a photo smaller than its 11×11 window, keeping PSNR', async () => {
    const { fake, wrapper } = await mountDenoise()
    await drop(wrapper, png('tiny noisy.png'), png('tiny clean.png'))
    fake.done({
      images: ['input', 'denoised', 'difference', 'reference', 'error'],
      metrics: { input: { mse: 0.01, psnr: 20.04 }, denoised: { mse: 0.001, psnr: 29.51 } },
    })
    await flushPromises()
    const metrics = wrapper.get('dl[aria-label="Quality against the clean reference"]').text()
    expect(metrics).toContain('PSNR 20.04 dB · SSIM —')
    expect(metrics).toContain('PSNR 29.51 dB · SSIM —')
    expect(metrics).toContain('(+9.47 dB)')
    expect(metrics).toContain('SSIM is not defined for photos smaller than 11×11 pixels, so it is left out.')
  })

  it('takes a second photo dropped together as the clean reference, and says so', async () => {
    const { fake, wrapper } = await mountDenoise()
    await drop(wrapper, png('noisy.png'), png('clean.png'))
    expect(fake.started).toHaveLength(1)
    const last = fake.started.at(-1) as { source: { name: string }; reference: { name: string } }
    expect(last.source.name).toBe('noisy.png')
    expect(last.reference.name).toBe('clean.png')
    expect(wrapper.text()).toContain('clean.png')
    expect(useNotificationsStore().notices.at(-1)?.message).toBe(
      'Took "noisy.png" as the photo and "clean.png" as its clean reference (of two photos at once, the second is the reference; × next to it removes it).',
    )
  })

  it('takes only the first of many photos dropped at once, says which it took and points to the CLI', async () => {
    const { fake, wrapper } = await mountDenoise()
    await drop(wrapper, ...Array.from({ length: 20 }, (_, i) => png(`img${i}.png`)))
    expect(fake.started).toHaveLength(1)
    const payload = fake.started[0] as { source: { name: string } }
    expect(payload.source.name).toBe('img0.png')
    expect(payload).not.toHaveProperty('reference')
    expect(useDenoiseStore().reference).toBeNull()
    expect(useNotificationsStore().notices.at(-1)?.message).toBe(
      'Denoise takes one photo at a time (and optionally a clean reference); took "img0.png", skipped 19 others. For many photos use the CLI: npx bottleneck denoise MODEL FOLDER -o OUTDIR',
    )
  })

  it('refuses an empty file before sending it, names it, and keeps nothing of it', async () => {
    const { fake, wrapper } = await mountDenoise()
    await open(wrapper, png('empty.png', []))
    expect(fake.started).toHaveLength(0)
    const alert = wrapper.get('[role="alert"]').text()
    expect(alert).toContain('"empty.png" is empty (0 bytes).')
    expect(alert).toContain('Check that it finished copying or downloading, then drop it again.')
    expect(wrapper.text()).toContain('Drop a photo here')
    expect(wrapper.text()).not.toContain('0.00 MB')
    expect(wrapper.findAll('button').some((b) => b.text() === 'Denoise again')).toBe(false)
  })

  it('keeps the photo but not an empty reference dropped with it, and leaves the message in view', async () => {
    const { fake, wrapper } = await mountDenoise()
    await drop(wrapper, png('noisy.png'), png('clean.png', []))
    expect(fake.started).toHaveLength(0)
    expect(wrapper.get('[role="alert"]').text()).toContain('"clean.png" is empty (0 bytes).')
    expect(useDenoiseStore().reference).toBeNull()
    expect(useDenoiseStore().photo?.name).toBe('noisy.png')
    await button(wrapper, 'Denoise again').trigger('click')
    await flushPromises()
    expect(fake.started).toHaveLength(1)
    expect(fake.started[0]).not.toHaveProperty('reference')
  })

  it('says the result is being prepared until the panes have painted it, then how long denoising took', async () => {
    const { fake, wrapper } = await mountDenoise()
    await open(wrapper, png())
    fake.done()
    await flushPromises()
    expect(wrapper.text()).toContain('Preparing the result…')
    expect(wrapper.text()).not.toContain('Denoised in')
    expect(wrapper.findAll('.waiting')).toHaveLength(2)
    await paint(wrapper)
    expect(wrapper.text()).not.toContain('Preparing the result…')
    expect(wrapper.text()).toContain('Denoised in 2.5 s (1.20 MP/s)')
    expect(wrapper.findAll('.waiting')).toHaveLength(0)
    // A new amplification on its way does not take the announcement back.
    await wrapper.get('select[aria-label="Difference amplification"]').setValue('16')
    await flushPromises()
    expect(wrapper.text()).toContain('Denoised in 2.5 s')
  })

  it('cancels a job whose photo is still being read, as soon as the job has an id', async () => {
    const { fake, wrapper } = await mountDenoise()
    const answer = fake.holdNextAnswer()
    await open(wrapper, png())
    expect(wrapper.text()).toContain('Reading the photo…')
    await button(wrapper, 'Cancel').trigger('click')
    await flushPromises()
    expect(wrapper.text()).toContain('Cancelling…')
    expect(button(wrapper, 'Cancel').attributes('disabled')).toBeDefined()
    expect(fake.cancelled).toEqual([])
    answer()
    await flushPromises()
    expect(fake.cancelled).toEqual([fake.lastJobId()])
    fake.done({ status: 'cancelled', images: [] })
    await flushPromises()
    expect(wrapper.text()).toContain('Cancelled.')
    expect(button(wrapper, 'Denoise again').exists()).toBe(true)
  })

  it('cancels the running job and says so', async () => {
    const { fake, wrapper } = await mountDenoise()
    await open(wrapper, png())
    fake.progress(2, 10)
    await flushPromises()
    await button(wrapper, 'Cancel').trigger('click')
    await flushPromises()
    expect(fake.cancelled).toEqual([fake.lastJobId()])
    expect(wrapper.text()).toContain('Cancelling after the current tile…')
    fake.done({ status: 'cancelled', images: [] })
    await flushPromises()
    expect(wrapper.text()).toContain('Cancelled.')
    expect(fake.results).toHaveLength(0)
    expect(button(wrapper, 'Denoise again').exists()).toBe(true)
  })

  it("shows the back end's refusal of a bad photo as a sentence with a way forward", async () => {
    const { fake, wrapper } = await mountDenoise()
    // The back end's words (src-main/ml/image-io.ts, no option to raise the limit in the app).
    fake.failStart = {
      code: 'IMAGE_TOO_LARGE',
      message: '"pano.tif" is 12000×9000 (108.0 MP), more than the limit of 50 MP. Resize it first.',
    }
    await open(wrapper, png('pano.tif'))
    // Nothing added: saving as JPEG keeps the megapixels, and the view cannot raise the limit.
    expect(wrapper.get('[role="alert"]').text()).toBe(
      '"pano.tif" is 12000×9000 (108.0 MP), more than the limit of 50 MP. Resize it first.',
    )
    fake.done({
      status: 'failed',
      images: [],
      error: { code: 'TRAINER_CRASHED', message: 'The inference process stopped.' },
    })
    await flushPromises()
    // A done event for a job this view never started changes nothing.
    expect(wrapper.get('[role="alert"]').text()).toContain('pano.tif')
    // The refused photo is not kept to "denoise again": the drop zone is back for another one.
    expect(wrapper.text()).toContain('Drop a photo here')
    expect(wrapper.findAll('button').some((b) => b.text() === 'Denoise again')).toBe(false)
  })

  it('forgets an unreadable clean reference, keeping the photo it was meant for', async () => {
    const { fake, wrapper } = await mountDenoise()
    fake.failStart = {
      code: 'IMAGE_UNREADABLE',
      message:
        'Cannot read "clean.png": it is not an image in a supported format (PNG, JPEG, WebP, TIFF, GIF).',
    }
    await drop(wrapper, png('noisy.png'), png('clean.png'))
    expect(wrapper.get('[role="alert"]').text()).toContain('Cannot read "clean.png"')
    expect(useDenoiseStore().reference).toBeNull()
    expect(useDenoiseStore().photo?.name).toBe('noisy.png')
  })

  it('adds no noise to a photo unless asked, then starts at the level the model was trained on, kept across visits', async () => {
    const trained = makeModel({
      id: 'unet000000002',
      name: 'noisy unet',
      architecture: 'unet',
      inputShape: [64, 64, 3],
      codeSize: 0,
      noise: { type: 'gaussian', stddev: 0.2 },
    })
    const { api, pinia } = setup({ models: [trained, unet] })
    addFakeDenoise(api)
    await useModelsStore().refresh()
    const first = await mountWith(DenoiseView, pinia)
    const type = () => first.get('select[aria-label="Synthetic noise type"]')
    const level = () =>
      (first.get('input[aria-label="Synthetic noise level"]').element as HTMLInputElement).value
    expect((type().element as HTMLSelectElement).value).toBe('none')
    await type().setValue('gaussian')
    expect(level()).toBe('0.2')
    const slider = first.get('input[aria-label="Synthetic noise level"]')
    ;(slider.element as HTMLInputElement).value = '0.3'
    await slider.trigger('change')
    first.unmount()
    const again = await mountWith(DenoiseView, pinia)
    expect((again.get('input[aria-label="Synthetic noise level"]').element as HTMLInputElement).value).toBe(
      '0.3',
    )
  })

  it('skips files that are not photos with a message naming them', async () => {
    const { fake, wrapper } = await mountDenoise()
    await open(wrapper, new File(['x'], 'notes.txt', { type: 'text/plain' }))
    expect(useNotificationsStore().notices.at(-1)?.message).toBe(
      '"notes.txt" is not a PNG, JPEG, WebP, TIFF, GIF or BMP photo and was skipped.',
    )
    expect(fake.started).toHaveLength(0)
  })

  it('keeps zoom and pan in sync across panes (keyboard, wheel, buttons), moves the divider, and exports', async () => {
    const { fake, wrapper } = await mountDenoise()
    await open(wrapper, png('garden.png'))
    fake.done()
    await flushPromises()
    await paint(wrapper)
    const panes = () => wrapper.findAll('[role="group"]')
    expect(panes()).toHaveLength(2)
    const zooms = () => panes().map((pane) => pane.attributes('data-zoom'))
    expect(zooms()).toEqual(['1.000', '1.000'])
    await panes()[0]!.trigger('keydown', { key: '+' })
    expect(zooms()).toEqual(['1.250', '1.250'])
    await panes()[1]!.trigger('wheel', { deltaY: -200, clientX: 0, clientY: 0 })
    const zoomed = Number(zooms()[0])
    expect(zoomed).toBeGreaterThan(1.25)
    expect(zooms()[1]).toBe(zooms()[0])
    const denoise = useDenoiseStore()
    const before = { ...denoise.viewport }
    await panes()[1]!.trigger('keydown', { key: 'ArrowRight' })
    expect(denoise.viewport.centerX).toBeGreaterThan(before.centerX)
    // Both panes place the photo identically: same image box.
    const boxes = wrapper.findAll('img').map((img) => img.attributes('style'))
    expect(boxes[0]).toBe(boxes[1])
    expect(boxes[2]).toBe(boxes[0])
    await panes()[0]!.trigger('keydown', { key: '0' })
    expect(zooms()).toEqual(['1.000', '1.000'])
    await button(wrapper, '+').trigger('click')
    expect(wrapper.text()).toContain('125 % of fit')

    const handle = wrapper.get('[role="slider"][aria-label="Before and after divider"]')
    expect(handle.attributes('aria-valuenow')).toBe('50')
    await handle.trigger('keydown', { key: 'ArrowRight' })
    expect(handle.attributes('aria-valuenow')).toBe('55')
    await handle.trigger('keydown', { key: 'Home' })
    expect(handle.attributes('aria-valuenow')).toBe('0')
    expect(wrapper.get('.after').attributes('style')).toContain('inset(0 0 0 0%)')

    await wrapper.get('select[aria-label="Difference amplification"]').setValue('16')
    await flushPromises()
    expect(fake.results.at(-1)).toMatchObject({ image: 'difference', gain: 16 })
    expect(wrapper.text()).toContain('≥ 16/255')

    const clicks: string[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download)
    })
    await button(wrapper, 'Export denoised PNG').trigger('click')
    await flushPromises()
    await button(wrapper, 'Export difference PNG').trigger('click')
    await flushPromises()
    expect(clicks).toEqual(['garden.denoised.png', 'garden.difference-x16.png'])
    expect(useNotificationsStore().notices.at(-1)?.message).toBe(
      'Your browser is saving garden.difference-x16.png with its downloads.',
    )

    // The desktop app's save dialog speaks for itself, and a Cancel in it cannot be seen: no "saved" is claimed.
    const system = useSystemStore()
    system.versions = { ...system.versions!, nativeDialogs: true }
    const noticesBefore = useNotificationsStore().notices.length
    await button(wrapper, 'Export denoised PNG').trigger('click')
    await flushPromises()
    expect(clicks).toEqual(['garden.denoised.png', 'garden.difference-x16.png', 'garden.denoised.png'])
    expect(useNotificationsStore().notices).toHaveLength(noticesBefore)
  })
})

describe('denoise store', () => {
  it('applies events that overtake the start answer, and replaces a running job when the noise changes', async () => {
    const { api } = setup({ models: [unet] })
    const fake = addFakeDenoise(api)
    const store = useDenoiseStore()
    store.modelId = unet.id
    fake.beforeAnswer = (jobId) => {
      fake.progress(4, 4, jobId)
      fake.done()
    }
    await store.setPhoto(png())
    await flushPromises()
    expect(store.state).toBe('completed')
    expect(store.progress).toEqual({ done: 4, total: 4 })
    expect(Object.keys(store.urls).sort()).toEqual(['denoised', 'difference@8', 'input'])

    fake.beforeAnswer = null
    await store.run()
    expect(store.state).toBe('running')
    // A second run while the first works: the first is cancelled and its pictures are gone.
    const first = fake.lastJobId()
    await store.run()
    expect(fake.cancelled).toContain(first)
    expect(store.job?.jobId).not.toBe(first)
    expect(store.urls).toEqual({})
  })

  it('clamps zoom and keeps the photo point under the cursor fixed while zooming', () => {
    setup({ models: [unet] })
    const store = useDenoiseStore()
    store.setZoom(2, { x: 0.25, y: 0.75 })
    // The point at (0.25, 0.75) stays where it was on screen: the centre moved halfway toward it.
    expect(store.viewport).toEqual({ zoom: 2, centerX: 0.375, centerY: 0.625 })
    store.setZoom(1000)
    expect(store.viewport.zoom).toBe(32)
    store.setZoom(0)
    expect(store.viewport.zoom).toBe(0.25)
    store.panBy(5, -5)
    expect([store.viewport.centerX, store.viewport.centerY]).toEqual([1, 0])
    store.resetView()
    expect(store.viewport).toEqual({ zoom: 1, centerX: 0.5, centerY: 0.5 })
  })

  it('says what a 28×28 denoiser cannot do, and where a model for any size comes from', async () => {
    const digits = makeModel({ id: 'denoiser-1', name: 'digits', architecture: 'denoiser' })
    const alone = await mountDenoise([digits])
    expect(alone.wrapper.get('.note').text()).toMatch(
      /^digits only takes 28×28 pictures; for photos of any size, train a U-Net on a folder of photos/,
    )
    alone.wrapper.unmount()
    document.body.innerHTML = ''
    const { wrapper } = await mountDenoise([digits, unet])
    await wrapper.get('select[aria-label="Denoiser"]').setValue('denoiser-1')
    await flushPromises()
    expect(wrapper.get('.note').text()).toBe(
      'digits only takes 28×28 pictures; pick a U-Net model for photos of any size.',
    )
  })
})

describe('DenoiseView with bad files, long runs and a deleted model', () => {
  const unreadable = (name: string) => ({
    code: 'IMAGE_UNREADABLE',
    message: `Cannot read "${name}": it is not an image in a supported format (PNG, JPEG, WebP, TIFF, GIF).`,
  })

  async function denoised(wrapper: Wrapper, fake: ReturnType<typeof addFakeDenoise>, ...files: File[]) {
    await drop(wrapper, ...files)
    fake.done()
    await flushPromises()
    await paint(wrapper)
  }

  it('keeps a finished result on screen when the next photo is refused, and it still exports', async () => {
    const { fake, wrapper } = await mountDenoise()
    await denoised(wrapper, fake, png('garden.png'))
    const pictures = wrapper.findAll('img').map((img) => img.attributes('src'))
    fake.failStart = unreadable('notes.png')
    await open(wrapper, png('notes.png'))
    expect(wrapper.get('[role="alert"]').text()).toContain('Cannot read "notes.png"')
    expect(wrapper.get('.photo-name').text()).toContain('garden.png')
    expect(wrapper.text()).not.toContain('Drop a photo here')
    await paint(wrapper)
    expect(wrapper.text()).toContain('Denoised in 2.5 s')
    expect(wrapper.findAll('img').map((img) => img.attributes('src'))).toEqual(pictures)
    for (const url of pictures) expect(URL.revokeObjectURL).not.toHaveBeenCalledWith(url)
    const clicks: string[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push(this.download)
    })
    await button(wrapper, 'Export denoised PNG').trigger('click')
    await flushPromises()
    expect(clicks).toEqual(['garden.denoised.png'])
  })

  it('does not measure a new photo against the previous photo’s clean reference', async () => {
    const { fake, wrapper } = await mountDenoise()
    await denoised(wrapper, fake, png('noisy.png'), png('clean.png'))
    await open(wrapper, png('street.png'))
    expect(fake.started.at(-1)).not.toHaveProperty('reference')
    expect(useDenoiseStore().reference).toBeNull()
    expect(button(wrapper, 'Clean reference…').exists()).toBe(true)
  })

  it('sets aside a reference of another size, keeping the photo to denoise without it', async () => {
    const { fake, wrapper } = await mountDenoise()
    const message =
      'The reference "clean.png" is 310×200 but "noisy.png" is 300×200; a clean reference must be the same picture at the same size.'
    fake.failStart = { code: 'REFERENCE_MISMATCH', message }
    await drop(wrapper, png('noisy.png'), png('clean.png'))
    expect(wrapper.get('[role="alert"]').text()).toBe(message)
    // No "Took … as its clean reference" beside the refusal.
    expect(useNotificationsStore().notices).toEqual([])
    expect(useDenoiseStore().photo?.name).toBe('noisy.png')
    expect(button(wrapper, 'Clean reference…').exists()).toBe(true)
    await button(wrapper, 'Denoise again').trigger('click')
    await flushPromises()
    expect(fake.started.at(-1)).not.toHaveProperty('reference')
  })

  it('keeps the result when a reference of another size is added to it', async () => {
    const { fake, wrapper } = await mountDenoise()
    await denoised(wrapper, fake, png('noisy.png'))
    fake.failStart = {
      code: 'REFERENCE_MISMATCH',
      message:
        'The reference "other.png" is 310×200 but "noisy.png" is 640×480; a clean reference must be the same picture at the same size.',
    }
    const input = wrapper.get('input[aria-label="Choose a clean reference photo"]')
    Object.defineProperty(input.element, 'files', { value: [png('other.png')], configurable: true })
    await input.trigger('change')
    await flushPromises()
    await paint(wrapper)
    expect(wrapper.get('[role="alert"]').text()).toContain('"other.png" is 310×200')
    expect(wrapper.text()).toContain('Denoised in 2.5 s')
    expect(button(wrapper, 'Clean reference…').exists()).toBe(true)
  })

  it('estimates the time left from the pace of the tiles, and offers no Cancel once they are done', async () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000)
    const { fake, wrapper } = await mountDenoise()
    await open(wrapper, png())
    // The pace counts from the first tile reported, however late the start call answered.
    now.mockReturnValue(60_000)
    fake.progress(1, 10)
    await flushPromises()
    expect(wrapper.text()).toContain('Tile 1 of 10')
    expect(wrapper.text()).not.toContain('left')
    now.mockReturnValue(80_000)
    fake.progress(3, 10)
    await flushPromises()
    // 2 tiles in 20 s: 7 more take 70 s.
    expect(wrapper.text()).toContain('Tile 3 of 10 · about 1 min 10 s left')
    expect(button(wrapper, 'Cancel').attributes('disabled')).toBeUndefined()
    fake.progress(10, 10)
    await flushPromises()
    // The back end measures and encodes the pictures without stopping: a Cancel now would do nothing.
    expect(wrapper.text()).toContain('Measuring and preparing the pictures…')
    expect(button(wrapper, 'Cancel').attributes('disabled')).toBeDefined()
  })

  it('gives a tiny photo its size in bytes and pixels, without "0.00 MB" or "0.0 MP"', async () => {
    const { fake, wrapper } = await mountDenoise()
    fake.size = { width: 3, height: 2 }
    await denoised(wrapper, fake, png('tiny.png'))
    const name = wrapper.get('.photo-name').text()
    expect(name).toContain('11 bytes · 3×2')
    expect(name).not.toContain('MP')
    expect(wrapper.text()).toContain('Denoised in 2.5 s')
    expect(wrapper.text()).not.toContain('MP/s')
  })

  it('says what of the photo is not denoised, as the back end tells it', async () => {
    const { fake, wrapper } = await mountDenoise()
    fake.notes = ['Only the first of the 12 frames of "wave.gif" is denoised.']
    await denoised(wrapper, fake, png('wave.gif'))
    expect(wrapper.findAll('.note').map((note) => note.text())).toEqual([
      'Only the first of the 12 frames of "wave.gif" is denoised.',
    ])
  })

  it('names a dropped folder, even one named like a photo, and takes the photos dropped with it', async () => {
    const { fake, wrapper } = await mountDenoise()
    // What a file manager's drop holds: a folder is a File too (empty here), told apart only by its entry.
    const files = [png('street.png'), png('holiday.png', [])]
    const items = files.map((file, index) => ({
      kind: 'file',
      webkitGetAsEntry: () => ({ name: file.name, isDirectory: index === 1 }),
    }))
    const event = new Event('drop', { bubbles: true, cancelable: true }) as DragEvent
    Object.defineProperty(event, 'dataTransfer', { value: { files, items } })
    wrapper.get('section.denoise').element.dispatchEvent(event)
    await flushPromises()
    expect(fake.started).toHaveLength(1)
    expect((fake.started[0] as { source: { name: string } }).source.name).toBe('street.png')
    expect(fake.started[0]).not.toHaveProperty('reference')
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(useNotificationsStore().notices.map((n) => n.message)).toEqual([
      '"holiday.png" is a folder; Denoise takes one photo at a time. To denoise every photo in a folder use the CLI: npx bottleneck denoise MODEL FOLDER -o OUTDIR',
    ])
  })

  it('names a model whose folder went from the store, and the picker moves to another model', async () => {
    const { api, fake, wrapper } = await mountDenoise([unet, secondUnet])
    await wrapper.get('select[aria-label="Denoiser"]').setValue(unet.id)
    // Its folder removed by hand: no event says so; the next denoising through it finds it gone.
    api.state.models = api.state.models.filter((model) => model.id !== unet.id)
    fake.failStart = { code: 'MODEL_NOT_FOUND', message: `No model "${unet.id}" in /tmp/store/models.` }
    await drop(wrapper, png('garden.png'))
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toContain(
      '"photos unet" is no longer in the store; it may have been deleted in another window or on disk.',
    )
    expect(wrapper.text()).not.toContain('/tmp/store')
    expect((wrapper.get('select[aria-label="Denoiser"]').element as HTMLSelectElement).value).toBe(secondUnet.id)
    // Said once, beside the photo: not a notification as well.
    expect(useNotificationsStore().notices).toEqual([])
  })

  it('names a gone model beside the photo, and says once why the model list could not be reloaded', async () => {
    const { api, fake, wrapper } = await mountDenoise([unet, secondUnet])
    await wrapper.get('select[aria-label="Denoiser"]').setValue(unet.id)
    api.state.models = api.state.models.filter((model) => model.id !== unet.id)
    fake.failStart = { code: 'MODEL_NOT_FOUND', message: `No model "${unet.id}" in /tmp/store/models.` }
    api.failNext('models.list', 'STORE_ERROR', 'The models folder cannot be read: permission denied.')
    await drop(wrapper, png('garden.png'))
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toBe(
      '"photos unet" is no longer in the store; it may have been deleted in another window or on disk.',
    )
    // The picker still offers the model the list could not drop: the user is told why.
    expect(useNotificationsStore().notices.map((n) => n.message)).toEqual([
      'The models folder cannot be read: permission denied.',
    ])
  })

  it('shows the refusal of a photo a one-size model cannot take as it is, with no advice about a reference', async () => {
    const conv = makeModel({ id: 'conv-photos', name: 'conv on mixed', architecture: 'conv', inputShape: [64, 64, 3] })
    const { fake, wrapper } = await mountDenoise([conv])
    const message =
      'This conv model only takes 64×64 images and "rocket.jpg" is 640×427. Pick a U-Net model (unet): it denoises photos of any size.'
    fake.failStart = { code: 'INVALID_INPUT', message }
    await open(wrapper, png('rocket.jpg'))
    // No reference was given: "check the reference" would send the user looking for a problem that is not there.
    expect(wrapper.get('[role="alert"]').text()).toBe(message)
  })

  it('says whose result is on screen when its model was deleted and the picker moved to another', async () => {
    const { api, fake, wrapper } = await mountDenoise([unet, secondUnet])
    await wrapper.get('select[aria-label="Denoiser"]').setValue(unet.id)
    await denoised(wrapper, fake, png('garden.png'))
    expect(wrapper.find('.note').exists()).toBe(false)
    await api.models.delete({ id: unet.id })
    await useModelsStore().refresh()
    await flushPromises()
    expect(wrapper.get('.note').text()).toBe(
      'This result was made with a model that has since been deleted; “Denoise again” uses second unet.',
    )
  })
})

describe('DenoiseView re-runs, one-size models, pan limits and gains', () => {
  /** The MNIST denoiser of the mnist-denoise preset: 28×28 only, trained on Gaussian noise σ 0.5. */
  const digits = makeModel({
    id: 'denoiser-1',
    name: 'digits',
    architecture: 'denoiser',
    noise: { type: 'gaussian', stddev: 0.5 },
  })
  const sizeRefusal = {
    code: 'INVALID_INPUT',
    message:
      'This denoiser model only takes 28×28 images and "odd-clean.png" is 301×177. Pick a U-Net model (unet): it denoises photos of any size.',
  }

  async function denoised(wrapper: Wrapper, fake: ReturnType<typeof addFakeDenoise>, file = png()) {
    await open(wrapper, file)
    fake.done()
    await flushPromises()
    await paint(wrapper)
  }

  const sources = (wrapper: Wrapper) => wrapper.findAll('img').map((img) => img.attributes('src'))

  it('keeps the photo and its previous result on screen when a re-run for new settings is cancelled', async () => {
    const { fake, wrapper } = await mountDenoise()
    await denoised(wrapper, fake, png('big.png'))
    const pictures = sources(wrapper)
    await wrapper.get('select[aria-label="Synthetic noise type"]').setValue('gaussian')
    await flushPromises()
    expect(fake.started).toHaveLength(2)
    await button(wrapper, 'Cancel').trigger('click')
    await flushPromises()
    fake.done({ status: 'cancelled', images: [] })
    await flushPromises()
    await paint(wrapper)
    expect(sources(wrapper)).toEqual(pictures)
    expect(wrapper.findAll('img').map((img) => img.attributes('alt'))).toEqual([
      'Before',
      'Denoised',
      'Absolute difference',
    ])
    for (const url of pictures) expect(URL.revokeObjectURL).not.toHaveBeenCalledWith(url)
    expect(wrapper.get('.photo-name').text()).toContain('big.png')
    expect(wrapper.get('.photo-name').text()).toContain('640×480')
    expect(wrapper.text()).toContain('Cancelled; the result below is the previous one.')
    expect(wrapper.get('.note').text()).toBe(
      'This result was made with no added noise; “Denoise again” uses Gaussian noise σ 0.10 (26/255).',
    )
    expect(button(wrapper, 'Export denoised PNG').attributes('disabled')).toBeUndefined()
    // Run again, it completes: the previous pictures go, and the note with them.
    await button(wrapper, 'Denoise again').trigger('click')
    await flushPromises()
    fake.done()
    await flushPromises()
    await paint(wrapper)
    expect(URL.revokeObjectURL).toHaveBeenCalledWith(pictures[0])
    expect(wrapper.find('.note').exists()).toBe(false)
    expect(wrapper.text()).toContain('Denoised in 2.5 s')
  })

  it('keeps the previous result through several replaced runs, and puts it back when the last is cancelled early', async () => {
    const { fake, wrapper } = await mountDenoise()
    await denoised(wrapper, fake)
    const pictures = sources(wrapper)
    await wrapper.get('select[aria-label="Synthetic noise type"]').setValue('gaussian')
    await flushPromises()
    // A second change while the first re-run works, and Cancel before the photo is even read.
    const answer = fake.holdNextAnswer()
    await wrapper.get('select[aria-label="Synthetic noise type"]').setValue('speckle')
    await flushPromises()
    await button(wrapper, 'Cancel').trigger('click')
    answer()
    await flushPromises()
    fake.done({ status: 'cancelled', images: [] })
    await flushPromises()
    await paint(wrapper)
    expect(sources(wrapper)).toEqual(pictures)
    expect(wrapper.get('.note').text()).toBe(
      'This result was made with no added noise; “Denoise again” uses Speckle noise 0.10.',
    )
  })

  it('does not bring back the previous photo when the run of a new one is cancelled, and says how to start again', async () => {
    const { fake, wrapper } = await mountDenoise()
    await denoised(wrapper, fake, png('garden.png'))
    await open(wrapper, png('street.png'))
    await button(wrapper, 'Cancel').trigger('click')
    fake.done({ status: 'cancelled', images: [] })
    await flushPromises()
    expect(wrapper.get('.photo-name').text()).toContain('street.png')
    expect(wrapper.findAll('img')).toHaveLength(0)
    expect(wrapper.text()).toContain('Cancelled. “Denoise again” starts it over.')
    expect(button(wrapper, 'Denoise again').exists()).toBe(true)
  })

  it('says once, in the Train view’s words, that a 28×28 model cannot take the photo, and keeps the photo’s size', async () => {
    const { fake, wrapper } = await mountDenoise([unet, digits])
    fake.size = { width: 301, height: 177 }
    // Read once with the U-Net (then cancelled): the photo's size is known from then on.
    await open(wrapper, png('odd-clean.png'))
    await button(wrapper, 'Cancel').trigger('click')
    fake.done({ status: 'cancelled', images: [] })
    await flushPromises()
    fake.failStart = sizeRefusal
    await wrapper.get('select[aria-label="Denoiser"]').setValue(digits.id)
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toBe(
      'digits only takes 28×28 pictures and “odd-clean.png” is 301×177; pick a U-Net model for photos of any size.',
    )
    expect(wrapper.text().split('only takes')).toHaveLength(2)
    expect(wrapper.text()).not.toContain('unet model')
    expect(wrapper.get('.photo-name').text()).toContain('11 bytes · 301×177')
  })

  it('leaves the U-Net’s result on screen when a 28×28 model refuses the photo, naming whose it is', async () => {
    const { fake, wrapper } = await mountDenoise([unet, digits])
    fake.size = { width: 301, height: 177 }
    await denoised(wrapper, fake, png('odd-clean.png'))
    const pictures = sources(wrapper)
    fake.failStart = sizeRefusal
    await wrapper.get('select[aria-label="Denoiser"]').setValue(digits.id)
    await flushPromises()
    await paint(wrapper)
    expect(wrapper.get('[role="alert"]').text()).toContain('“odd-clean.png” is 301×177')
    expect(wrapper.text().split('only takes')).toHaveLength(2)
    expect(sources(wrapper)).toEqual(pictures)
    expect(wrapper.get('.photo-name').text()).toContain('301×177')
    expect(wrapper.text()).toContain('Not denoised; the result below is the previous one.')
    expect(wrapper.get('.note').text()).toBe(
      'This result was made with “photos unet”; “Denoise again” uses digits.',
    )
  })

  it('says so when choosing a model moves the noise level to the one it was trained on', async () => {
    const { wrapper } = await mountDenoise([unet, digits])
    await wrapper.get('select[aria-label="Synthetic noise type"]').setValue('gaussian')
    expect(wrapper.text()).not.toContain('was trained on')
    await wrapper.get('select[aria-label="Denoiser"]').setValue(digits.id)
    await flushPromises()
    const slider = wrapper.get('input[aria-label="Synthetic noise level"]')
    expect((slider.element as HTMLInputElement).value).toBe('0.5')
    const toolbar = wrapper.get('[role="toolbar"]').text()
    expect(toolbar).toContain('σ 0.50 (128/255)')
    expect(toolbar).toContain('the level digits was trained on')
    ;(slider.element as HTMLInputElement).value = '0.3'
    await slider.trigger('change')
    expect(wrapper.text()).not.toContain('was trained on')
  })

  // Some 300 key presses, each re-rendering the panes: about 2 s here, past the 5 s default on a loaded machine.
  it('keeps the photo in view however far it is panned: centred at fit, covering the pane when zoomed in', { timeout: 30_000 }, async () => {
    const { fake, wrapper } = await mountDenoise()
    // 640×480 in the 640×420 pane (happy-dom's stand-in size): fitted to 560×420.
    await denoised(wrapper, fake)
    const pane = () => wrapper.findAll('[role="group"]')[1]!
    const box = () => {
      const style = wrapper.findAll('img')[2]!.attributes('style') ?? ''
      const [left, top, width, height] = ['left', 'top', 'width', 'height'].map((side) =>
        Number(style.match(new RegExp(`(?:^|;\\s*)${side}: (-?[\\d.]+)px`))![1]),
      )
      return { left: left!, top: top!, width: width!, height: height! }
    }
    const press = async (key: string, times: number) => {
      for (let i = 0; i < times; i++) await pane().trigger('keydown', { key })
    }
    const fitted = box()
    expect(fitted).toEqual({ left: 40, top: 0, width: 560, height: 420 })
    await press('ArrowLeft', 20)
    await press('ArrowUp', 20)
    expect(box()).toEqual(fitted)
    await press('+', 4)
    await press('ArrowLeft', 40)
    await press('ArrowUp', 40)
    expect(box()).toMatchObject({ left: 0, top: 0 })
    await press('ArrowRight', 80)
    await press('ArrowDown', 80)
    const far = box()
    expect(far.left + far.width).toBeCloseTo(640)
    expect(far.top + far.height).toBeCloseTo(420)
    // Zoomed out below fit, the photo stays centred.
    await press('-', 10)
    const small = box()
    expect(small.left + small.width / 2).toBeCloseTo(320)
    expect(small.top + small.height / 2).toBeCloseTo(210)
  })

  it('writes a PSNR loss with a minus sign, as the Compare view does', async () => {
    const { fake, wrapper } = await mountDenoise()
    await drop(wrapper, png('noisy.png'), png('clean.png'))
    fake.done({
      images: ['input', 'denoised', 'difference', 'reference', 'error'],
      metrics: {
        input: { mse: 0.01, psnr: 20.31, ssim: 0.232 },
        denoised: { mse: 0.02, psnr: 16.48, ssim: 0.204 },
      },
    })
    await flushPromises()
    const metrics = wrapper.get('dl[aria-label="Quality against the clean reference"]').text()
    expect(metrics).toContain('(−3.83 dB)')
    expect(metrics).not.toContain('-3.83')
  })
})
