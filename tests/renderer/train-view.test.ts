import { afterEach, describe, expect, it, vi } from 'vitest'
import TrainView from '@renderer/views/TrainView.vue'
import ToastHost from '@renderer/components/ToastHost.vue'
import { useTrainingStore } from '@renderer/stores/training'
import { useSystemStore } from '@renderer/stores/system'
import { useModelsStore } from '@renderer/stores/models'
import { makeVae, PHOTO_FOLDER } from './support/fake-api'
import { flushPromises, mountWith, setup } from './support/mount'

afterEach(() => {
  vi.useRealTimers()
  document.body.innerHTML = ''
})

/** How long Cancel ignores clicks after it takes Start's place (the second click of a double click on Start). */
const CANCEL_SETTLE_MS = 500

async function mountTrain() {
  const { api, pinia } = setup()
  const training = useTrainingStore()
  await training.attach()
  await useSystemStore().load()
  const wrapper = await mountWith(TrainView, pinia)
  return { api, pinia, wrapper, training }
}

function field(wrapper: Awaited<ReturnType<typeof mountTrain>>['wrapper'], label: string) {
  return wrapper.get(`[aria-label="${label}"]`)
}

describe('TrainView', () => {
  it('preselects the seed recipe: dense, code 32, 50 epochs, batch 256, learning rate 0.001, Adam + BCE', async () => {
    const { wrapper } = await mountTrain()
    expect((field(wrapper, 'Architecture').element as HTMLSelectElement).value).toBe('dense')
    expect((field(wrapper, 'Dataset').element as HTMLSelectElement).value).toBe('mnist')
    expect((field(wrapper, 'Code size').element as HTMLInputElement).value).toBe('32')
    expect((field(wrapper, 'Epochs').element as HTMLInputElement).value).toBe('50')
    expect((field(wrapper, 'Batch size').element as HTMLInputElement).value).toBe('256')
    expect((field(wrapper, 'Learning rate').element as HTMLInputElement).value).toBe('0.001')
    expect(wrapper.text()).toContain('Adam')
    expect(wrapper.text()).toContain('binary cross-entropy')
  })

  it('names the seed recipe as the service’s keras-simple preset, and custom settings once a field changes', async () => {
    const { wrapper } = await mountTrain()
    await flushPromises()
    expect((field(wrapper, 'Recipe').element as HTMLSelectElement).value).toBe('keras-simple')
    expect(wrapper.get('[data-testid="preset-note"]').text()).toContain('val_loss ≈ 0.0916')
    await field(wrapper, 'Epochs').setValue('3')
    await field(wrapper, 'Epochs').trigger('change')
    expect((field(wrapper, 'Recipe').element as HTMLSelectElement).value).toBe('')
    expect(wrapper.get('[data-testid="preset-note"]').text()).toContain('Your own settings')
  })

  it('says the settings are your own when "Custom settings" is chosen, and leaves every field as it is', async () => {
    const { wrapper, api } = await mountTrain()
    await flushPromises()
    await field(wrapper, 'Recipe').setValue('')
    expect((field(wrapper, 'Recipe').element as HTMLSelectElement).value).toBe('')
    expect(wrapper.get('[data-testid="preset-note"]').text()).toContain('Your own settings')
    expect(wrapper.get('[data-testid="preset-note"]').text()).not.toContain('val_loss')
    expect((field(wrapper, 'Epochs').element as HTMLInputElement).value).toBe('50')
    expect((field(wrapper, 'Code size').element as HTMLInputElement).value).toBe('32')
    // Choosing the recipe again names it again.
    await field(wrapper, 'Recipe').setValue('keras-simple')
    expect(wrapper.get('[data-testid="preset-note"]').text()).toContain('val_loss ≈ 0.0916')
    await field(wrapper, 'Recipe').setValue('')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'training.start')?.payload).toMatchObject({
      epochs: 50,
      codeSize: 32,
    })
  })

  it('fills every field from the mnist-denoise recipe and trains exactly that', async () => {
    const { wrapper, api } = await mountTrain()
    await flushPromises()
    await field(wrapper, 'Limit training images').setValue('2000')
    await field(wrapper, 'Limit training images').trigger('change')
    await field(wrapper, 'Recipe').setValue('mnist-denoise')
    expect((field(wrapper, 'Architecture').element as HTMLSelectElement).value).toBe('denoiser')
    expect((field(wrapper, 'Epochs').element as HTMLInputElement).value).toBe('11')
    expect((field(wrapper, 'Batch size').element as HTMLInputElement).value).toBe('64')
    expect((field(wrapper, 'Noise type').element as HTMLSelectElement).value).toBe('gaussian')
    expect(wrapper.get('[data-testid="preset-note"]').text()).toContain('PSNR 21.66 dB')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const start = api.calls.find((c) => c.name === 'training.start')
    expect(start?.payload).toEqual({
      architecture: 'denoiser',
      datasetId: 'mnist',
      codeSize: 32,
      epochs: 11,
      batchSize: 64,
      learningRate: 0.001,
      noise: { type: 'gaussian', stddev: 0.5 },
      noiseMode: 'fresh',
    })
  })

  it('keeps the form usable with custom settings when the recipes cannot be loaded', async () => {
    const { api, pinia } = setup()
    api.failNext('training.presets', 'INTERNAL', 'The service is restarting.')
    await useTrainingStore().attach()
    await useSystemStore().load()
    const wrapper = await mountWith(TrainView, pinia)
    await flushPromises()
    expect(wrapper.find('[aria-label="Recipe"]').exists()).toBe(false)
    expect((field(wrapper, 'Architecture').element as HTMLSelectElement).value).toBe('dense')
  })

  it('switches to another architecture’s recipe when the architecture changes', async () => {
    const { wrapper } = await mountTrain()
    await field(wrapper, 'Architecture').setValue('vae')
    expect((field(wrapper, 'Code size').element as HTMLInputElement).value).toBe('2')
    expect(wrapper.text()).toContain('binary cross-entropy summed over the pixels + KL divergence, per image')
    await field(wrapper, 'Architecture').setValue('denoiser')
    expect(wrapper.text()).toContain('Adam, cosine decay to 0')
  })

  it('starts training with exactly the form’s settings, including the image limit and denoising noise', async () => {
    const { wrapper, api } = await mountTrain()
    await field(wrapper, 'Epochs').setValue('1')
    await field(wrapper, 'Epochs').trigger('change')
    await field(wrapper, 'Limit training images').setValue('2000')
    await field(wrapper, 'Limit training images').trigger('change')
    await field(wrapper, 'Noise type').setValue('gaussian')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const start = api.calls.find((c) => c.name === 'training.start')
    expect(start?.payload).toEqual({
      architecture: 'dense',
      datasetId: 'mnist',
      codeSize: 32,
      epochs: 1,
      batchSize: 256,
      learningRate: 0.001,
      noise: { type: 'gaussian', stddev: 0.3 },
      noiseMode: 'fresh',
      trainLimit: 2000,
    })
  })

  it('turns the code size off for the U-Nets, which have no code, and says why', async () => {
    const { wrapper, api } = await mountTrain()
    for (const architecture of ['unet', 'denoiser']) {
      await field(wrapper, 'Architecture').setValue(architecture)
      const codeSize = field(wrapper, 'Code size')
      expect((codeSize.element as HTMLInputElement).disabled).toBe(true)
      expect((codeSize.element as HTMLInputElement).value).toBe('')
      expect(wrapper.get(`#${codeSize.attributes('aria-describedby')}`).text()).toContain('no single code')
    }
    await field(wrapper, 'Architecture').setValue('dense')
    expect((field(wrapper, 'Code size').element as HTMLInputElement).disabled).toBe(false)
    expect((field(wrapper, 'Code size').element as HTMLInputElement).value).toBe('32')
    // A code size typed for a dense model does not follow into a U-Net.
    await field(wrapper, 'Code size').setValue('')
    await field(wrapper, 'Code size').trigger('change')
    await field(wrapper, 'Architecture').setValue('denoiser')
    expect(wrapper.find('.field-error').exists()).toBe(false)
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    // The contract requires a code size; the denoiser's recipe value goes along and the trainer ignores it.
    expect(api.calls.find((c) => c.name === 'training.start')?.payload).toMatchObject({
      architecture: 'denoiser',
      codeSize: 32,
    })
  })

  it('never trains a chosen noise at level 0: the slider stops at its weakest noise', async () => {
    const { wrapper, api } = await mountTrain()
    await field(wrapper, 'Noise type').setValue('gaussian')
    const level = field(wrapper, 'Noise level')
    expect(Number(level.attributes('min'))).toBeGreaterThan(0)
    await level.setValue('0')
    expect(wrapper.get('.level').text()).toBe('0.05')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'training.start')?.payload).toMatchObject({
      noise: { type: 'gaussian', stddev: 0.05 },
    })
  })

  it('trains on noise fixed once per image when asked (the Keras blog’s way), and only with noise', async () => {
    const { wrapper, api } = await mountTrain()
    expect((field(wrapper, 'Noise draws').element as HTMLSelectElement).disabled).toBe(true)
    await field(wrapper, 'Noise type').setValue('saltPepper')
    expect((field(wrapper, 'Noise draws').element as HTMLSelectElement).disabled).toBe(false)
    await field(wrapper, 'Noise draws').setValue('fixed')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    const start = api.calls.find((c) => c.name === 'training.start')
    expect(start?.payload).toMatchObject({ noise: { type: 'saltPepper', amount: 0.3 }, noiseMode: 'fixed' })
  })

  it('says by the field what an emptied learning rate takes, refuses to start, and clears once it is fixed', async () => {
    const { wrapper, api, training } = await mountTrain()
    const learningRate = field(wrapper, 'Learning rate')
    await learningRate.setValue('')
    await learningRate.trigger('change')
    // The limits are the contract's (learningRate: gt(0), max(10)), in words.
    const message = 'Learning rate must be a number greater than 0 and at most 10.'
    expect(learningRate.attributes('aria-invalid')).toBe('true')
    expect(wrapper.get(`#${learningRate.attributes('aria-describedby')}`).text()).toBe(message)
    expect(training.form.learningRate).toBeNull()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toBe('Fix Learning rate to start training.')
    expect(wrapper.text()).not.toContain('Invalid input')
    expect(api.calls.some((c) => c.name === 'training.start')).toBe(false)

    await learningRate.setValue('0.002')
    await learningRate.trigger('change')
    expect(learningRate.attributes('aria-invalid')).toBeUndefined()
    expect(learningRate.attributes('aria-describedby')).toBeUndefined()
    expect(wrapper.text()).not.toContain(message)
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'training.start')?.payload).toMatchObject({ learningRate: 0.002 })
  })

  it('names every field out of range, whole numbers included, and an image limit below 1', async () => {
    const { wrapper, api } = await mountTrain()
    await field(wrapper, 'Epochs').setValue('0')
    await field(wrapper, 'Epochs').trigger('change')
    await field(wrapper, 'Batch size').setValue('2.5')
    await field(wrapper, 'Batch size').trigger('change')
    await field(wrapper, 'Limit training images').setValue('-5')
    await field(wrapper, 'Limit training images').trigger('change')
    expect(wrapper.text()).toContain('Epochs must be a whole number from 1 to 1,000.')
    expect(wrapper.text()).toContain('Batch size must be a whole number from 1 to 4,096.')
    expect(wrapper.text()).toContain(
      'Leave Limit training images empty to use all images, or enter a whole number from 1 to 10,000,000.',
    )
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toBe(
      'Fix Epochs, Batch size and Limit training images to start training.',
    )
    expect(api.calls.some((c) => c.name === 'training.start')).toBe(false)
  })

  it('shows epoch, batch, ETA, samples/s and the backend while training, then samples after each epoch', async () => {
    const { wrapper, api } = await mountTrain()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    api.progress(1, 5, 10, 0.25)
    await flushPromises()
    const bar = wrapper.get('[role="progressbar"]')
    expect(bar.attributes('aria-valuenow')).toBe('1') // (0 + 5/10) / 50 epochs = 1 %
    const text = wrapper.text()
    expect(text).toContain('Epoch 1 / 50')
    expect(text).toContain('Batch 5 / 10')
    expect(text).toContain('ETA 42 s')
    expect(text).toContain('5.1k samples/s')
    expect(text).toContain('Backend: cpu')
    expect(wrapper.get('.loss-chart-stub').attributes('data-separate-scales')).toBe('false')
    expect(wrapper.text()).toContain('val_loss: binary cross-entropy per pixel of the test reconstructions')
    api.endEpoch(1, 0.2, 0.19)
    await flushPromises()
    expect(wrapper.findAll('[aria-label^="Reconstruction "]')).toHaveLength(3)
    expect(wrapper.text()).toContain('val_loss 0.1900')
  })

  it('cancels, then offers to resume the stopped model', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { wrapper, api, training } = await mountTrain()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    api.progress(1, 10)
    api.endEpoch(1, 0.2, 0.19)
    api.progress(2, 1)
    vi.advanceTimersByTime(CANCEL_SETTLE_MS)
    await flushPromises()
    const cancel = wrapper.findAll('button').find((b) => b.text() === 'Cancel')!
    await cancel.trigger('click')
    expect(api.calls.some((c) => c.name === 'training.cancel')).toBe(true)
    api.finish('cancelled')
    await flushPromises()
    expect(training.state).toBe('idle')
    const resume = wrapper.findAll('button').find((b) => b.text() === 'Resume')
    expect(resume).toBeDefined()
    await resume!.trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'training.resume')?.payload).toEqual({ id: 'dense-mnist-1' })
  })

  it('shows the back end’s refusal as a human sentence in a toast', async () => {
    const { api, pinia } = setup()
    api.failNext(
      'training.start',
      'TRAINING_BUSY',
      'A training is already running. Cancel it or wait until it finishes.',
    )
    const wrapper = await mountWith(TrainView, pinia)
    const toasts = await mountWith(ToastHost, pinia)
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(toasts.get('[role="alert"]').text()).toContain('A training is already running.')
    expect(useTrainingStore().state).toBe('idle')
  })

  it('starts an architecture from the service’s recipe for it once the presets have loaded', async () => {
    const { api, pinia } = setup()
    // A recipe whose numbers differ from the view's own fallback table, to see which one the form takes.
    api.state.presets = api.state.presets.map((preset) =>
      preset.name === 'keras-vae' ? { ...preset, epochs: 40, batchSize: 120 } : preset,
    )
    await useTrainingStore().attach()
    await useSystemStore().load()
    const wrapper = await mountWith(TrainView, pinia)
    await flushPromises()
    await field(wrapper, 'Architecture').setValue('vae')
    expect((field(wrapper, 'Epochs').element as HTMLInputElement).value).toBe('40')
    expect((field(wrapper, 'Batch size').element as HTMLInputElement).value).toBe('120')
    expect((field(wrapper, 'Recipe').element as HTMLSelectElement).value).toBe('keras-vae')
    // The U-Net has no MNIST recipe: its own starting point.
    await field(wrapper, 'Architecture').setValue('unet')
    expect((field(wrapper, 'Epochs').element as HTMLInputElement).value).toBe('20')
  })
})

