// Models changed behind the service's back (the CLI training into the same store while the app is open, a folder
// deleted by hand) reach the views as models.onChanged, once each; the service's own changes are not reported twice.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
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

  beforeAll(async () => {
    watch = watchModels({
      readState: () => store.modelsState(),
      readModelState: (id) => store.modelState(id),
      // The tests tick by hand; the timer must never fire during them.
      intervalMs: 3_600_000,
      ownedNow: () => owned,
      onChange: (change) => seen.push(change),
    })
    await watch.check() // the first look, which only learns what is there
  })
  afterAll(() => watch.stop())

  async function tick(): Promise<ModelsChanged[]> {
    seen = []
    await watch.check()
    return seen
  }

  it('reports a model created, saved again, renamed and removed elsewhere, each once', async () => {
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'from the CLI' })
    expect(await tick()).toEqual([{ reason: 'created', id }])
    expect(await tick()).toEqual([])

    await checkpointElsewhere(root, id)
    expect(await tick()).toEqual([{ reason: 'updated', id }])

    await openStore(root).rename(id, 'renamed in the CLI')
    expect(await tick()).toEqual([{ reason: 'updated', id }])

    await openStore(root).remove(id)
    expect(await tick()).toEqual([{ reason: 'deleted', id }])
    expect(await tick()).toEqual([])
  })

  it('does not report a model folder before its pointer exists, nor files that are not models', async () => {
    // How a save looks halfway: the folder and a version, no `current` yet.
    mkdirSync(join(root, 'models', 'abcdefabcdef', 'v000001'), { recursive: true })
    mkdirSync(join(root, 'models', 'not-a-model-id'), { recursive: true })
    expect(await tick()).toEqual([])
    rmSync(join(root, 'models', 'abcdefabcdef'), { recursive: true })
  })

  it("leaves the service's own changes to the service: absorbed, owned by the run, or made during an operation", async () => {
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'own' })
    await watch.absorb(id)
    expect(await tick()).toEqual([])

    // The model a run is writing: its checkpoints are the run's events.
    owned = { ids: new Set([id]), creating: false }
    await checkpointElsewhere(root, id)
    expect(await tick()).toEqual([])
    owned = { ids: new Set(), creating: false }
    expect(await tick()).toEqual([])

    // While the service renames, a tick does nothing; the service then reports and absorbs.
    let during: ModelsChanged[] | undefined
    await watch.during(async () => {
      await openStore(root).rename(id, 'own, renamed')
      during = await tick()
    })
    await watch.absorb(id)
    expect(during).toEqual([])
    expect(await tick()).toEqual([])

    await watch.during(() => openStore(root).remove(id))
    await watch.absorb(id)
    expect(await tick()).toEqual([])
  })

  it('holds back a new model while a run is creating one, and reports it once the run has its own', async () => {
    owned = { ids: new Set(), creating: true }
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'maybe the run' })
    expect(await tick()).toEqual([])
    owned = { ids: new Set(), creating: false }
    expect(await tick()).toEqual([{ reason: 'created', id }])
  })

  it('reports a model folder moved away by hand as deleted and one moved back as created', async () => {
    const id = await saveUntrainedModel(root, { ...DENSE, name: 'moved by hand' })
    await tick()
    renameSync(join(root, 'models', id), join(root, 'elsewhere'))
    expect(await tick()).toEqual([{ reason: 'deleted', id }])
    renameSync(join(root, 'elsewhere'), join(root, 'models', id))
    expect(await tick()).toEqual([{ reason: 'created', id }])
  })
})

describe('watchModels reading the store asynchronously', () => {
  /** A store whose reads the test answers by hand, so a look can be caught halfway. */
  function handAnsweredStore() {
    const reads: Array<(state: Map<string, string>) => void> = []
    const seen: ModelsChanged[] = []
    const watch = watchModels({
      readState: () => new Promise((resolve) => reads.push(resolve)),
      readModelState: async () => 'v000002',
      intervalMs: 3_600_000,
      ownedNow: () => ({ ids: new Set(), creating: false }),
      onChange: (change) => seen.push(change),
    })
    return { reads, seen, watch }
  }

  it("throws away a look that overlapped the service's own change instead of reporting what it read before it", async () => {
    const { reads, seen, watch } = handAnsweredStore()
    reads.shift()!(new Map([['abcdefabcdef', 'v000001']])) // the first look: one model
    await watch.check()
    // A look starts and reads the store; before its answer arrives, the service saves that model itself.
    const looking = watch.check()
    await watch.absorb('abcdefabcdef')
    reads.shift()!(new Map([['abcdefabcdef', 'v000001']])) // what the look read: the store before the save
    await looking
    expect(seen).toEqual([])
    // The next look reads the saved model: already known, nothing to report.
    const next = watch.check()
    reads.shift()!(new Map([['abcdefabcdef', 'v000002']]))
    await next
    expect(seen).toEqual([])
    watch.stop()
  })

  it('a check asked for during a look waits for that look; a look that ends after stop reports nothing', async () => {
    const { reads, seen, watch } = handAnsweredStore()
    reads.shift()!(new Map())
    await watch.check()
    const first = watch.check()
    const second = watch.check()
    expect(reads).toHaveLength(1) // one read of the store, not two at once
    watch.stop()
    reads.shift()!(new Map([['abcdefabcdef', 'v000001']]))
    await Promise.all([first, second])
    expect(seen).toEqual([])
  })

  it("the store's state lists every model of a folder with more than one batch of reads", async () => {
    const root = scratchDir('models-watch-many')
    const ids = Array.from({ length: 70 }, (_, index) => `m${String(index).padStart(11, '0')}`)
    for (const id of ids) {
      mkdirSync(join(root, 'models', id), { recursive: true })
      writeFileSync(join(root, 'models', id, 'current'), `v00000${index(id)}\n`)
    }
    const state = await openStore(root).modelsState()
    expect([...state.keys()].sort()).toEqual(ids)
    expect(state.get(ids[69]!)).toBe(`v00000${index(ids[69]!)}`)

    function index(id: string): number {
      return Number(id.slice(1)) % 10
    }
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
