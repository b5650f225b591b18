// The Denoise view's state: the photo (and optional clean reference), the model and synthetic noise, the running job
// with its progress and cancel, the finished pictures as object URLs, and the zoom/pan every pane shares.
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef } from 'vue'
import {
  ApiError,
  type DenoiseDone,
  type DenoiseImageKind,
  type ModelSummary,
  type Noise,
  type PhotoSource,
} from '@contract'
import { useApi } from '@renderer/api'
import { toUserError, type UserError } from '@renderer/api/errors'
import { downloadBlob } from '@renderer/lib/images'
import { forgetGoneModel, isModelGone } from '@renderer/lib/model-gone'
import { base64ToBytes, photoSource, stem } from '@renderer/lib/photos'
import type { NoiseType } from '@renderer/lib/noise'

/** Fully convolutional models denoise photos: a U-Net takes any size; the MNIST denoiser and conv only theirs. */
export function isDenoisingModel(model: Pick<ModelSummary, 'architecture'>): boolean {
  return model.architecture === 'unet' || model.architecture === 'denoiser' || model.architecture === 'conv'
}

export function takesAnySize(model: Pick<ModelSummary, 'architecture'>): boolean {
  return model.architecture === 'unet'
}

export const DIFFERENCE_GAINS = [1, 2, 4, 8, 16, 32] as const
export const MIN_ZOOM = 0.25
export const MAX_ZOOM = 32
/** Tiles of 512 px: few model calls for a 24 MP photo, and bounded memory in the inference process. */
const TILE_SIZE = 512

/** Errors about the file itself, which trying again cannot fix. */
const UNREADABLE_IMAGE_CODES = ['IMAGE_UNREADABLE', 'IMAGE_INVALID', 'IMAGE_TOO_LARGE']
/** The back end's refusal of a clean reference whose size differs from the photo's. */
const REFERENCE_MISMATCH = 'REFERENCE_MISMATCH'

export type JobState = 'idle' | 'starting' | 'running' | 'cancelling' | 'completed' | 'cancelled' | 'failed'

interface PhotoFile {
  name: string
  source: PhotoSource
  /** Bytes on disk, for the "12.3 MB" label. */
  size: number
  /** Its size in pixels once the back end has read it: still known when a later run of it fails. */
  pixels?: { width: number; height: number }
}

interface DenoiseJob {
  jobId: string
  /** The model that made (or is making) this job's result. */
  modelId: string
  width: number
  height: number
  tiles: number
  /** What of the photo is not denoised (an animation's later frames, a 16-bit PNG's lower bits), in sentences. */
  notes: string[]
  /** The synthetic noise added first (undefined: none) and the clean reference measured against: the settings
   * that made the result, which the view compares with the current ones. */
  noise: Noise | undefined
  referenceName: string | null
}

/** A finished result as the view shows it, kept while the next run is on its way: a refused file loses nothing,
 * and a cancelled or failed run of the same photo leaves it on screen. */
interface ShownResult {
  photo: PhotoFile | null
  reference: PhotoFile | null
  job: DenoiseJob
  result: DenoiseDone | null
  progress: { done: number; total: number }
  urls: Record<string, string>
  blobs: Map<string, Blob>
}