describe('the form follows the chosen dataset', () => {
  it('names the default model, sizes the layers and calls the test images by what the dataset holds', async () => {
    const { api, pinia } = setup()
    api.state.datasets.push(PHOTO_FOLDER)
    const wrapper = await mountWith(TrainView, pinia)
    const note = () =>
      field(wrapper, 'Architecture').element.parentElement!.querySelector('small')!.textContent!.trim()
    const samplesCard = () => wrapper.get('.samples-card').text()
    expect(note()).toBe('One hidden layer: 784 → 32 → 784.')
    expect(samplesCard()).toContain('Test digits and reconstructions')

    await field(wrapper, 'Dataset').setValue('folder-photos')
    // The name the back end and the CLI give an unnamed model: "<architecture> <code size> on <dataset>".
    expect(field(wrapper, 'Model name').attributes('placeholder')).toBe('dense 32 on mixed')
    expect(note()).toBe('One hidden layer: 12,288 → 32 → 12,288.')
    expect(samplesCard()).toContain('Test images and reconstructions')
    expect(samplesCard()).not.toContain('digit')
    await field(wrapper, 'Architecture').setValue('deep')
    expect(note()).toBe('Stacked dense layers 12,288 → 128 → 64 → code.')
    expect(field(wrapper, 'Model name').attributes('placeholder')).toBe('deep 32 on mixed')
    await field(wrapper, 'Code size').setValue('12')
    expect(field(wrapper, 'Model name').attributes('placeholder')).toBe('deep 12 on mixed')
    // While the field holds no valid code size, the placeholder names the recipe's rather than echo it.
    await field(wrapper, 'Code size').setValue('0')
    expect(field(wrapper, 'Model name').attributes('placeholder')).toBe('deep 32 on mixed')
    // A U-Net has no code: its name has no size.
    await field(wrapper, 'Architecture').setValue('unet')
    expect(field(wrapper, 'Model name').attributes('placeholder')).toBe('unet on mixed')
  })
})

