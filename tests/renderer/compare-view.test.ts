import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Image } from '@contract'
import CompareView from '@renderer/views/CompareView.vue'
import { useDatasetsStore } from '@renderer/stores/datasets'
import { useModelsStore } from '@renderer/stores/models'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { imageToFloat } from '@renderer/lib/contract-images'
import { centreOfMass, inkBoundingBox } from '@renderer/lib/digit-preprocess'
import { digitImage, makeDenoiser, makeModel, makeVae, PHOTO_FOLDER } from './support/fake-api'
import { flushPromises, mountWith, setup } from './support/mount'
import { trackPaintedCanvases } from './support/painted-canvases'

afterEach(() => {
  document.body.innerHTML = ''
  vi.restoreAllMocks()
  vi.unstubAllGlobals()
})

async function mountCompare(models = [makeModel()]) {
  const { api, pinia } = setup({ models })
  await useModelsStore().refresh()
  const wrapper = await mountWith(CompareView, pinia)
  return { api, wrapper }
}

/**
 * A model the CLI trained on 48×48 patches of a photo folder. Its dataset is the CLI's name for the folder, neither
 * an added folder's id nor its name: the service matches it by path and names it by `datasetId` then.
 */
function cliFolderModel() {
  return makeModel({
    id: 'dense-photos-1',
    name: 'dense on photos',
    inputShape: [48, 48, 3],
    dataset: '/data/mixed (autoencoding)',
  })
}

function button(wrapper: Awaited<ReturnType<typeof mountCompare>>['wrapper'], text: string) {
  return wrapper.findAll('button').find((b) => b.text() === text)!
}

