// Child process for the kill-during-save test. It warms up first (TensorFlow.js and the store loaded: the costly
// part, done while the previous child is still saving), says "warm", and on "go" loads one model and saves new
// versions of it as fast as it can — every weight equal to the round number, the name "round N" — reporting each
// completed save, until the parent SIGKILLs it at a random moment.
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../../../src-main/ml/backend'
import { openStore } from '../../../src-main/store/index'

export type Go = { go: { root: string; id: string; firstRound: number } }

await initBackend('cpu')

async function saveForever({ root, id, firstRound }: Go['go']): Promise<never> {
  const store = openStore(root)
  const { record, autoencoder } = await store.load(id)
  process.send?.({ ready: true })
  for (let round = firstRound; ; round++) {
    const started = performance.now()
    const filled = autoencoder.model.getWeights().map((w) => tf.fill(w.shape, round))
    autoencoder.model.setWeights(filled)
    tf.dispose(filled)
    await store.save({
      id,
      metadata: { ...record.metadata, name: `round ${round}` },
      model: autoencoder.model,
    })
    process.send?.({ saved: round, ms: performance.now() - started })
  }
}

process.once('message', (message: Go) => {
  saveForever(message.go).catch((error: unknown) => {
    console.error(error)
    process.exit(3)
  })
})
process.send?.({ warm: true })
