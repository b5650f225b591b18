import { describe, expect, it } from 'vitest'
import { latestWins } from '@renderer/lib/latest-wins'

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

describe('latestWins', () => {
  it('keeps one request in flight and sends only the latest input when it finishes', async () => {
    const started: number[] = []
    const gates: ReturnType<typeof deferred>[] = []
    const queue = latestWins<number>(async (n) => {
      started.push(n)
      const gate = deferred()
      gates.push(gate)
      await gate.promise
    })
    queue.push(1)
    queue.push(2)
    queue.push(3)
    queue.push(4)
    expect(started).toEqual([1])
    expect(queue.busy).toBe(true)
    gates[0]!.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(started).toEqual([1, 4])
    gates[1]!.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(queue.busy).toBe(false)
    expect(started).toEqual([1, 4])
  })

  it('carries on after a failed request and can drop the waiting input', async () => {
    const started: number[] = []
    const gates = new Map<number, ReturnType<typeof deferred>>()
    const queue = latestWins<number>(async (n) => {
      started.push(n)
      const gate = deferred()
      gates.set(n, gate)
      await gate.promise
      if (n === 1) throw new Error('boom')
    })
    const settle = () => new Promise((r) => setTimeout(r, 0))
    queue.push(1)
    queue.push(2)
    gates.get(1)!.resolve() // request 1 fails…
    await settle()
    expect(started).toEqual([1, 2]) // …and the waiting input still goes out
    queue.push(3)
    queue.cancel() // 3 was waiting behind 2: dropped
    gates.get(2)!.resolve()
    await settle()
    expect(started).toEqual([1, 2])
    expect(queue.busy).toBe(false)
    queue.push(4)
    expect(started).toEqual([1, 2, 4])
  })
})
