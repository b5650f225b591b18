// The Latent store: which model it explores, latest-wins answers (a late answer for a point or model the user left
// is dropped), ends of an interpolation, and errors kept as sentences per panel.
import { describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { setApi } from '@renderer/api'
import { latentUnavailableReason, useLatentStore } from '@renderer/stores/latent'
import { useModelsStore } from '@renderer/stores/models'
import { createFakeApi, makeModel } from './support/fake-api'
import { installLatentFake } from './support/fake-latent'
import { flushPromises } from './support/mount'

const dense = makeModel({ id: 'dense-2', name: 'plane', codeSize: 2 })
const other = makeModel({ id: 'dense-8', name: 'eight', codeSize: 8, updatedAt: '2026-11-27T09:30:00.000Z' })
const vae = makeModel({ id: 'vae-1', name: 'variational', architecture: 'vae', codeSize: 2 })

async function setupStore(models = [dense, other, vae]) {
  const api = createFakeApi({ models })
  const fake = installLatentFake(api)
  setApi(api)
  setActivePinia(createPinia())
  await useModelsStore().refresh()
  return { api, fake, latent: useLatentStore() }
}

describe('latent store', () => {
  it('says which architectures have no latent space, and why', () => {
    expect(latentUnavailableReason({ architecture: 'dense' })).toBeNull()
    expect(latentUnavailableReason({ architecture: 'vae' })).toBeNull()
    expect(latentUnavailableReason({ architecture: 'denoiser' })).toMatch(/^A denoiser model has no latent space: .*skip connections/)
  })

  it('explores the active model when nothing is chosen, and the chosen one after', async () => {
    const { latent } = await setupStore()
    useModelsStore().setActive('dense-8')
    expect(latent.modelId).toBe('dense-8')
    latent.chooseModel('vae-1')
    expect(latent.modelId).toBe('vae-1')
    expect(latent.isVariational).toBe(true)
    expect(useModelsStore().activeModelId).toBe('vae-1')
  })

  it('drops a point’s answer that arrives after another point was selected', async () => {
    const { api, fake, latent } = await setupStore()
    latent.chooseModel('dense-2')
    await latent.ensureLoaded()
    fake.hold('latent.samples')
    const first = latent.select(1)
    const second = latent.select(2)
    expect(latent.sampleLoading).toBe(true)
    // The newer answer comes first, then the older one: the older must not overwrite it.
    await fake.release('latent.samples', 'newest')
    await fake.release('latent.samples', 'oldest')
    await Promise.all([first, second])
    expect(api.calls.filter((c) => c.name === 'latent.samples')).toHaveLength(2)
    expect(latent.selectedIndex).toBe(2)
    expect(latent.sample?.index).toBe(2)
    expect(latent.sampleLoading).toBe(false)
  })

  it('drops a map that arrives after the user switched to another model, and starts over with the new one', async () => {
    const { fake, latent } = await setupStore()
    latent.chooseModel('dense-2')
    fake.hold('latent.map')
    const stale = latent.ensureLoaded()
    latent.chooseModel('dense-8')
    const fresh = latent.ensureLoaded()
    await fake.release('latent.map', 'newest')
    await fake.release('latent.map', 'oldest')
    await Promise.all([stale, fresh])
    await flushPromises()
    expect(latent.map?.modelId).toBe('dense-8')
    expect(latent.map?.method).toBe('pca')
  })

  it('forgets points and ends when the model changes', async () => {
    const { latent } = await setupStore()
    latent.chooseModel('dense-2')
    await latent.ensureLoaded()
    await latent.select(4)
    await latent.setEnd('from', 4)
    await latent.setEnd('to', 9)
    expect(latent.interpolation?.images).toHaveLength(10)
    latent.chooseModel('dense-8')
    await latent.ensureLoaded()
    expect(latent.selectedIndex).toBeNull()
    expect(latent.fromIndex).toBeNull()
    expect(latent.toIndex).toBeNull()
    expect(latent.interpolation).toBeNull()
  })

  it('keeps each panel’s error to itself, as the sentence the back end gave', async () => {
    const { api, latent } = await setupStore()
    latent.chooseModel('vae-1')
    const crash =
      'The inference process stopped unexpectedly and is being restarted. Your saved models are safe; try again.'
    api.failNext('latent.generate', 'TRAINER_CRASHED', crash)
    await latent.ensureLoaded()
    expect(latent.map?.count).toBe(2000)
    expect(latent.mapError).toBeNull()
    expect(latent.gridError).toBe(crash)
    await latent.loadGrid()
    expect(latent.gridError).toBeNull()
    expect(latent.grid?.n).toBe(15)
  })

  it('clears the selection when the map shrinks below it', async () => {
    const { latent } = await setupStore()
    latent.chooseModel('dense-2')
    await latent.ensureLoaded()
    await latent.select(1500)
    await latent.setMapSize(1000)
    expect(latent.selectedIndex).toBeNull()
    expect(latent.map?.count).toBe(1000)
  })

  it('drops an interpolation end the shrunken map no longer holds, keeping the other', async () => {
    const { latent } = await setupStore()
    latent.chooseModel('dense-2')
    await latent.ensureLoaded()
    await latent.setEnd('from', 1950)
    await latent.setEnd('to', 12)
    expect(latent.interpolation).not.toBeNull()
    await latent.setMapSize(1000)
    expect(latent.fromIndex).toBeNull()
    expect(latent.toIndex).toBe(12)
    expect(latent.interpolation).toBeNull()
  })
})
