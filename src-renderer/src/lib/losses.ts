// What a model's two loss figures measure. The training loss is each architecture's own objective
// (src-main/ml/architectures). val_loss is the reconstruction term of that objective, per pixel, on held-out images
// (`reconstructionMetric` in src-main/ml/architectures/index.ts): binary cross-entropy (noisy → clean for a denoiser;
// a VAE reconstructs from its mean code), squared error for the U-Net.
import type { Architecture } from '@contract'

export interface LossMeaning {
  /** The training objective, as the Train view's settings name it. */
  loss: string
  valLoss: string
  /** False when the two are on different scales (a VAE's loss is summed over the pixels): chart them on two axes. */
  sameScale: boolean
  /** Both in one line, as the charts' captions and the model list's tooltip say it. */
  caption: string
}

const VAL_LOSS = 'binary cross-entropy per pixel of the test reconstructions'

const TRAINING_LOSS: Record<Architecture, Omit<LossMeaning, 'valLoss' | 'caption'> & { valLoss?: string }> = {
  dense: { loss: 'binary cross-entropy', sameScale: true },
  deep: { loss: 'binary cross-entropy', sameScale: true },
  conv: { loss: 'binary cross-entropy', sameScale: true },
  seq2seq: { loss: 'binary cross-entropy', sameScale: true },
  denoiser: { loss: 'binary cross-entropy', sameScale: true },
  // The L1 term adds a few per cent (0.0958 against 0.0917 after the Keras blog's 100 epochs).
  sparse: { loss: 'binary cross-entropy + L1 on the code', sameScale: true },
  vae: { loss: 'binary cross-entropy summed over the pixels + KL divergence, per image', sameScale: false },
  unet: {
    loss: 'mean squared error',
    valLoss:
      'mean squared error per pixel of held-out reconstructions (Noise2Void: at the masked noisy pixels)',
    sameScale: true,
  },
}

export function lossMeaning(architecture: Architecture): LossMeaning {
  const { loss, valLoss = VAL_LOSS, sameScale } = TRAINING_LOSS[architecture]
  return { loss, valLoss, sameScale, caption: `loss: ${loss} · val_loss: ${valLoss}` }
}
