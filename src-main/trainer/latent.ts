// The inference process's answers for the Latent view: the model's test split encoded and projected to a plane,
// single test images with their code and reconstruction, interpolations and a VAE's generated grid. Thin wrappers
// over ml/latent.ts; the trainer process lends its model cache and dataset loader so nothing is loaded twice.
import * as tf from '@tensorflow/tfjs'
import type { Image, LatentMap } from '../contract/index'
import type { Autoencoder } from '../ml/architectures/index'
import { modelInputOptions, type ImageDataset, type LoadDatasetOptions } from '../ml/datasets'
import { BottleneckError } from '../ml/errors'
import type { ImageData } from '../ml/image-io'
import { encodeSplit, interpolate, normalQuantile, projectTo2d, vaeManifold } from '../ml/latent'
import { meanSquaredError, peakSignalToNoiseRatio, ssimOrUndefined } from '../ml/metrics'
import type { ModelMetadata } from '../store/index'
import { floatToImage } from './images'
import type { LentModel } from './denoise-jobs'
import type { DatasetRef, TrainerMethod, TrainerMethods } from './protocol'

/** Every test split is loaded up to this many images once, whatever a call asks for, so one cache entry serves all. */
export const LATENT_TEST_IMAGES = 10_000
/**
 * The fewest validation patches an image folder's map shows: the `bottleneck latent` map's count. A model trained with
 * the CLI validated on only STREAMED_VALIDATION_PATCHES (its testCount), a sparse map beside the command's.
 */
export const LATENT_FOLDER_PATCHES = 256

export interface LatentDependencies {
  /** The model, lent until `release` (when given): the process's cache must not dispose it while a call awaits. */
  loadModel(storeRoot: string, modelId: string): Promise<LentModel>
  readMetadata(storeRoot: string, modelId: string): Promise<ModelMetadata>
  loadDataset(
    ref: DatasetRef,
    limit: number,
    testLimit: number,
    input: Pick<LoadDatasetOptions, 'patchSize' | 'channels'>,
  ): Promise<ImageDataset>
}

type LatentMethod = Extract<TrainerMethod, `latent${string}`>
type Handlers = {
  [M in LatentMethod]: (params: TrainerMethods[M]['params']) => Promise<TrainerMethods[M]['result']>
}

/** Four significant digits: plenty for a scatter, and a third of the JSON a full float takes. */
function compact(value: number): number {
  return Number(value.toPrecision(4))
}

