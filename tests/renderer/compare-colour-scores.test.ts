// Compare gives a colour model the grey image in its three channels and scores what it really output: every channel
// against the grey, as `bottleneck eval` does (PSNR over all values, SSIM averaged over channels). The grey shown of
// the output averages the channels' errors away; scored instead, it made a colour model look about 3.5 dB better.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { DenoiseBaseline, Image } from '@contract'
import CompareView from '@renderer/views/CompareView.vue'
import { useModelsStore } from '@renderer/stores/models'
import { useCompareStore } from '@renderer/stores/compare'
import { makeDenoiser, makeModel } from './support/fake-api'
import { flushPromises, mountWith, setup } from './support/mount'

afterEach(() => {
  document.body.innerHTML = ''
  vi.restoreAllMocks()
})

const SIDE = 32

/** A grey test sample of a colour dataset, its grey in all three channels: a ring on a ramp, all in 40–200. */
function greyPhoto(): Image {
  const data: number[] = []
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) {
      const radius = Math.hypot(x - SIDE / 2, y - SIDE / 2)
      const grey = radius > 6 && radius < 10 ? 200 : 40 + 2 * x
      data.push(grey, grey, grey)
    }
  return { width: SIDE, height: SIDE, channels: 3, data }
}

/**
 * `image` with channel k moved by `offsets[k]` on a checkerboard (+ on one square, − on the next) or, for a number
 * alone, everywhere: a colour output whose channels err differently, staying inside 0–255 for `greyPhoto`.
 */
function perChannel(image: Image, offsets: (number | { checker: number })[]): Image {
  const data = image.data.map((value, i) => {
    const pixel = Math.floor(i / 3)
    const checker = ((pixel % SIDE) + Math.floor(pixel / SIDE)) % 2 ? 1 : -1
    const offset = offsets[i % 3]!
    return value + (typeof offset === 'number' ? offset : offset.checker * checker)
  })
  return { ...image, data }
}

/** PSNR by hand from the bytes: the mean squared error over every value of all three channels. */
function psnrOverAllValues(clean: Image, output: Image): number {
  let squared = 0
  clean.data.forEach((value, i) => {
    squared += ((output.data[i]! - value) / 255) ** 2
  })
  return 10 * Math.log10(1 / (squared / clean.data.length))
}

async function mountWithSample(model: ReturnType<typeof makeModel>) {
  const { api, pinia } = setup({ models: [model] })
  await useModelsStore().refresh()
  vi.spyOn(api.datasets, 'previewSamples').mockResolvedValue({ images: [greyPhoto()], labels: [] })
  const wrapper = await mountWith(CompareView, pinia)
  return { api, wrapper }
}

async function addTestSample(wrapper: Awaited<ReturnType<typeof mountWithSample>>['wrapper']) {
  await wrapper
    .findAll('button')
    .find((button) => button.text() === 'Add test samples')!
    .trigger('click')
  await flushPromises()
}

describe('Compare with a colour model', { timeout: 30_000 }, () => {
  it('scores the three channels the model output, as `bottleneck eval` does, not their grey', async () => {
    const { api, wrapper } = await mountWithSample(
      makeModel({ id: 'rgb-1', name: 'photos', inputShape: [SIDE, SIDE, 3] }),
    )
    const sent: Image[] = []
    const outputs: Image[] = []
    vi.spyOn(api.inference, 'reconstruct').mockImplementation(async ({ images }) => {
      const given = images as Image[]
      const made = given.map((image) => perChannel(image, [{ checker: 40 }, { checker: -40 }, 10]))
      sent.push(...given)
      outputs.push(...made)
      // The view scores the images itself, so the back end's own figures are left out.
      return { images: made, metrics: [] }
    })
    await addTestSample(wrapper)

    expect(sent).toEqual([greyPhoto()])
    const cell = wrapper.get('[data-testid^="metrics-"]').text()
    // Squared errors 40², 40² and 10² in turn: MSE 1100/255², 17.72 dB (the grey of it would have read 26.86 dB).
    expect(psnrOverAllValues(sent[0]!, outputs[0]!).toFixed(2)).toBe('17.72')
    expect(cell).toContain(`PSNR ${psnrOverAllValues(sent[0]!, outputs[0]!).toFixed(2)} dB`)
    // The back end's imageQuality (src-main/ml/metrics.ts) gives 0.7895239 for this pair (the grey's SSIM: 0.933).
    expect(cell).toContain('SSIM 0.790')
    // The difference picture shows the mean error over the channels: (40 + 40 + 10) / 3 levels at every pixel.
    const difference = useCompareStore().rows[0]!.difference!
    expect(difference).toHaveLength(SIDE * SIDE)
    for (const value of difference) expect(value).toBeCloseTo(30 / 255, 6)
  })

  it('scores the noisy input and the classical filters on their three channels too', async () => {
    const { api, wrapper } = await mountWithSample(
      makeDenoiser({ type: 'gaussian', stddev: 0.5 }, { name: 'photo-denoise', inputShape: [SIDE, SIDE, 3] }),
    )
    const answer = { noisy: [] as Image[], images: [] as Image[], median: [] as Image[] }
    vi.spyOn(api.inference, 'denoise').mockImplementation(async (request) => {
      const images = request.images as Image[]
      answer.noisy = images.map((image) =>
        perChannel(image, [{ checker: 40 }, { checker: -40 }, { checker: 30 }]),
      )
      answer.images = images.map((image) => perChannel(image, [{ checker: 20 }, { checker: -20 }, 5]))
      answer.median = images.map((image) => perChannel(image, [{ checker: 30 }, { checker: -10 }, 0]))
      const baselines: { name: DenoiseBaseline; images: Image[] }[] = [
        { name: 'median', images: answer.median },
      ]
      return { images: answer.images, noisy: answer.noisy, baselines }
    })
    await addTestSample(wrapper)

    const clean = greyPhoto()
    const summary = wrapper.get('[aria-label="Against classical filters"]')
    const psnrOf = (label: string) =>
      summary
        .findAll('tbody tr')
        .find((line) => line.get('th').text().startsWith(label))!
        .findAll('td')[0]!
        .text()
    expect(psnrOf('photo-denoise')).toBe(`${psnrOverAllValues(clean, answer.images[0]!).toFixed(2)} dB`)
    expect(psnrOf('Median 3×3')).toBe(`${psnrOverAllValues(clean, answer.median[0]!).toFixed(2)} dB`)
    // Squared errors 40², 40², 30²: 16.77 dB over the channels, where their grey (errors of 8.1) read 29.96 dB.
    expect(psnrOf('Noisy input')).toBe(`${psnrOverAllValues(clean, answer.noisy[0]!).toFixed(2)} dB`)
    expect(psnrOf('Noisy input')).toBe('16.77 dB')
  })
})
