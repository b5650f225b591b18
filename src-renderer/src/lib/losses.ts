// What a model's two loss figures measure. The training loss is each architecture's own objective
// (src-main/ml/architectures). val_loss is one measure for every model, so models compare on one scale: the binary
// cross-entropy per pixel between the test images and their reconstructions (noisy → clean for a denoiser; a VAE
// reconstructs from its mean code), src-main/ml/train.ts.
import type { Architecture } from '@contract'

export interface LossMeaning {
  /** The training objective, as the Train view's settings name it. */
  loss: string
  valLoss: string
  /** False when the two are on different scales (a VAE's loss is summed over 784 pixels): chart them on two axes. */
  sameScale: boolean
}

const VAL_LOSS = 'binary cross-entropy per pixel of the test reconstructions'

const TRAINING_LOSS: Record<Architecture, { loss: string; sameScale: boolean }> = {
  dense: { loss: 'binary cross-entropy', sameScale: true },
  deep: { loss: 'binary cross-entropy', sameScale: true },
  conv: { loss: 'binary cross-entropy', sameScale: true },
  seq2seq: { loss: 'binary cross-entropy', sameScale: true },
  denoiser: { loss: 'binary cross-entropy', sameScale: true },
  // The L1 term adds a few per cent (0.0958 against 0.0917 after the Keras blog's 100 epochs).
  sparse: { loss: 'binary cross-entropy + L1 on the code', sameScale: true },
  vae: { loss: 'binary cross-entropy summed over the pixels + KL divergence, per image', sameScale: false },
  unet: { loss: 'mean squared error', sameScale: false },
}

export function lossMeaning(architecture: Architecture): LossMeaning {
  return { ...TRAINING_LOSS[architecture], valLoss: VAL_LOSS }
}
