// How the Models view can order its table: the keys, the order each gives, and the choice as a word to remember it by.
import type { ModelSummary } from '@contract'

export type ModelSortKey = 'updated' | 'name' | 'valLoss' | 'architecture'
/** aria-sort's own words, so a column header can say how it is sorted as it is. */
export type SortDirection = 'ascending' | 'descending'
export interface ModelSort {
  key: ModelSortKey
  direction: SortDirection
}

const SORT_KEYS: readonly ModelSortKey[] = ['updated', 'name', 'valLoss', 'architecture']
const DIRECTIONS: readonly SortDirection[] = ['ascending', 'descending']

/** The order the back end lists models in: the most recently trained first. */
export const DEFAULT_MODEL_SORT: ModelSort = { key: 'updated', direction: 'descending' }

/** What a person looks for first with each key: the newest, the lowest val_loss, A to Z. */
const FIRST_DIRECTION: Record<ModelSortKey, SortDirection> = {
  updated: 'descending',
  name: 'ascending',
  valLoss: 'ascending',
  architecture: 'ascending',
}

// "run 2" before "run 10", "Run" next to "run", in the alphabetical order of the user's language.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'accent' })

/**
 * The models in `sort`'s order. Models without the value (no val_loss yet, a date that cannot be read) come last
 * whichever the direction; ties keep one order: the most recently trained first, then by id.
 */
export function sortModels(models: readonly ModelSummary[], sort: ModelSort): ModelSummary[] {
  return [...models].sort(
    (a, b) =>
      compareBy(sort.key, sort.direction, a, b) ||
      compareBy('updated', 'descending', a, b) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  )
}

/** A header clicked: its column sorted the way it starts, or turned round when it is the sorted one already. */
export function toggleModelSort(current: ModelSort, key: ModelSortKey): ModelSort {
  if (current.key !== key) return { key, direction: FIRST_DIRECTION[key] }
  return { key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' }
}

/** The choice as one word, e.g. "name-ascending": what is stored, and a select's option value. */
export function modelSortToken(sort: ModelSort): string {
  return `${sort.key}-${sort.direction}`
}

/** Reads a token back; anything else (nothing stored, an older or damaged value) gives the default order. */
export function parseModelSort(token: string | null | undefined): ModelSort {
  const [key, direction, ...rest] = (token ?? '').split('-')
  const known =
    rest.length === 0 &&
    SORT_KEYS.includes(key as ModelSortKey) &&
    DIRECTIONS.includes(direction as SortDirection)
  return known ? { key: key as ModelSortKey, direction: direction as SortDirection } : DEFAULT_MODEL_SORT
}

function compareBy(key: ModelSortKey, direction: SortDirection, a: ModelSummary, b: ModelSummary): number {
  const first = sortValue(key, a)
  const second = sortValue(key, b)
  if (first === undefined || second === undefined) return first === second ? 0 : first === undefined ? 1 : -1
  const ascending =
    typeof first === 'number' && typeof second === 'number'
      ? first - second
      : collator.compare(String(first), String(second))
  return direction === 'ascending' ? ascending : -ascending
}

function sortValue(key: ModelSortKey, model: ModelSummary): number | string | undefined {
  switch (key) {
    case 'updated': {
      const time = Date.parse(model.updatedAt)
      return Number.isNaN(time) ? undefined : time
    }
    case 'name':
      return model.name
    case 'valLoss':
      return model.valLoss !== undefined && Number.isFinite(model.valLoss) ? model.valLoss : undefined
    case 'architecture':
      return model.architecture
  }
}
