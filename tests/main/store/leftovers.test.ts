// What a killed save or delete leaves in the models folder (`.new-<pid>-…`, `.removed-<pid>-…`, a whole model's
// weights each) is removed when the models are listed, but never while a writer may still be using it: one of this
// process's own operations, a process that is still running, or (a writer on another machine) files still changing.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildAutoencoder, createModelConfig } from '../../../src-main/ml/architectures/index'
import { initBackend } from '../../../src-main/ml/backend'
import { openStore, type SaveRequest, type Store } from '../../../src-main/store/index'
import { oneEpochMetadata } from '../support/untrained-models'
import { scratchDir } from '../support/scratch'

beforeAll(async () => {
  await initBackend('cpu')
})

const HOUR_AGO = new Date(Date.now() - 60 * 60 * 1000)

/** The id of a process that has exited (and been reaped), so no process has it now. */
function exitedPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', ''])
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }))
  return pid
}

/** A model folder as a save writes it, under `name` in the store's models folder. */
function workFolder(store: Store, name: string): string {
  const folder = join(store.root, 'models', name)
  mkdirSync(join(folder, 'v000001'), { recursive: true })
  writeFileSync(join(folder, 'v000001', 'model.json'), '{}')
  writeFileSync(join(folder, 'v000001', 'weights.bin'), Buffer.alloc(1 << 20))
  writeFileSync(join(folder, 'v000001', 'bottleneck.json'), '{}')
  writeFileSync(join(folder, 'current'), 'v000001\n')
  return folder
}

/** Makes everything in a model folder look last written an hour ago. */
function untouchedForAnHour(folder: string): void {
  for (const entry of readdirSync(folder, { recursive: true, encoding: 'utf8' })) {
    utimesSync(join(folder, entry), HOUR_AGO, HOUR_AGO)
  }
  utimesSync(folder, HOUR_AGO, HOUR_AGO)
}

/** A new model's save request, and how to free its tensors after. */
function newModel(name: string): {
  model: tf.LayersModel
  metadata: SaveRequest['metadata']
  dispose: () => void
} {
  const autoencoder = buildAutoencoder(createModelConfig('dense', [12, 12, 1], { seed: 1, codeSize: 4 }))
  return {
    model: autoencoder.model,
    dispose: () => autoencoder.dispose(),
    metadata: oneEpochMetadata(autoencoder, name),
  }
}

function modelsFolderEntries(store: Store): string[] {
  return readdirSync(join(store.root, 'models')).sort()
}

describe('leftovers of interrupted saves and deletes', () => {
  it('a new model’s folder left by a train killed (SIGKILL) in its first save is removed once it sits untouched', async () => {
    const store = openStore(scratchDir('leftovers'))
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(__dirname, 'new-model-crash-child.ts'), store.root],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    await new Promise<void>((done) => {
      let out = ''
      child.stdout.on('data', (chunk) => {
        out += chunk
        if (out.includes('AT version-written')) child.kill('SIGKILL')
      })
      child.on('exit', () => done())
    })
    const [leftover, ...others] = modelsFolderEntries(store)
    expect(others).toEqual([])
    expect(leftover).toMatch(new RegExp(`^\\.new-${child.pid}-[0-9a-f]+$`))
    // Just written: on a shared drive it could be a writer on another machine whose process id means nothing here.
    expect(await store.list()).toEqual([])
    expect(modelsFolderEntries(store)).toEqual([leftover])
    untouchedForAnHour(join(store.root, 'models', leftover!))
    expect(await store.list()).toEqual([])
    expect(modelsFolderEntries(store)).toEqual([])
  })

  it('removes an interrupted delete and a new model of an exited process when listing, and nothing else', async () => {
    const store = openStore(scratchDir('leftovers'))
    const model = newModel('kept')
    const record = await store.save({ metadata: model.metadata, model: model.model })
    model.dispose()
    const pid = exitedPid()
    for (const name of [
      `.new-${pid}-0badcafe`,
      `.removed-${pid}-0ddba11a`,
      `.removed-${process.pid}-5eed5eed`,
      '.removed-notes',
    ]) {
      untouchedForAnHour(workFolder(store, name))
    }
    // `.removed-<this process>-…` with no delete of this process on it: left by an earlier process with the same id.
    expect((await store.list()).map((listed) => listed.id)).toEqual([record.id])
    expect(modelsFolderEntries(store)).toEqual(['.removed-notes', record.id])
  })

  it('keeps what a writer may still be using: a running process’s folder, files still changing, a save under way', async () => {
    const store = openStore(scratchDir('leftovers'))
    const running = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    try {
      const ofRunning = workFolder(store, `.new-${running.pid}-0badcafe`)
      untouchedForAnHour(ofRunning)
      // The process is not running here, but its weights were written a moment ago (a writer on another machine).
      const stillWritten = workFolder(store, `.new-${exitedPid()}-0ddba11a`)
      untouchedForAnHour(stillWritten)
      utimesSync(join(stillWritten, 'v000001', 'weights.bin'), new Date(), new Date())

      // A new model this process is saving right now, paused once its version is written, then listed through
      // another store object on the same folder (as the app's service and trainer each have their own).
      let resume = () => {}
      let reachedVersion = () => {}
      const versionWritten = new Promise<void>((done) => (reachedVersion = done))
      const model = newModel('saved while listing')
      const saving = store.save({
        metadata: model.metadata,
        model: model.model,
        onStep: (step) => {
          if (step !== 'version-written') return
          reachedVersion()
          return new Promise<void>((done) => (resume = done))
        },
      })
      await versionWritten
      const ownTemp = modelsFolderEntries(store).find((name) => name.startsWith(`.new-${process.pid}-`))!
      untouchedForAnHour(join(store.root, 'models', ownTemp))
      expect(await openStore(store.root).list()).toEqual([])
      expect(existsSync(ofRunning) && existsSync(stillWritten)).toBe(true)
      expect(existsSync(join(store.root, 'models', ownTemp))).toBe(true)

      resume()
      const record = await saving
      model.dispose()
      expect((await store.list()).map((listed) => listed.metadata?.name)).toEqual(['saved while listing'])
      expect(existsSync(ofRunning) && existsSync(stillWritten)).toBe(true)
      expect(record.versionFolder).toBe(join(store.root, 'models', record.id, 'v000001'))
    } finally {
      running.kill('SIGKILL')
    }
  })
})
