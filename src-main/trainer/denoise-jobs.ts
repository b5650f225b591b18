// Photo denoising jobs inside the inference process (the Denoise view): decode the photo (and its clean reference)
// through image-io's guards, answer at once with its size, then denoise tile by tile in the background with progress
// events and cancellation, and keep the results as encoded PNGs (and 16-bit difference maps) for a few jobs, so the
// UI fetches each picture when it shows it instead of one huge message.
import sharp from 'sharp'
import type { Autoencoder } from '../ml/architectures/index'
import {
  absoluteDifference,
  addNoise,
  amplifyDifference,
  checkPhotoFits,
  compareImages,
  denoiseImage,
  greyscaleResult,
  isGreyscale,
  modelGeometry,
  type ImageMetrics,
} from '../ml/denoise-image'
import { BottleneckError, isBottleneckError } from '../ml/errors'
import { decodeImage, decodePhoto, encodePng, type ImageData } from '../ml/image-io'
import { planTiles } from '../ml/tiling'
import { toNoiseSpec } from './images'
import type {
  DenoiseDoneEvent,
  DenoiseImageKind,
  DenoiseImageParams,
  DenoiseImageSource,
  TrainerEvent,
  TrainerMethods,
} from './protocol'

/**
 * Finished jobs whose pictures stay fetchable; older ones are dropped (their PNGs can be tens of megabytes). Two: the
 * view puts the previous result back when the next photo is refused, and may then fetch more of its pictures.
 */
export const KEPT_JOBS = 2
/** Progress events at most this often: a 24 MP photo has hundreds of tiles. */
const PROGRESS_INTERVAL_MS = 150

interface Job {
  id: string
  controller: AbortController
  width: number
  height: number
  pngs: Map<'input' | 'denoised' | 'reference', Buffer>
  differences: Map<'difference' | 'error', Uint16Array>
  /** The photo's transparency, put back on the input and denoised pictures (the model sees it composited on white). */
  alpha: Uint8Array | null
  finished: boolean
}

/** A model lent until `release` (when given): a photo job holds it for seconds, a latent call while data loads. */
export interface LentModel {
  autoencoder: Autoencoder
  release?(): void
}

export interface DenoiseJobsDeps {
  loadModel(storeRoot: string, modelId: string): Promise<LentModel>
  emit(
    event: Extract<TrainerEvent, { name: 'inference.onDenoiseProgress' | 'inference.onDenoiseDone' }>,
  ): void
  log(level: 'info' | 'warn' | 'error', message: string): void
}

function sourceName(source: DenoiseImageSource): string {
  return 'path' in source ? (source.path.split(/[\\/]/).pop() ?? 'the photo') : source.name
}

/** What image-io's decoders take for a photo sent by path or as bytes, named as the view names it. */
function decodeArguments(source: DenoiseImageSource, channels: 1 | 3, maxPixels: number) {
  return [
    'path' in source ? source.path : source.bytes,
    // The photo's colour under its alpha (decodePhoto's), for the reference too: the two are compared as decoded.
    { channels, maxPixels, name: `"${sourceName(source)}"`, transparency: 'colour' as const },
  ] as const
}

