// The sentence the Train view shows once a dataset is added: an image folder's counts are patches, so its image
// files are counted apart and the ones training skips are named.
import { describe, expect, it } from 'vitest'
import type { DatasetSummary } from '@contract'
import { describeAddedDataset } from '@renderer/stores/datasets'

/** An image folder as the service reports it: patches counted, its image files apart. */
function imageFolder(imageFiles: NonNullable<DatasetSummary['imageFiles']>): DatasetSummary {
  return {
    id: 'folder-abc',
    name: 'mixed',
    kind: 'folder',
    height: 64,
    width: 64,
    channels: 1,
    trainCount: 2048,
    testCount: 256,
    path: '/data/mixed',
    imageFiles,
  }
}

const unreadable = (file: string) => ({
  file,
  reason: `Cannot read ${file}: the file is damaged or truncated.`,
})

describe('the notice for an added dataset', () => {
  it('counts an image folder’s images, names the one it cannot read, and says its counts are patches', () => {
    const message = describeAddedDataset(
      imageFolder({ found: 2, unreadableCount: 1, unreadable: [unreadable('bad.png')] }),
    )
    expect(message).toBe(
      'Added dataset "mixed": 2 images found; 1 cannot be read and is skipped (bad.png). ' +
        'Training uses 2,048 random 64×64 patches of the one that can be read, and tests on 256 more.',
    )
  })

  it('names a few unreadable images and counts the rest', () => {
    const files = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png']
    const message = describeAddedDataset(
      imageFolder({ found: 40, unreadableCount: 7, unreadable: files.map(unreadable) }),
    )
    expect(message).toContain(
      '40 images found; 7 cannot be read and are skipped (a.png, b.png, c.png and 4 more).',
    )
    expect(message).toContain('patches of the 33 that can be read')
  })

  it('says nothing of unreadable images when every one can be read', () => {
    expect(describeAddedDataset(imageFolder({ found: 12, unreadableCount: 0, unreadable: [] }))).toBe(
      'Added dataset "mixed": 12 images found. Training uses 2,048 random 64×64 patches of them, and tests on 256 more.',
    )
  })

  it('counts the images of an IDX folder, which are images and not patches', () => {
    const idx: DatasetSummary = {
      id: 'idx-abc',
      name: 'EMNIST',
      kind: 'idx',
      height: 28,
      width: 28,
      channels: 1,
      trainCount: 112800,
      testCount: 18800,
    }
    expect(describeAddedDataset(idx)).toBe(
      'Added dataset "EMNIST" (112,800 training and 18,800 test images).',
    )
  })
})