export const useDenoiseStore = defineStore('denoise', () => {
  const photo = shallowRef<PhotoFile | null>(null)
  const reference = shallowRef<PhotoFile | null>(null)
  const modelId = ref<string | null>(null)
  const noiseType = ref<'none' | NoiseType>('none')
  const noiseLevel = ref(0.1)
  /** The model the noise settings were last set for: choosing another model starts from the noise it was trained on. */
  const noiseModelId = ref<string | null>(null)

  const state = ref<JobState>('idle')
  const job = ref<DenoiseJob | null>(null)
  const progress = ref({ done: 0, total: 0 })
  const result = ref<DenoiseDone | null>(null)
  const error = ref<UserError | null>(null)
  /** Object URLs by picture ('input', 'denoised', 'difference@8' …), revoked when a new job starts. */
  const urls = ref<Record<string, string>>({})
  const loadingPictures = ref(0)

  const gain = ref<number>(8)
  const differenceKind = ref<'difference' | 'error'>('difference')
  /** Shared by every pane: zoom 1 fits the photo; (centerX, centerY) is the photo point at the panes' centre (0–1). */
  const viewport = reactive({ zoom: 1, centerX: 0.5, centerY: 0.5 })
  /** Where the before/after divider sits, 0 (all after) … 1 (all before). */
  const split = ref(0.5)
  /** The panes' inner size in screen pixels (they are laid out alike), for clamping the pan; null until measured. */
  let paneSize: { width: number; height: number } | null = null
  /** How the last run ended when it put the previous result back on screen instead of its own. */
  const interruptedRun = ref<'cancelled' | 'failed' | null>(null)

  const busy = computed(
    () => state.value === 'starting' || state.value === 'running' || state.value === 'cancelling',
  )
  const fraction = computed(() => (progress.value.total > 0 ? progress.value.done / progress.value.total : 0))
  /** The current job's first progress event: when it came (Date.now()) and how many tiles it counted. The pace is
   * measured from there, not from the start call's answer, which the back end sends after its first tile. */
  const paceFrom = ref<{ at: number; done: number } | null>(null)
  /** Seconds until the last tile at the pace so far; null until two more tiles have told a pace. */
  const secondsLeft = computed(() => {
    const { done, total } = progress.value
    const from = paceFrom.value
    if (state.value !== 'running' || !from || done - from.done < 2 || done >= total) return null
    return ((Date.now() - from.at) / 1000 / (done - from.done)) * (total - done)
  })

  function setProgress(next: { done: number; total: number }): void {
    progress.value = next
    paceFrom.value ??= { at: Date.now(), done: next.done }
  }
  const hasReference = computed(() => reference.value !== null || noiseType.value !== 'none')

  // Events for a job can arrive before its start call answers (the first progress event does): keep them here.
  const early = new Map<string, { progress?: { done: number; total: number }; done?: DenoiseDone }>()
  let listening = false
  /** Counts runs (and drops): a start call that answers after a newer run began belongs to nobody. */
  let latestRun = 0
  /** The run whose Cancel was pressed before its start call answered with a job id to cancel. */
  let cancelWantedForRun: number | null = null
  /** The last finished result while a newer run works: released when that run completes, put back if it fails or
   * is cancelled. Passed on from run to run until one of them ends. */
  let previousResult: ShownResult | null = null

  function listen(): void {
    if (listening) return
    listening = true
    const api = useApi()
    api.inference.onDenoiseProgress(({ jobId, done, total }) => {
      if (job.value?.jobId === jobId) {
        setProgress({ done, total })
        if (state.value === 'starting') state.value = 'running'
      } else remember(jobId, { progress: { done, total } })
    })
    api.inference.onDenoiseDone((done) => {
      if (job.value?.jobId === done.jobId) void finish(done)
      else remember(done.jobId, { done })
    })
  }

  function remember(
    jobId: string,
    entry: { progress?: { done: number; total: number }; done?: DenoiseDone },
  ) {
    early.set(jobId, { ...early.get(jobId), ...entry })
    // Only a handful can be in flight; anything older belongs to a job nobody waits for.
    while (early.size > 8) early.delete(early.keys().next().value!)
  }

  // The PNGs themselves, for export: fetching a blob: URL back would need a looser Content-Security-Policy.
  const blobs = new Map<string, Blob>()

  function clearPictures(): void {
    for (const url of Object.values(urls.value)) URL.revokeObjectURL(url)
    urls.value = {}
    blobs.clear()
  }

  /** The synthetic noise the controls ask for, as the contract sends it; undefined for none. */
  const chosenNoise = computed<Noise | undefined>(() => {
    if (noiseType.value === 'none' || noiseLevel.value <= 0) return undefined
    return noiseType.value === 'gaussian' || noiseType.value === 'speckle'
      ? { type: noiseType.value, stddev: noiseLevel.value }
      : { type: noiseType.value, amount: noiseLevel.value }
  })

  /** A file as the contract sends it. An empty one is refused here: the contract would answer with a schema message. */
  async function readPhoto(file: File): Promise<PhotoFile> {
    if (file.size === 0) throw new ApiError('IMAGE_EMPTY', `"${file.name}" is empty (0 bytes).`)
    return { name: file.name, source: await photoSource(file), size: file.size }
  }

  /** Takes a photo (with its clean reference when two were dropped together) and denoises it. A file that cannot be
   * read is not taken: the message names it. A photo dropped alone drops the reference, which was the previous
   * photo's: measured against another picture, PSNR and SSIM would be meaningless. */
  async function setPhoto(file: File, referenceFile?: File): Promise<void> {
    error.value = null
    let next: PhotoFile
    try {
      next = await readPhoto(file)
    } catch (cause) {
      error.value = toUserError(cause)
      return
    }
    let nextReference: PhotoFile | null = null
    if (referenceFile) {
      try {
        nextReference = await readPhoto(referenceFile)
      } catch (cause) {
        // The photo waits without a reference ("Denoise again" runs it alone): denoising now would replace the message.
        dropJob()
        photo.value = next
        reference.value = null
        state.value = 'idle'
        error.value = toUserError(cause)
        return
      }
    }
    await run({ photo: next, reference: nextReference })
  }

  async function setReference(file: File | null): Promise<void> {
    error.value = null
    let next: PhotoFile | null = null
    if (file) {
      try {
        next = await readPhoto(file)
      } catch (cause) {
        error.value = toUserError(cause)
        return
      }
    }
    if (photo.value) await run({ photo: photo.value, reference: next })
    else reference.value = next
  }

  /** Forgets the current job and its pictures. A job still working is cancelled, and a start call still on its way
   * will find itself outdated (see run). With `keep`, a finished result (or the one kept from before a run still
   * working) stays as the previous result instead of being revoked; without it, that one goes too. */
  function dropJob(keep = false): void {
    const current = job.value
    if (current && busy.value)
      void useApi()
        .inference.cancelDenoise({ jobId: current.jobId })
        .catch(() => undefined)
    if (keep && current && state.value === 'completed') {
      releasePrevious()
      previousResult = {
        photo: photo.value,
        reference: reference.value,
        job: current,
        result: result.value,
        progress: progress.value,
        urls: urls.value,
        blobs: new Map(blobs),
      }
      urls.value = {}
      blobs.clear()
    } else {
      if (!keep) releasePrevious()
      clearPictures()
    }
    latestRun++
    job.value = null
    result.value = null
    progress.value = { done: 0, total: 0 }
    paceFrom.value = null
  }

  /** Puts the previous result back on screen. With `files`, the photo and reference it was made from come back too
   * (the newer ones were refused); without, the current ones stay, and the view says if the settings differ. */
  function restorePrevious(files: 'with files' | 'keep current files'): void {
    const shown = previousResult!
    previousResult = null
    clearPictures()
    if (files === 'with files') {
      photo.value = shown.photo
      reference.value = shown.reference
    }
    job.value = shown.job
    result.value = shown.result
    progress.value = shown.progress
    urls.value = shown.urls
    for (const [name, blob] of shown.blobs) blobs.set(name, blob)
    state.value = 'completed'
  }

  /** After a run of the current photo is cancelled or fails: its previous result, if any, is shown again. */
  function putBackPreviousResult(ended: 'cancelled' | 'failed'): boolean {
    if (!previousResult || previousResult.photo?.source !== photo.value?.source) return false
    restorePrevious('keep current files')
    interruptedRun.value = ended
    return true
  }

  function releasePrevious(): void {
    if (previousResult) for (const url of Object.values(previousResult.urls)) URL.revokeObjectURL(url)
    previousResult = null
  }

  /** Starts denoising the photo with the chosen model; a running job is replaced (the back end cancels it). `next`
   * names the photo and reference to use instead of the current ones: they are taken once the back end has read
   * them, and if it refuses one of them, a finished result on screen stays as it was. */
  async function run(next: { photo: PhotoFile; reference: PhotoFile | null } | null = null): Promise<void> {
    listen()
    const chosenModel = modelId.value
    const current = next?.photo ?? photo.value
    if (!current || !chosenModel) return
    const currentReference = next ? next.reference : reference.value
    dropJob(true)
    photo.value = current
    reference.value = currentReference
    const thisRun = latestRun
    error.value = null
    interruptedRun.value = null
    state.value = 'starting'
    const extra = chosenNoise.value
    try {
      const started = await useApi().inference.denoiseImage({
        id: chosenModel,
        source: current.source,
        ...(currentReference ? { reference: currentReference.source } : {}),
        ...(extra ? { noise: extra } : {}),
        tileSize: TILE_SIZE,
      })
      // Another photo or setting came while this one was being decoded: the newest wins (and keeps the previous
      // result).
      if (thisRun !== latestRun) {
        void useApi()
          .inference.cancelDenoise({ jobId: started.jobId })
          .catch(() => undefined)
        return
      }
      photo.value = { ...current, pixels: { width: started.width, height: started.height } }
      job.value = {
        ...started,
        modelId: chosenModel,
        noise: extra,
        referenceName: currentReference?.name ?? null,
      }
      progress.value = { done: 0, total: started.tiles }
      const cancelWanted = cancelWantedForRun === thisRun
      if (!cancelWanted) state.value = 'running'
      const waiting = early.get(started.jobId)
      early.delete(started.jobId)
      if (waiting?.progress) setProgress(waiting.progress)
      if (waiting?.done) await finish(waiting.done)
      // Cancel was pressed while the photo was being read, before the job had an id to cancel.
      else if (cancelWanted) await requestCancel(started.jobId)
    } catch (cause) {
      if (thisRun !== latestRun) return
      // A model gone from the store is named, and the model list reloaded so the picker moves on to another one; the
      // message stays where every failed run is told, beside the photo, which waits for "Denoise again".
      const problem: UserError = isModelGone(cause)
        ? { code: 'MODEL_NOT_FOUND', message: await forgetGoneModel(chosenModel) }
        : toUserError(cause)
      // The reload took a moment, in which a newer run may have started.
      if (thisRun !== latestRun) return
      if (previousResult && isRefusedFile(problem)) restorePrevious('with files')
      else if (!putBackPreviousResult('failed')) {
        releasePrevious()
        state.value = 'failed'
        forgetRefusedFile(problem)
      }
      error.value = problem
    }
  }

  function isRefusedFile(problem: UserError): boolean {
    return UNREADABLE_IMAGE_CODES.includes(problem.code) || problem.code === REFERENCE_MISMATCH
  }

  /** A file the back end refuses is not kept as the photo (or reference) to "denoise again": the message names it,
   * and the drop zone (or the reference slot) comes back for another one. */
  function forgetRefusedFile(problem: UserError): void {
    if (!isRefusedFile(problem)) return
    const namesReference = reference.value !== null && problem.message.includes(reference.value.name)
    const namesPhoto = photo.value !== null && problem.message.includes(photo.value.name)
    if (problem.code === REFERENCE_MISMATCH || (namesReference && !namesPhoto)) reference.value = null
    else photo.value = null
  }

  /** Stops the job after its current tile; before its start call answers, run() sends the cancel once it does. */
  async function cancel(): Promise<void> {
    if (state.value !== 'starting' && state.value !== 'running') return
    state.value = 'cancelling'
    if (job.value) await requestCancel(job.value.jobId)
    else cancelWantedForRun = latestRun
  }

  async function requestCancel(jobId: string): Promise<void> {
    try {
      await useApi().inference.cancelDenoise({ jobId })
    } catch (cause) {
      error.value = toUserError(cause)
    }
  }

  async function finish(done: DenoiseDone): Promise<void> {
    if (done.error) error.value = toUserError(done.error)
    if (done.status !== 'completed') {
      if (!putBackPreviousResult(done.status)) {
        releasePrevious()
        result.value = done
        state.value = done.status
      }
      return
    }
    releasePrevious()
    result.value = done
    progress.value = { done: progress.value.total, total: progress.value.total }
    state.value = 'completed'
    viewport.zoom = 1
    viewport.centerX = 0.5
    viewport.centerY = 0.5
    await Promise.all([picture('input'), picture('denoised'), differencePicture()])
  }

  function key(kind: DenoiseImageKind, pictureGain = 1): string {
    return kind === 'difference' || kind === 'error' ? `${kind}@${pictureGain}` : kind
  }

  /** Fetches one picture of the finished job (once) and returns its object URL. */
  async function picture(kind: DenoiseImageKind, pictureGain = 1): Promise<string | null> {
    const current = job.value
    if (!current || !result.value?.images.includes(kind)) return null
    const name = key(kind, pictureGain)
    if (urls.value[name]) return urls.value[name]!
    loadingPictures.value++
    try {
      const { png } = await useApi().inference.denoiseResult({
        jobId: current.jobId,
        image: kind,
        gain: pictureGain,
      })
      // The job may have been replaced while the picture travelled.
      if (job.value?.jobId !== current.jobId) return null
      const blob = new Blob([base64ToBytes(png)], { type: 'image/png' })
      const url = URL.createObjectURL(blob)
      blobs.set(name, blob)
      urls.value = { ...urls.value, [name]: url }
      return url
    } catch (cause) {
      error.value = toUserError(cause)
      return null
    } finally {
      loadingPictures.value--
    }
  }

  function differencePicture(): Promise<string | null> {
    return picture(differenceKind.value, gain.value)
  }

  async function setGain(next: number): Promise<void> {
    gain.value = next
    await differencePicture()
  }

  async function setDifferenceKind(next: 'difference' | 'error'): Promise<void> {
    differenceKind.value = next
    await differencePicture()
  }

  /** Saves the denoised photo, or the difference map as shown (kind and gain), as a PNG download. */
  async function exportPicture(kind: 'denoised' | 'difference'): Promise<string | null> {
    const wanted = kind === 'denoised' ? key('denoised') : key(differenceKind.value, gain.value)
    if (!blobs.has(wanted)) {
      if (kind === 'denoised') await picture('denoised')
      else await differencePicture()
    }
    const blob = blobs.get(wanted)
    if (!blob || !photo.value) return null
    const base = stem(photo.value.name)
    const fileName =
      kind === 'denoised'
        ? `${base}.denoised.png`
        : `${base}.${differenceKind.value === 'error' ? 'error' : 'difference'}-x${gain.value}.png`
    downloadBlob(blob, fileName)
    return fileName
  }

  const differenceUrl = computed(() => urls.value[key(differenceKind.value, gain.value)] ?? null)

  function setZoom(zoom: number, focus?: { x: number; y: number }): void {
    const next = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom))
    if (focus) {
      // Keep the photo point under the cursor where it is: move the centre toward it by the zoom ratio.
      const ratio = viewport.zoom / next
      viewport.centerX = focus.x + (viewport.centerX - focus.x) * ratio
      viewport.centerY = focus.y + (viewport.centerY - focus.y) * ratio
    }
    viewport.zoom = next
    clampCenter()
  }

  function panBy(dx: number, dy: number): void {
    viewport.centerX += dx
    viewport.centerY += dy
    clampCenter()
  }

  function resetView(): void {
    viewport.zoom = 1
    viewport.centerX = 0.5
    viewport.centerY = 0.5
  }

  /** Each pane reports its size as it is laid out, so the pan can be clamped to what it shows. */
  function setPaneSize(size: { width: number; height: number }): void {
    paneSize = size
    clampCenter()
  }

  /**
   * Keeps the photo in view however it is panned or zoomed: larger than the panes, it covers them (no empty margin
   * can open on a side); smaller, it stays centred. Before the panes are measured, the centre stays on the photo.
   */
  function clampCenter(): void {
    const photoSize = job.value
    if (!paneSize || !photoSize) {
      viewport.centerX = Math.min(1, Math.max(0, viewport.centerX))
      viewport.centerY = Math.min(1, Math.max(0, viewport.centerY))
      return
    }
    // Zoom 1 fits the photo in the pane, as the panes draw it.
    const scale =
      Math.min(paneSize.width / photoSize.width, paneSize.height / photoSize.height) * viewport.zoom
    viewport.centerX = clampAxis(viewport.centerX, paneSize.width / (photoSize.width * scale))
    viewport.centerY = clampAxis(viewport.centerY, paneSize.height / (photoSize.height * scale))
  }

  /** A centre (0–1) along one axis, where `visible` is the fraction of the photo the pane spans on that axis. */
  function clampAxis(center: number, visible: number): number {
    if (visible >= 1) return 0.5
    return Math.min(1 - visible / 2, Math.max(visible / 2, center))
  }

  function setSplit(value: number): void {
    split.value = Math.min(1, Math.max(0, value))
  }

  function clear(): void {
    dropJob()
    photo.value = null
    reference.value = null
    error.value = null
    interruptedRun.value = null
    state.value = 'idle'
  }

  return {
    photo,
    reference,
    modelId,
    noiseType,
    noiseLevel,
    noiseModelId,
    chosenNoise,
    state,
    job,
    progress,
    result,
    error,
    urls,
    loadingPictures,
    gain,
    differenceKind,
    viewport,
    split,
    interruptedRun,
    busy,
    fraction,
    secondsLeft,
    hasReference,
    differenceUrl,
    listen,
    setPhoto,
    setReference,
    run,
    cancel,
    picture,
    exportPicture,
    setGain,
    setDifferenceKind,
    setZoom,
    panBy,
    setPaneSize,
    resetView,
    setSplit,
    clear,
  }
})
