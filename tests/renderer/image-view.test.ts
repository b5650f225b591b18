// ImageView paints a contract image in its own colours: a colour model's pictures (its test patches on the model
// page, the Train view's samples, Latent's decoded images) are no longer shown in grey.
import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Image } from '@contract'
import ImageView from '@renderer/components/ImageView.vue'
import { imageToRgba } from '@renderer/lib/images'

afterEach(() => vi.restoreAllMocks())

/** The RGBA bytes the next putImageData receives (happy-dom paints nothing). */
function capturePaint(): { rgba: number[] | null } {
  const painted: { rgba: number[] | null } = { rgba: null }
  vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation((() => ({
    putImageData: (data: ImageData) => void (painted.rgba = Array.from(data.data)),
    clearRect: () => undefined,
  })) as unknown as typeof HTMLCanvasElement.prototype.getContext)
  return painted
}

describe('ImageView', () => {
  it('paints a colour image in its colours, and a grey one in grey as before', () => {
    const colour: Image = { width: 2, height: 1, channels: 3, data: [255, 0, 0, 10, 200, 30] }
    const painted = capturePaint()
    mount(ImageView, { props: { image: colour, label: 'a colour patch' } })
    expect(painted.rgba).toEqual([255, 0, 0, 255, 10, 200, 30, 255])

    const grey: Image = { width: 2, height: 1, channels: 1, data: [0, 128] }
    mount(ImageView, { props: { image: grey, label: 'a digit' } })
    expect(painted.rgba).toEqual([0, 0, 0, 255, 128, 128, 128, 255])
  })

  it('reads one value a pixel through a colour map', () => {
    const grey: Image = { width: 1, height: 1, channels: 1, data: [255] }
    const painted = capturePaint()
    mount(ImageView, { props: { image: grey, label: 'a difference', colormap: 'viridis' } })
    // The ramp's top: yellow, not white.
    expect(painted.rgba).toEqual([253, 231, 37, 255])
  })

  it('spreads grey to three channels and keeps colour as it is', () => {
    expect(Array.from(imageToRgba({ width: 1, height: 1, channels: 1, data: [7] }))).toEqual([7, 7, 7, 255])
    expect(Array.from(imageToRgba({ width: 1, height: 1, channels: 3, data: [1, 2, 3] }))).toEqual([1, 2, 3, 255])
  })
})
