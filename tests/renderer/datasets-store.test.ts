// The sentence the Train view shows once a dataset is added: an image folder's counts are patches, so its image
// files are counted apart and the ones training skips are named.
import { describe, expect, it } from 'vitest'
import type { DatasetSummary } from '@contract'
import { describeAddedDataset, describeDatasetContents } from '@renderer/stores/datasets'

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

  it('says GIF files are left out and why, so they do not vanish from the count in silence', () => {
    const one = describeAddedDataset(imageFolder({ found: 12, unreadableCount: 0, unreadable: [], gifsLeftOut: 1 }))
    expect(one).toMatch(/One GIF file is left out: a GIF's 256 colours dither a photo.*Save it as PNG to use it\.$/)
    const many = describeAddedDataset(imageFolder({ found: 12, unreadableCount: 0, unreadable: [], gifsLeftOut: 3 }))
    expect(many).toContain('3 GIF files are left out')
    expect(many).toContain('Save them as PNG to use them.')
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

describe('the line under the chosen dataset', () => {
  const mnist: DatasetSummary = {
    id: 'mnist',
    name: 'MNIST (built in)',
    kind: 'builtin',
    width: 28,
    height: 28,
    channels: 1,
    trainCount: 60000,
    testCount: 10000,
  }

  it('calls an image folder’s counts patches, cut from the images that can be read', () => {
    const folder = imageFolder({ found: 12, unreadableCount: 3, unreadable: [unreadable('bad.png')] })
    expect(describeDatasetContents(folder, null)).toBe(
      '64×64×1 patches cut from 9 images: 2,048 training / 256 test',
    )
    expect(describeDatasetContents(folder, 160)).toBe(
      '64×64×1 patches cut from 9 images: 160 of 2,048 training / 256 test',
    )
    expect(
      describeDatasetContents(imageFolder({ found: 2, unreadableCount: 1, unreadable: [] }), null),
    ).toContain('cut from 1 image:')
  })

  it('still says patches for a folder listed without its image files counted', () => {
    const { imageFiles: _imageFiles, ...listedEarlier } = imageFolder({
      found: 1,
      unreadableCount: 0,
      unreadable: [],
    })
    expect(describeDatasetContents(listedEarlier, null)).toBe('64×64×1 patches: 2,048 training / 256 test')
  })

  it('counts images for MNIST and IDX folders, and the first N when a limit is set', () => {
    expect(describeDatasetContents(mnist, null)).toBe('28×28×1, 60,000 training / 10,000 test images')
    expect(describeDatasetContents(mnist, 512)).toBe('28×28×1, 512 of 60,000 training / 10,000 test images')
    expect(describeDatasetContents(mnist, 90000)).toBe('28×28×1, 60,000 training / 10,000 test images')
  })
})
