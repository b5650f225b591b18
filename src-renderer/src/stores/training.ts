// Training from the UI: the form (the seed's dense recipe preselected), the run's state, and the live series
// the Train view draws (per-batch loss, per-epoch loss/val_loss, sample reconstructions) fed by contract events.
import { defineStore } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import {
  TrainingConfigSchema,
  automaticModelName,
  describeIssues,
  type Architecture,
  type BatchProgress,
  type EpochEnd,
  type ModelDetail,
  type ModelsChanged,
  type Preset,
  type TrainingDone,
  type TrainingErrorEvent,
  type TrainingWarning,
} from '@contract'
import { useApi } from '@renderer/api'
import { fromContractNoise, toContractNoise, type NoiseType } from '@renderer/lib/noise'
import { describeNumberLimits, isAllowedNumber, numberLimits } from '@renderer/lib/number-limits'
import { useDatasetsStore } from './datasets'
import { hasCode, useModelsStore } from './models'
import { useNotificationsStore } from './notifications'

export interface Recipe {
  label: string
  /** One line on the architecture; it names the dataset's values per image and the code size where it counts them. */
  describe(size: { pixels: number | null; codeSize: number | null }): string
  codeSize: number
  epochs: number
  batchSize: number
  learningRate: number
}

/** "1 epoch", "6 epochs". */
export function formatEpochs(count: number): string {
  return `${count} epoch${count === 1 ? '' : 's'}`
}

/** An image's values (width × height × channels) as a layer width; "pixels" while the dataset is not known. */
function pixelsText(pixels: number | null): string {
  return pixels === null ? 'pixels' : pixels.toLocaleString('en')
}

/**
 * Starting points per architecture. `dense` is the seed's recipe exactly: 32, 50 epochs, batch 256, Adam 0.001, BCE.
 * Once the service's presets have loaded, an architecture with an MNIST preset starts from that preset's numbers
 * (applyRecipe); these are the numbers before then, and for the U-Net, which has none.
 */
export const RECIPES: Record<Architecture, Recipe> = {
  dense: {
    label: 'Dense',
    describe: ({ pixels, codeSize }) =>
      `One hidden layer: ${pixelsText(pixels)} → ${codeSize ?? 'code'} → ${pixelsText(pixels)}.`,
    codeSize: 32,
    epochs: 50,
    batchSize: 256,
    learningRate: 0.001,
  },
  sparse: {
    label: 'Sparse',
    describe: () => 'Dense with an L1 penalty on the code.',
    codeSize: 32,
    epochs: 100,
    batchSize: 256,
    learningRate: 0.001,
  },
  deep: {
    label: 'Deep',
    describe: ({ pixels }) => `Stacked dense layers ${pixelsText(pixels)} → 128 → 64 → code.`,
    codeSize: 32,
    epochs: 100,
    batchSize: 256,
    learningRate: 0.001,
  },
  conv: {
    label: 'Convolutional',
    describe: () => 'Conv + pooling encoder (16, 8 filters), upsampling decoder.',
    codeSize: 128,
    epochs: 50,
    batchSize: 128,
    learningRate: 0.001,
  },
  seq2seq: {
    label: 'Sequence-to-sequence',
    describe: () => 'LSTM reads rows, LSTM writes them back.',
    codeSize: 32,
    epochs: 20,
    batchSize: 128,
    learningRate: 0.001,
  },
  vae: {
    label: 'Variational (VAE)',
    describe: () => 'Probabilistic code; a 2-D code lays the images out on a map.',
    codeSize: 2,
    epochs: 50,
    batchSize: 100,
    learningRate: 0.001,
  },
  unet: {
    label: 'U-Net',
    describe: () => 'Skip connections at every scale; no single code, for denoising.',
    codeSize: 32,
    epochs: 20,
    batchSize: 128,
    learningRate: 0.001,
  },
  // The mnist-denoise recipe's epochs and batch size (src-main/ml/presets.ts); its noise is picked below.
  denoiser: {
    label: 'Denoiser (small U-Net)',
    describe: () => 'U-Net with three poolings, tuned for noisy MNIST; no single code. Pick a noise below.',
    codeSize: 32,
    epochs: 11,
    batchSize: 64,
    learningRate: 0.001,
  },
}

