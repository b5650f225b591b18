// Notices models that change in the store behind the service's back: the CLI training into the same store while the
// app is open, a model folder deleted or copied in by hand. The service reports its own changes itself, as they
// happen; this only fills in the rest, so the views' lists stay true without a restart.
//
// Polling rather than fs.watch: a save changes files two levels down (<id>/current), which a watch of the models
// folder does not see, and recursive watching is uneven across platforms. One tick reads a directory and one tiny
// file per model.
import type { ModelsChanged } from '../contract/index'

/**
 * How often the app's shells look: a model the CLI saves shows up within about a second and a half, for one
 * directory read and one small file read per model each time.
 */
export const APP_MODELS_WATCH_MS = 1500

export interface ModelsWatchOptions {
  /** The store's view of its models folder (Store.modelsState). */
  readState: () => Map<string, string>
  /** The same for one model (Store.modelState). */
  readModelState: (id: string) => string | undefined
  intervalMs: number
  onChange: (change: ModelsChanged) => void
  /**
   * Ids whose changes the service reports itself right now (the model its trainer is writing), and whether a model
   * it is creating may not have an id yet: a new folder then waits a tick rather than be announced twice.
   */
  ownedNow: () => { ids: ReadonlySet<string>; creating: boolean }
}

export interface ModelsWatch {
  /** The service changed this model itself and said so: take the store's state for it as known. */
  absorb(id: string): void
  /** While `work` runs the service is changing the store itself; ticks wait until it is done. */
  during<T>(work: () => Promise<T>): Promise<T>
  /** One comparison now (the timer calls this; tests call it to avoid waiting). */
  check(): void
  stop(): void
}

export function watchModels(options: ModelsWatchOptions): ModelsWatch {
  let known = options.readState()
  let ownOperations = 0

  function absorb(id: string): void {
    const state = options.readModelState(id)
    if (state === undefined) known.delete(id)
    else known.set(id, state)
  }

  function check(): void {
    if (ownOperations > 0) return
    const now = options.readState()
    const owned = options.ownedNow()
    const next = new Map(now)
    const changes: ModelsChanged[] = []
    for (const [id, state] of now) {
      const before = known.get(id)
      if (owned.ids.has(id)) continue
      if (before === undefined) {
        if (owned.creating) {
          // Possibly the model the trainer is creating: its own 'created' names it; if not, the next tick does.
          next.delete(id)
          continue
        }
        changes.push({ reason: 'created', id })
      } else if (before !== state) changes.push({ reason: 'updated', id })
    }
    for (const id of known.keys()) {
      if (now.has(id)) continue
      if (owned.ids.has(id)) {
        // Still the service's to report (a run that ends before its first epoch removes its model and says so).
        next.set(id, known.get(id) as string)
        continue
      }
      changes.push({ reason: 'deleted', id })
    }
    known = next
    for (const change of changes) options.onChange(change)
  }

  const timer = setInterval(check, options.intervalMs)
  // A watch must not keep a process alive that has nothing else to do (the CLI's service, a test).
  timer.unref()

  return {
    absorb,
    async during(work) {
      ownOperations++
      try {
        return await work()
      } finally {
        ownOperations--
      }
    },
    check,
    stop: () => clearInterval(timer),
  }
}
