// A dataset spec as a model records it: the folder's full path, whatever the user typed.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { absoluteDatasetSpec } from '../../../src-main/ml/datasets'

describe('absoluteDatasetSpec', () => {
  it('makes idx: and folder: paths absolute, without a trailing slash', () => {
    expect(absoluteDatasetSpec('idx:data/emnist/')).toBe(`idx:${resolve('data/emnist')}`)
    expect(absoluteDatasetSpec('folder:/photos/')).toBe('folder:/photos')
  })

  it('reads a leading ~ as the home folder, which no shell expands after "folder:"', () => {
    expect(absoluteDatasetSpec('folder:~/photos')).toBe(`folder:${join(homedir(), 'photos')}`)
    expect(absoluteDatasetSpec('folder:~')).toBe(`folder:${homedir()}`)
  })

  it('leaves mnist, an empty path and unknown kinds for the dataset check to refuse', () => {
    expect(absoluteDatasetSpec('mnist')).toBe('mnist')
    expect(absoluteDatasetSpec('folder:')).toBe('folder:')
    expect(absoluteDatasetSpec('zip:x')).toBe('zip:x')
  })
})
