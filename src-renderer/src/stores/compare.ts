// The Compare view's state, kept here so it survives switching views: the rows (each image with what the model made
// of it), the synthetic noise, and the model the rows were computed with. A new model or noise reruns every row.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import { DenoiseBaselineSchema, type DenoiseBaseline, type Image, type ModelSummary } from '@contract'
import { useApi } from '@renderer/api'
import { toUserError } from '@renderer/api/errors'
import { useModelsStore, hasCode, isDrawable } from '@renderer/stores/models'
import { folderPatchesFor, useDatasetsStore } from '@renderer/stores/datasets'
import { useNotificationsStore } from '@renderer/stores/notifications'
import { fromContractNoise, toContractNoise, type NoiseType } from '@renderer/lib/noise'
import {
  floatToImage,
  greyToChannels,
  imageChannelsToFloat,
  imageToFloat,
} from '@renderer/lib/contract-images'
import {
  ACCEPTED_IMAGE_FORMATS,
  decodeDigitFile,
  decodeImageFile,
  isAcceptedImage,
} from '@renderer/lib/images'
import { resampleArea, toMnistInput } from '@renderer/lib/digit-preprocess'
import { absoluteDifference, psnr, ssim } from '@renderer/lib/metrics'
import { forgetGoneModel, isModelGone } from '@renderer/lib/model-gone'

export interface CompareRow {
  key: number
  name: string
  /** Clean image at the model's input size, grayscale [0, 1]. */
  clean: Float32Array
  /** The size of `clean`: the input size of the model the row was made or last refitted for. */
  width: number
  height: number
  /** The noisy input and the reconstruction as shown: grayscale, a colour model's channels by luminance. */
  noisy: Float32Array | null
  code: number[] | null
  reconstruction: Float32Array | null
  /** |clean − reconstruction| per pixel, averaged over the channels the model output. */
  difference: Float32Array | null
  /** Over every channel the model output, each against the clean grey, as `bottleneck eval` scores them. */
  psnr: number | null
  ssim: number | null
  /** The noisy input's own PSNR and SSIM, the floor every restoration is measured from. */
  noisyScore: { psnr: number; ssim: number } | null
  /** The classical filters on the same noisy image (only with noise). */
  filters: { name: DenoiseBaseline; pixels: Float32Array; psnr: number; ssim: number }[]
}

const TEST_SAMPLES_PER_CLICK = 8

