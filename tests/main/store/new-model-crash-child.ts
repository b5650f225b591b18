// Child process for the leftover tests: starts saving a new model and stops dead once its version is written in the
// store's temp folder (printing "AT version-written" so the parent can SIGKILL it there), as a train killed during
// its first save would.
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { openStore } from '../../../src-main/store/index'
import { oneEpochMetadata } from '../support/untrained-models'

const [root] = process.argv.slice(2) as [string]
await initBackend('cpu')
const autoencoder = buildAutoencoder(createModelConfig('dense', [12, 12, 1], { seed: 1, codeSize: 4 }))
await openStore(root).save({
  metadata: oneEpochMetadata(autoencoder, 'killed during its first save'),
  model: autoencoder.model,
  onStep: async (step) => {
    process.stdout.write(`AT ${step}\n`)
    await new Promise(() => {})
  },
})