describe('an image folder on the form', () => {
  const brokenFiles = ['corrupt.jpg', 'empty.png', 'cut.jpg']
  /** A folder of photos of mixed sizes, three files of which cannot be read, as the service lists it. */
  const PHOTOS_WITH_BROKEN_FILES = {
    ...PHOTO_FOLDER,
    imageFiles: {
      found: 12,
      unreadableCount: 8,
      unreadable: brokenFiles.map((file) => ({ file, reason: `Cannot read ${file}: the file is damaged.` })),
    },
  }

  async function mountWithFolder() {
    const { api, pinia } = setup()
    api.state.datasets.push(PHOTOS_WITH_BROKEN_FILES)
    const wrapper = await mountWith(TrainView, pinia)
    await field(wrapper, 'Dataset').setValue('folder-photos')
    return wrapper
  }

  it('counts patches, not images, and the limit in patches too', async () => {
    const wrapper = await mountWithFolder()
    expect(wrapper.get('[data-testid="dataset-contents"]').text()).toBe(
      '64×64×3 patches cut from 4 images: 2,048 training / 256 test',
    )
    expect(wrapper.text()).toContain('Train on only N of the patches for a quick try.')
    await field(wrapper, 'Limit training images').setValue('160')
    await field(wrapper, 'Limit training images').trigger('change')
    expect(wrapper.get('[data-testid="dataset-contents"]').text()).toBe(
      '64×64×3 patches cut from 4 images: 160 of 2,048 training / 256 test',
    )
  })

  it('keeps saying which files training skips and why, long after the notice of adding it', async () => {
    const wrapper = await mountWithFolder()
    const skipped = wrapper.get('details.skipped-files')
    expect(skipped.get('summary').text()).toBe('8 files cannot be read and are skipped')
    expect(skipped.findAll('li').map((item) => item.text())).toEqual([
      'Cannot read corrupt.jpg: the file is damaged.',
      'Cannot read empty.png: the file is damaged.',
      'Cannot read cut.jpg: the file is damaged.',
      'and 5 more',
    ])
    await field(wrapper, 'Dataset').setValue('mnist')
    expect(wrapper.find('details.skipped-files').exists()).toBe(false)
  })

  it('says before training that only a U-Net trained on patches denoises photos of any size', async () => {
    const wrapper = await mountWithFolder()
    const note = () => wrapper.find('[data-testid="patch-size-note"]')
    expect(note().text()).toBe(
      'Trained on 64×64 patches, this model takes 64×64 pictures only, and Denoise does not use it. ' +
        'Pick U-Net to denoise photos of any size.',
    )
    await field(wrapper, 'Architecture').setValue('conv')
    expect(note().text()).toContain('so Denoise can use it on pictures of that size alone.')
    await field(wrapper, 'Architecture').setValue('unet')
    expect(note().exists()).toBe(false)
    // MNIST is all 28×28: nothing to warn of.
    await field(wrapper, 'Architecture').setValue('dense')
    await field(wrapper, 'Dataset').setValue('mnist')
    expect(note().exists()).toBe(false)
  })
})

