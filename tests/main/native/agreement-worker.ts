// One side of the backend-agreement test, run in its own process because tfjs holds one backend per process:
// `save` (native) builds each architecture from a seed, gives the dense one a short real training, saves them all
// into a store and predicts; `load` (any backend) loads the same folders and predicts the same digits.
// Usage: agreement-worker.ts save|load BACKEND STORE_ROOT ARCH,ARCH,… — prints one JSON line:
// { backend, predictions: { [architecture]: number[] } }.
import * as tf from '@tensorflow/tfjs'
import { buildAutoencoder, createModelConfig, type ArchitectureName } from '../../../src-main/ml/architectures/index'
import { initBackend, type BackendName } from '../../../src-main/ml/backend'
import { loadDataset } from '../../../src-main/ml/datasets'
import { fit } from '../../../src-main/ml/train'
import { openStore } from '../../../src-main/store/index'

const DIGITS = 32

async function main(): Promise<void> {
  const [mode, backend, root, list] = process.argv.slice(2) as ['save' | 'load', BackendName, string, string]
  const info = await initBackend(backend)
  const dataset = await loadDataset('mnist', { limit: 2_000, testLimit: DIGITS })
  const store = openStore(root)
  const digits = tf.tensor4d(dataset.test.images, [DIGITS, 28, 28, 1])
  const predictions: Record<string, number[]> = {}
  for (const architecture of list.split(',') as ArchitectureName[]) {
    let autoencoder
    if (mode === 'save') {
      autoencoder = buildAutoencoder(createModelConfig(architecture, [28, 28, 1], { seed: 7 }))
      if (architecture === 'dense') {
        await fit(autoencoder, { train: dataset.train }, { epochs: 1, batchSize: 64, seed: 7 })
      }
      await store.save({
        metadata: {
          name: architecture,
          config: autoencoder.config,
          dataset: { spec: 'mnist', name: 'MNIST', trainCount: 2_000, testCount: DIGITS },
          backend: { name: info.name, tfjsVersion: tf.version.tfjs },
          epochs: 1,
          targetEpochs: 1,
          batchSize: 64,
          history: [],
        },
        model: autoencoder.model,
      })
    } else {
      autoencoder = (await store.load(architecture)).autoencoder
    }
    const output = tf.tidy(() => autoencoder.model.predict(digits) as tf.Tensor)
    predictions[architecture] = Array.from(await output.data())
    output.dispose()
    autoencoder.dispose()
  }
  digits.dispose()
  process.stdout.write(`${JSON.stringify({ backend: info.name, predictions })}\n`)
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`)
  process.exit(1)
})