/** The form's number fields: the label the form shows and the contract's schema, which sets what each takes. */
export const NUMBER_FIELDS = {
  codeSize: { label: 'Code size', schema: TrainingConfigSchema.shape.codeSize },
  epochs: { label: 'Epochs', schema: TrainingConfigSchema.shape.epochs },
  batchSize: { label: 'Batch size', schema: TrainingConfigSchema.shape.batchSize },
  learningRate: { label: 'Learning rate', schema: TrainingConfigSchema.shape.learningRate },
  trainLimit: { label: 'Limit training images', schema: TrainingConfigSchema.shape.trainLimit.unwrap() },
} as const
export type NumberField = keyof typeof NUMBER_FIELDS

/** The weakest noise the form offers: at level 0 a noise type would add nothing, so the slider stops above it. */
export const MIN_NOISE_LEVEL = 0.05

export interface TrainingForm {
  name: string
  architecture: Architecture
  datasetId: string
  /** null while the field is empty (or holds no number); the field then says what it takes. */
  codeSize: number | null
  epochs: number | null
  batchSize: number | null
  learningRate: number | null
  noiseType: 'none' | NoiseType
  noiseLevel: number
  /** fresh: new noise every batch; fixed: each training image corrupted once and reused (the Keras blog). */
  noiseMode: 'fresh' | 'fixed'
  /** Advanced: use only the first N training images (quick experiments, tests). Empty = all. */
  trainLimit: number | null
}

export type TrainingState = 'idle' | 'starting' | 'running' | 'cancelling'
export interface LossPoint {
  x: number
  y: number
}

const MAX_BATCH_POINTS = 600

/** The settings under the form's Advanced section as a fresh form holds them: no name of the user's, all images. */
const ADVANCED_DEFAULTS: Pick<TrainingForm, 'name' | 'trainLimit'> = { name: '', trainLimit: null }

