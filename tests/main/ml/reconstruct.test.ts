import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildAutoencoder, createModelConfig, listArchitectures } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { CompiledDenseChain } from '../../../src-main/ml/compiled/dense-chain'
import { CompiledChainSession, compiledStepsAvailable } from '../../../src-main/ml/compiled/session'
import { createReconstructor } from '../../../src-main/ml/reconstruct'
import { maxDifference, randomImages } from '../architectures/helpers'

beforeAll(async () => {
  await initBackend()
})

/** Chains a compiled session answers for, on native TensorFlow. */
const COMPILED = new Set(['dense', 'sparse', 'deep', 'conv'])

describe('createReconstructor', () => {
  // Every architecture, as the Draw and Compare views call it: the one-pass answer must be what asking the
  // autoencoder and then its encoder gives, with the trained (not initial) weights.
  for (const { name } of listArchitectures()) {
    it(`${name}: one pass gives the autoencoder's reconstruction and the encoder's code, and leaks nothing`, async () => {
      const autoencoder = buildAutoencoder(createModelConfig(name, [28, 28, 1], { seed: 3 }))
      // Weights a compiled copy could not guess: every weight shifted by a small, position-dependent amount.
      autoencoder.model.setWeights(
        autoencoder.model.getWeights().map((w, j) => tf.tidy(() => w.add(tf.randomUniform(w.shape, -0.05, 0.05, 'float32', j + 1)))),
      )
      const images = randomImages(3, [28, 28, 1])
      const reconstructor = await createReconstructor(autoencoder)
      try {
        expect(reconstructor.compiled).toBe(compiledStepsAvailable() && COMPILED.has(name))
        tf.tidy(() => void reconstructor.run(images, true)) // builds tfjs' execution plan once
        const before = tf.memory().numTensors
        tf.tidy(() => {
          const { reconstruction, code } = reconstructor.run(images, true)
          expect(reconstruction.shape).toEqual([3, 28, 28, 1])
          expect(maxDifference(reconstruction, autoencoder.model.predict(images) as tf.Tensor)).toBeLessThan(1e-5)
          if (!autoencoder.encoder) {
            expect(code).toBeNull()
            return
          }
          const encoded = autoencoder.encoder.predict(images) as tf.Tensor | tf.Tensor[]
          const expected = (Array.isArray(encoded) ? encoded[0]! : encoded).reshape([3, -1])
          expect(code!.shape).toEqual(expected.shape)
          expect(maxDifference(code!, expected)).toBeLessThan(1e-5)
          expect(reconstructor.run(images, false).code).toBeNull()
        })
        expect(tf.memory().numTensors).toBe(before)
      } finally {
        reconstructor.dispose()
        images.dispose()
        autoencoder.dispose()
      }
    })
  }
})

describe('createReconstructor when the compiled session fails', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  // The session is only a faster path: a model whose session cannot be built, or refuses the weights, still answers
  // (eagerly, the same numbers), and a session built before the failure is disposed, not leaked.
  for (const failure of ['build', 'weights'] as const) {
    it(`a session that fails at its ${failure} leaves the eager pass answering, and leaks nothing`, async (context) => {
      if (!compiledStepsAvailable()) context.skip() // only native TensorFlow builds sessions
      const autoencoder = buildAutoencoder(createModelConfig('dense', [28, 28, 1], { seed: 5 }))
      const images = randomImages(2, [28, 28, 1])
      const disposed = vi.spyOn(CompiledChainSession.prototype, 'dispose')
      if (failure === 'build') vi.spyOn(CompiledDenseChain, 'create').mockRejectedValue(new Error('graph refused'))
      else
        vi.spyOn(CompiledChainSession.prototype, 'setState').mockImplementation(() => {
          throw new Error('state refused')
        })
      const before = tf.memory().numTensors
      const reconstructor = await createReconstructor(autoencoder)
      try {
        expect(reconstructor.compiled).toBe(false)
        tf.tidy(() => {
          const { reconstruction } = reconstructor.run(images, false)
          expect(maxDifference(reconstruction, autoencoder.model.predict(images) as tf.Tensor)).toBeLessThan(1e-6)
        })
        expect(disposed).toHaveBeenCalledTimes(failure === 'weights' ? 1 : 0)
      } finally {
        reconstructor.dispose()
      }
      expect(tf.memory().numTensors).toBe(before)
      images.dispose()
      autoencoder.dispose()
    })
  }
})
