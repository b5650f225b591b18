import { describe, expect, it } from 'vitest'
import type { ModelSummary } from '@contract'
import {
  DEFAULT_MODEL_SORT,
  modelSortToken,
  parseModelSort,
  sortModels,
  toggleModelSort,
  type ModelSort,
} from '@renderer/lib/model-sort'
import { makeModel } from '../support/fake-api'

/** A listed model whose name is its id unless given. */
function model(overrides: Partial<ModelSummary> & Pick<ModelSummary, 'id'>): ModelSummary {
  return makeModel({ name: overrides.id, ...overrides })
}

const ids = (models: ModelSummary[]) => models.map((m) => m.id)
const names = (models: ModelSummary[]) => models.map((m) => m.name)

describe('sortModels', () => {
  it('puts the most recently trained first by default, as the back end lists them', () => {
    const listed = [
      model({ id: 'b', updatedAt: '2026-11-03T10:00:00.000Z' }),
      model({ id: 'a', updatedAt: '2026-11-02T10:00:00.000Z' }),
      model({ id: 'c', updatedAt: '2026-11-01T10:00:00.000Z' }),
    ]
    expect(ids(sortModels(listed, DEFAULT_MODEL_SORT))).toEqual(['b', 'a', 'c'])
    expect(ids(sortModels([...listed].reverse(), DEFAULT_MODEL_SORT))).toEqual(['b', 'a', 'c'])
    expect(ids(sortModels(listed, { key: 'updated', direction: 'ascending' }))).toEqual(['c', 'a', 'b'])
  })

  it('orders names naturally, ignoring case: "run 2" before "run 10"', () => {
    const listed = [
      model({ id: 'm1', name: 'run 10' }),
      model({ id: 'm2', name: 'Run 2' }),
      model({ id: 'm3', name: 'alpha' }),
      model({ id: 'm4', name: 'Beta' }),
    ]
    expect(names(sortModels(listed, { key: 'name', direction: 'ascending' }))).toEqual([
      'alpha',
      'Beta',
      'Run 2',
      'run 10',
    ])
    expect(names(sortModels(listed, { key: 'name', direction: 'descending' }))).toEqual([
      'run 10',
      'Run 2',
      'Beta',
      'alpha',
    ])
  })

  it('orders by val_loss, lowest first, with models that have none last in either direction', () => {
    const listed = [
      model({ id: 'none', valLoss: undefined, epochs: 0 }),
      model({ id: 'high', valLoss: 0.3 }),
      model({ id: 'low', valLoss: 0.05 }),
      model({ id: 'mid', valLoss: 0.1 }),
    ]
    expect(ids(sortModels(listed, { key: 'valLoss', direction: 'ascending' }))).toEqual([
      'low',
      'mid',
      'high',
      'none',
    ])
    expect(ids(sortModels(listed, { key: 'valLoss', direction: 'descending' }))).toEqual([
      'high',
      'mid',
      'low',
      'none',
    ])
  })

  it('orders by architecture', () => {
    const listed = [
      model({ id: 'v', architecture: 'vae' }),
      model({ id: 'c', architecture: 'conv' }),
      model({ id: 'u', architecture: 'unet' }),
      model({ id: 'd', architecture: 'dense' }),
    ]
    expect(ids(sortModels(listed, { key: 'architecture', direction: 'ascending' }))).toEqual([
      'c',
      'd',
      'u',
      'v',
    ])
  })

  it('breaks ties the same way whatever the input order: most recently trained first, then by id', () => {
    const listed = [
      model({ id: 'old-b', architecture: 'conv', updatedAt: '2026-11-01T09:00:00.000Z' }),
      model({ id: 'new', architecture: 'conv', updatedAt: '2026-11-05T09:00:00.000Z' }),
      model({ id: 'old-a', architecture: 'conv', updatedAt: '2026-11-01T09:00:00.000Z' }),
      model({ id: 'dense', architecture: 'dense' }),
    ]
    const expected = ['new', 'old-a', 'old-b', 'dense']
    const sort: ModelSort = { key: 'architecture', direction: 'ascending' }
    expect(ids(sortModels(listed, sort))).toEqual(expected)
    expect(ids(sortModels([...listed].reverse(), sort))).toEqual(expected)
    // Turning the architecture order round does not turn the ties round.
    expect(ids(sortModels(listed, { ...sort, direction: 'descending' }))).toEqual([
      'dense',
      'new',
      'old-a',
      'old-b',
    ])
  })

  it('puts a model whose date cannot be read after the dated ones', () => {
    const listed = [
      model({ id: 'garbled', updatedAt: 'not a date' }),
      model({ id: 'dated', updatedAt: '2020-01-01T00:00:00.000Z' }),
    ]
    expect(ids(sortModels(listed, DEFAULT_MODEL_SORT))).toEqual(['dated', 'garbled'])
    expect(ids(sortModels(listed, { key: 'updated', direction: 'ascending' }))).toEqual(['dated', 'garbled'])
  })

  it('leaves the list it was given as it was', () => {
    const listed = [model({ id: 'b', name: 'b' }), model({ id: 'a', name: 'a' })]
    sortModels(listed, { key: 'name', direction: 'ascending' })
    expect(ids(listed)).toEqual(['b', 'a'])
  })
})

describe('toggleModelSort', () => {
  it('starts a column in its useful direction and turns it round on a second click', () => {
    const byName = toggleModelSort(DEFAULT_MODEL_SORT, 'name')
    expect(byName).toEqual({ key: 'name', direction: 'ascending' })
    expect(toggleModelSort(byName, 'name')).toEqual({ key: 'name', direction: 'descending' })
    expect(toggleModelSort(byName, 'valLoss')).toEqual({ key: 'valLoss', direction: 'ascending' })
    expect(toggleModelSort(byName, 'updated')).toEqual({ key: 'updated', direction: 'descending' })
    expect(toggleModelSort(DEFAULT_MODEL_SORT, 'updated')).toEqual({ key: 'updated', direction: 'ascending' })
  })
})

describe('parseModelSort', () => {
  it('reads back every choice it wrote', () => {
    for (const key of ['updated', 'name', 'valLoss', 'architecture'] as const)
      for (const direction of ['ascending', 'descending'] as const)
        expect(parseModelSort(modelSortToken({ key, direction }))).toEqual({ key, direction })
  })

  it('falls back to the default order for nothing stored or a value it does not know', () => {
    for (const stored of [
      null,
      '',
      'size-ascending',
      'name-upwards',
      'name',
      '{"key":"name"}',
      'name-ascending-x',
    ])
      expect(parseModelSort(stored)).toEqual(DEFAULT_MODEL_SORT)
  })
})