// Generous timeouts: each test computes metrics, noise and filters for rows of images in happy-dom, which takes a few
// seconds on a loaded machine (the view switch test passed 5 s once during a full renderer run under load).
describe('CompareView', { timeout: 30_000 }, () => {
  it('asks to train or import when there is no model', async () => {
    const { wrapper } = await mountCompare([])
    expect(wrapper.text()).toContain('No model yet')
    expect(wrapper.text()).toContain('Go to Train')
  })

  it('tells the user how to start when there are no images', async () => {
    const { wrapper } = await mountCompare()
    expect(wrapper.text()).toContain('Drop PNG, JPEG, WebP, GIF or BMP images here')
    const accept = wrapper.get('input[type="file"]').attributes('accept')!.split(',')
    expect(accept).toEqual(expect.arrayContaining(['image/gif', '.gif', 'image/bmp', '.bmp']))
  })

  it('adds test samples as rows with original, code, reconstruction, difference, PSNR and SSIM', async () => {
    const { api, wrapper } = await mountCompare()
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'datasets.previewSamples')?.payload).toMatchObject({
      datasetId: 'mnist',
      split: 'test',
      count: 8,
    })
    const rows = wrapper.findAll('tbody tr')
    expect(rows).toHaveLength(8)
    expect(rows[0]!.text()).toContain('test #0 (digit 0)')
    expect(rows[0]!.text()).toMatch(/PSNR \d+\.\d\d dB/)
    expect(rows[0]!.text()).toMatch(/SSIM 0\.\d{3}/)
    expect(wrapper.text()).not.toContain('SSIM is not defined')
    // Without noise there is no noisy column and no filter column.
    const headers = wrapper.findAll('thead th').map((header) => header.text())
    expect(headers).not.toContain('Noisy')
    expect(headers).not.toContain('Best classical filter')
    expect(rows[0]!.text()).not.toContain('no noise')
    expect(rows[0]!.find('[aria-label^="Absolute difference"]').exists()).toBe(true)
    // One batched request per kind, not one per row.
    expect(api.calls.filter((c) => c.name === 'inference.reconstruct')).toHaveLength(1)
    expect(api.calls.filter((c) => c.name === 'inference.encode')).toHaveLength(1)
  })

  it('re-runs every row through the denoiser with the chosen synthetic noise', async () => {
    const { api, wrapper } = await mountCompare()
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    await wrapper.get('[aria-label="Synthetic noise type"]').setValue('mask')
    await flushPromises()
    const denoise = api.calls.find((c) => c.name === 'inference.denoise')!
    expect((denoise.payload as { noise: unknown }).noise).toEqual({ type: 'mask', amount: 0.3 })
    expect((denoise.payload as { images: unknown[] }).images).toHaveLength(8)
    expect(wrapper.findAll('[aria-label^="Noisy "]')).toHaveLength(8)
  })

  it('with noise, sets each classical filter on the same noisy images and says what the model gains over the best', async () => {
    const { api, wrapper } = await mountCompare([makeDenoiser({ type: 'gaussian', stddev: 0.5 })])
    expect(wrapper.find('[aria-label="Against classical filters"]').exists()).toBe(false)
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    const denoise = api.calls.find((c) => c.name === 'inference.denoise')!
    expect((denoise.payload as { baselines: unknown }).baselines).toEqual([
      'median',
      'median5',
      'gaussian',
      'nlm',
    ])
    const rows = wrapper.findAll('tbody tr').filter((row) => row.find('[aria-label^="Original"]').exists())
    expect(rows).toHaveLength(8)
    // A denoiser has no single code, so the table has no column for one.
    expect(wrapper.findAll('thead th').map((th) => th.text())).not.toContain('Code')
    for (const row of rows) {
      expect(
        row
          .find('[aria-label^="Best classical filter ("][aria-label$=") for ' + row.get('th').text() + '"]')
          .exists(),
      ).toBe(true)
      expect(row.text()).toMatch(/[+−]\d+\.\d\d\sdB vs\sfilter/)
    }
    const summary = wrapper.get('[aria-label="Against classical filters"]')
    expect(summary.text()).toContain('Mean over the 8 images below')
    const lines = summary.findAll('tbody tr').map((line) => line.get('th').text())
    expect(lines).toEqual([
      'mnist-denoise',
      expect.stringMatching(/^Median 3×3/),
      expect.stringMatching(/^Median 5×5/),
      expect.stringMatching(/^Gaussian blur/),
      expect.stringMatching(/^Non-local means/),
      'Noisy input',
    ])
    expect(lines.filter((line) => line.endsWith('(best filter)'))).toHaveLength(1)
    expect(summary.text()).toMatch(
      /mnist-denoise: [+−]\d+\.\d\d dB PSNR and [+−]\d\.\d{3} SSIM against the best filter/,
    )

    // Without noise there is nothing for a filter to remove: no filters asked for, no comparison shown.
    await wrapper.get('[aria-label="Synthetic noise type"]').setValue('none')
    await flushPromises()
    expect(api.calls.filter((c) => c.name === 'inference.reconstruct').at(-1)).toBeDefined()
    expect(wrapper.find('[aria-label="Against classical filters"]').exists()).toBe(false)
  })

  it('starts from the noise a denoising model was trained on, and from none for a plain one', async () => {
    const { api, wrapper } = await mountCompare([makeDenoiser({ type: 'gaussian', stddev: 0.5 })])
    expect((wrapper.get('[aria-label="Synthetic noise type"]').element as HTMLSelectElement).value).toBe(
      'gaussian',
    )
    expect(wrapper.text()).toContain('0.50')
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    const denoise = api.calls.find((c) => c.name === 'inference.denoise')!
    expect((denoise.payload as { noise: unknown }).noise).toEqual({ type: 'gaussian', stddev: 0.5 })

    const plain = await mountCompare()
    expect(
      (plain.wrapper.get('[aria-label="Synthetic noise type"]').element as HTMLSelectElement).value,
    ).toBe('none')
  })

  it('skips files that are not images with a message naming them', async () => {
    const { wrapper } = await mountCompare()
    await openFiles(wrapper, [new File(['x'], 'notes.txt', { type: 'text/plain' })])
    const skipped = wrapper.get('[role="alert"]')
    expect(skipped.get('h2').text()).toBe('1 file was not added')
    expect(skipped.findAll('li').map((item) => item.text())).toEqual([
      '"notes.txt" is not a PNG, JPEG, WebP, GIF or BMP image.',
    ])
    expect(wrapper.findAll('tbody tr')).toHaveLength(0)
  })

  it('lists every file it could not add and why, however many were dropped at once, until dismissed', async () => {
    const { wrapper } = await mountCompare()
    vi.stubGlobal('createImageBitmap', async () => {
      throw new Error('undecodable')
    })
    const damaged = Array.from(
      { length: 7 },
      (_, i) => new File(['?'], `broken${i + 1}.png`, { type: 'image/png' }),
    )
    await openFiles(wrapper, [
      new File(['x'], 'notes.txt', { type: 'text/plain' }),
      ...damaged,
      new File([], 'empty.png', { type: 'image/png' }),
    ])
    const skipped = wrapper.get('[role="alert"]')
    expect(skipped.get('h2').text()).toBe('9 files were not added')
    const reasons = skipped.findAll('li').map((item) => item.text())
    expect(reasons).toHaveLength(9)
    expect(reasons[0]).toBe('"notes.txt" is not a PNG, JPEG, WebP, GIF or BMP image.')
    expect(reasons[1]).toBe(
      '"broken1.png" could not be read as an image; it may be damaged. Try another file.',
    )
    expect(reasons[8]).toBe('"empty.png" is empty (0 bytes).')
    await skipped
      .findAll('button')
      .find((b) => b.text() === 'Dismiss')!
      .trigger('click')
    await flushPromises()
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(document.activeElement?.textContent).toBe('Open images…')
  })

  it('shows an inference failure as a toast and keeps the rows', async () => {
    const { api, wrapper } = await mountCompare()
    const crash =
      'The inference process stopped unexpectedly and is being restarted. Your saved models are safe; try again.'
    api.failNext('inference.reconstruct', 'TRAINER_CRASHED', crash)
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(useNotificationsStore().notices.at(-1)?.message).toBe(crash)
    expect(wrapper.findAll('tbody tr')).toHaveLength(8)
  })

  it('names a model gone from the store since its rows were made, and reruns them with another model', async () => {
    const { api, wrapper } = await mountCompare([makeModel(), makeVae()])
    useModelsStore().setActive('dense-mnist-1')
    await flushPromises()
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    // Its folder removed by hand: no event says so; the next run through it finds it gone.
    api.state.models = api.state.models.filter((model) => model.id !== 'dense-mnist-1')
    await wrapper.get('[aria-label="Synthetic noise type"]').setValue('gaussian')
    await flushPromises()
    // Said once, as a notification like the view's other inference failures, never in the back end's words.
    expect(useNotificationsStore().notices.map((notice) => notice.message)).toEqual([
      '"dense on mnist" is no longer in the store; it may have been deleted in another window or on disk.',
    ])
    expect((wrapper.get('select[aria-label="Model"]').element as HTMLSelectElement).value).toBe('vae-1')
    const rerun = api.calls.filter((c) => c.name === 'inference.reconstruct').at(-1)!
    expect(rerun.payload).toMatchObject({ id: 'vae-1' })
    expect(modelInputs(api)).toHaveLength(8)
    expect(wrapper.findAll('[data-testid^="metrics-"]').every((cell) => /PSNR/.test(cell.text()))).toBe(true)
  })

  it('fits the rows to a model of another input size when the user switches to it, and runs them through it', async () => {
    const painted = trackPaintedCanvases()
    const photos = makeModel({
      id: 'rgb-1',
      name: 'photos',
      inputShape: [32, 32, 3],
      updatedAt: '2026-11-26T09:00:00Z',
    })
    const { api, wrapper } = await mountCompare([makeModel(), photos])
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    await wrapper.get('select[aria-label="Model"]').setValue('rgb-1')
    await flushPromises()
    expect(useNotificationsStore().notices.filter((notice) => notice.kind === 'error')).toEqual([])
    const sent = modelInputs(api)
    expect(sent).toHaveLength(8)
    expect(sent[0]).toMatchObject({ width: 32, height: 32, channels: 3 })
    // The digit is scaled, not its 784 pixels poured into 1,024: its ring stays centred on the same spot.
    const mass = centreOfMass(imageToFloat(sent[0]!), 32, 32)!
    expect(mass.x).toBeCloseTo((12 / 28) * 32 + 0.5, 0)
    expect(mass.y).toBeCloseTo(16.5, 0)
    expect(wrapper.findAll('[data-testid^="metrics-"]').every((cell) => /PSNR/.test(cell.text()))).toBe(true)
    // Every picture is painted at the new size, the originals too, not left blank by the resize.
    for (const label of ['Original test #0 (digit 0)', 'Reconstruction of test #0 (digit 0)']) {
      const canvas = wrapper.get(`canvas[aria-label="${label}"]`).element as HTMLCanvasElement
      expect(canvas.width).toBe(32)
      expect(painted.has(canvas)).toBe(true)
    }
  })

  it('takes a CLI folder model’s test samples from the folder added here, cut to the model’s own patch size', async () => {
    const { api, pinia } = setup({ models: [{ ...cliFolderModel(), datasetId: PHOTO_FOLDER.id }] })
    api.state.datasets.push(PHOTO_FOLDER)
    await useModelsStore().refresh()
    const wrapper = await mountWith(CompareView, pinia)
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(useNotificationsStore().notices.map((notice) => notice.message)).not.toContainEqual(
      expect.stringContaining('not in your datasets'),
    )
    expect(api.calls.find((call) => call.name === 'datasets.previewSamples')?.payload).toMatchObject({
      datasetId: PHOTO_FOLDER.id,
      split: 'test',
      patchSize: 48,
      channels: 3,
    })
  })

  it('takes test samples from a CLI model’s folder once it is added, after refusing them before', async () => {
    const { api, pinia } = setup({ models: [cliFolderModel()] })
    await useModelsStore().refresh()
    const wrapper = await mountWith(CompareView, pinia)
    // A photo model's test set holds no digits.
    expect(wrapper.get('.drop-hint').text()).toContain('“Add test samples” to take images from the model')
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(useNotificationsStore().notices.at(-1)?.message).toContain('which is not in your datasets')
    // The folder is added in the Train view: the service now matches the model to it by its path.
    api.state.datasets.push(PHOTO_FOLDER)
    await useDatasetsStore().refresh()
    api.state.models = api.state.models.map((model) => ({ ...model, datasetId: PHOTO_FOLDER.id }))
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(api.calls.find((call) => call.name === 'datasets.previewSamples')?.payload).toMatchObject({
      datasetId: PHOTO_FOLDER.id,
      patchSize: 48,
    })
  })

  it('says why there are no test samples for a model whose dataset the app does not know', async () => {
    const { api, wrapper } = await mountCompare([makeModel({ dataset: '/photos (autoencoding)' })])
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(useNotificationsStore().notices.at(-1)?.message).toBe(
      '"dense on mnist" was trained on "/photos (autoencoding)", which is not in your datasets, so there are no test samples to take; open images instead.',
    )
    expect(api.calls.filter((c) => c.name === 'datasets.previewSamples')).toEqual([])
  })

  it('keeps keyboard focus in the table when a row is removed, and on Open images after Clear', async () => {
    const { wrapper } = await mountCompare()
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    const remove = (name: string) => wrapper.get(`button[aria-label="Remove ${name}"]`)
    ;(remove('test #3 (digit 3)').element as HTMLButtonElement).focus()
    await remove('test #3 (digit 3)').trigger('click')
    await flushPromises()
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Remove test #4 (digit 4)')
    // The last row's button gives way to the row above it.
    await remove('test #7 (digit 7)').trigger('click')
    await flushPromises()
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Remove test #6 (digit 6)')
    await button(wrapper, 'Clear').trigger('click')
    await flushPromises()
    expect(document.activeElement?.textContent).toBe('Open images…')
  })

  it('keeps its rows, noise and model when the user switches to another view and back', async () => {
    const { api, pinia } = setup({ models: [makeModel()] })
    await useModelsStore().refresh()
    const first = await mountWith(CompareView, pinia)
    await button(first, 'Add test samples').trigger('click')
    await flushPromises()
    await first.get('[aria-label="Synthetic noise type"]').setValue('mask')
    await first.get('[aria-label="Synthetic noise level"]').setValue('0.5')
    await flushPromises()
    const callsBefore = api.calls.length
    first.unmount() // App.vue unmounts the view on Ctrl+4

    const again = await mountWith(CompareView, pinia)
    expect(again.findAll('.results tbody tr')).toHaveLength(8)
    expect((again.get('[aria-label="Synthetic noise type"]').element as HTMLSelectElement).value).toBe('mask')
    expect(again.text()).toContain('0.50')
    expect(again.findAll('[aria-label^="Noisy "]')).toHaveLength(8)
    // Nothing is recomputed: the rows come back as they were.
    expect(api.calls.slice(callsBefore).filter((c) => c.name.startsWith('inference.'))).toEqual([])
    // And the next samples continue the test set rather than repeating it.
    await button(again, 'Add test samples').trigger('click')
    await flushPromises()
    expect(again.findAll('.results tbody tr')[8]!.text()).toContain('test #8')
  })

  it('reruns the rows with a model picked in another view while it was closed, from that model’s noise', async () => {
    const { api, pinia } = setup({ models: [makeModel(), makeDenoiser({ type: 'gaussian', stddev: 0.5 })] })
    const models = useModelsStore()
    await models.refresh()
    models.setActive('dense-mnist-1')
    const first = await mountWith(CompareView, pinia)
    await button(first, 'Add test samples').trigger('click')
    await flushPromises()
    first.unmount()

    models.setActive('denoiser-1') // e.g. in Draw
    const again = await mountWith(CompareView, pinia)
    expect((again.get('[aria-label="Synthetic noise type"]').element as HTMLSelectElement).value).toBe(
      'gaussian',
    )
    const denoise = api.calls.filter((c) => c.name === 'inference.denoise')
    expect(denoise).toHaveLength(1)
    expect(denoise[0]!.payload).toMatchObject({ id: 'denoiser-1', noise: { type: 'gaussian', stddev: 0.5 } })
    expect(again.findAll('[aria-label^="Noisy "]')).toHaveLength(8)
  })

  it('does not let an answer for older settings overwrite the rows computed with the newer ones', async () => {
    const { api, wrapper } = await mountCompare()
    api.inferenceDelayMs = 40 // the plain reconstruction answers after the denoising one started later
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises() // the rows are there, their reconstruction on its way
    expect(wrapper.findAll('.results tbody tr')).toHaveLength(8)
    await wrapper.get('[aria-label="Synthetic noise type"]').setValue('mask')
    await new Promise((resolve) => setTimeout(resolve, 150))
    await flushPromises()
    expect(wrapper.findAll('[aria-label^="Noisy "]')).toHaveLength(8)
    expect(wrapper.text()).not.toContain('no noise')
  })

  it('prepares an opened picture of a digit as Draw does, and takes test samples as they are', async () => {
    const { api, wrapper } = await mountCompare()
    expect(wrapper.text()).toContain('Opened images are prepared like MNIST digits, as in Draw')
    // A 300 × 200 PNG: a dark, 140 px tall "7" on white. Letterboxed into 28 × 28 it was a 13 px smudge.
    const seven = (x: number, y: number) =>
      (x >= 110 && x < 190 && y >= 30 && y < 50) || segmentDistance(x, y, [185, 40], [140, 170]) < 10
    stubImageDecoding(300, 200, seven)
    await openFiles(wrapper, [new File(['png'], 'seven.png', { type: 'image/png' })])

    const sent = imageToFloat(modelInputs(api)[0]!)
    const box = inkBoundingBox({ pixels: sent, width: 28, height: 28 }, 0.2)!
    expect(Math.max(box.width, box.height)).toBeGreaterThanOrEqual(19) // the longer side scaled to 20 px
    const mass = centreOfMass(sent, 28, 28)!
    expect(Math.abs(mass.x - 14)).toBeLessThanOrEqual(1) // centred by mass
    expect(Math.abs(mass.y - 14)).toBeLessThanOrEqual(1)
    expect(sent[0]).toBe(0) // the white page became MNIST's black

    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(modelInputs(api).at(-8)).toEqual(digitImage(0))
  })

  it('takes a GIF, animated or not, as the CLI and Denoise do: its first frame', async () => {
    const { api, wrapper } = await mountCompare()
    stubImageDecoding(300, 200, (x, y) => x > 130 && x < 170 && y > 30 && y < 170)
    await openFiles(wrapper, [new File(['GIF89a'], 'one.gif', { type: 'image/gif' })])
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    const rows = wrapper.findAll('.results tbody tr')
    expect(rows).toHaveLength(1)
    expect(rows[0]!.get('th').text()).toBe('one.gif')
    expect(
      inkBoundingBox({ pixels: imageToFloat(modelInputs(api)[0]!), width: 28, height: 28 }),
    ).not.toBeNull()
  })

  it('refuses a blank picture with the CLI’s words, for a digit model, and keeps the rows it had', async () => {
    const { api, wrapper } = await mountCompare()
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    const rowsBefore = wrapper.findAll('.results tbody tr').map((row) => row.text())
    const runsBefore = api.calls.filter((c) => c.name.startsWith('inference.')).length
    stubImageDecoding(1, 1, () => false)
    await openFiles(wrapper, [new File(['png'], 'dot.png', { type: 'image/png' })])
    stubImageDecoding(300, 200, () => true)
    await openFiles(wrapper, [new File(['jpg'], 'black.jpg', { type: 'image/jpeg' })])

    const advice =
      'the image is almost uniform. Use a photo or scan with one dark digit on light paper (or the reverse).'
    const skipped = wrapper.get('[role="alert"]')
    expect(skipped.findAll('li').map((item) => item.text())).toEqual([
      `No digit found in "dot.png": ${advice}`,
      `No digit found in "black.jpg": ${advice}`,
    ])
    expect(wrapper.findAll('.results tbody tr').map((row) => row.text())).toEqual(rowsBefore)
    expect(api.calls.filter((c) => c.name.startsWith('inference.'))).toHaveLength(runsBefore)
  })

  it('takes a blank picture for a model that is not MNIST-shaped: a flat patch is a fair photo', async () => {
    const { api, wrapper } = await mountCompare([makeModel({ id: 'idx-10', inputShape: [10, 10, 1] })])
    stubImageDecoding(300, 200, () => false)
    await openFiles(wrapper, [new File(['png'], 'white.png', { type: 'image/png' })])
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(wrapper.findAll('.results tbody tr')).toHaveLength(1)
    expect(modelInputs(api)).toHaveLength(1)
  })

  it('says how opened images are fitted for a model that is not MNIST-shaped', async () => {
    const { wrapper } = await mountCompare([makeModel({ id: 'rgb-1', inputShape: [32, 32, 3] })])
    expect(wrapper.text()).toContain('Opened images are scaled to fit 32×32')
    expect(wrapper.text()).not.toContain('prepared like MNIST digits')
  })

  it('confirms each save with the file name, and offers codes only for a model that has one', async () => {
    stubCanvasForPng()
    const { wrapper } = await mountCompare([makeVae()])
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    await button(wrapper, 'Save PNG').trigger('click')
    await flushPromises()
    expect(useNotificationsStore().notices.at(-1)).toMatchObject({
      kind: 'success',
      message: 'Your browser is saving bottleneck-vae.png with its downloads.',
    })
    await button(wrapper, 'Save codes (CSV)').trigger('click')
    expect(useNotificationsStore().notices.at(-1)).toMatchObject({
      kind: 'success',
      message: 'Your browser is saving bottleneck-codes-vae.csv with its downloads.',
    })

    const denoiser = await mountCompare([makeDenoiser({ type: 'gaussian', stddev: 0.5 })])
    await button(denoiser.wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(button(denoiser.wrapper, 'Save PNG')).toBeDefined()
    expect(button(denoiser.wrapper, 'Save codes (CSV)')).toBeUndefined()
  })

  it('saves a PNG that names the model, the noise, the table’s columns and each row’s metrics', async () => {
    const drawn = stubCanvasForPng()
    const { wrapper } = await mountCompare([makeDenoiser({ type: 'gaussian', stddev: 0.5 })])
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    await button(wrapper, 'Save PNG').trigger('click')
    await flushPromises()
    expect(drawn[0]).toBe('Model: mnist-denoise · Noise: Gaussian 0.50')
    const headings = wrapper
      .findAll('.results thead th')
      .map((th) => th.text().replaceAll('\u00ad', ''))
      .filter((heading) => heading !== 'Actions')
    expect(headings).toContain('Noisy')
    expect(drawn.slice(1, 1 + headings.length)).toEqual(headings)
    const rows = wrapper.findAll('.results tbody tr')
    expect(rows).toHaveLength(8)
    for (const row of rows) {
      const metrics = row.findAll('.metrics div').map((line) => line.text())
      expect(metrics).toEqual([
        expect.stringMatching(/^PSNR /),
        expect.stringMatching(/^SSIM /),
        expect.stringMatching(/vs\sfilter$/),
      ])
      expect(drawn).toEqual(expect.arrayContaining([row.get('th').text(), ...metrics]))
    }

    // Without noise, neither the header nor the columns speak of any.
    await wrapper.get('[aria-label="Synthetic noise type"]').setValue('none')
    await flushPromises()
    drawn.length = 0
    await button(wrapper, 'Save PNG').trigger('click')
    await flushPromises()
    expect(drawn[0]).toBe('Model: mnist-denoise')
    expect(drawn).not.toContain('Noisy')
    expect(drawn).not.toContain('Best classical filter')
    expect(drawn).toContain(wrapper.findAll('.results tbody tr')[0]!.findAll('.metrics div')[0]!.text())
  })

  it('for a model of 10×10 images, shows SSIM as — in each row, the means and the PNG, and says why once', async () => {
    const drawn = stubCanvasForPng()
    const { api, wrapper } = await mountCompare([
      makeDenoiser({ type: 'gaussian', stddev: 0.5 }, { inputShape: [10, 10, 1] }),
    ])
    serveTestImagesOfSide(api, 10)
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    const reason =
      'SSIM is not defined for images smaller than 11×11 pixels (these are 10×10), so it is left out.'
    const rows = wrapper.findAll('.results tbody tr')
    expect(rows).toHaveLength(8)
    for (const row of rows) {
      expect(row.findAll('.metrics div').map((line) => line.text())).toEqual([
        expect.stringMatching(/^PSNR \d+\.\d\d dB$/),
        'SSIM —',
        expect.stringMatching(/vs\sfilter$/),
      ])
    }
    expect(wrapper.text().split(reason)).toHaveLength(2) // said once, not in every row
    const summary = wrapper.get('[aria-label="Against classical filters"]')
    expect(summary.findAll('tbody tr').map((line) => line.findAll('td')[1]!.text())).toEqual(
      Array(6).fill('—'),
    )
    expect(summary.text()).toMatch(/mnist-denoise: [+−]\d+\.\d\d dB PSNR against the best filter/)
    expect(wrapper.text()).not.toContain('NaN')

    await button(wrapper, 'Save PNG').trigger('click')
    await flushPromises()
    expect(drawn.filter((text) => text === reason)).toHaveLength(1)
    expect(drawn.filter((text) => text === 'SSIM —')).toHaveLength(8)
    expect(drawn.join(' ')).not.toContain('NaN')
  })

  it('scores an opened picture for a model of 10×10 images without SSIM, like its test images', async () => {
    const { wrapper } = await mountCompare([makeModel({ id: 'idx-10', inputShape: [10, 10, 1] })])
    stubImageDecoding(300, 200, (x, y) => x > 100 && x < 200 && y > 50 && y < 150)
    await openFiles(wrapper, [new File(['png'], 'square.png', { type: 'image/png' })])
    const metrics = wrapper.findAll('.results tbody tr')[0]!.findAll('.metrics div')
    expect(metrics.map((line) => line.text())).toEqual([expect.stringMatching(/^PSNR /), 'SSIM —'])
    expect(wrapper.text()).toContain('SSIM is not defined for images smaller than 11×11 pixels')
  })

  it('starts the test samples from the beginning again after Clear, as in a fresh view', async () => {
    const { api, wrapper } = await mountCompare()
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('.results tbody tr')[8]!.text()).toContain('test #8')
    await button(wrapper, 'Clear').trigger('click')
    expect(wrapper.findAll('.results tbody tr')).toHaveLength(0)

    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    const rows = wrapper.findAll('.results tbody tr')
    expect(rows).toHaveLength(8)
    expect(rows[0]!.text()).toContain('test #0 (digit 0)')
    expect(api.calls.filter((c) => c.name === 'datasets.previewSamples').at(-1)?.payload).toMatchObject({
      offset: 0,
    })
  })

  it('drops test samples that arrive after a Clear the user made while they were on their way', async () => {
    const { api, wrapper } = await mountCompare()
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    let answer!: () => void
    const answered = new Promise<void>((resolve) => (answer = resolve))
    const previewSamples = api.datasets.previewSamples
    vi.spyOn(api.datasets, 'previewSamples').mockImplementationOnce(async (payload) => {
      await answered
      return previewSamples(payload)
    })
    await button(wrapper, 'Add test samples').trigger('click')
    await button(wrapper, 'Clear').trigger('click')
    answer()
    await flushPromises()
    expect(wrapper.findAll('.results tbody tr')).toHaveLength(0)

    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('.results tbody tr')[0]!.text()).toContain('test #0 (digit 0)')
  })

  it('drops opened images still being read when the user clears', async () => {
    const { wrapper } = await mountCompare()
    stubImageDecoding(300, 200, (x, y) => x > 100 && x < 200 && y > 50 && y < 150)
    let decode!: () => void
    const decoded = new Promise<void>((resolve) => (decode = resolve))
    const createImageBitmap = globalThis.createImageBitmap
    vi.stubGlobal('createImageBitmap', async (...args: Parameters<typeof createImageBitmap>) => {
      await decoded
      return createImageBitmap(...args)
    })
    const input = wrapper.get('input[type="file"]')
    Object.defineProperty(input.element, 'files', {
      value: [new File(['png'], 'square.png', { type: 'image/png' })],
      configurable: true,
    })
    await input.trigger('change')
    await button(wrapper, 'Add test samples').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('.results tbody tr')).toHaveLength(8)
    await button(wrapper, 'Clear').trigger('click')
    decode()
    await flushPromises()
    expect(wrapper.findAll('.results tbody tr')).toHaveLength(0)
  })
})

