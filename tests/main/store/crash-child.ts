// Child process for the crash tests: saves a new version of a model and either stops dead at a given save step
// (printing "AT <step>" so the parent can SIGKILL it there) or saves in a loop until it is killed at random.
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../../../src-main/ml/backend'
import { openStore } from '../../../src-main/store/index'

const [root, id, stopAt] = process.argv.slice(2) as [string, string, string]
await initBackend('cpu')
const store = openStore(root)
const { record, autoencoder } = await store.load(id)
for (let round = 1; ; round++) {
  // Every round stores recognisable weights: all values equal to the round number.
  autoencoder.model.setWeights(autoencoder.model.getWeights().map((w) => tf.fill(w.shape, round)))
  await store.save({
    id,
    // The round is written into the metadata too, so a test can check weights and metadata come from one save.
    metadata: { ...record.metadata, metrics: { round } },
    model: autoencoder.model,
    onStep: async (step) => {
      if (step === stopAt) {
        process.stdout.write(`AT ${step}\n`)
        await new Promise(() => {})
      }
    },
  })
  if (stopAt !== 'loop') process.exit(0)
  process.stdout.write(`SAVED ${round}\n`)
}
