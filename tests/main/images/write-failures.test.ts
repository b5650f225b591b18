// Output files that cannot be written: disk full, read-only disk, no permission, a failing fsync. node:fs/promises
// is wrapped so a chosen call fails under a chosen folder the way the system fails it (a full disk keeps half a
// write; Node's recursive mkdir reports a read-only parent as ENOENT). Each failure must give one plain sentence
// naming the file, keep the system error as the cause, and leave no temp file; `denoise` keeps the files it wrote.
import * as fsPromises from 'node:fs/promises'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { parseCommand, type Parsed } from '../../../src-main/cli/args'
import { denoiseCommand, denoiseSpec } from '../../../src-main/cli/commands/denoise'
import { initBackend } from '../../../src-main/ml/backend'
import { BottleneckError } from '../../../src-main/ml/errors'
import { createFolder } from '../../../src-main/ml/file-system'
import { writeFileAtomic } from '../../../src-main/ml/image-io'
import { writeTestPhotos } from '../../../scripts/make-test-photos'
import { saveUntrainedModel } from '../support/untrained-models'

interface Fault {
  /** The call that fails; 'write' and 'sync' fail on file handles opened under `folder`. */
  call: 'open' | 'write' | 'sync' | 'rename' | 'mkdir'
  code: string
  folder: string
  /** Writes under `folder` that still succeed before the fault (the disk fills up after them). */
  writesBefore?: number
}
const state: { fault?: Fault; writes: number } = { writes: 0 }

