// Named training recipes (`--preset NAME`): an architecture with its options, the dataset, the noise and the fit
// settings that reproduce a known result. The Keras blog tutorials are here with the blog's epochs and batch sizes,
// and `mnist-denoise` is Bottleneck's best MNIST denoiser for Gaussian noise σ = 0.5.
import { BottleneckError } from './errors'
import { createModelConfig, type ArchitectureName, type ModelConfig } from './architectures/index'

export interface Preset {
  name: string
  /** One line for `--help` and the UI. */
  description: string
  architecture: ArchitectureName
  /** ModelConfig overrides (code size, learning rate, per-architecture options). */
  options: Partial<ModelConfig>
  dataset: string
  /** Noise spec applied to the training inputs (denoising), as `parseNoiseSpec` reads it; 'none' for plain AEs. */
  noise: string
  epochs: number
  batchSize: number
  /** What the recipe is known to reach, for the user to compare against (not used by any code path). */
  reference?: string
}

const PRESETS: readonly Preset[] = [
  {
    name: 'mnist-denoise',
    description: 'U-Net denoiser for MNIST digits under Gaussian noise σ = 0.5 (beats the Keras blog denoiser).',
    architecture: 'denoiser',
    // Three poolings (28 → 14 → 7 → 4) so the bottom sees the whole digit; 32, 64, 64 and 128 filters from the
    // full-size scale to the bottom; the noisy image plus where it is exactly 0 and exactly 1 (clipIndicators; 656,129
    // parameters); Adam 1e-3 with cosine decay to 0; fresh noise on all 60,000 images every epoch. These equal the
    // denoiser's defaults, which is what train --preset requires.
    options: { levelFilters: [32, 64, 64, 128], clipIndicators: true, loss: 'bce', learningRate: 0.001, learningRateDecay: 'cosine' },
    dataset: 'mnist',
    noise: 'gaussian:0.5',
    // 11 epochs: the test PSNR rose by 0.03–0.04 dB over the last three (docs/results/denoiser.md, runs 6 and 9).
    epochs: 11,
    batchSize: 64,
    // Measured (docs/results/denoiser.md, run 9): `npx tsx bench/denoise.ts` (this recipe, seed 42), native
    // TensorFlow on 2 cores: about 440 s an epoch (4834 s in all), PSNR 21.66 dB / SSIM 0.905 on all 10,000 test
    // digits — above the Keras blog's 20.25 / 0.875 and the same model without clip indicators (21.55 / 0.902, run 6),
    // short of the 22.5 / 0.92 goal.
    reference:
      'PSNR 21.66 dB, SSIM 0.905 on the 10,000 MNIST test digits (Keras blog conv denoiser, 100 epochs: 20.25 dB, 0.875).',
  },
  // The default U-Net width (8 filters) is the speed/quality choice recorded in unet.ts; bench/photos.ts measures it.
  {
    name: 'photo-denoise',
    description:
      'Fast U-Net denoiser for your photos (Gaussian σ = 25/255): put clean photos in ./photos or give --dataset folder:DIR.',
    architecture: 'unet',
    options: { learningRate: 0.002 },
    dataset: 'folder:photos',
    noise: 'gaussian255:25',
    // 20 epochs of 100 steps (the CLI's --steps-per-epoch default) of 16 patches: 32,000 patches of 64².
    epochs: 20,
    batchSize: 16,
    reference:
      'npm run bench:photos, 8 filters, σ = 25: 28.95 dB on real photos after 16,000 patches (noisy 20.56, median 3×3 25.94, ' +
      'non-local means 29.53); this recipe draws twice as many.',
  },
  {
    name: 'keras-simple',
    description: 'The Keras blog simplest autoencoder: Dense 32, 50 epochs, batch 256.',
    architecture: 'dense',
    options: { codeSize: 32 },
    dataset: 'mnist',
    noise: 'none',
    epochs: 50,
    batchSize: 256,
    reference: 'Keras blog: val_loss ≈ 0.0916 after 50 epochs.',
  },
  {
    name: 'keras-sparse',
    description: 'The Keras blog sparse autoencoder: Dense 32 with L1 activity 1e-4, 100 epochs, batch 256.',
    architecture: 'sparse',
    options: { codeSize: 32 },
    dataset: 'mnist',
    noise: 'none',
    epochs: 100,
    batchSize: 256,
    reference: 'Keras blog: test loss ≈ 0.10 after 100 epochs, mean code activation 3.33 (dense: 7.30).',
  },
  {
    name: 'keras-deep',
    description: 'The Keras blog deep autoencoder: 128-64-32-64-128, 100 epochs, batch 256.',
    architecture: 'deep',
    options: { codeSize: 32 },
    dataset: 'mnist',
    noise: 'none',
    epochs: 100,
    batchSize: 256,
    reference: 'Keras blog: val_loss ≈ 0.097 after 100 epochs.',
  },
  {
    name: 'keras-conv',
    description: 'The Keras blog convolutional autoencoder: 16-8-8 filters, 4×4×8 code, 50 epochs, batch 128.',
    architecture: 'conv',
    options: { codeSize: 128 },
    dataset: 'mnist',
    noise: 'none',
    epochs: 50,
    batchSize: 128,
    reference: 'Keras blog: val_loss ≈ 0.094 after 50 epochs.',
  },
  {
    name: 'keras-seq2seq',
    description: 'The Keras blog sequence-to-sequence autoencoder over image rows (LSTM code of 32).',
    architecture: 'seq2seq',
    options: { codeSize: 32 },
    dataset: 'mnist',
    noise: 'none',
    epochs: 20,
    batchSize: 128,
  },
  {
    name: 'keras-vae',
    description: 'The Keras blog variational autoencoder: Dense 256, 2-D code, 50 epochs, batch 100.',
    architecture: 'vae',
    options: { codeSize: 2, hiddenUnits: 256 },
    dataset: 'mnist',
    noise: 'none',
    epochs: 50,
    batchSize: 100,
  },
]