export const useTrainingStore = defineStore('training', () => {
  const form = reactive<TrainingForm>({
    ...ADVANCED_DEFAULTS,
    architecture: 'dense',
    datasetId: 'mnist',
    codeSize: RECIPES.dense.codeSize,
    epochs: RECIPES.dense.epochs,
    batchSize: RECIPES.dense.batchSize,
    learningRate: RECIPES.dense.learningRate,
    noiseType: 'none',
    noiseLevel: 0.3,
    noiseMode: 'fresh',
  })
  /**
   * Whether the form's Advanced section is open. Kept here rather than in the view, which is unmounted while
   * another view shows: coming back, the user finds it as they left it for the rest of the session.
   */
  const advancedOpen = ref(false)
  /** An Advanced setting differs from its default: the view then opens the section so the change is not hidden. */
  const advancedChanged = computed(() =>
    (Object.keys(ADVANCED_DEFAULTS) as (keyof typeof ADVANCED_DEFAULTS)[]).some(
      (key) => form[key] !== ADVANCED_DEFAULTS[key],
    ),
  )
  const state = ref<TrainingState>('idle')
  const runId = ref<string | null>(null)
  const modelId = ref<string | null>(null)
  const progress = ref<BatchProgress | null>(null)
  const batchLoss = ref<LossPoint[]>([])
  const epochs = ref<{ epoch: number; loss: number; valLoss?: number }[]>([])
  const samples = ref<EpochEnd['samples']>([])
  const lastDone = ref<TrainingDone | null>(null)
  const lastError = ref<TrainingErrorEvent | null>(null)
  /**
   * The name of the run's model as the store holds it: a name belongs to one model, so the back end numbers a taken
   * one ("digits" becomes "digits (2)"). Null until the model has been read.
   */
  const modelName = ref<string | null>(null)
  /** The name typed for the run when the back end had to number it, so the page can say why the name differs. */
  const takenName = ref<string | null>(null)
  /**
   * The run's model was deleted after it saved an epoch (in the Models view, another window, or on disk): the page
   * says so instead of offering to open, try or resume it. A model the back end removes because no epoch of it was
   * saved is not this: nothing trained was lost.
   */
  const modelDeleted = ref(false)
  /** The dataset the run on screen trains on, which its samples show; the form may have moved on to another. */
  const runDatasetId = ref<string | null>(null)
  /**
   * What a sentence calls the run's model: its name, and why it is not the one typed (`"digits (2)", because
   * "digits" is taken`). Null while the name is not known.
   */
  const modelNameText = computed(() => {
    if (modelName.value === null) return null
    return takenName.value === null
      ? `"${modelName.value}"`
      : `"${modelName.value}", because "${takenName.value}" is taken`
  })
  /**
   * What the back end said about the last run it warned of (a resumed model's optimizer state was damaged). Kept
   * apart from the run on screen: the warning comes as the run starts, before the resume call answers with its id.
   */
  const warnings = ref<TrainingWarning[]>([])
  /** The warnings of the run on screen, shown by it until another run takes its place. */
  const runWarnings = computed(() =>
    warnings.value.filter((warning) => warning.runId === runId.value).map((warning) => warning.message),
  )
  /** Why the last press of Start did not start; any edit of the form clears it (each field keeps its own message). */
  const formError = ref<string | null>(null)
  watch(form, () => (formError.value = null), { deep: true })
  /**
   * Settings of the run on screen that the form cannot show: a run this page did not start from the form (attached
   * after a reload, or resumed) takes its settings from the saved model, whose detail may lack them (the contract
   * makes them optional) and whose image limit reads only against the dataset's size, which may not be known here.
   */
  const unknownRunSettings = ref<NumberField[]>([])
  let attached = false
  /** The model whose saved history and settings are on screen: a run this page did not start is loaded once. */
  let modelOnScreen: string | null = null
  /** A start or resume request is on its way: its own events must not be taken for a run started elsewhere. */
  let requestPending = false

  /** Whether the architecture has a code layer; the U-Nets have none, so their code size is not the user's to set. */
  const codeSizeApplies = computed(() => hasCode({ architecture: form.architecture }))

  /** A sentence per number field whose value the contract would refuse, shown by that field until it is fixed. */
  const fieldErrors = computed(() => {
    const errors: Partial<Record<NumberField, string>> = {}
    for (const key of Object.keys(NUMBER_FIELDS) as NumberField[]) {
      const { label, schema } = NUMBER_FIELDS[key]
      const value = form[key]
      if (key === 'codeSize' && !codeSizeApplies.value) continue
      if (key === 'trainLimit' && value === null) continue
      if (isAllowedNumber(schema, value)) continue
      const allowed = describeNumberLimits(numberLimits(schema))
      errors[key] =
        key === 'trainLimit'
          ? `Leave ${label} empty to use all images, or enter ${allowed}.`
          : `${label} must be ${allowed}.`
    }
    return errors
  })

  const active = computed(() => state.value !== 'idle')
  /** A stopped run whose model can continue from its last saved epoch (a run stopped before any has no model left). */
  const resumable = computed(
    () =>
      state.value === 'idle' &&
      modelId.value !== null &&
      lastSavedEpoch() > 0 &&
      (lastDone.value?.status === 'cancelled' ||
        (lastError.value !== null && lastError.value.modelId === modelId.value)),
  )
  const fraction = computed(() => {
    const p = progress.value
    if (!p || p.epochs === 0 || p.batches === 0) return lastDone.value?.status === 'completed' ? 1 : 0
    // Once a run has ended only its saved epochs count: the partial epoch it stopped in is discarded.
    if (!active.value) return Math.min(1, lastSavedEpoch() / p.epochs)
    return Math.min(1, (p.epoch - 1 + p.batch / p.batches) / p.epochs)
  })

  /** The back end refuses to rename or delete the model it is training; views say so on their buttons up front. */
  function isTrainingModel(id: string): boolean {
    return active.value && modelId.value === id
  }

  /** A saved model short of its target epochs can continue, while nothing else trains (one run at a time). */
  function canResumeModel(model: { epochs: number; targetEpochs: number }): boolean {
    return model.epochs < model.targetEpochs && !active.value
  }

  /** The last epoch the chart holds a loss for: every finished epoch is saved before its epoch-end event. */
  function lastSavedEpoch(): number {
    return lastDone.value?.epochs ?? epochs.value.at(-1)?.epoch ?? 0
  }

  /** The service's named recipes (the CLI's --preset); empty until `loadPresets` has run. */
  const presets = ref<Preset[]>([])

  async function loadPresets(): Promise<void> {
    presets.value = await useApi().training.presets()
  }

  /** Every field a recipe sets, as it sets it. Without noise the level keeps what the user last chose. */
  function presetForm(preset: Preset): Omit<TrainingForm, 'name'> {
    const noise = fromContractNoise(preset.noise)
    return {
      architecture: preset.architecture,
      datasetId: preset.datasetId,
      codeSize: preset.codeSize,
      epochs: preset.epochs,
      batchSize: preset.batchSize,
      learningRate: preset.learningRate,
      noiseType: noise ? noise.type : 'none',
      noiseLevel: noise ? noise.level : form.noiseLevel,
      noiseMode: preset.noiseMode ?? 'fresh',
      trainLimit: null,
    }
  }

  /** Set when the user picks "Custom settings": the form then stays theirs even if it equals a recipe. */
  const customChosen = ref(false)

  function formMatches(preset: Preset): boolean {
    const recipe = presetForm(preset)
    // Without noise the draw mode is never sent (buildConfig), so it cannot tell the form from the recipe.
    return (Object.keys(recipe) as (keyof typeof recipe)[]).every(
      (key) => form[key] === recipe[key] || (key === 'noiseMode' && recipe.noiseType === 'none'),
    )
  }

  /** The recipe the form holds exactly, if any: editing any field turns it back into custom settings. */
  const activePreset = computed(() => (customChosen.value ? null : (presets.value.find(formMatches) ?? null)))

  /** Fills the form from the named recipe; any other name ("Custom settings") keeps the fields as they are. */
  function applyPreset(name: string): void {
    const preset = presets.value.find((candidate) => candidate.name === name)
    customChosen.value = !preset
    if (preset) Object.assign(form, presetForm(preset))
  }

  function applyRecipe(architecture: Architecture): void {
    // The service's numbers (src-main/ml/presets.ts) where it has a recipe for this architecture, so picking the
    // architecture lands on that recipe; the data set and the noise stay as the user set them.
    const recipe =
      presets.value.find((preset) => preset.architecture === architecture && preset.datasetId === 'mnist') ??
      RECIPES[architecture]
    customChosen.value = false
    Object.assign(form, {
      architecture,
      codeSize: recipe.codeSize,
      epochs: recipe.epochs,
      batchSize: recipe.batchSize,
      learningRate: recipe.learningRate,
    })
  }

  /** The form as a training request; `start` parses it with the contract's schema before sending it. */
  function buildConfig(): Record<string, unknown> {
    const noise =
      form.noiseType === 'none'
        ? undefined
        : toContractNoise({ type: form.noiseType, level: form.noiseLevel })
    return {
      ...(form.name.trim() ? { name: form.name.trim() } : {}),
      architecture: form.architecture,
      datasetId: form.datasetId,
      codeSize: form.codeSize,
      epochs: form.epochs,
      batchSize: form.batchSize,
      learningRate: form.learningRate,
      ...(noise && noise.type !== 'none' ? { noise, noiseMode: form.noiseMode } : {}),
      ...(form.trainLimit ? { trainLimit: form.trainLimit } : {}),
    }
  }

  function toEpochPoints(
    history: ModelDetail['history'],
  ): { epoch: number; loss: number; valLoss?: number }[] {
    return history.map(({ epoch, loss, valLoss }) => ({ epoch, loss, valLoss }))
  }

  /** Puts a saved model's settings in the form (what the contract reports of them) for the run on screen. */
  async function showSettingsOf(model: ModelDetail, targetEpochs: number): Promise<void> {
    // A folder the CLI trained on that was never added here has no id: the form keeps the dataset it has.
    const trainedOn = await useDatasetsStore()
      .trainedOn(model)
      .catch(() => null)
    const datasetId = trainedOn?.id ?? form.datasetId
    runDatasetId.value = datasetId
    const noise = fromContractNoise(model.noise)
    const learningRate = model.config.learningRate
    customChosen.value = false
    Object.assign(form, {
      // A name the back end chose stays out of the field, whose placeholder shows it: the next run is named anew.
      name: model.name === automaticModelName(model.architecture, model.codeSize, model.dataset) ? '' : model.name,
      architecture: model.architecture,
      datasetId,
      codeSize: model.codeSize,
      epochs: targetEpochs,
      learningRate: typeof learningRate === 'number' ? learningRate : form.learningRate,
      noiseType: noise ? noise.type : 'none',
      noiseLevel: noise ? noise.level : form.noiseLevel,
      noiseMode: model.noiseMode ?? 'fresh',
    })
    // A detail without them, or a dataset whose size is unknown here, leaves them unknown: the form says "as saved".
    const unknown: NumberField[] = []
    if (model.batchSize !== undefined) form.batchSize = model.batchSize
    else unknown.push('batchSize')
    const available = useDatasetsStore().datasets.find((dataset) => dataset.id === datasetId)?.trainCount
    if (model.trainCount !== undefined && available !== undefined)
      form.trainLimit = model.trainCount < available ? model.trainCount : null
    else unknown.push('trainLimit')
    unknownRunSettings.value = unknown
  }

  /**
   * Shows a run this page did not start from the form: the model's saved epochs join the chart (events only carry
   * the epochs still to come) and its settings fill the form. Without the model the live series still works.
   */
  async function showSavedRun(id: string, targetEpochs?: number): Promise<void> {
    modelOnScreen = id
    let model: ModelDetail
    try {
      model = await useApi().models.get({ id })
    } catch {
      return
    }
    if (modelId.value !== null && modelId.value !== id) return
    modelName.value = model.name
    const saved = toEpochPoints(model.history)
    const live = epochs.value.filter((entry) => !saved.some((s) => s.epoch === entry.epoch))
    epochs.value = [...saved, ...live].sort((a, b) => a.epoch - b.epoch)
    await showSettingsOf(model, targetEpochs ?? model.targetEpochs)
  }

  /** Forgets the run on screen: its series, its end, and what the page knew of its model. */
  function resetSeries(): void {
    progress.value = null
    batchLoss.value = []
    epochs.value = []
    samples.value = []
    lastDone.value = null
    lastError.value = null
    modelName.value = null
    takenName.value = null
    modelDeleted.value = false
    runDatasetId.value = null
  }

  /**
   * Reads the name the run's model got, and keeps the typed name it could not take. The back end saves a new model
   * before the start call answers, so the name is there to read at once.
   */
  async function learnModelName(id: string, requestedName?: string): Promise<void> {
    const model = await useModelsStore()
      .detail(id, true)
      .catch(() => null)
    if (!model || modelId.value !== id) return
    modelName.value = model.name
    takenName.value = requestedName !== undefined && model.name !== requestedName ? requestedName : null
  }

  /**
   * Starts a new run. Returns false (with `formError` set) when the form does not validate, and when a run is already
   * starting or going: a second press is not a second run (the back end would refuse it, and its refusal would make
   * the page think nothing trains).
   */
  async function start(): Promise<boolean> {
    if (active.value) return false
    const invalid = (Object.keys(fieldErrors.value) as NumberField[]).map((key) => NUMBER_FIELDS[key].label)
    if (invalid.length) {
      const fields =
        invalid.length === 1 ? invalid[0] : `${invalid.slice(0, -1).join(', ')} and ${invalid.at(-1)}`
      formError.value = `Fix ${fields} to start training.`
      return false
    }
    const parsed = TrainingConfigSchema.safeParse(buildConfig())
    if (!parsed.success) {
      formError.value = describeIssues(parsed.error).replace('The request was not valid', 'Check the form')
      return false
    }
    formError.value = null
    resetSeries()
    runDatasetId.value = parsed.data.datasetId
    unknownRunSettings.value = []
    state.value = 'starting'
    requestPending = true
    try {
      const run = await useApi().training.start(parsed.data)
      runId.value = run.runId
      modelId.value = run.modelId
      modelOnScreen = run.modelId
      if (state.value === 'starting') state.value = 'running'
      void learnModelName(run.modelId, parsed.data.name)
      return true
    } catch (error) {
      state.value = 'idle'
      useNotificationsStore().error(error)
      return false
    } finally {
      requestPending = false
    }
  }

  async function cancel(): Promise<void> {
    if (!active.value) return
    state.value = 'cancelling'
    try {
      await useApi().training.cancel()
    } catch (error) {
      state.value = 'running'
      useNotificationsStore().error(error)
    }
  }

  /** Continues a model from its last saved epoch (the current run's model unless another id is given). */
  async function resume(id: string | null = modelId.value, targetEpochs?: number): Promise<boolean> {
    if (!id) return false
    // A refused resume of the run on screen leaves it as it was: its summary, and its Resume button to try again.
    const stoppedRun =
      id === modelId.value
        ? {
            progress: progress.value,
            batchLoss: batchLoss.value,
            lastDone: lastDone.value,
            lastError: lastError.value,
          }
        : null
    if (stoppedRun) {
      trimToSavedEpochs()
    } else {
      resetSeries()
      modelId.value = id
    }
    progress.value = null
    lastDone.value = null
    lastError.value = null
    state.value = 'starting'
    requestPending = true
    const savedRun = showSavedRun(id, targetEpochs)
    try {
      const run = await useApi().training.resume(targetEpochs ? { id, epochs: targetEpochs } : { id })
      runId.value = run.runId
      modelId.value = run.modelId
      if (state.value === 'starting') state.value = 'running'
      await savedRun
      return true
    } catch (error) {
      state.value = 'idle'
      if (stoppedRun && modelId.value === id) {
        progress.value = stoppedRun.progress
        batchLoss.value = stoppedRun.batchLoss
        lastDone.value = stoppedRun.lastDone
        lastError.value = stoppedRun.lastError
      }
      useNotificationsStore().error(error)
      return false
    } finally {
      requestPending = false
    }
  }

  /** A run continues from its last saved epoch: the batches of the epoch it stopped in are trained again. */
  function trimToSavedEpochs(): void {
    const savedEpochs = lastSavedEpoch()
    batchLoss.value = batchLoss.value.filter((point) => point.x <= savedEpochs)
  }

  function onBatchProgress(event: BatchProgress): void {
    if (runId.value && event.runId !== runId.value && state.value !== 'idle') return
    if (!requestPending && event.modelId !== modelOnScreen) {
      // A run started elsewhere (another window, or before a reload that came while it was starting).
      if (modelId.value !== event.modelId) resetSeries()
      modelId.value = event.modelId
      void showSavedRun(event.modelId, event.epochs)
    }
    runId.value = event.runId
    modelId.value = event.modelId
    if (state.value === 'idle' || state.value === 'starting') state.value = 'running'
    progress.value = event
    const points = [
      ...batchLoss.value,
      { x: event.epoch - 1 + event.batch / Math.max(1, event.batches), y: event.loss },
    ]
    // Keep the chart cheap on long runs: halve the resolution of old points instead of growing forever.
    batchLoss.value =
      points.length > MAX_BATCH_POINTS
        ? points.filter((_, i) => i % 2 === 0 || i === points.length - 1)
        : points
  }

  function onEpochEnd(event: EpochEnd): void {
    if (runId.value && event.runId !== runId.value) return
    epochs.value = [
      ...epochs.value.filter((e) => e.epoch !== event.epoch),
      { epoch: event.epoch, loss: event.loss, valLoss: event.valLoss },
    ]
    if (event.samples.length) samples.value = event.samples
  }

  function onWarning(event: TrainingWarning): void {
    // A run's warnings replace another run's; the same one again (after an automatic resume) is not repeated.
    const sameRun = warnings.value.filter(
      (warning) => warning.runId === event.runId && warning.message !== event.message,
    )
    warnings.value = [...sameRun, event]
  }

  /**
   * The back end removes the model of a run that ended before its first epoch was saved (nothing in it is trained),
   * or it would be the newest model every view preselects, and says so as after a delete (models.onChanged
   * 'deleted'), which also drops it from the model list. The page then forgets it too; a trainer that crashed could
   * not remove it, sends no such event, and the model stays on screen to resume. The same event for a model with
   * saved epochs is the user's delete: the page says the model is gone. A rename elsewhere changes the name shown.
   */
  function onModelsChanged(change: ModelsChanged): void {
    if (change.id !== modelId.value) return
    if (change.reason === 'deleted') {
      modelDeleted.value = lastSavedEpoch() > 0
      modelId.value = null
    } else if (change.reason === 'renamed') {
      void learnModelName(change.id)
    }
  }

  function onDone(event: TrainingDone): void {
    if (runId.value && event.runId !== runId.value) return
    state.value = 'idle'
    lastDone.value = event
    // The run's events only cover the epochs it trained; the model's whole history comes with its end.
    epochs.value = toEpochPoints(event.history)
    const notes = useNotificationsStore()
    const savedAs = modelNameText.value === null ? 'saved' : `saved as ${modelNameText.value}`
    if (event.status === 'completed')
      notes.success(`Training finished after ${formatEpochs(event.epochs)}; the model is ${savedAs}.`)
    else if (event.epochs === 0)
      notes.info('Training stopped before its first epoch finished, so there is no model to keep.')
    else if (modelNameText.value === null)
      notes.info(
        `Training stopped after epoch ${event.epochs}. The last finished epoch is saved; you can resume it.`,
      )
    else
      notes.info(`Training stopped after epoch ${event.epochs}; the model is ${savedAs}. You can resume it.`)
  }

  /** Counts the error events seen, so an answer about an older one cannot undo what a newer one showed. */
  let errorEvents = 0

  function onError(event: TrainingErrorEvent): void {
    if (runId.value && event.runId && event.runId !== runId.value) return
    errorEvents++
    if (event.trainerRestarted && event.runId && event.modelId)
      void followRestartedTrainer(event, errorEvents)
    else showRunFailed(event)
  }

  /**
   * The training process died and came back. The service resumes the run from its last saved epoch by itself (a few
   * times per run), under the same run id, and says so in the message; its status tells whether it does this time.
   * Meanwhile the page shows the run as starting, not as stopped with Start and Resume buttons that would be refused.
   */
  async function followRestartedTrainer(event: TrainingErrorEvent, seen: number): Promise<void> {
    const status = await useApi()
      .training.status()
      .catch(() => null)
    if (seen !== errorEvents) return
    const resuming = status !== null && status.state !== 'idle' && status.run?.runId === event.runId
    if (!resuming) {
      showRunFailed(event)
      return
    }
    if (status.state === 'starting') {
      trimToSavedEpochs()
      progress.value = null
    }
    state.value = status.state
    useNotificationsStore().info(event.error.message)
  }

  function showRunFailed(event: TrainingErrorEvent): void {
    state.value = 'idle'
    lastError.value = event
    if (event.modelId) modelId.value = event.modelId
    // A crashed trainer keeps the last finished epoch on disk: offer to pick up from there.
    const failedModel = event.modelId
    const action =
      event.trainerRestarted && failedModel
        ? { label: 'Resume', run: () => void resume(failedModel) }
        : undefined
    useNotificationsStore().error(event.error, action)
  }

  /** Subscribes to training events once per app, and picks up a run that was already going (e.g. after reload). */
  async function attach(): Promise<void> {
    if (attached) return
    attached = true
    const api = useApi()
    api.training.onBatchProgress(onBatchProgress)
    api.training.onEpochEnd(onEpochEnd)
    api.training.onDone(onDone)
    api.training.onError(onError)
    api.training.onWarning(onWarning)
    api.models.onChanged(onModelsChanged)
    const status = await api.training.status()
    if (status.run && status.state !== 'idle') {
      state.value = status.state
      runId.value = status.run.runId
      modelId.value = status.run.modelId ?? null
      // The last epoch's samples, unless an epoch that ended while the status was on its way sent newer ones.
      if (status.run.samples?.length && !samples.value.length) samples.value = status.run.samples
      if (status.run.modelId) await showSavedRun(status.run.modelId, status.run.epochs || undefined)
    }
  }

  return {
    form,
    advancedOpen,
    advancedChanged,
    state,
    runId,
    modelId,
    progress,
    batchLoss,
    epochs,
    samples,
    lastDone,
    lastError,
    modelName,
    modelNameText,
    modelDeleted,
    runDatasetId,
    runWarnings,
    formError,
    fieldErrors,
    unknownRunSettings,
    codeSizeApplies,
    active,
    isTrainingModel,
    canResumeModel,
    resumable,
    fraction,
    presets,
    activePreset,
    loadPresets,
    applyPreset,
    applyRecipe,
    buildConfig,
    start,
    cancel,
    resume,
    attach,
    onBatchProgress,
    onEpochEnd,
    onDone,
    onError,
  }
})