function systemError(code: string, call: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure, ${call} '${path}'`), {
    code,
    syscall: call,
    path,
  })
}

function faultFor(call: Fault['call'], path: unknown): Fault | undefined {
  const fault = state.fault
  return fault && fault.call === call && String(path).startsWith(fault.folder + sep) ? fault : undefined
}

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fsPromises>()
  const open: typeof actual.open = async (...args: Parameters<typeof actual.open>) => {
    const [path] = args
    const openFault = faultFor('open', path)
    if (openFault) throw systemError(openFault.code, 'open', String(path))
    const handle = await actual.open(...args)
    const writeFault = faultFor('write', path)
    if (writeFault) {
      const writeFile = handle.writeFile.bind(handle)
      handle.writeFile = async (data: Parameters<typeof handle.writeFile>[0], options?: unknown) => {
        if (state.writes++ < (writeFault.writesBefore ?? 0)) return writeFile(data, options as never)
        // A full disk takes part of a write before refusing the rest.
        if (data instanceof Uint8Array) await writeFile(data.subarray(0, data.length >> 1))
        throw systemError(writeFault.code, 'write', String(path))
      }
    }
    const syncFault = faultFor('sync', path)
    if (syncFault) handle.sync = () => Promise.reject(systemError(syncFault.code, 'fsync', String(path)))
    return handle
  }
  const rename: typeof actual.rename = async (from, to) => {
    const fault = faultFor('rename', to)
    if (fault) throw systemError(fault.code, 'rename', String(to))
    return actual.rename(from, to)
  }
  const mkdir = (async (path: fsPromises.FileHandle | string, options?: { recursive?: boolean }) => {
    const fault = faultFor('mkdir', path)
    // Node's recursive mkdir stats the folder it failed to create and reports that stat's ENOENT instead.
    if (fault) throw systemError(options?.recursive ? 'ENOENT' : fault.code, 'mkdir', String(path))
    return actual.mkdir(path as string, options)
  }) as typeof actual.mkdir
  const overrides = { open, rename, mkdir }
  return { ...actual, ...overrides, default: { ...actual, ...overrides } }
})

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'bottleneck-write-failures-'))
})
afterEach(() => {
  state.fault = undefined
  state.writes = 0
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

async function failure(promise: Promise<unknown>): Promise<BottleneckError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(BottleneckError)
  return error as BottleneckError
}

describe('writeFileAtomic when the system refuses', () => {
  const cases: Array<[string, Omit<Fault, 'folder'>, string, RegExp]> = [
    ['the disk is full mid-write', { call: 'write', code: 'ENOSPC' }, 'DISK_FULL', /the disk is full/],
    ['the disk is read-only', { call: 'open', code: 'EROFS' }, 'WRITE_FAILED', /is on a read-only disk/],
    ['writing is not permitted', { call: 'open', code: 'EACCES' }, 'WRITE_FAILED', /permission denied/],
    ['fsync fails', { call: 'sync', code: 'EIO' }, 'WRITE_FAILED', /the file system refused \(EIO\)/],
    ['the folder takes no new files', { call: 'open', code: 'ENOENT' }, 'WRITE_FAILED', /does not accept new files/],
    ['the rename fails', { call: 'rename', code: 'ENOSPC' }, 'DISK_FULL', /the disk is full/],
  ]
  for (const [what, fault, code, reason] of cases) {
    it(`${what}: a sentence naming the file, the cause kept, no temp file, the old file intact`, async () => {
      const folder = await mkdtemp(join(scratch, 'atomic-'))
      const path = join(folder, 'out.png')
      await writeFile(path, 'old picture')
      state.fault = { ...fault, folder }
      const error = await failure(writeFileAtomic(path, new Uint8Array(1000).fill(7)))
      expect(error.code).toBe(code)
      expect(error.message).toMatch(
        new RegExp(`^Could not write ${path.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}: `),
      )
      expect(error.message).toMatch(reason)
      expect(error.message).not.toMatch(/simulated|ENOSPC|EROFS|EACCES|, open|, write/)
      expect((error.cause as NodeJS.ErrnoException).code).toBe(fault.code)
      expect(await readdir(folder)).toEqual(['out.png'])
      expect(await readFile(path, 'utf8')).toBe('old picture')
    })
  }
})

describe('createFolder', () => {
  it('says a read-only parent is read-only, where recursive mkdir would say "no such file"', async () => {
    const readOnly = join(scratch, 'read-only')
    await fsPromises.mkdir(readOnly)
    state.fault = { call: 'mkdir', code: 'EROFS', folder: readOnly }
    const error = await failure(createFolder(join(readOnly, 'sub', 'deeper')))
    expect(error.message).toBe(
      `Could not create the folder ${join(readOnly, 'sub', 'deeper')}: ${readOnly} is on a read-only disk; choose another folder.`,
    )
    expect(await readdir(readOnly)).toEqual([])
  })
})

describe('denoise when writing fails', () => {
  let storeFolder: string
  let modelId: string
  let photos: string[]
  beforeAll(async () => {
    await initBackend()
    storeFolder = join(scratch, 'store')
    modelId = await saveUntrainedModel(storeFolder, {
      architecture: 'unet',
      shape: [32, 32, 3],
      name: 'photo unet',
    })
    photos = await writeTestPhotos(join(scratch, 'photos'), 3, 40, 30)
  })

  /** Runs the command in this process (so the wrapped file system applies) and collects what it prints. */
  async function denoise(
    args: string[],
  ): Promise<{ code: number | BottleneckError; stdout: string; stderr: string }> {
    const printed = { stdout: '', stderr: '' }
    const capture = (stream: 'stdout' | 'stderr') =>
      vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
        printed[stream] += String(chunk)
        return true
      })
    const spies = [capture('stdout'), capture('stderr')]
    try {
      const parsed = parseCommand(denoiseSpec, ['--store', storeFolder, modelId, ...args]) as Parsed
      const code = await denoiseCommand(parsed).catch((error: unknown) => {
        if (error instanceof BottleneckError) return error
        throw error
      })
      return { code, ...printed }
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  }

  it('disk full: stops the batch with a plain message, keeps what it wrote and prints the summary', async () => {
    const out = join(scratch, 'out-full')
    await fsPromises.mkdir(out)
    state.fault = { call: 'write', code: 'ENOSPC', folder: out, writesBefore: 1 }
    const result = await denoise([...photos, '-o', out, '--tile', '64'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      `bottleneck: Could not write ${join(out, 'synthetic-002.png')}: the disk is full (no space left in ${out}); ` +
        'free some space and try again.',
    )
    // Written before the disk filled up, and the third photo was not even tried.
    expect(result.stdout).toContain(`Wrote ${join(out, 'synthetic-001.png')}`)
    expect(result.stdout).toContain(
      `Denoised 1 of 3 images into ${out}. Stopped because the disk is full; 1 image not tried.`,
    )
    expect(result.stderr).not.toContain('synthetic-003')
    expect(await readdir(out)).toEqual(['synthetic-001.png'])
  })

  it('a read-only place for -o: says read-only (not "does not exist") and creates nothing', async () => {
    const readOnly = join(scratch, 'read-only-parent')
    await fsPromises.mkdir(readOnly)
    state.fault = { call: 'mkdir', code: 'EROFS', folder: readOnly }
    const result = await denoise([photos[0]!, '-o', join(readOnly, 'sub')])
    expect(result.code).toBeInstanceOf(BottleneckError)
    expect((result.code as BottleneckError).message).toBe(
      `Could not create the folder ${join(readOnly, 'sub')}: ${readOnly} is on a read-only disk; choose another folder.`,
    )
    expect(await readdir(readOnly)).toEqual([])
  })
})
