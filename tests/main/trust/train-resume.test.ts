// Training killed mid-epoch (SIGKILL at a random moment inside an epoch, twice) resumes through the real CLI,
// `bottleneck train --resume`, from the last saved epoch: no epoch lost, none repeated, and the run finishes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli, type WatchedCliResult } from '../support/cli'
import { FUZZ_SEED } from './limits'

const scratch = mkdtempSync(join(tmpdir(), 'bottleneck-resume-'))
const env = { BOTTLENECK_HOME: join(scratch, 'store'), BOTTLENECK_BACKEND: 'cpu' }
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const EPOCHS = 6

/**
 * Runs the CLI; with `killMidEpoch`, SIGKILLs it at a random fraction of an epoch after the first epoch it finishes
 * (epoch length measured from the first two epoch lines), so the kill lands inside a later epoch.
 */
function cli(args: string[], killMidEpoch?: { fraction: number }): Promise<WatchedCliResult> {
  const epochTimes: number[] = []
  return runCli(args, {
    env,
    onOutput: ({ output }, child) => {
      const seen = output.match(/Epoch \d+\/\d+/g)?.length ?? 0
      while (epochTimes.length < seen) epochTimes.push(performance.now())
      if (killMidEpoch && epochTimes.length === 2 && !child.killed) {
        const epochMs = epochTimes[1]! - epochTimes[0]!
        setTimeout(() => child.kill('SIGKILL'), killMidEpoch.fraction * epochMs)
        killMidEpoch = undefined
      }
    },
  })
}

async function savedModel(): Promise<{ id: string; epochs: number; history: { epoch: number }[] }> {
  const listed = await cli(['models', '--json'])
  expect(listed.code, listed.output).toBe(0)
  const models = JSON.parse(listed.output.slice(listed.output.indexOf('['))) as {
    id: string
    epochs: number
    history: { epoch: number }[]
  }[]
  expect(models).toHaveLength(1)
  return models[0]!
}

describe('training killed mid-epoch', () => {
  it('resumes with `bottleneck train --resume` from the last saved epoch, twice, and completes', async () => {
    // Fractions of an epoch at which to kill, from the seed, kept inside the epoch (not at its edges).
    const fractions = [0.2 + ((FUZZ_SEED % 97) / 97) * 0.6, 0.2 + ((FUZZ_SEED % 89) / 89) * 0.6]
    const first = await cli(
      [
        'train',
        '--limit',
        '1000',
        '--test-limit',
        '100',
        '--batch-size',
        '50',
        '--epochs',
        String(EPOCHS),
      ].concat(['--seed', '7', '--name', 'resume trust']),
      { fraction: fractions[0]! },
    )
    expect(first.signal, first.output).toBe('SIGKILL')
    let model = await savedModel()
    // Epochs 1 and 2 were reported saved before the kill, which landed inside epoch 3 (or, on a slow machine, 4).
    expect(model.epochs).toBeGreaterThanOrEqual(2)
    expect(model.epochs).toBeLessThan(EPOCHS)
    expect(model.history.map((h) => h.epoch)).toEqual(Array.from({ length: model.epochs }, (_, i) => i))

    const second = await cli(['train', '--resume', model.id], { fraction: fractions[1]! })
    expect(second.output).toContain(`at epoch ${model.epochs + 1} of ${EPOCHS}`)
    const afterSecond = await savedModel()
    expect(afterSecond.epochs).toBeGreaterThanOrEqual(model.epochs)
    expect(afterSecond.history.map((h) => h.epoch)).toEqual(
      Array.from({ length: afterSecond.epochs }, (_, i) => i),
    )
    model = afterSecond

    if (model.epochs < EPOCHS) {
      const last = await cli(['train', '--resume', model.id])
      expect(last.code, last.output).toBe(0)
      expect(last.output).toContain(`at epoch ${model.epochs + 1} of ${EPOCHS}`)
    }
    const final = await savedModel()
    expect(final.epochs).toBe(EPOCHS)
    expect(final.history.map((h) => h.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i))
  }, 300_000)
})
