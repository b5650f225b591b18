// Request throttling for live views (Draw): at most one request in flight; while it runs, newer inputs replace
// each other and only the latest is sent when it finishes. Stale work is skipped, never queued.

export interface LatestWins<I> {
  /** Offer a new input; it runs now if idle, otherwise replaces any input waiting its turn. */
  push(input: I): void
  /** True while a request is in flight. */
  readonly busy: boolean
  /** Drops the waiting input (e.g. when the view closes). */
  cancel(): void
}

export function latestWins<I>(run: (input: I) => Promise<void>): LatestWins<I> {
  let busy = false
  let waiting: { input: I } | null = null

  async function drain(input: I): Promise<void> {
    busy = true
    try {
      await run(input)
    } catch {
      // `run` reports its own errors; a failure must not wedge the queue.
    } finally {
      busy = false
      const next = waiting
      waiting = null
      if (next) void drain(next.input)
    }
  }

  return {
    push(input: I) {
      if (busy) waiting = { input }
      else void drain(input)
    },
    get busy() {
      return busy
    },
    cancel() {
      waiting = null
    },
  }
}
