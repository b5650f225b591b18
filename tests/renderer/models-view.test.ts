import { afterEach, describe, expect, it } from 'vitest'
import { LIMITS } from '@contract'
import ModelsView from '@renderer/views/ModelsView.vue'
import { useModelsStore } from '@renderer/stores/models'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { useNavigationStore } from '@renderer/stores/navigation'
import { useSystemStore } from '@renderer/stores/system'
import { useTrainingStore } from '@renderer/stores/training'
import { makeModel, makeVae } from './support/fake-api'
import { nextTick } from 'vue'
import { enableAutoUnmount } from '@vue/test-utils'
import { flushPromises, mountWith, setup } from './support/mount'

// A view left mounted goes on reacting during later tests: a models store reload still pending from an earlier test
// re-ran that test's view, which made its Pinia the active one, so a later `useNotificationsStore()` read that test's
// (empty) notices. Views are unmounted after each test, and stores are read from the view's own Pinia.
enableAutoUnmount(afterEach)

afterEach(() => {
  document.body.innerHTML = ''
  history.replaceState(null, '', '#/')
})

// The day before makeModel's date: the newest-first list puts such a model second.
const DAY_BEFORE = '2026-11-26T09:00:00.000Z'

async function mountModels(
  models = [
    makeModel(),
    makeModel({
      id: 'conv-1',
      name: 'conv run',
      architecture: 'conv',
      epochs: 2,
      targetEpochs: 10,
      updatedAt: DAY_BEFORE,
    }),
  ],
) {
  const { api, pinia } = setup({ models })
  await useSystemStore().load()
  const wrapper = await mountWith(ModelsView, pinia)
  return { api, pinia, wrapper }
}

const unreadableFolder = {
  id: 'a1b2c3d4e5f6',
  folder: '/home/me/.bottleneck/models/a1b2c3d4e5f6',
  reason:
    'The model in /home/me/.bottleneck/models/a1b2c3d4e5f6 cannot be loaded: bottleneck.json is missing.',
}

const byText = (wrapper: Awaited<ReturnType<typeof mountModels>>['wrapper'], text: string) =>
  wrapper.findAll('button').find((b) => b.text() === text)!

/** Presses a key the way a browser delivers it: to the focused element, bubbling up to the window. */
function press(key: string, options: KeyboardEventInit = {}): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...options })
  ;(document.activeElement ?? document.body).dispatchEvent(event)
  return event
}