/** Makes "Add test samples" bring images of `side × side` pixels, as a model trained on small IDX images has. */
function serveTestImagesOfSide(api: Awaited<ReturnType<typeof mountCompare>>['api'], side: number) {
  vi.spyOn(api.datasets, 'previewSamples').mockImplementation(async ({ count = 16, offset = 0 }) => ({
    images: Array.from({ length: count }, (_, i) => digitImage(offset + i, side)),
    labels: Array.from({ length: count }, (_, i) => (offset + i) % 10),
  }))
}

/** The images the model was last asked to reconstruct or denoise. */
function modelInputs(api: Awaited<ReturnType<typeof mountCompare>>['api']): Image[] {
  const call = api.calls
    .filter((c) => c.name === 'inference.reconstruct' || c.name === 'inference.denoise')
    .at(-1)
  return (call!.payload as { images: Image[] }).images
}

async function openFiles(wrapper: Awaited<ReturnType<typeof mountCompare>>['wrapper'], files: File[]) {
  const input = wrapper.get('input[type="file"]')
  Object.defineProperty(input.element, 'files', { value: files, configurable: true })
  await input.trigger('change')
  await flushPromises()
}

function segmentDistance(x: number, y: number, [ax, ay]: number[], [bx, by]: number[]): number {
  const t = Math.max(
    0,
    Math.min(1, ((x - ax!) * (bx! - ax!) + (y - ay!) * (by! - ay!)) / ((bx! - ax!) ** 2 + (by! - ay!) ** 2)),
  )
  return Math.hypot(x - (ax! + t * (bx! - ax!)), y - (ay! + t * (by! - ay!)))
}