describe('a refused Start', () => {
  it('moves the focus from Start to the first field to fix, and marks every field to fix', async () => {
    const { wrapper } = await mountTrain()
    await field(wrapper, 'Batch size').setValue('2.5')
    await field(wrapper, 'Batch size').trigger('change')
    await field(wrapper, 'Epochs').setValue('0')
    await field(wrapper, 'Epochs').trigger('change')
    const start = wrapper.get('button[type="submit"]')
    ;(start.element as HTMLButtonElement).focus()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(document.activeElement).toBe(field(wrapper, 'Epochs').element)
    expect(field(wrapper, 'Epochs').attributes('aria-invalid')).toBe('true')
    expect(field(wrapper, 'Batch size').attributes('aria-invalid')).toBe('true')
    expect(field(wrapper, 'Code size').attributes('aria-invalid')).toBeUndefined()
  })

  it('opens Advanced when the field to fix is in it, and focuses that field', async () => {
    const { wrapper, training } = await mountTrain()
    expect((wrapper.get('details.advanced').element as HTMLDetailsElement).open).toBe(false)
    training.form.trainLimit = -5
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect((wrapper.get('details.advanced').element as HTMLDetailsElement).open).toBe(true)
    expect(document.activeElement).toBe(field(wrapper, 'Limit training images').element)
  })
})

