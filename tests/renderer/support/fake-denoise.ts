// Photo denoising for the fake API: records denoiseImage/cancel/result calls, answers with a job the test then drives
// by emitting progress and done events, and returns small distinct PNG payloads per picture and gain.
import { ApiError, type DenoiseDone, type DenoiseImageKind, type DenoiseProgress } from '@contract'
import type { FakeApi } from './fake-api'

type Listener<T> = (payload: T) => void

export interface FakeDenoise {
  /** Payloads of every inference.denoiseImage call. */
  started: Record<string, unknown>[]
  results: { jobId: string; image: DenoiseImageKind; gain: number }[]
  cancelled: string[]
  /** Next start fails with this. */
  failStart: { code: string; message: string } | null
  /** The photo size the next start calls answer with. */
  size: { width: number; height: number }
  /** What the next start calls say is not denoised (see the contract's notes). */
  notes: string[]
  /** Called inside the start call, before it answers (events that overtake the answer). */
  beforeAnswer: ((jobId: string) => void) | null
  /** The next start call waits (as the back end does while it reads a big photo) until the returned function runs. */
  holdNextAnswer(): () => void
  progress(done: number, total?: number, jobId?: string): void
  done(payload?: Partial<DenoiseDone>): DenoiseDone
  lastJobId(): string
}

export function addFakeDenoise(api: FakeApi): FakeDenoise {
  const progressListeners = new Set<Listener<DenoiseProgress>>()
  const doneListeners = new Set<Listener<DenoiseDone>>()
  let count = 0
  let held: Promise<void> | null = null
  const fake: FakeDenoise = {
    started: [],
    results: [],
    cancelled: [],
    failStart: null,
    size: { width: 640, height: 480 },
    notes: [],
    beforeAnswer: null,
    progress(done, total = 4, jobId = fake.lastJobId()) {
      for (const listener of progressListeners) listener({ jobId, done, total })
    },
    done(payload = {}) {
      const event: DenoiseDone = {
        jobId: fake.lastJobId(),
        status: 'completed',
        seconds: 2.5,
        megapixelsPerSecond: 1.2,
        images: ['input', 'denoised', 'difference'],
        ...payload,
      }
      for (const listener of doneListeners) listener(event)
      return event
    },
    lastJobId: () => `denoise-job-${count}`,
    holdNextAnswer() {
      let release!: () => void
      held = new Promise((resolve) => (release = resolve))
      return release
    },
  }
  const inference = api.inference as unknown as Record<string, unknown>
  inference.denoiseImage = async (payload: Record<string, unknown>) => {
    api.calls.push({ name: 'inference.denoiseImage', payload })
    fake.started.push(payload)
    await Promise.resolve()
    if (held) {
      const waiting = held
      held = null
      await waiting
    }
    if (fake.failStart) {
      const failure = fake.failStart
      fake.failStart = null
      throw new ApiError(failure.code, failure.message)
    }
    count++
    fake.beforeAnswer?.(fake.lastJobId())
    return { jobId: fake.lastJobId(), ...fake.size, channels: 3, tiles: 4, notes: fake.notes }
  }
  inference.cancelDenoise = async ({ jobId }: { jobId: string }) => {
    fake.cancelled.push(jobId)
    return { cancelled: true }
  }
  inference.denoiseResult = async ({
    jobId,
    image,
    gain = 1,
  }: {
    jobId: string
    image: DenoiseImageKind
    gain?: number
  }) => {
    fake.results.push({ jobId, image, gain })
    // Not a real PNG: the view only turns it into a blob URL; distinct bytes per picture and gain.
    return { image, width: 640, height: 480, png: btoa(`${image}@${gain}`) }
  }
  inference.onDenoiseProgress = (listener: Listener<DenoiseProgress>) => {
    progressListeners.add(listener)
    return () => progressListeners.delete(listener)
  }
  inference.onDenoiseDone = (listener: Listener<DenoiseDone>) => {
    doneListeners.add(listener)
    return () => doneListeners.delete(listener)
  }
  return fake
}