export function createLatentHandlers(dependencies: LatentDependencies): Handlers {
  /** Runs `work` with the model and gives it back afterwards, even when `work` throws. */
  async function withModel<R>(
    storeRoot: string,
    modelId: string,
    work: (autoencoder: Autoencoder) => R | Promise<R>,
  ): Promise<R> {
    const { autoencoder, release } = await dependencies.loadModel(storeRoot, modelId)
    try {
      return await work(autoencoder)
    } finally {
      release?.()
    }
  }

  /** Runs `work` with the model, its metadata and its test split, checked to fit each other. */
  function withOpened<R>(
    storeRoot: string,
    modelId: string,
    work: (opened: { autoencoder: Autoencoder; metadata: ModelMetadata; dataset: ImageDataset }) => R,
  ): Promise<R> {
    return withModel(storeRoot, modelId, async (autoencoder) => work(await open(storeRoot, modelId, autoencoder)))
  }

  async function open(storeRoot: string, modelId: string, autoencoder: Autoencoder) {
    const metadata = await dependencies.readMetadata(storeRoot, modelId)
    const ref: DatasetRef = { id: 'latent', spec: metadata.dataset.spec, name: metadata.dataset.name }
    // An image folder's test split is patches cut at the model's own size, as many as training validated on: asked
    // for LATENT_TEST_IMAGES it would cut that many from a handful of photos.
    const folder = metadata.dataset.spec.startsWith('folder:')
    const testLimit = folder
      ? Math.min(Math.max(metadata.dataset.testCount, LATENT_FOLDER_PATCHES), LATENT_TEST_IMAGES)
      : LATENT_TEST_IMAGES
    const dataset = await dependencies.loadDataset(ref, 0, testLimit, modelInputOptions(autoencoder.config.inputShape))
    const [height, width, channels] = autoencoder.config.inputShape
    if (dataset.height !== height || dataset.width !== width || dataset.channels !== channels) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `The test images of "${metadata.dataset.name}" are ${dataset.width}×${dataset.height}×${dataset.channels}, but this model takes ${width}×${height}×${channels}.`,
      )
    }
    if (dataset.test.count < 1) {
      throw new BottleneckError('INVALID_INPUT', `"${metadata.dataset.name}" has no test images to place on the map.`)
    }
    return { autoencoder, metadata, dataset }
  }

  function testImage(dataset: ImageDataset, index: number): ImageData {
    if (index >= dataset.test.count) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `The test set has ${dataset.test.count} images, so there is no image ${index}; pick a point on the map.`,
      )
    }
    const size = dataset.height * dataset.width * dataset.channels
    return {
      data: dataset.test.images.subarray(index * size, (index + 1) * size),
      height: dataset.height,
      width: dataset.width,
      channels: dataset.channels,
    }
  }

  const toImage = (image: ImageData): Image => floatToImage(image.data, image.height, image.width, image.channels)
  const labelOf = (dataset: ImageDataset, index: number) =>
    dataset.test.labels ? { label: dataset.test.labels[index]! } : {}

  return {
    latentMap: ({ storeRoot, modelId, limit }) => withOpened(storeRoot, modelId, ({ autoencoder, metadata, dataset }) => {
      const encoded = encodeSplit(autoencoder, dataset.test, { limit })
      const projection = projectTo2d(encoded)
      const map: LatentMap = {
        modelId,
        method: projection.method,
        dimensions: encoded.dimensions,
        count: projection.count,
        points: Array.from(projection.points, compact),
        dataset: metadata.dataset.name,
        testCount: dataset.test.count,
      }
      if (dataset.test.labels) map.labels = Array.from(dataset.test.labels.subarray(0, projection.count))
      if (projection.explainedRatio) map.explainedRatio = projection.explainedRatio
      return map
    }),

    latentSamples: ({ storeRoot, modelId, indices }) => withOpened(storeRoot, modelId, ({ autoencoder, dataset }) => {
      const encoder = autoencoder.encoder
      if (!encoder) {
        throw new BottleneckError(
          'INVALID_INPUT',
          `A ${autoencoder.config.architecture} model has no single code layer, so it has no latent space to show.`,
        )
      }
      const images = indices.map((index) => testImage(dataset, index))
      const shape = autoencoder.config.inputShape
      const size = shape[0] * shape[1] * shape[2]
      const batch = new Float32Array(images.length * size)
      images.forEach((image, i) => batch.set(image.data, i * size))
      const { codes, outputs, mse, psnr, ssim } = tf.tidy(() => {
        const input = tf.tensor4d(batch, [images.length, ...shape])
        const output = autoencoder.model.predict(input) as tf.Tensor4D
        const code = encoder.predict(input) as tf.Tensor
        return {
          codes: code.reshape([images.length, -1]).arraySync() as number[][],
          outputs: output.dataSync() as Float32Array,
          mse: meanSquaredError(input, output).dataSync(),
          psnr: peakSignalToNoiseRatio(input, output).dataSync(),
          ssim: ssimOrUndefined(input, output)?.dataSync(),
        }
      })
      return {
        samples: indices.map((index, i) => ({
          index,
          ...labelOf(dataset, index),
          original: toImage(images[i]!),
          reconstruction: floatToImage(outputs.subarray(i * size, (i + 1) * size), shape[0], shape[1], shape[2]),
          code: codes[i]!,
          metrics: { mse: mse[i]!, psnr: psnr[i]!, ...(ssim ? { ssim: ssim[i]! } : {}) },
        })),
      }
    }),

    latentInterpolate: ({ storeRoot, modelId, from, to, steps }) => withOpened(storeRoot, modelId, ({ autoencoder, dataset }) => {
      const first = testImage(dataset, from)
      const last = testImage(dataset, to)
      return {
        images: interpolate(autoencoder, first, last, steps).map(toImage),
        from: { index: from, ...labelOf(dataset, from), original: toImage(first) },
        to: { index: to, ...labelOf(dataset, to), original: toImage(last) },
      }
    }),

    latentGenerate: async ({ storeRoot, modelId, n, from, to }) => {
      // No dataset needed: the grid comes from the prior alone.
      return withModel(storeRoot, modelId, (autoencoder) => {
        const grid = vaeManifold(autoencoder, { n, from, to })
        return { image: toImage(grid), n, from, to, zFrom: normalQuantile(from), zTo: normalQuantile(to) }
      })
    },
  }
}
