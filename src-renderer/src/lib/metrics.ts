// Image quality figures shown next to each reconstruction: PSNR and SSIM for images in [0, 1], pixels HWC.
// SSIM follows Wang et al. (2004) with an 11×11 Gaussian window (σ = 1.5), the values most tools report and the
// definition the back end uses (src-main/ml/metrics.ts): PSNR over every value of every channel, SSIM averaged over
// channels. Given all of a model's channels, the Compare view's figures match `bottleneck eval`.

/** Mean squared error over every value, all channels alike. */
export function mse(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`Images differ in size (${a.length} vs ${b.length} values).`)
  let sum = 0
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    sum += d * d
  }
  return a.length ? sum / a.length : 0
}

/**
 * Peak signal-to-noise ratio in dB for a peak of 1, from the MSE over every value (all channels, as the back end);
 * identical images give Infinity.
 */
export function psnr(a: Float32Array, b: Float32Array): number {
  const error = mse(a, b)
  return error === 0 ? Infinity : 10 * Math.log10(1 / error)
}

/** SSIM's window side in pixels. */
export const SSIM_WINDOW = 11
const SSIM_SIGMA = 1.5

/** SSIM compares 11×11 windows, so a smaller image has no SSIM: it is left out, as the back end leaves it out. */
export function hasSsim(width: number, height: number): boolean {
  return width >= SSIM_WINDOW && height >= SSIM_WINDOW
}

function gaussianWindow(size: number, sigma: number): Float32Array {
  const weights = new Float32Array(size * size)
  const half = (size - 1) / 2
  let total = 0
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const w = Math.exp(-((x - half) ** 2 + (y - half) ** 2) / (2 * sigma * sigma))
      weights[y * size + x] = w
      total += w
    }
  }
  for (let i = 0; i < weights.length; i++) weights[i] = (weights[i] ?? 0) / total
  return weights
}

/**
 * Mean SSIM over every window position that fits in a `width × height` image ('valid' region), per channel of HWC
 * pixels and averaged over the channels, as the back end and scikit-image's `channel_axis` do.
 * NaN (shown as "—") when the image is smaller than the window, see `hasSsim`: shrinking the window would give
 * another measure under SSIM's name, one the back end never reports.
 */
export function ssim(a: Float32Array, b: Float32Array, width: number, height: number, channels = 1): number {
  if (a.length !== b.length || a.length !== width * height * channels) {
    throw new Error(
      `SSIM needs two images of the same size: ${width}×${height} pixels, ${channels} channel(s) each.`,
    )
  }
  if (!hasSsim(width, height)) return NaN
  const window = gaussianWindow(SSIM_WINDOW, SSIM_SIGMA)
  const c1 = 0.01 ** 2
  const c2 = 0.03 ** 2
  // Every channel has as many windows, so the mean over all of them is the mean of the per-channel means.
  let total = 0
  let count = 0
  for (let channel = 0; channel < channels; channel++) {
    for (let y0 = 0; y0 + SSIM_WINDOW <= height; y0++) {
      for (let x0 = 0; x0 + SSIM_WINDOW <= width; x0++) {
        let meanA = 0
        let meanB = 0
        for (let y = 0; y < SSIM_WINDOW; y++) {
          for (let x = 0; x < SSIM_WINDOW; x++) {
            const w = window[y * SSIM_WINDOW + x] ?? 0
            const i = ((y0 + y) * width + x0 + x) * channels + channel
            meanA += w * (a[i] ?? 0)
            meanB += w * (b[i] ?? 0)
          }
        }
        let varA = 0
        let varB = 0
        let cov = 0
        for (let y = 0; y < SSIM_WINDOW; y++) {
          for (let x = 0; x < SSIM_WINDOW; x++) {
            const w = window[y * SSIM_WINDOW + x] ?? 0
            const i = ((y0 + y) * width + x0 + x) * channels + channel
            const da = (a[i] ?? 0) - meanA
            const db = (b[i] ?? 0) - meanB
            varA += w * da * da
            varB += w * db * db
            cov += w * da * db
          }
        }
        total +=
          ((2 * meanA * meanB + c1) * (2 * cov + c2)) / ((meanA ** 2 + meanB ** 2 + c1) * (varA + varB + c2))
        count++
      }
    }
  }
  return total / count
}

/**
 * |a − b| per pixel of HWC images, one value per pixel: with several channels, the mean over them, so the picture
 * shows the error the figures count rather than hiding a channel's.
 */
export function absoluteDifference(a: Float32Array, b: Float32Array, channels = 1): Float32Array {
  const out = new Float32Array(a.length / channels)
  for (let pixel = 0; pixel < out.length; pixel++) {
    let sum = 0
    for (let channel = 0; channel < channels; channel++) {
      const i = pixel * channels + channel
      sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0))
    }
    out[pixel] = sum / channels
  }
  return out
}

/** Latency summary for the Draw view: the p-th percentile (nearest-rank) of a list of milliseconds. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN
  const sorted = [...values].sort((x, y) => x - y)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? NaN
}
