// What a number in the contract may be, read off its zod schema and put in words a person reads beside a field.
// Forms check and explain with the very limits the service enforces, so the two cannot drift apart.
import type { z } from 'zod'

export interface NumberLimits {
  min: number | null
  /** False for a bound like `gt(0)`: the number must be above `min`, not equal to it. */
  minIncluded: boolean
  max: number | null
  maxIncluded: boolean
  wholeNumber: boolean
}

/** zod reports "no bound" as ±Infinity, or ±MAX_SAFE_INTEGER for whole numbers: neither is worth saying. */
function statedBound(value: number | null): number | null {
  return value === null || Math.abs(value) >= Number.MAX_SAFE_INTEGER ? null : value
}

export function numberLimits(schema: z.ZodNumber): NumberLimits {
  const min = statedBound(schema.minValue)
  const max = statedBound(schema.maxValue)
  return {
    min,
    // zod reports gt(0) and min(0) alike as minValue 0; whether the bound itself passes tells them apart.
    minIncluded: min !== null && schema.safeParse(min).success,
    max,
    maxIncluded: max !== null && schema.safeParse(max).success,
    wholeNumber: schema.isInt,
  }
}

function formatBound(value: number): string {
  return value.toLocaleString('en', { maximumFractionDigits: 20 })
}

/** "a whole number from 1 to 1,000", "a number greater than 0 and at most 10", "a number". */
export function describeNumberLimits(limits: NumberLimits): string {
  const kind = limits.wholeNumber ? 'a whole number' : 'a number'
  const { min, max } = limits
  if (min !== null && max !== null && limits.minIncluded && limits.maxIncluded)
    return `${kind} from ${formatBound(min)} to ${formatBound(max)}`
  const lower =
    min === null ? null : `${limits.minIncluded ? 'at least' : 'greater than'} ${formatBound(min)}`
  const upper = max === null ? null : `${limits.maxIncluded ? 'at most' : 'less than'} ${formatBound(max)}`
  const bounds = [lower, upper].filter((bound) => bound !== null)
  return bounds.length ? `${kind} ${bounds.join(' and ')}` : kind
}

/** Whether `value` is a number the schema takes; an empty field (null) never is. */
export function isAllowedNumber(schema: z.ZodNumber, value: number | null): boolean {
  return value !== null && schema.safeParse(value).success
}
