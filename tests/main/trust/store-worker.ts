// Child process for the trust tests: runs store operations on request (over the fork IPC channel) and reports the
// outcome. It exists so a loader that hangs in a busy loop — which no in-process timeout can interrupt — costs one
// SIGKILL and a restart instead of freezing the test run.
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../../../src-main/ml/backend'
import { BottleneckError } from '../../../src-main/ml/errors'
import { openStore } from '../../../src-main/store/index'

export type StoreRequest = {
  seq: number
  op: 'import' | 'load' | 'get' | 'remove'
  root: string
  ref: string
}
export type StoreReply = {
  seq: number
  outcome: 'ok' | 'typed' | 'untyped'
  code?: string
  message?: string
  id?: string
  /** Tensors left allocated after the operation (a leak when not 0). */
  leakedTensors: number
}

await initBackend('cpu')

async function handle(request: StoreRequest): Promise<StoreReply> {
  const store = openStore(request.root)
  const before = tf.memory().numTensors
  const reply = (fields: Omit<StoreReply, 'seq' | 'leakedTensors'>): StoreReply => ({
    seq: request.seq,
    leakedTensors: tf.memory().numTensors - before,
    ...fields,
  })
  try {
    if (request.op === 'import') {
      const record = await store.import(request.ref)
      return reply({ outcome: 'ok', id: record.id })
    }
    if (request.op === 'load') {
      const { record, autoencoder } = await store.load(request.ref)
      autoencoder.dispose()
      return reply({ outcome: 'ok', id: record.id })
    }
    if (request.op === 'remove') {
      await store.remove(request.ref)
      return reply({ outcome: 'ok' })
    }
    const record = await store.get(request.ref)
    return reply({ outcome: 'ok', id: record.id })
  } catch (error) {
    if (error instanceof BottleneckError)
      return reply({ outcome: 'typed', code: error.code, message: error.message })
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    return reply({ outcome: 'untyped', message: text })
  }
}

process.on('message', (request: StoreRequest) => {
  void handle(request).then((reply) => process.send?.(reply))
})
process.send?.({ ready: true })
