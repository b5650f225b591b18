import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { getPriority } from 'node:os'
import { describe, expect, it } from 'vitest'
import { deprioritize, TRAINING_NICENESS } from '../../../src-main/trainer/transport'

/** The scheduling policy of a process (and of each of its threads) from /proc: 0 normal, 5 SCHED_IDLE. */
function policies(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    // Fields after the parenthesised command name; policy is field 41 of stat(5).
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3])
  })
}

describe('deprioritize (the training process)', () => {
  it.runIf(process.platform === 'linux')(
    'lowers its niceness and puts it in the idle scheduling class, threads started later included',
    async () => {
      // A Node child that starts worker threads only after it has been deprioritized, as TensorFlow does.
      const child = spawn(
        process.execPath,
        ['-e', "process.stdin.once('data', () => { const { Worker } = require('node:worker_threads'); new Worker('setInterval(() => {}, 1000)', { eval: true }); setTimeout(() => process.stdout.write('ready'), 300) })"],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      )
      try {
        await new Promise((resolve) => child.once('spawn', resolve))
        const lines: string[] = []
        deprioritize(child.pid, (line) => lines.push(line))
        child.stdin.write('go\n')
        await new Promise((resolve) => child.stdout.once('data', resolve))
        expect(lines).toEqual([])
        expect(getPriority(child.pid)).toBe(TRAINING_NICENESS)
        const byThread = policies(child.pid!)
        expect(byThread.length).toBeGreaterThan(3)
        expect(new Set(byThread)).toEqual(new Set([5]))
      } finally {
        child.kill('SIGKILL')
      }
    },
  )
})
