import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { TrainingConfigSchema } from '@contract'
import { describeNumberLimits, isAllowedNumber, numberLimits } from '@renderer/lib/number-limits'

const describe_ = (schema: z.ZodNumber) => describeNumberLimits(numberLimits(schema))

describe('number limits', () => {
  it('reads whole numbers and included bounds off the contract', () => {
    expect(describe_(TrainingConfigSchema.shape.epochs)).toBe('a whole number from 1 to 1,000')
    expect(numberLimits(TrainingConfigSchema.shape.batchSize)).toEqual({
      min: 1,
      minIncluded: true,
      max: 4096,
      maxIncluded: true,
      wholeNumber: true,
    })
  })

  it('tells a bound the number must stay above from one it may reach', () => {
    expect(describe_(TrainingConfigSchema.shape.learningRate)).toBe('a number greater than 0 and at most 10')
    expect(describe_(z.number().min(0.000001))).toBe('a number at least 0.000001')
    expect(describe_(z.number().lt(1))).toBe('a number less than 1')
    expect(describe_(z.number())).toBe('a number')
  })

  it('takes a number only when the schema does; an empty field never', () => {
    const learningRate = TrainingConfigSchema.shape.learningRate
    expect(isAllowedNumber(learningRate, 0.001)).toBe(true)
    expect(isAllowedNumber(learningRate, 0)).toBe(false)
    expect(isAllowedNumber(learningRate, null)).toBe(false)
    expect(isAllowedNumber(TrainingConfigSchema.shape.epochs, 2.5)).toBe(false)
  })
})
