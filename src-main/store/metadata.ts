// bottleneck.json: what Bottleneck knows about a model besides its weights (name, config, dataset, history,
// metrics, backend). Parsed with a schema on every load, so a hand-edited or damaged file is caught, not trusted.
import { z } from 'zod'

/** The layout of bottleneck.json this version writes and reads; a newer one is refused as such, not as damage. */
export const FORMAT_VERSION = 1

/** The longest model name: names end up in terminals, dialogs and pickers. */
export const MAX_NAME_LENGTH = 200

const finite = z.number().refine(Number.isFinite, 'must be a finite number')

export const EpochRecordSchema = z.object({
  epoch: z.number().int().min(0),
  loss: finite,
  val_loss: finite.optional(),
  seconds: z.number().min(0).optional(),
  samplesPerSecond: z.number().min(0).optional(),
})

export const ModelMetadataSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  id: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
  name: z.string().min(1).max(MAX_NAME_LENGTH),
  config: z
    .object({
      architecture: z.string(),
      inputShape: z.tuple([z.number().int().min(1), z.number().int().min(1), z.number().int().min(1)]),
      codeSize: z.number().int().min(1),
      learningRate: z.number().gt(0),
      seed: z.number().int().optional(),
    })
    .catchall(z.unknown()),
  dataset: z.object({ spec: z.string(), name: z.string(), trainCount: z.number().int(), testCount: z.number().int() }),
  noise: z.unknown().optional(),
  backend: z.object({ name: z.string(), tfjsVersion: z.string() }),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Epochs completed (the checkpoint's); `targetEpochs` is what the run asked for, so a shortfall can be resumed. */
  epochs: z.number().int().min(0),
  targetEpochs: z.number().int().min(0),
  batchSize: z.number().int().min(1),
  history: z.array(EpochRecordSchema),
  /** Test-set metrics of these weights, when computed (bce, mse, psnr, ssim). */
  metrics: z.record(z.string(), z.number()).optional(),
})

export type ModelMetadata = z.infer<typeof ModelMetadataSchema>
export type EpochRecord = z.infer<typeof EpochRecordSchema>

/**
 * The validation patches `bottleneck train` scores a model streamed from an image folder on after every epoch. For a
 * folder dataset, dataset.testCount counts patches, what training validated on (the app records its resident ones),
 * so `eval` and the Latent view score and map the same patches.
 */
export const STREAMED_VALIDATION_PATCHES = 64

/**
 * Models streamed from a folder (those with config.training) saved before testCount counted patches recorded their
 * validation photos there, often one or two; every such run validated on STREAMED_VALIDATION_PATCHES patches. Read as
 * that, so the old file is left as it is and its readers still get the patches.
 */
export function withStreamedTestCount(metadata: ModelMetadata): ModelMetadata {
  if (!isStreamedFromFolder(metadata)) return metadata
  return { ...metadata, dataset: { ...metadata.dataset, testCount: STREAMED_VALIDATION_PATCHES } }
}

/**
 * A model `bottleneck train` trained on patches streamed from an image folder (its config records how: patch size,
 * steps per epoch, and whether it was self-supervised); only the CLI can continue such a run.
 */
export function isStreamedFromFolder(metadata: ModelMetadata): boolean {
  const training = metadata.config.training
  return typeof training === 'object' && training !== null && metadata.dataset.spec.startsWith('folder:')
}

/** Free-text names: trimmed, 1–200 characters, no control characters (they end up in terminals and dialogs). */
export function cleanName(name: string): string | undefined {
  const trimmed = name.trim()
  if (trimmed.length < 1 || trimmed.length > MAX_NAME_LENGTH || /\p{Cc}/u.test(trimmed)) return undefined
  return trimmed
}