describe('the Advanced section', () => {
  function advanced(wrapper: Awaited<ReturnType<typeof mountTrain>>['wrapper']) {
    return wrapper.get('details.advanced')
  }
  function isOpen(wrapper: Awaited<ReturnType<typeof mountTrain>>['wrapper']): boolean {
    return (advanced(wrapper).element as HTMLDetailsElement).open
  }

  it('shows the image limit the user set there again when they come back from another view', async () => {
    const { wrapper, pinia } = await mountTrain()
    expect(isOpen(wrapper)).toBe(false) // default settings, never opened
    await advanced(wrapper).get('summary').trigger('click')
    await field(wrapper, 'Limit training images').setValue('2000')
    await field(wrapper, 'Limit training images').trigger('change')
    await field(wrapper, 'Epochs').setValue('3')
    await field(wrapper, 'Epochs').trigger('change')
    wrapper.unmount() // App.vue unmounts the view when another one is chosen

    const again = await mountWith(TrainView, pinia)
    expect(isOpen(again)).toBe(true)
    expect((field(again, 'Limit training images').element as HTMLInputElement).value).toBe('2000')
    expect((field(again, 'Epochs').element as HTMLInputElement).value).toBe('3')
  })

  it('stays open, or closed, as the user left it for the rest of the session', async () => {
    const { wrapper, pinia } = await mountTrain()
    await advanced(wrapper).get('summary').trigger('click')
    wrapper.unmount()

    const opened = await mountWith(TrainView, pinia)
    expect(isOpen(opened)).toBe(true)
    await advanced(opened).get('summary').trigger('click')
    opened.unmount()

    const closed = await mountWith(TrainView, pinia)
    expect(isOpen(closed)).toBe(false)
  })

  it('opens by itself when a setting in it is not its default, so a changed setting is never hidden', async () => {
    // E.g. a resumed run put its saved image limit in the form before the user ever opened the section.
    const limited = setup()
    useTrainingStore().form.trainLimit = 5000
    const withLimit = await mountWith(TrainView, limited.pinia)
    expect(isOpen(withLimit)).toBe(true)
    expect((field(withLimit, 'Limit training images').element as HTMLInputElement).value).toBe('5000')
    withLimit.unmount()

    const named = setup()
    useTrainingStore().form.name = 'my digits'
    const withName = await mountWith(TrainView, named.pinia)
    expect(isOpen(withName)).toBe(true)
  })
})

