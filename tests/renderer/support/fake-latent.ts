// The Latent view's calls on the in-memory fake API: a map whose points and labels follow the test index (so tests
// know where point i is and what digit it is), samples, interpolations and a VAE grid built from the fake's digits.
// Labels are MNIST's digits (i mod 10) unless a test gives its own dataset, e.g. EMNIST's letters 1–26.
// Each call is recorded like the fake's others; `hold` keeps answers of a call back until the test releases them.
import { ApiError, type Image, type LatentGrid, type LatentInterpolation, type LatentMap } from '@contract'
import { digitImage, type FakeApi } from './fake-api'

export interface LatentFake {
  /** From now on, holds back every answer of `name` until a `release()` lets one through. */
  hold(name: string): void
  /** Lets one held call of `name` answer: the oldest, or the newest (to make an older answer arrive late). */
  release(name: string, which?: 'oldest' | 'newest'): Promise<void>
}

/** Where the fake map puts test image i: a spiral, so neighbours in index are neighbours on the plane. */
export function fakePoint(index: number): [number, number] {
  const angle = index * 0.35
  const radius = 0.5 + index * 0.01
  return [Number((radius * Math.cos(angle)).toPrecision(4)), Number((radius * Math.sin(angle)).toPrecision(4))]
}

function shade(image: Image, factor: number): Image {
  return { ...image, data: image.data.map((v) => Math.round(v * factor)) }
}

export interface LatentDataset {
  /** The dataset's name, as the map's caption shows it. */
  name: string
  /** The label of test image i. */
  labelOf(index: number): number
}

const MNIST: LatentDataset = { name: 'MNIST', labelOf: (index) => index % 10 }

export function installLatentFake(api: FakeApi, dataset: LatentDataset = MNIST): LatentFake {
  const held = new Map<string, (() => void)[]>()
  const holding = new Set<string>()
  const failures = new Map<string, { code: string; message: string }>()
  const originalFailNext = api.failNext.bind(api)
  api.failNext = (name, code, message) => {
    if (name.startsWith('latent.')) failures.set(name, { code, message })
    else originalFailNext(name, code, message)
  }

  function handler<P, R>(name: string, body: (payload: P) => R) {
    return async (payload: P): Promise<R> => {
      api.calls.push({ name, payload })
      if (holding.has(name)) await new Promise<void>((resolve) => held.set(name, [...(held.get(name) ?? []), resolve]))
      else await Promise.resolve()
      const failure = failures.get(name)
      if (failure) {
        failures.delete(name)
        throw new ApiError(failure.code, failure.message)
      }
      return body(payload)
    }
  }

  function model(id: string) {
    const found = api.state.models.find((m) => m.id === id)
    if (!found) throw new ApiError('MODEL_NOT_FOUND', `There is no model with the id "${id}".`)
    if (found.architecture === 'unet' || found.architecture === 'denoiser')
      throw new ApiError('INVALID_INPUT', `A ${found.architecture} model has no single code layer, so it has no latent space to show.`)
    return found
  }

  ;(api as unknown as Record<string, unknown>).latent = {
    map: handler('latent.map', ({ id, limit = 2000 }: { id: string; limit?: number }): LatentMap => {
      const found = model(id)
      const count = Math.min(limit, 10000)
      const points: number[] = []
      for (let i = 0; i < count; i++) points.push(...fakePoint(i))
      return {
        modelId: id,
        method: found.codeSize === 2 ? 'code' : 'pca',
        dimensions: found.codeSize,
        count,
        points,
        labels: Array.from({ length: count }, (_, i) => dataset.labelOf(i)),
        ...(found.codeSize === 2 ? {} : { explainedRatio: [0.4, 0.2] as [number, number] }),
        dataset: dataset.name,
        testCount: 10000,
      }
    }),
    samples: handler('latent.samples', ({ id, indices }: { id: string; indices: number[] }) => {
      const found = model(id)
      // At the model's own size: a photo model's patches are not 28×28.
      const side = found.inputShape[0]
      return {
        samples: indices.map((index) => ({
          index,
          label: dataset.labelOf(index),
          original: digitImage(index, side),
          reconstruction: shade(digitImage(index, side), 0.8),
          code: Array.from({ length: found.codeSize }, (_, k) => index / 100 + k),
          metrics: { mse: 0.01, psnr: 20 + (index % 7), ssim: 0.9 },
        })),
      }
    }),
    interpolate: handler(
      'latent.interpolate',
      ({ id, from, to, steps = 10 }: { id: string; from: number; to: number; steps?: number }): LatentInterpolation => {
        model(id)
        return {
          images: Array.from({ length: steps }, (_, i) => shade(digitImage(i), 0.5 + (0.5 * i) / steps)),
          from: { index: from, label: dataset.labelOf(from), original: digitImage(from) },
          to: { index: to, label: dataset.labelOf(to), original: digitImage(to) },
        }
      },
    ),
    generate: handler(
      'latent.generate',
      ({ id, n = 15, from = 0.05, to = 0.95 }: { id: string; n?: number; from?: number; to?: number }): LatentGrid => {
        const found = model(id)
        if (found.architecture !== 'vae')
          throw new ApiError('INVALID_INPUT', `Only a VAE can generate images from its prior; this model is ${found.architecture}.`)
        const side = n * 28
        return {
          image: { width: side, height: side, channels: 1, data: new Array<number>(side * side).fill(128) },
          n,
          from,
          to,
          zFrom: from === 0.05 ? -1.645 : -2.326,
          zTo: to === 0.95 ? 1.645 : 2.326,
        }
      },
    ),
  }

  return {
    hold(name) {
      holding.add(name)
    },
    async release(name, which = 'oldest') {
      const waiting = held.get(name) ?? []
      const next = which === 'oldest' ? waiting.shift() : waiting.pop()
      next?.()
      await new Promise((resolve) => setTimeout(resolve, 0))
    },
  }
}