export const useCompareStore = defineStore('compare', () => {
  const models = useModelsStore()
  const notifications = useNotificationsStore()

  const rows = shallowRef<CompareRow[]>([])
  /**
   * Why each file the user opened or dropped was left out, one sentence per file, kept until dismissed or cleared:
   * a toast apiece would push all but the last few out of sight when many files are dropped at once.
   */
  const skippedFiles = ref<string[]>([])
  const noiseType = ref<'none' | NoiseType>('none')
  const noiseLevel = ref(0.3)
  /** The model the rows (and the noise settings) belong to. */
  const modelId = ref<string | null>(null)
  const pending = ref(0)
  const busy = computed(() => pending.value > 0)
  let nextKey = 1
  /** Where the next test samples start in the test set: back to the start after a Clear, as in a fresh view. */
  let sampleOffset = 0
  /** Counts the Clears, so samples or files asked for before one do not arrive after it and refill the table. */
  let clears = 0

  const model = computed<ModelSummary | null>(
    () => models.models.find((candidate) => candidate.id === modelId.value) ?? null,
  )
  const size = computed(() => ({
    height: model.value?.inputShape[0] ?? 28,
    width: model.value?.inputShape[1] ?? 28,
  }))
  const channels = computed(() => model.value?.inputShape[2] ?? 1)
  /** MNIST-shaped models get opened images prepared the way MNIST prepared its digits (and Draw its drawings). */
  const preparesLikeMnist = computed(() => (model.value ? isDrawable(model.value) : true))

  /**
   * Makes `id` the model the rows are computed with. A model is judged on the noise it was trained to remove, so
   * each new model starts from that noise (none for a plain autoencoder); the user can still pick any other.
   */
  function setModel(id: string): void {
    if (modelId.value === id) return
    modelId.value = id
    const trained = fromContractNoise(model.value?.noise)
    noiseType.value = trained ? trained.type : 'none'
    if (trained) noiseLevel.value = trained.level
  }

  /**
   * The row at the current model's input size: a model of another size (MNIST digits, then a photo model's 32×32
   * patches) gets each image resampled to fit, its old results dropped, rather than pixels it cannot read.
   */
  function fitToModel(row: CompareRow): CompareRow {
    const { width, height } = size.value
    if (row.width === width && row.height === height) return row
    const whole = { x: 0, y: 0, width: row.width, height: row.height }
    const clean = resampleArea(
      { pixels: row.clean, width: row.width, height: row.height },
      whole,
      width,
      height,
    )
    return { ...emptyRow(row.name, clean), key: row.key }
  }

  // One rerun per change, however many of these change together (a new model also resets the noise).
  watch([noiseType, noiseLevel, modelId], () => {
    rows.value = rows.value.map(fitToModel)
    void process(rows.value)
  })

  /** Grayscale pixels as a contract image for this model (3-channel models get the gray replicated). */
  function toModelImage(pixels: Float32Array): Image {
    const gray = floatToImage(pixels, size.value.width, size.value.height)
    if (channels.value === 1) return gray
    const c = channels.value as 3 | 4
    const data = new Array<number>(gray.data.length * c)
    gray.data.forEach((v, i) => {
      for (let k = 0; k < c; k++) data[i * c + k] = k === 3 ? 255 : v
    })
    return { ...gray, channels: c, data }
  }

  async function process(targets: CompareRow[]): Promise<void> {
    const current = model.value
    if (!current || !targets.length) return
    const settings = { id: current.id, type: noiseType.value, level: noiseLevel.value }
    // A newer model or noise reruns every row; an answer computed with older settings must not overwrite it.
    const outdated = () =>
      modelId.value !== settings.id ||
      noiseType.value !== settings.type ||
      noiseLevel.value !== settings.level
    pending.value++
    const api = useApi()
    try {
      const images = targets.map((row) => toModelImage(row.clean))
      const noise =
        settings.type === 'none' ? null : toContractNoise({ type: settings.type, level: settings.level })
      let noisy: Image[] | null = null
      let outputs: Image[]
      let filters: { name: DenoiseBaseline; images: Image[] }[] = []
      if (noise && noise.type !== 'none') {
        const result = await api.inference.denoise({
          id: current.id,
          images,
          noise,
          baselines: [...DenoiseBaselineSchema.options],
        })
        noisy = result.noisy ?? null
        outputs = result.images
        filters = result.baselines ?? []
      } else {
        outputs = (await api.inference.reconstruct({ id: current.id, images })).images
      }
      const { codes } = hasCode(current)
        ? await api.inference.encode({ id: current.id, images: noisy ?? images })
        : { codes: [] as number[][] }
      if (outdated()) return
      const { width, height } = size.value
      const updated = new Map<number, CompareRow>()
      // Every figure against the clean original: what a denoiser is judged on. A colour model is scored on each of
      // the channels it output against the grey it was given, as `bottleneck eval` scores it: the grey shown of its
      // output averages the channels' errors away and would flatter it.
      const againstClean = (row: CompareRow, image: Image) => ({
        clean: greyToChannels(row.clean, image.channels),
        values: imageChannelsToFloat(image),
        channels: image.channels,
      })
      type Pair = ReturnType<typeof againstClean>
      const score = ({ clean, values, channels }: Pair) => ({
        psnr: psnr(clean, values),
        ssim: ssim(clean, values, width, height, channels),
      })
      targets.forEach((row, i) => {
        const output = outputs[i]
        const noisyImage = noisy?.[i]
        // The reconstruction's channels are read once, for its scores and its difference image.
        const reconstructed = output ? againstClean(row, output) : null
        updated.set(row.key, {
          ...row,
          noisy: noisyImage ? imageToFloat(noisyImage) : null,
          noisyScore: noisyImage ? score(againstClean(row, noisyImage)) : null,
          filters: filters
            .filter((filter) => filter.images[i])
            .map((filter) => {
              const image = filter.images[i]!
              return { name: filter.name, pixels: imageToFloat(image), ...score(againstClean(row, image)) }
            }),
          code: codes[i] ?? null,
          reconstruction: output ? imageToFloat(output) : null,
          difference: reconstructed
            ? absoluteDifference(reconstructed.clean, reconstructed.values, reconstructed.channels)
            : null,
          ...(reconstructed ? score(reconstructed) : { psnr: null, ssim: null }),
        })
      })
      rows.value = rows.value.map((row) => updated.get(row.key) ?? row)
    } catch (error) {
      if (isModelGone(error)) {
        // The reloaded list drops it, and the view moves the rows to another model: said in a notification, as the
        // view's other inference failures are.
        const message = await forgetGoneModel(current.id)
        notifications.push({ kind: 'error', code: 'MODEL_NOT_FOUND', message })
      } else {
        notifications.error(error)
      }
    } finally {
      pending.value--
    }
  }

  /** A row for `clean`, an image at the current model's input size. */
  function emptyRow(name: string, clean: Float32Array): CompareRow {
    return {
      key: nextKey++,
      name,
      clean,
      width: size.value.width,
      height: size.value.height,
      noisy: null,
      code: null,
      reconstruction: null,
      difference: null,
      psnr: null,
      ssim: null,
      noisyScore: null,
      filters: [],
    }
  }

  /** Decodes a user's image for the current model: MNIST-shaped models see it as Draw and the CLI prepare a digit. */
  async function prepareFile(file: File): Promise<Float32Array> {
    if (preparesLikeMnist.value) return toMnistInput(await decodeDigitFile(file))
    return (await decodeImageFile(file, size.value.width, size.value.height)).pixels
  }

  async function addFiles(files: FileList | File[]): Promise<void> {
    const clearsBefore = clears
    const added: CompareRow[] = []
    const skipped: string[] = []
    for (const file of Array.from(files)) {
      if (!isAcceptedImage(file)) {
        skipped.push(`"${file.name}" is not a ${ACCEPTED_IMAGE_FORMATS} image.`)
        continue
      }
      // The browser calls an empty file unreadable, "damaged"; it only has nothing in it.
      if (file.size === 0) {
        skipped.push(`"${file.name}" is empty (0 bytes).`)
        continue
      }
      try {
        added.push(emptyRow(file.name, await prepareFile(file)))
      } catch (error) {
        skipped.push(toUserError(error).message)
      }
    }
    if (clears !== clearsBefore) return
    if (skipped.length) skippedFiles.value = [...skippedFiles.value, ...skipped]
    if (!added.length) return
    rows.value = [...rows.value, ...added]
    await process(added)
  }

  function dismissSkippedFiles(): void {
    skippedFiles.value = []
  }

  /** Test-set images are already the model's input, taken as they are. */
  async function addTestSamples(): Promise<void> {
    const current = model.value
    if (!current) return
    const clearsBefore = clears
    try {
      // Found as the model page finds it: a folder the CLI trained on is matched by its path, whatever its name here.
      // Read afresh: a detail read before that folder was added here does not name it.
      const dataset = await useDatasetsStore().trainedOn(await models.detail(current.id, true))
      if (!dataset) {
        notifications.push({
          kind: 'error',
          message: `"${current.name}" was trained on "${current.dataset}", which is not in your datasets, so there are no test samples to take; open images instead.`,
        })
        return
      }
      const { images, labels } = await useApi().datasets.previewSamples({
        datasetId: dataset.id,
        split: 'test',
        count: TEST_SAMPLES_PER_CLICK,
        offset: sampleOffset,
        // A folder is cut to the model's own input, which the CLI may have trained at another patch size.
        ...(dataset.kind === 'folder' ? folderPatchesFor(current) : null),
      })
      if (clears !== clearsBefore) return
      const added = images.map((image, i) => {
        const label = labels?.[i]
        return emptyRow(
          `test #${sampleOffset + i}${label !== undefined ? ` (digit ${label})` : ''}`,
          imageToFloat(image),
        )
      })
      sampleOffset += images.length
      rows.value = [...rows.value, ...added]
      await process(added)
    } catch (error) {
      notifications.error(error)
    }
  }

  function removeRow(key: number): void {
    rows.value = rows.value.filter((row) => row.key !== key)
  }

  function clear(): void {
    rows.value = []
    skippedFiles.value = []
    sampleOffset = 0
    clears++
  }

  return {
    rows,
    skippedFiles,
    noiseType,
    noiseLevel,
    modelId,
    busy,
    size,
    channels,
    preparesLikeMnist,
    setModel,
    addFiles,
    addTestSamples,
    removeRow,
    dismissSkippedFiles,
    clear,
  }
})
