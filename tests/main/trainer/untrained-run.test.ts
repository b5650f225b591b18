// A run that ends before its first epoch is saved (cancelled while it prepares or mid-epoch, or failed) leaves no
// model in the store: otherwise an untrained "(2)" model would become the newest one, which Draw, Compare and
// Latent preselect. A run cancelled after an epoch keeps its model, which can be resumed.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { scratchDir } from '../support/scratch'
import { createTestService, runEnded, waitForEvent, type TestService } from '../support/service-events'

const tinyRun = {
  architecture: 'dense',
  datasetId: 'mnist',
  codeSize: 8,
  epochs: 3,
  batchSize: 8,
  learningRate: 0.01,
  trainLimit: 600,
  testLimit: 50,
}

async function trainingState(service: TestService): Promise<string> {
  const status = await service.handle('training.status', {})
  if (!status.ok) throw new Error(status.error.message)
  return (status.value as { state: string }).state
}

async function modelIdOf(started: ReturnType<TestService['handle']>): Promise<string> {
  const envelope = await started
  if (!envelope.ok) throw new Error(envelope.error.message)
  return (envelope.value as { modelId: string }).modelId
}

/** What the Models list and every view would find of the model: nothing, or its saved epochs. */
async function savedEpochs(service: TestService, modelId: string): Promise<number | 'not found'> {
  const detail = await service.handle('models.get', { id: modelId })
  if (!detail.ok) {
    expect(detail.error.code).toBe('MODEL_NOT_FOUND')
    return 'not found'
  }
  return (detail.value as { epochs: number }).epochs
}

describe('a run that ends before its first epoch', () => {
  let service: TestService
  let storeRoot: string
  beforeAll(() => {
    storeRoot = scratchDir('untrained')
    service = createTestService(storeRoot)
  })
  afterAll(async () => {
    await service?.close()
  })
  afterEach(async () => {
    // Each test leaves the trainer idle for the next.
    await expect.poll(() => trainingState(service), { timeout: 30_000 }).toBe('idle')
  })

  it('cancelled while the data and model are prepared (a double click on Start), leaves no model', async () => {
    const ended = waitForEvent(service, runEnded)
    const started = service.handle('training.start', tinyRun)
    await expect.poll(() => trainingState(service), { interval: 5, timeout: 30_000 }).toBe('starting')
    expect(await service.handle('training.cancel', {})).toEqual({ ok: true, value: { cancelled: true } })
    const modelId = await modelIdOf(started)
    const outcome = await ended
    expect(outcome).toMatchObject({
      name: 'training.onDone',
      payload: { modelId, status: 'cancelled', epochs: 0 },
    })
    expect(await savedEpochs(service, modelId)).toBe('not found')
    expect(existsSync(join(storeRoot, 'models', modelId))).toBe(false)
  })

  it('cancelled in the middle of epoch 1, leaves no model', async () => {
    const ended = waitForEvent(service, runEnded)
    // 1,500 batches: an epoch long enough that the cancel always lands inside it, even on a fast machine.
    const modelId = await modelIdOf(
      service.handle('training.start', { ...tinyRun, trainLimit: 6000, batchSize: 4 }),
    )
    await waitForEvent(service, (message) => message.name === 'training.onBatchProgress')
    // Listed while it trains, as the Models view shows it.
    expect(await savedEpochs(service, modelId)).toBe(0)
    const forgotten = waitForEvent(
      service,
      (message) => message.name === 'models.onChanged' && (message.payload as { id: string }).id === modelId,
    )
    await service.handle('training.cancel', {})
    expect(await ended).toMatchObject({
      name: 'training.onDone',
      payload: { status: 'cancelled', epochs: 0 },
    })
    expect(await savedEpochs(service, modelId)).toBe('not found')
    // Every view's list drops it, as after a delete (not "updated", which would make them reload a missing model).
    expect(await forgotten).toMatchObject({ payload: { reason: 'deleted', id: modelId } })
  })

  it('cancelled after epoch 1 was saved, keeps the model to resume', async () => {
    const ended = waitForEvent(service, runEnded)
    const modelId = await modelIdOf(
      service.handle('training.start', { ...tinyRun, epochs: 200, trainLimit: 64 }),
    )
    await waitForEvent(service, (message) => message.name === 'training.onEpochEnd')
    await service.handle('training.cancel', {})
    expect(await ended).toMatchObject({ name: 'training.onDone', payload: { status: 'cancelled' } })
    expect(await savedEpochs(service, modelId)).toBeGreaterThanOrEqual(1)
  })
})

describe('a run that fails before its first epoch', () => {
  let service: TestService | undefined
  afterAll(async () => {
    await service?.close()
  })

  it('leaves no model', async () => {
    // WASM has no convolution gradients: a convolutional model fails as its first batch starts, after the epoch-0
    // save, as it would on a machine without native TensorFlow.
    service = createTestService(scratchDir('untrained-failed'), {
      trainerEnv: { BOTTLENECK_BACKEND: 'wasm' },
    })
    const ended = waitForEvent(service, runEnded)
    const modelId = await modelIdOf(
      service.handle('training.start', { ...tinyRun, architecture: 'conv', codeSize: 16 }),
    )
    expect(await ended).toMatchObject({
      name: 'training.onError',
      payload: { modelId, error: { code: 'BACKEND_UNAVAILABLE' } },
    })
    expect(await savedEpochs(service, modelId)).toBe('not found')
  })
})
