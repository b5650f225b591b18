// Models changed behind the service's back (the CLI training into the same store while the app is open, a folder
// deleted by hand) reach the views as models.onChanged, once each; the service's own changes are not reported twice.
import { mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelsChanged } from '../../../src-main/contract/index'
import { initBackend } from '../../../src-main/ml/backend'
import { watchModels, type ModelsWatch } from '../../../src-main/service/models-watch'
import { openStore } from '../../../src-main/store/index'
import { scratchDir } from '../support/scratch'
import {
  callService,
  createTestService,
  recordEvents,
  waitForEvent,
  type TestService,
} from '../support/service-events'
import { saveUntrainedModel } from '../support/untrained-models'

const DENSE = {
  architecture: 'dense',
  shape: [8, 8, 1] as [number, number, number],
  options: { seed: 3, codeSize: 4 },
}

beforeAll(async () => {
  await initBackend('cpu')
})

/** A second writer to the same store, as the CLI is: a checkpoint (a new version) of model `id`. */
async function checkpointElsewhere(storeRoot: string, id: string): Promise<void> {
  const store = openStore(storeRoot)
  const { record, autoencoder } = await store.load(id)
  try {
    await store.save({
      id,
      metadata: { ...record.metadata, epochs: record.metadata.epochs + 1 },
      model: autoencoder.model,
    })
  } finally {
    autoencoder.dispose()
  }
}

describe('watchModels on a store another process writes', () => {
  const root = scratchDir('models-watch')
  const store = openStore(root)
  let owned: { ids: Set<string>; creating: boolean } = { ids: new Set(), creating: false }
  let seen: ModelsChanged[] = []
  let watch: ModelsWatch

  beforeAll(() => {
    watch = watchModels({
      readState: () => store.modelsState(),
      readModelState: (id) => store.modelState(id),
      // The tests tick by hand; the timer must never fire during them.
      intervalMs: 3_600_000,
      ownedNow: () => owned,
      onChange: (change) => seen.push(change),
    })
  })
  afterAll(() => watch.stop())

  function tick(): ModelsChanged[] {
    seen = []
    watch.check()
    return seen
  }

  it('reports a model created, saved again, renamed and removed elsewhere, each once', async () => {
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'from the CLI' })
    expect(tick()).toEqual([{ reason: 'created', id }])
    expect(tick()).toEqual([])

    await checkpointElsewhere(root, id)
    expect(tick()).toEqual([{ reason: 'updated', id }])

    await openStore(root).rename(id, 'renamed in the CLI')
    expect(tick()).toEqual([{ reason: 'updated', id }])

    await openStore(root).remove(id)
    expect(tick()).toEqual([{ reason: 'deleted', id }])
    expect(tick()).toEqual([])
  })

  it('does not report a model folder before its pointer exists, nor files that are not models', async () => {
    // How a save looks halfway: the folder and a version, no `current` yet.
    mkdirSync(join(root, 'models', 'abcdefabcdef', 'v000001'), { recursive: true })
    mkdirSync(join(root, 'models', 'not-a-model-id'), { recursive: true })
    expect(tick()).toEqual([])
    rmSync(join(root, 'models', 'abcdefabcdef'), { recursive: true })
  })

  it("leaves the service's own changes to the service: absorbed, owned by the run, or made during an operation", async () => {
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'own' })
    watch.absorb(id)
    expect(tick()).toEqual([])

    // The model a run is writing: its checkpoints are the run's events.
    owned = { ids: new Set([id]), creating: false }
    await checkpointElsewhere(root, id)
    expect(tick()).toEqual([])
    owned = { ids: new Set(), creating: false }
    expect(tick()).toEqual([])

    // While the service renames, a tick does nothing; the service then reports and absorbs.
    let during: ModelsChanged[] | undefined
    await watch.during(async () => {
      await openStore(root).rename(id, 'own, renamed')
      during = tick()
    })
    watch.absorb(id)
    expect(during).toEqual([])
    expect(tick()).toEqual([])

    await watch.during(() => openStore(root).remove(id))
    watch.absorb(id)
    expect(tick()).toEqual([])
  })

  it('holds back a new model while a run is creating one, and reports it once the run has its own', async () => {
    owned = { ids: new Set(), creating: true }
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'maybe the run' })
    expect(tick()).toEqual([])
    owned = { ids: new Set(), creating: false }
    expect(tick()).toEqual([{ reason: 'created', id }])
  })

  it('reports a model folder moved away by hand as deleted and one moved back as created', async () => {
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'moved by hand' })
    tick()
    renameSync(join(root, 'models', id), join(root, 'elsewhere'))
    expect(tick()).toEqual([{ reason: 'deleted', id }])
    renameSync(join(root, 'elsewhere'), join(root, 'models', id))
    expect(tick()).toEqual([{ reason: 'created', id }])
  })
})

describe('a service with the watch on (as the app runs it)', () => {
  const root = scratchDir('models-watch-service')
  let service: TestService

  beforeAll(() => {
    service = createTestService(root, { watchModelsEveryMs: 25 })
  })
  afterAll(async () => {
    await service.close()
  })

  const isModelsChange = (message: { name: string }) => message.name === 'models.onChanged'

  it('announces a model the CLI trains into its store, and each of its saves', async () => {
    const created = waitForEvent(service, isModelsChange, 10_000)
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'trained by the CLI' })
    expect((await created).payload).toEqual({ reason: 'created', id })
    const listed = await callService(service, 'models.list')
    expect(listed.models.map((model) => model.id)).toContain(id)

    const updated = waitForEvent(service, isModelsChange, 10_000)
    await checkpointElsewhere(root, id)
    expect((await updated).payload).toEqual({ reason: 'updated', id })
  })

  it('reports its own rename and delete once, not again from the watch', async () => {
    const created = waitForEvent(service, isModelsChange, 10_000)
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'renamed in the app' })
    await created
    const events = recordEvents(service)
    await callService(service, 'models.rename', { id, name: 'renamed, once' })
    await callService(service, 'models.delete', { id })
    // Twenty ticks of the watch.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(events.filter(isModelsChange).map((message) => message.payload)).toEqual([
      { reason: 'renamed', id },
      { reason: 'deleted', id },
    ])
  })

  it('reports a model deleted outside the app', async () => {
    const created = waitForEvent(service, isModelsChange, 10_000)
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'deleted by the CLI' })
    await created
    const deleted = waitForEvent(service, isModelsChange, 10_000)
    await openStore(root).remove(id)
    expect((await deleted).payload).toEqual({ reason: 'deleted', id })
  })
})