export function listPresets(): readonly Preset[] {
  return PRESETS
}

/** Whether a preset trains on data the app ships (MNIST): a folder preset needs a folder the user names first. */
export function isBuiltInDataPreset(preset: Preset): boolean {
  return !preset.dataset.startsWith('folder:') && !preset.dataset.startsWith('idx:')
}

export function getPreset(name: string): Preset {
  const preset = PRESETS.find((candidate) => candidate.name === name)
  if (!preset) {
    throw new BottleneckError(
      'INVALID_INPUT',
      `Unknown preset "${name}"; available: ${PRESETS.map((candidate) => candidate.name).join(', ')}.`,
    )
  }
  return preset
}

/** What a preset sets on a training run: every value train and the Train view need, none left to a default. */
export interface PresetSettings {
  architecture: ArchitectureName
  dataset: string
  codeSize: number
  learningRate: number
  epochs: number
  batchSize: number
  /** `parseNoiseSpec` text; 'none' for plain autoencoders. */
  noise: string
}

/**
 * The run settings a preset stands for. Training passes only code size and learning rate to the model config, so a
 * preset may set other options only where they equal the architecture's defaults; this keeps a preset honest if
 * someone edits it without changing those defaults.
 */
export function presetSettings(preset: Preset): PresetSettings {
  const defaults = createModelConfig(preset.architecture, [28, 28, 1])
  for (const [option, value] of Object.entries(preset.options)) {
    if (option !== 'codeSize' && option !== 'learningRate' && JSON.stringify(defaults[option]) !== JSON.stringify(value)) {
      throw new BottleneckError(
        'INVALID_INPUT',
        `The preset ${preset.name} sets ${option}, which training cannot pass on; change the ${preset.architecture} defaults instead.`,
      )
    }
  }
  return {
    architecture: preset.architecture,
    dataset: preset.dataset,
    codeSize: preset.options.codeSize ?? defaults.codeSize,
    learningRate: preset.options.learningRate ?? defaults.learningRate,
    epochs: preset.epochs,
    batchSize: preset.batchSize,
    noise: preset.noise,
  }
}

/** The preset's model config for images of `inputShape` (MNIST's 28×28×1 unless given); `overrides` win. */
export function presetModelConfig(
  preset: Preset,
  inputShape: [number, number, number] = [28, 28, 1],
  overrides: Partial<ModelConfig> = {},
): ModelConfig {
  return createModelConfig(preset.architecture, inputShape, { ...preset.options, ...overrides })
}