/**
 * happy-dom cannot decode or draw: a bitmap of `width × height` whose `ink(x, y)` pixels are black on white, and a
 * 2-D context (the decoder's, asked for with willReadFrequently) that samples it wherever it was drawn.
 */
function stubImageDecoding(width: number, height: number, ink: (x: number, y: number) => boolean) {
  vi.stubGlobal('createImageBitmap', async () => ({ width, height, close: () => undefined }))
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (
    this: HTMLCanvasElement,
    _kind: string,
    options?: { willReadFrequently?: boolean },
  ) {
    if (!options?.willReadFrequently) return null
    let drawn = { x: 0, y: 0, width: 0, height: 0 }
    return {
      fillRect: () => undefined,
      drawImage: (_bitmap: unknown, x: number, y: number, w: number, h: number) => {
        drawn = { x, y, width: w, height: h }
      },
      getImageData: (_x: number, _y: number, w: number, h: number) => {
        const data = new Uint8ClampedArray(w * h * 4).fill(255)
        for (let py = 0; py < h; py++)
          for (let px = 0; px < w; px++) {
            const sx = ((px + 0.5 - drawn.x) / drawn.width) * width
            const sy = ((py + 0.5 - drawn.y) / drawn.height) * height
            if (sx < 0 || sy < 0 || sx >= width || sy >= height || !ink(Math.floor(sx), Math.floor(sy)))
              continue
            data.fill(0, (py * w + px) * 4, (py * w + px) * 4 + 3)
          }
        return { data }
      },
    } as unknown as CanvasRenderingContext2D
  } as typeof HTMLCanvasElement.prototype.getContext)
}

/**
 * happy-dom has no 2-D canvas: one that accepts drawing and encodes to an (empty) PNG, for Save PNG. Returns the
 * texts drawn, in order.
 */
function stubCanvasForPng(): string[] {
  const drawn: string[] = []
  const context = {
    fillRect: () => undefined,
    drawImage: () => undefined,
    putImageData: () => undefined,
    clearRect: () => undefined,
    fillText: (text: string) => void drawn.push(text),
  }
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(
    context as unknown as CanvasRenderingContext2D,
  )
  vi.spyOn(HTMLCanvasElement.prototype, 'toBlob').mockImplementation((callback) =>
    callback(new Blob([], { type: 'image/png' })),
  )
  return drawn
}