describe('training errors', () => {
  it('offers Resume when the trainer crashed and restarted', async () => {
    const { api, pinia } = setup()
    const training = useTrainingStore()
    await training.attach()
    const toasts = await mountWith(ToastHost, pinia)
    await training.start()
    api.progress(1, 1)
    api.crashTrainer({ resumes: false, message: 'The trainer stopped unexpectedly.' })
    await flushPromises()
    expect(training.state).toBe('idle')
    const alert = toasts.get('[role="alert"]')
    expect(alert.text()).toContain('The trainer stopped unexpectedly.')
    await alert
      .findAll('button')
      .find((b) => b.text() === 'Resume')!
      .trigger('click')
    await flushPromises()
    expect(api.calls.find((c) => c.name === 'training.resume')?.payload).toEqual({ id: 'dense-mnist-1' })
  })

  it('shows the run starting again, not stopped, while the service resumes it by itself after a crash', async () => {
    const { api, pinia } = setup()
    const training = useTrainingStore()
    await training.attach()
    await useSystemStore().load()
    const wrapper = await mountWith(TrainView, pinia)
    const toasts = await mountWith(ToastHost, pinia)
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    api.progress(1, 10)
    api.endEpoch(1, 0.2, 0.19)
    api.progress(2, 4)
    api.crashTrainer({
      resumes: true,
      message:
        'The training process stopped unexpectedly (SIGKILL). The last finished epoch is saved; training resumes from it.',
    })
    await flushPromises()
    expect(training.state).toBe('starting')
    expect(wrapper.get('[aria-label="Training progress"]').text()).toContain(
      'Preparing the data and the model',
    )
    const buttons = wrapper.findAll('.actions button').map((button) => button.text())
    expect(buttons).toEqual(['Cancel'])
    const notice = toasts.get('.toast')
    expect(notice.text()).toContain('training resumes from it')
    // Neither "resume it yourself" advice nor a Resume button: the service is doing it.
    expect(notice.text()).not.toContain('Models view')
    expect(notice.findAll('button').map((button) => button.text())).not.toContain('Resume')

    api.progress(2, 1)
    await flushPromises()
    expect(training.state).toBe('running')
    expect(wrapper.get('[aria-label="Training progress"]').text()).toContain('Epoch 2 / 50')
  })

  it('keeps a stopped run’s summary and Resume button when resuming it is refused', async () => {
    const { wrapper, api } = await mountTrain()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    api.progress(1, 10)
    api.endEpoch(1, 0.2, 0.19)
    api.progress(2, 3)
    api.finish('cancelled')
    await flushPromises()
    const resumeButton = () => wrapper.findAll('.actions button').find((button) => button.text() === 'Resume')
    expect(resumeButton()).toBeDefined()
    api.failNext('training.resume', 'DATASET_NOT_FOUND', 'Cannot read the image folder /data/photos.')
    await resumeButton()!.trigger('click')
    await flushPromises()
    expect(wrapper.get('[aria-label="Training progress"]').text()).toContain('Stopped after 1 epoch;')
    expect(resumeButton()).toBeDefined()
  })

  it('charts a VAE’s val_loss on its own axis and says what each loss measures', async () => {
    const { wrapper, api } = await mountTrain()
    await field(wrapper, 'Architecture').setValue('vae')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    api.progress(1, 5, 10, 190)
    await flushPromises()
    expect(wrapper.get('.loss-chart-stub').attributes('data-separate-scales')).toBe('true')
    expect(wrapper.get('.chart-caption').text()).toBe(
      'loss: binary cross-entropy summed over the pixels + KL divergence, per image · ' +
        'val_loss: binary cross-entropy per pixel of the test reconstructions',
    )
  })

  it('charts a resumed model by its own architecture, not the form’s', async () => {
    const vae = makeVae({ name: 'vae 2ep', epochs: 2, targetEpochs: 5 })
    const { api, pinia } = setup({ models: [vae] })
    const training = useTrainingStore()
    await training.attach()
    await useSystemStore().load()
    await useModelsStore().refresh()
    const wrapper = await mountWith(TrainView, pinia)
    expect((field(wrapper, 'Architecture').element as HTMLSelectElement).value).toBe('dense')
    await training.resume('vae-1')
    api.progress(3, 1, 10, 180)
    await flushPromises()
    expect(wrapper.get('.loss-chart-stub').attributes('data-separate-scales')).toBe('true')
    expect(wrapper.get('.chart-caption').text()).toContain('KL divergence')
  })
})
