// A model folder whose `current` pointer is gone is listed as unreadable with the saved version that can be used again,
// and models.restoreVersion brings the model back into the list (loadable, announced to every window); a pointer that
// works is never replaced.
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src-main/ml/backend'
import { scratchDir } from '../support/scratch'
import { callService, createTestService, recordEvents, type TestService } from '../support/service-events'
import { saveUntrainedModel } from '../support/untrained-models'

const DENSE_12 = {
  architecture: 'dense',
  shape: [12, 12, 1] as [number, number, number],
  options: { seed: 1, codeSize: 4 },
}
const image = { width: 12, height: 12, channels: 1 as const, data: new Array<number>(144).fill(128) }

describe('models.restoreVersion', () => {
  const storeRoot = scratchDir('restore-version')
  let service: TestService
  let lostPointer = ''
  let noMetadata = ''
  let damagedPointer = ''

  beforeAll(async () => {
    await initBackend('cpu')
    lostPointer = await saveUntrainedModel(storeRoot, { ...DENSE_12, name: 'lost pointer' })
    rmSync(join(storeRoot, 'models', lostPointer, 'current'))
    damagedPointer = await saveUntrainedModel(storeRoot, { ...DENSE_12, name: 'damaged pointer' })
    writeFileSync(join(storeRoot, 'models', damagedPointer, 'current'), 'not a version\n')
    // Its pointer works; what is missing is inside the version, which no restore can bring back.
    noMetadata = await saveUntrainedModel(storeRoot, { ...DENSE_12, name: 'no metadata' })
    rmSync(join(storeRoot, 'models', noMetadata, 'v000001', 'bottleneck.json'))
    service = createTestService(storeRoot)
  })

  afterAll(async () => {
    await service?.close()
  })

  it('lists a folder without its pointer as unreadable, with the version a restore would use', async () => {
    const list = await callService(service, 'models.list')
    expect(list.models).toEqual([])
    const byId = Object.fromEntries(list.unreadable.map((folder) => [folder.id, folder]))
    expect(byId[lostPointer]).toMatchObject({
      restorableVersion: 'v000001',
      reason: expect.stringContaining('Its saved version v000001 is complete'),
    })
    expect(byId[damagedPointer]).toMatchObject({ restorableVersion: 'v000001' })
    expect(byId[noMetadata]).toBeDefined()
    expect(byId[noMetadata]).not.toHaveProperty('restorableVersion')
    expect(await service.handle('inference.prepare', { id: lostPointer })).toMatchObject({ ok: false })
  })

  it('restores it: the model is listed and loads again, and every window is told', async () => {
    const events = recordEvents(service)
    const restored = await callService(service, 'models.restoreVersion', { id: lostPointer })
    expect(restored).toMatchObject({ id: lostPointer, name: 'lost pointer', architecture: 'dense' })
    expect(events).toContainEqual({
      name: 'models.onChanged',
      payload: { reason: 'created', id: lostPointer },
    })

    const list = await callService(service, 'models.list')
    expect(list.models.map((model) => model.name)).toEqual(['lost pointer'])
    expect(list.unreadable.map((folder) => folder.id).sort()).toEqual([damagedPointer, noMetadata].sort())
    expect(await callService(service, 'inference.prepare', { id: lostPointer })).toEqual({ ready: true })
    const rebuilt = await callService(service, 'inference.reconstruct', { id: lostPointer, images: [image] })
    expect(rebuilt.images).toHaveLength(1)
  })

  it('refuses to replace a pointer that works, and a folder that is not there', async () => {
    for (const id of [lostPointer, noMetadata]) {
      expect(await service.handle('models.restoreVersion', { id })).toEqual({
        ok: false,
        error: {
          code: 'INVALID_INPUT',
          message: expect.stringContaining('already points to a version it holds'),
        },
      })
    }
    expect(await service.handle('models.restoreVersion', { id: 'aaaaaaaaaaaa' })).toMatchObject({
      ok: false,
      error: { code: 'MODEL_NOT_FOUND' },
    })
  })
})