describe('ModelsView', () => {
  it('lists models with metadata and a loss sparkline, and offers Resume only for unfinished ones', async () => {
    const { wrapper } = await mountModels()
    const rows = wrapper.findAll('tbody tr')
    expect(rows).toHaveLength(2)
    expect(rows[0]!.text()).toContain('dense on mnist')
    expect(rows[0]!.text()).toContain('0.1000 · 0.1100')
    expect(rows[0]!.find('svg polyline').exists()).toBe(true)
    expect(rows[0]!.text()).not.toContain('Resume')
    expect(rows[1]!.text()).toContain('2 / 10')
    expect(rows[1]!.text()).toContain('Resume')
  })

  it('shows no code size for a U-Net denoiser, which has no single code', async () => {
    const { wrapper } = await mountModels([
      makeModel({ id: 'denoiser-1', name: 'mnist-denoise', architecture: 'denoiser', codeSize: 32 }),
    ])
    const cells = wrapper.findAll('tbody tr td')
    expect(cells[0]!.text()).toBe('none')
  })

  it('says what to do when the store is empty', async () => {
    const { wrapper } = await mountModels([])
    expect(wrapper.text()).toContain('No models yet')
    expect(wrapper.text()).toContain('Go to Train')
  })

  it('renames through a dialog and offers undo', async () => {
    const { api, wrapper } = await mountModels()
    await wrapper.get('[aria-label="Rename dense on mnist"]').trigger('click')
    const input = wrapper.get('[role="dialog"] input')
    await input.setValue('my digits')
    await wrapper.get('[role="dialog"] button.primary').trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'models.rename')?.payload).toEqual({
      id: 'dense-mnist-1',
      name: 'my digits',
    })
    expect(wrapper.findAll('tbody tr')[0]!.text()).toContain('my digits')
  })

  it('keeps the rename dialog and the typed name when the rename is refused, and says why in a sentence', async () => {
    const { api, pinia, wrapper } = await mountModels()
    await wrapper.get('[aria-label="Rename dense on mnist"]').trigger('click')
    const input = wrapper.get<HTMLInputElement>('[role="dialog"] input')
    expect(input.attributes('maxlength')).toBe(String(LIMITS.maxNameLength))

    api.failNext(
      'models.rename',
      'INVALID_INPUT',
      'The request was not valid at "name": Too big: expected string to have <=120 characters',
    )
    await input.setValue('a name the back end refuses')
    await wrapper.get('[role="dialog"] button.primary').trigger('click')
    await flushPromises()
    expect(wrapper.find('[role="dialog"]').exists()).toBe(true)
    expect(input.element.value).toBe('a name the back end refuses')
    const alert = wrapper.get('[role="dialog"] [role="alert"]')
    expect(alert.text()).toBe(
      `A model name is 1 to ${LIMITS.maxNameLength} characters long, without tabs or other control characters.`,
    )
    expect(input.attributes('aria-describedby')).toBe(alert.attributes('id'))

    const taken = 'Another model (conv-1) is already named "conv run". Choose a different name.'
    api.failNext('models.rename', 'INVALID_INPUT', taken)
    await input.setValue('conv run')
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[role="dialog"] [role="alert"]').text()).toBe(taken)
    expect(useNotificationsStore(pinia).notices.filter((n) => n.kind === 'error')).toEqual([])

    await input.setValue('my digits')
    await wrapper.get('[role="dialog"] button.primary').trigger('click')
    await flushPromises()
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false)
    expect(wrapper.findAll('tbody tr')[0]!.text()).toContain('my digits')
  })

  it('keeps keyboard focus inside the dialog, cancels on Escape and gives focus back to the row', async () => {
    const { api, wrapper } = await mountModels()
    const renameButton = wrapper.get<HTMLButtonElement>('[aria-label="Rename dense on mnist"]')
    renameButton.element.focus()
    await renameButton.trigger('click')
    await flushPromises()
    const input = wrapper.get('[role="dialog"] input').element
    const [cancel, confirm] = wrapper
      .findAll<HTMLButtonElement>('[role="dialog"] button')
      .map((b) => b.element)
    expect(document.activeElement).toBe(input)

    confirm!.focus()
    expect(press('Tab').defaultPrevented).toBe(true)
    expect(document.activeElement).toBe(input)
    press('Tab', { shiftKey: true })
    expect(document.activeElement).toBe(confirm)
    // A focus that got behind the dialog (a click on the backdrop) comes back before Enter can act there.
    wrapper.get<HTMLButtonElement>('header button').element.focus()
    expect(press('Enter').defaultPrevented).toBe(true)
    expect(document.activeElement).toBe(input)

    cancel!.focus()
    press('Escape')
    await flushPromises()
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false)
    expect(api.calls.some((c) => c.name === 'models.rename')).toBe(false)
    expect(document.activeElement).toBe(renameButton.element)
  })

  it('starts a delete confirmation on Cancel, so Enter alone never deletes', async () => {
    const { wrapper } = await mountModels()
    await wrapper.get('[aria-label="Delete dense on mnist"]').trigger('click')
    await flushPromises()
    expect((document.activeElement as HTMLElement).textContent?.trim()).toBe('Cancel')
    expect(wrapper.get('[role="dialog"]').element.contains(document.activeElement)).toBe(true)
  })

  it('filters by the text each row shows and says so when nothing matches', async () => {
    const { wrapper } = await mountModels([
      makeModel(),
      makeModel({ id: 'conv-1', name: 'conv run', architecture: 'conv', updatedAt: DAY_BEFORE }),
      makeModel({
        id: 'faces-1',
        name: 'faces',
        dataset: 'faces',
        inputShape: [64, 64, 3],
        updatedAt: '2026-11-25T09:00:00.000Z',
      }),
    ])
    const names = () => wrapper.findAll('tbody tr a.name').map((a) => a.text())
    const filter = wrapper.get('input[type="search"]')
    await filter.setValue('dense · mnist 28×28×1')
    expect(names()).toEqual(['dense on mnist'])
    await filter.setValue('64x64')
    expect(names()).toEqual(['faces'])

    await filter.setValue('zzz')
    expect(wrapper.find('table').exists()).toBe(false)
    expect(wrapper.get('[role="status"]').text()).toContain('No models match “zzz”')
    await byText(wrapper, 'Clear the filter').trigger('click')
    expect(names()).toEqual(['dense on mnist', 'conv run', 'faces'])
  })

  it('renames from the detail page without running the test images through the model again', async () => {
    const { api, wrapper } = await mountModels()
    // As the real API does (its answers cross a process boundary), answer with a copy, not the fake's own object.
    const get = api.models.get
    api.models.get = async (payload) => structuredClone(await get(payload))
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    await byText(wrapper, 'Rename').trigger('click')
    await wrapper.get('[role="dialog"] input').setValue('my digits')
    await wrapper.get('[role="dialog"] button.primary').trigger('click')
    await flushPromises()
    expect(wrapper.get('h1').text()).toBe('my digits')
    expect(wrapper.findAll('[aria-label^="Reconstruction "]')).toHaveLength(10)
    expect(api.calls.filter((c) => c.name === 'inference.reconstruct')).toHaveLength(1)
  })

  it('deletes only after confirmation', async () => {
    const { api, pinia, wrapper } = await mountModels()
    await wrapper.get('[aria-label="Delete dense on mnist"]').trigger('click')
    expect(wrapper.get('[role="dialog"]').text()).toContain('Delete “dense on mnist”?')
    await byText(wrapper, 'Cancel').trigger('click')
    expect(api.calls.some((c) => c.name === 'models.delete')).toBe(false)
    expect(wrapper.findAll('tbody tr')).toHaveLength(2)

    await wrapper.get('[aria-label="Delete dense on mnist"]').trigger('click')
    await wrapper.get('[role="dialog"] button.danger').trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'models.delete')?.payload).toEqual({ id: 'dense-mnist-1' })
    expect(wrapper.findAll('tbody tr')).toHaveLength(1)
    expect(useModelsStore(pinia).models.map((m) => m.id)).toEqual(['conv-1'])
  })

  it('asks for a path to import in the web shell (no native dialogs)', async () => {
    const { api, wrapper } = await mountModels()
    await byText(wrapper, 'Import model…').trigger('click')
    await wrapper.get('[role="dialog"] input').setValue('/tmp/exported/dense')
    await byText(wrapper, 'Import').trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'models.import')?.payload).toEqual({
      path: '/tmp/exported/dense',
    })
    expect(wrapper.findAll('tbody tr')).toHaveLength(3)
  })

  it('opens a detail page with metadata, loss curves and originals against reconstructions', async () => {
    const { api, pinia, wrapper } = await mountModels()
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    expect(useNavigationStore(pinia).detailModelId).toBe('dense-mnist-1')
    expect(wrapper.get('h1').text()).toBe('dense on mnist')
    expect(wrapper.get('.loss-chart-stub').attributes('data-epochs')).toBe('3')
    expect(wrapper.findAll('[aria-label^="Reconstruction "]')).toHaveLength(10)
    expect(wrapper.text()).toMatch(/mean PSNR \d+\.\d\d dB/)
    expect(api.calls.some((c) => c.name === 'inference.reconstruct')).toBe(true)
  })

  it('puts the focus on the detail page’s title when the link that opened it is gone', async () => {
    const { wrapper } = await mountModels()
    const link = wrapper.get('a.name')
    ;(link.element as HTMLElement).focus()
    await link.trigger('click')
    await flushPromises()
    expect(document.activeElement).toBe(wrapper.get('h1').element)
    expect(wrapper.get('h1').text()).toBe('dense on mnist')
  })

  it('shows a denoiser’s scores noisy → clean apart from those on clean inputs', async () => {
    const denoiser = makeModel({
      id: 'denoiser-scores',
      name: 'digits denoiser',
      architecture: 'denoiser',
      noise: { type: 'gaussian', stddev: 0.5 },
      metrics: {
        psnr: 27.1,
        ssim: 0.97,
        denoisingPsnr: 21.66,
        denoisingSsim: 0.905,
        noisyInputPsnr: 9.38,
        noisyInputSsim: 0.41,
      },
    })
    const { wrapper } = await mountModels([denoiser])
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    const rows = Object.fromEntries(
      wrapper
        .get('.meta dl')
        .findAll('dt')
        .map((term) => [term.text(), term.element.nextElementSibling?.textContent?.trim()]),
    )
    expect(rows).toMatchObject({
      'Test PSNR on clean inputs': '27.10 dB',
      'Test PSNR, denoising (noisy → clean)': '21.66 dB',
      'Test SSIM, denoising (noisy → clean)': '0.9050',
      'Test PSNR of the noisy inputs, not denoised': '9.38 dB',
    })
  })

  it('shows a denoiser at its job: scores on clean inputs say so, and the figure adds the noise it was trained on', async () => {
    // Trained before the denoising scores were kept: only the scores on clean inputs.
    const noise = { type: 'gaussian' as const, stddev: 0.5 }
    const denoiser = makeModel({
      id: 'denoiser-old',
      name: 'old denoiser',
      architecture: 'denoiser',
      noise,
      metrics: { psnr: 16.96, ssim: 0.71 },
    })
    const { api, wrapper } = await mountModels([denoiser])
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    const terms = wrapper
      .get('.meta dl')
      .findAll('dt')
      .map((term) => term.text())
    expect(terms).toEqual(expect.arrayContaining(['Test PSNR on clean inputs', 'Test SSIM on clean inputs']))
    expect(terms).not.toContain('Test PSNR')

    expect(api.calls.find((c) => c.name === 'inference.denoise')?.payload).toMatchObject({
      id: 'denoiser-old',
      noise,
    })
    expect(wrapper.get('.figure h2').text()).toBe('Originals, noisy inputs and denoised')
    expect(wrapper.findAll('[aria-label^="Noisy input "]')).toHaveLength(10)
    expect(wrapper.findAll('[aria-label^="Denoised "]')).toHaveLength(10)
    expect(wrapper.get('.figure').text()).toMatch(/mean PSNR \d+\.\d\d dB · SSIM \d\.\d{3} \(noisy → clean\)/)
  })

  it('says how a denoiser was trained: the noise and whether it was drawn fresh or fixed once', async () => {
    const denoiser = makeModel({
      id: 'denoiser-fixed',
      name: 'blog denoiser',
      noise: { type: 'gaussian', stddev: 0.5 },
      noiseMode: 'fixed',
    })
    const { wrapper } = await mountModels([denoiser])
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    expect(wrapper.text()).toContain('gaussian, stddev 0.5 (fixed once per image)')
  })

  it('names each setting and test metric in words, once, and charts a VAE’s val_loss on its own axis', async () => {
    const vae = makeVae({
      name: 'vae 3ep',
      config: {
        architecture: 'vae',
        inputShape: [28, 28, 1],
        codeSize: 2,
        learningRate: 0.001,
        hiddenUnits: 256,
      },
      metrics: { bce: 0.2334, psnr: 12.5866, ssim: 0.1872, meanCodeActivation: -1.5567 },
    })
    const { wrapper } = await mountModels([vae])
    expect(wrapper.get('tbody td[title^="loss:"]').attributes('title')).toBe(
      'loss: binary cross-entropy summed over the pixels + KL divergence, per image · ' +
        'val_loss: binary cross-entropy per pixel of the test reconstructions',
    )
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    const about = wrapper.get('.meta dl')
    const terms = about.findAll('dt').map((term) => term.text())
    expect(terms).toEqual(
      expect.arrayContaining(['Learning rate', 'Hidden units', 'Test PSNR', 'Mean code activation (test)']),
    )
    expect(terms.filter((term) => /architecture|code ?size/i.test(term))).toEqual([
      'Architecture',
      'Code size',
    ])
    expect(terms).not.toContain('inputShape')
    expect(about.text()).toContain('12.59 dB')
    expect(wrapper.get('.loss-chart-stub').attributes('data-separate-scales')).toBe('true')
    expect(wrapper.get('.chart-caption').text()).toContain(
      'loss: binary cross-entropy summed over the pixels + KL divergence',
    )
  })
  it('keeps the export and import dialogs, and the typed path, open with the reason until the action succeeds', async () => {
    const { api, pinia, wrapper } = await mountModels()
    await wrapper.get('[aria-label="Export dense on mnist"]').trigger('click')
    const exportPath = wrapper.get<HTMLInputElement>('[role="dialog"] input')
    await exportPath.setValue('/home/me/notes.txt')
    const notAFolder =
      'Could not export "dense on mnist" into /home/me/notes.txt: /home/me/notes.txt is not a folder.'
    api.failNext('models.export', 'STORE_ERROR', notAFolder)
    await wrapper.get('[role="dialog"] button.primary').trigger('click')
    await flushPromises()
    expect(wrapper.get('[role="dialog"] [role="alert"]').text()).toBe(notAFolder)
    expect(exportPath.element.value).toBe('/home/me/notes.txt')
    expect(useNotificationsStore(pinia).notices.filter((n) => n.kind === 'error')).toEqual([])
    await exportPath.setValue('/home/me')
    await wrapper.get('[role="dialog"] button.primary').trigger('click')
    await flushPromises()
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false)
    expect(useNotificationsStore(pinia).notices.at(-1)?.message).toBe(
      'Exported "dense on mnist" to /home/me/dense-mnist-1.',
    )

    await byText(wrapper, 'Import model…').trigger('click')
    const importPath = wrapper.get<HTMLInputElement>('[role="dialog"] input')
    await importPath.setValue('/home/me/typo')
    api.failNext('models.import', 'INVALID_INPUT', '/home/me/typo does not exist.')
    await byText(wrapper, 'Import').trigger('click')
    await flushPromises()
    expect(wrapper.get('[role="dialog"] [role="alert"]').text()).toBe('/home/me/typo does not exist.')
    expect(importPath.element.value).toBe('/home/me/typo')
    await importPath.setValue('/home/me/dense')
    await byText(wrapper, 'Import').trigger('click')
    await flushPromises()
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false)
    expect(wrapper.findAll('tbody tr')).toHaveLength(3)
  })

  it('updates the page of a model in training in place: no "Loading…", the figure stays until the new one is ready', async () => {
    const { api, pinia, wrapper } = await mountModels([makeModel({ epochs: 3, targetEpochs: 5 })])
    // As the real API does (its answers cross a process boundary), answer with a copy, not the fake's own object.
    const get = api.models.get
    api.models.get = async (payload) => structuredClone(await get(payload))
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    expect(api.calls.filter((c) => c.name === 'inference.reconstruct')).toHaveLength(1)

    // The trainer saves epoch 4.
    const saved = api.state.models[0]!
    saved.epochs = 4
    saved.updatedAt = new Date('2026-11-27T09:05:00Z').toISOString()
    saved.history = [...saved.history, { epoch: 4, loss: 0.09, valLoss: 0.1 }]
    api.inferenceDelayMs = 30
    await useModelsStore(pinia).refresh()
    await nextTick()
    expect(wrapper.get('h1').text()).toBe('dense on mnist')
    await flushPromises()
    expect(wrapper.get('h1').text()).toBe('dense on mnist')
    expect(wrapper.findAll('[aria-label^="Reconstruction "]')).toHaveLength(10)
    expect(wrapper.text()).not.toContain('Running test images through the model')
    expect(wrapper.get('.loss-chart-stub').attributes('data-epochs')).toBe('4')
    expect(wrapper.get('.meta').text()).toContain('4 of 5')

    await new Promise((done) => setTimeout(done, 60))
    await flushPromises()
    // The new weights are shown: the test images ran through them once more.
    expect(api.calls.filter((c) => c.name === 'inference.reconstruct')).toHaveLength(2)
    expect(wrapper.findAll('[aria-label^="Reconstruction "]')).toHaveLength(10)
  })

  it('says how much a model was trained on and in which batches', async () => {
    const { pinia, wrapper } = await mountModels([
      makeModel({ trainCount: 512, batchSize: 256 }),
      makeModel({ id: 'full-1', name: 'full run', trainCount: 60000, batchSize: 128 }),
    ])
    const trainedOn = () =>
      wrapper
        .get('.meta dl')
        .findAll('dt')
        .find((term) => term.text() === 'Trained on')
        ?.element.nextElementSibling?.textContent?.trim()
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    expect(trainedOn()).toBe('512 of 60,000 images · batch 256')
    useNavigationStore(pinia).go('models', 'full-1')
    await flushPromises()
    expect(trainedOn()).toBe('all 60,000 images · batch 128')
  })

  it('says a model the CLI trained on patches streamed from a folder drew new ones every batch', async () => {
    const { wrapper } = await mountModels([
      makeModel({
        architecture: 'unet',
        dataset: 'folder-1',
        trainCount: 4,
        batchSize: 16,
        config: { learningRate: 0.001, training: { mode: 'noise2void', patchSize: 64, stepsPerEpoch: 200 } },
      }),
    ])
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    const trainedOn = wrapper
      .get('.meta dl')
      .findAll('dt')
      .find((term) => term.text() === 'Trained on')?.element.nextElementSibling?.textContent
    expect(trainedOn?.trim()).toBe(
      'new random 64×64 patches of 4 images every batch, self-supervised (Noise2Void) · 200 batches of 16 an epoch',
    )
  })

  it('offers no Rename or Delete for the model being trained, and says why', async () => {
    const { pinia, wrapper } = await mountModels()
    await useTrainingStore(pinia).resume('conv-1')
    await flushPromises()
    const rename = wrapper.get<HTMLButtonElement>('[aria-label="Rename conv run"]')
    const remove = wrapper.get<HTMLButtonElement>('[aria-label="Delete conv run"]')
    expect(rename.element.disabled).toBe(true)
    expect(rename.attributes('title')).toBe('This model is training; rename it when the training ends.')
    expect(remove.element.disabled).toBe(true)
    expect(remove.attributes('title')).toBe('This model is training; cancel the training first.')
    expect(wrapper.get<HTMLButtonElement>('[aria-label="Rename dense on mnist"]').element.disabled).toBe(
      false,
    )

    await wrapper.findAll('a.name')[1]!.trigger('click')
    await flushPromises()
    expect(byText(wrapper, 'Rename').element.disabled).toBe(true)
    expect(byText(wrapper, 'Delete').attributes('title')).toBe(
      'This model is training; cancel the training first.',
    )
  })

  it('shows the model folders it cannot read apart, each with its reason, and offers only to delete them', async () => {
    const { api, pinia } = setup({ models: [makeModel()], unreadable: [unreadableFolder] })
    await useSystemStore().load()
    const wrapper = await mountWith(ModelsView, pinia)
    // The table and every other view's model picker have only the models that can be opened.
    expect(wrapper.findAll('tbody tr a.name').map((a) => a.text())).toEqual(['dense on mnist'])
    expect(useModelsStore(pinia).models.map((m) => m.id)).toEqual(['dense-mnist-1'])

    const section = wrapper.get('[aria-labelledby="unreadable-title"]')
    expect(section.get('h2').text()).toBe('Model folders that cannot be read')
    const entry = section.get('li')
    expect(entry.text()).toContain('a1b2c3d4e5f6')
    expect(entry.get('.reason').text()).toBe(unreadableFolder.reason)
    expect(entry.findAll('button').map((b) => b.text())).toEqual(['Delete'])
    expect(entry.find('a').exists()).toBe(false)

    await entry.get('button').trigger('click')
    await flushPromises()
    expect(wrapper.get('[role="dialog"]').text()).toContain('Delete the model folder a1b2c3d4e5f6?')
    await byText(wrapper, 'Cancel').trigger('click')
    expect(api.calls.some((c) => c.name === 'models.delete')).toBe(false)

    await wrapper.get('[aria-label="Delete the model folder a1b2c3d4e5f6"]').trigger('click')
    await wrapper.get('[role="dialog"] button.danger').trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'models.delete')?.payload).toEqual({ id: 'a1b2c3d4e5f6' })
    expect(wrapper.find('[aria-labelledby="unreadable-title"]').exists()).toBe(false)
    expect(useNotificationsStore(pinia).notices.at(-1)?.message).toBe(
      'Deleted the model folder a1b2c3d4e5f6.',
    )
    expect(wrapper.findAll('tbody tr')).toHaveLength(1)
  })

  it('shows the unreadable folders of a store that has no model it can open', async () => {
    const { pinia } = setup({ models: [], unreadable: [unreadableFolder] })
    await useSystemStore().load()
    const wrapper = await mountWith(ModelsView, pinia)
    expect(wrapper.text()).toContain('No models yet')
    expect(wrapper.get('[aria-labelledby="unreadable-title"] .reason').text()).toBe(unreadableFolder.reason)
  })

  it('going Back to the page of a deleted model shows the list and says the model no longer exists', async () => {
    const { pinia, wrapper } = await mountModels()
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    await byText(wrapper, 'Delete').trigger('click')
    await wrapper.get('[role="dialog"] button.danger').trigger('click')
    await flushPromises()
    // Back: the address of the deleted model's page again.
    useNavigationStore(pinia).go('models', 'dense-mnist-1')
    await flushPromises()
    expect(wrapper.findAll('tbody tr a.name').map((a) => a.text())).toEqual(['conv run'])
    expect(wrapper.get('[role="status"]').text()).toContain('The model you opened no longer exists')
    expect(useNotificationsStore(pinia).notices.filter((n) => n.kind === 'error')).toEqual([])
    expect(wrapper.text()).not.toContain('bottleneck models')
  })

  it('drops the row of a model whose folder was removed by hand once its page finds it gone', async () => {
    const { api, pinia, wrapper } = await mountModels()
    // Removed on disk: no event has told this window, so its row is still listed.
    api.state.models = api.state.models.filter((m) => m.id !== 'dense-mnist-1')
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    useNavigationStore(pinia).go('models')
    await flushPromises()
    expect(wrapper.findAll('tbody tr a.name').map((a) => a.text())).toEqual(['conv run'])
    expect(useNotificationsStore(pinia).notices.filter((n) => n.kind === 'error')).toEqual([])
  })

  it('names the model on every row button, Draw and Resume included, for a screen reader going through them', async () => {
    const { wrapper } = await mountModels()
    const names = wrapper.findAll('tbody button').map((b) => b.attributes('aria-label'))
    expect(names).toContain('Draw with dense on mnist')
    expect(names).toContain('Resume conv run')
    expect(new Set(names).size).toBe(names.length)
  })

  it('after a delete, puts keyboard focus on the model that took the row’s place, or on Import when none is left', async () => {
    const { wrapper } = await mountModels()
    for (const [name, focused] of [
      ['dense on mnist', 'conv run'],
      ['conv run', 'Import model…'],
    ]) {
      const deleteButton = wrapper.get<HTMLButtonElement>(`[aria-label="Delete ${name}"]`)
      deleteButton.element.focus()
      await deleteButton.trigger('click')
      await flushPromises()
      await wrapper.get('[role="dialog"] button.danger').trigger('click')
      await flushPromises()
      expect((document.activeElement as HTMLElement).textContent?.trim()).toBe(focused)
    }
  })

  it('leaves the page of a model deleted in another window, for the list, without an error', async () => {
    const { api, pinia, wrapper } = await mountModels()
    useModelsStore(pinia).watchChanges(() => undefined)
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    expect(wrapper.get('h1').text()).toBe('dense on mnist')
    api.state.models = api.state.models.filter((m) => m.id !== 'dense-mnist-1')
    api.emit('models.onChanged', { reason: 'deleted', id: 'dense-mnist-1' })
    await flushPromises()
    expect(wrapper.get('h1').text()).toBe('Models')
    expect(wrapper.get('[role="status"]').text()).toContain('The model you opened no longer exists')
    expect(useNotificationsStore(pinia).notices).toEqual([])
  })

  it('says in its own words that a model deleted meanwhile cannot be renamed, and drops its row', async () => {
    const { api, wrapper } = await mountModels()
    await wrapper.get('[aria-label="Rename dense on mnist"]').trigger('click')
    // Deleted on disk: no event has told this window.
    api.state.models = api.state.models.filter((m) => m.id !== 'dense-mnist-1')
    await wrapper.get('[role="dialog"] input').setValue('my digits')
    await wrapper.get('[role="dialog"] button.primary').trigger('click')
    await flushPromises()
    expect(wrapper.get('[role="dialog"] [role="alert"]').text()).toBe(
      'This model is no longer in the store; it may have been deleted in another window.',
    )
    await byText(wrapper, 'Cancel').trigger('click')
    expect(wrapper.findAll('tbody tr a.name').map((a) => a.text())).toEqual(['conv run'])
  })

  it('deleting a model another window deleted first just confirms it is gone', async () => {
    const { api, pinia, wrapper } = await mountModels()
    await wrapper.get('[aria-label="Delete dense on mnist"]').trigger('click')
    api.state.models = api.state.models.filter((m) => m.id !== 'dense-mnist-1')
    await wrapper.get('[role="dialog"] button.danger').trigger('click')
    await flushPromises()
    expect(useNotificationsStore(pinia).notices.map((n) => [n.kind, n.message])).toEqual([
      ['success', 'Deleted "dense on mnist".'],
    ])
    expect(wrapper.findAll('tbody tr a.name').map((a) => a.text())).toEqual(['conv run'])
  })

  it('tells a one-epoch trend (a dot) from no epoch at all (a dashed line, and says so)', async () => {
    const { wrapper } = await mountModels([
      makeModel({
        id: 'one-1',
        name: 'one epoch',
        epochs: 1,
        history: [{ epoch: 1, loss: 0.2, valLoss: 0.19 }],
      }),
      makeModel({ id: 'none-1', name: 'no epoch', epochs: 0, history: [], updatedAt: DAY_BEFORE }),
    ])
    await flushPromises()
    const [one, none] = wrapper.findAll('tbody tr svg')
    expect(one!.find('circle').exists()).toBe(true)
    expect(one!.attributes('aria-label')).toBe('Loss per epoch of one epoch')
    expect(none!.find('circle').exists()).toBe(false)
    expect(none!.attributes('aria-label')).toBe('No finished epoch yet for no epoch')
  })

  it('says which dataset the figure needs when the model’s dataset is not known here', async () => {
    const { api, wrapper } = await mountModels([makeModel({ dataset: 'idx10', inputShape: [10, 10, 1] })])
    api.failNext('datasets.previewSamples', 'DATASET_NOT_FOUND', 'There is no dataset "idx10"; add it first.')
    await wrapper.get('a.name').trigger('click')
    await flushPromises()
    expect(wrapper.get('.figure [role="status"]').text()).toBe(
      'The test images of “idx10”, the dataset this model was trained on, are not available here. ' +
        'Add that dataset in the Train view to see how the model rebuilds them.',
    )
  })
})