export function createDenoiseJobs(deps: DenoiseJobsDeps) {
  const jobs = new Map<string, Job>()

  function forgetOldJobs(): void {
    const finished = [...jobs.values()].filter((job) => job.finished)
    for (const job of finished.slice(0, Math.max(0, finished.length - KEPT_JOBS))) jobs.delete(job.id)
  }

  async function run(
    job: Job,
    { autoencoder, release }: LentModel,
    input: ImageData,
    reference: ImageData | undefined,
    tileSize: number | undefined,
    greyscale: boolean,
  ): Promise<void> {
    const started = performance.now()
    let lastProgress = 0
    let payload: DenoiseDoneEvent
    try {
      const result = await denoiseImage(autoencoder, input, {
        tileSize,
        signal: job.controller.signal,
        onProgress: ({ done, total }) => {
          const now = performance.now()
          if (done < total && done > 0 && now - lastProgress < PROGRESS_INTERVAL_MS) return
          lastProgress = now
          deps.emit({ name: 'inference.onDenoiseProgress', payload: { jobId: job.id, done, total } })
        },
      })
      const denoised = greyscale ? greyscaleResult(result) : result
      const seconds = (performance.now() - started) / 1000
      let metrics: { input: ImageMetrics; denoised: ImageMetrics } | undefined
      if (reference) {
        metrics = { input: compareImages(reference, input), denoised: compareImages(reference, denoised) }
        job.differences.set('error', absoluteDifference(reference, denoised))
        job.pngs.set('reference', await encodePng(reference))
      }
      job.differences.set('difference', absoluteDifference(input, denoised))
      job.pngs.set('input', await encodePng(input, job.alpha))
      job.pngs.set('denoised', await encodePng(denoised, job.alpha))
      const megapixels = (input.width * input.height) / 1e6
      payload = {
        jobId: job.id,
        status: 'completed',
        seconds,
        megapixelsPerSecond: seconds > 0 ? megapixels / seconds : undefined,
        ...(metrics ? { metrics: finiteMetrics(metrics) } : {}),
        images: ['input', 'denoised', 'difference', ...(reference ? (['reference', 'error'] as const) : [])],
      }
    } catch (error) {
      job.pngs.clear()
      job.differences.clear()
      const cancelled = isBottleneckError(error) && error.code === 'CANCELLED'
      if (!isBottleneckError(error)) {
        deps.log(
          'error',
          `denoise job ${job.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        )
      }
      payload = {
        jobId: job.id,
        status: cancelled ? 'cancelled' : 'failed',
        seconds: (performance.now() - started) / 1000,
        images: [],
        ...(cancelled
          ? {}
          : {
              error: isBottleneckError(error)
                ? { code: error.code, message: error.message }
                : { code: 'INTERNAL', message: 'Denoising failed unexpectedly; the log has the details.' },
            }),
      }
    }
    // Before the done event: by then the model may be evicted or replaced (and is disposed once returned).
    release?.()
    job.finished = true
    forgetOldJobs()
    deps.emit({ name: 'inference.onDenoiseDone', payload })
  }

  const start = async (params: DenoiseImageParams): Promise<TrainerMethods['denoiseImage']['result']> => {
    if (jobs.has(params.jobId))
      throw new BottleneckError('INVALID_INPUT', 'This denoising job already exists.')
    const model = await deps.loadModel(params.storeRoot, params.modelId)
    try {
      return await startJob(params, model)
    } catch (error) {
      model.release?.()
      throw error
    }
  }

  /** Reads the photo, answers with its size and starts denoising it; the job returns the model when it ends. */
  async function startJob(
    params: DenoiseImageParams,
    model: LentModel,
  ): Promise<TrainerMethods['denoiseImage']['result']> {
    const { autoencoder } = model
    const geometry = modelGeometry(autoencoder)
    // Read once: the pixels, the transparency put back on the pictures and what of the photo is not denoised.
    const {
      image: clean,
      alpha,
      notes,
    } = await decodePhoto(...decodeArguments(params.source, geometry.channels, params.maxPixels))
    let reference: ImageData | undefined
    if (params.reference) {
      reference = await decodeImage(...decodeArguments(params.reference, geometry.channels, params.maxPixels))
      compareSizes(reference, clean, sourceName(params.reference), sourceName(params.source))
    }
    checkPhotoFits(`This ${autoencoder.config.architecture} model`, geometry, clean, `"${sourceName(params.source)}"`)
    const spec = toNoiseSpec(params.noise)
    // With synthetic noise the clean photo itself is the reference (unless the user gave another one).
    const input = spec.kind === 'none' ? clean : addNoise(clean, spec, params.seed ?? 1)
    if (spec.kind !== 'none' && !reference) reference = clean
    // A new job replaces a running one: the view shows one photo at a time.
    for (const job of jobs.values()) if (!job.finished) job.controller.abort()
    const job: Job = {
      id: params.jobId,
      controller: new AbortController(),
      width: clean.width,
      height: clean.height,
      pngs: new Map(),
      differences: new Map(),
      alpha,
      finished: false,
    }
    jobs.set(job.id, job)
    const tiles = geometry.anySize
      ? planTiles(clean.height, clean.width, {
          tileSize: Math.max(params.tileSize ?? 256, 2 * geometry.overlap + geometry.multiple * 8),
          overlap: geometry.overlap,
          multiple: geometry.multiple,
        }).origins.length
      : 1
    // Judged on the photo before any synthetic noise, which is drawn per channel and would make it look coloured.
    const greyscale = geometry.channels === 3 && isGreyscale(clean)
    void run(job, model, input, reference, params.tileSize, greyscale)
    return { width: clean.width, height: clean.height, channels: geometry.channels, tiles, notes }
  }

  const cancel = async ({ jobId }: { jobId: string }): Promise<{ cancelled: boolean }> => {
    const job = jobs.get(jobId)
    if (!job || job.finished) return { cancelled: false }
    job.controller.abort()
    return { cancelled: true }
  }

  const result = async ({
    jobId,
    image,
    gain,
  }: {
    jobId: string
    image: DenoiseImageKind
    gain: number
  }): Promise<TrainerMethods['denoiseResult']['result']> => {
    const job = jobs.get(jobId)
    if (!job) {
      throw new BottleneckError(
        'INVALID_INPUT',
        'That denoising result is no longer kept (only the last two are); run the photo again.',
      )
    }
    if (!job.finished) throw new BottleneckError('INVALID_INPUT', 'This photo is still being denoised.')
    const { width, height } = job
    if (image === 'difference' || image === 'error') {
      const difference = job.differences.get(image)
      if (!difference) throw notAvailable(image)
      const png = await sharp(amplifyDifference(difference, gain), { raw: { width, height, channels: 1 } })
        .toColourspace('b-w')
        .png({ compressionLevel: 6 })
        .toBuffer()
      return { png, width, height }
    }
    const png = job.pngs.get(image)
    if (!png) throw notAvailable(image)
    return { png, width, height }
  }

  return { start, cancel, result, jobs }
}

function notAvailable(image: DenoiseImageKind): BottleneckError {
  return new BottleneckError(
    'INVALID_INPUT',
    image === 'reference' || image === 'error'
      ? 'This photo has no clean reference; drop one, or add synthetic noise to a clean photo.'
      : 'This denoising job has no such picture (it failed or was cancelled).',
  )
}

function compareSizes(
  reference: ImageData,
  photo: ImageData,
  referenceName: string,
  photoName: string,
): void {
  if (reference.width !== photo.width || reference.height !== photo.height) {
    throw new BottleneckError(
      // Its own code: the view sets the reference aside and keeps the photo, which is fine.
      'REFERENCE_MISMATCH',
      `The reference "${referenceName}" is ${reference.width}×${reference.height} but "${photoName}" is ` +
        `${photo.width}×${photo.height}; a clean reference must be the same picture at the same size.`,
    )
  }
}

/** A perfect result has PSNR Infinity, which JSON cannot carry; 100 dB is "identical" for 8-bit images. */
function finiteMetrics(metrics: { input: ImageMetrics; denoised: ImageMetrics }) {
  const fix = (m: ImageMetrics) => ({ ...m, psnr: Number.isFinite(m.psnr) ? m.psnr : 100 })
  return { input: fix(metrics.input), denoised: fix(metrics.denoised) }
}
