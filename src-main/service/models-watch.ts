// Notices models that change in the store behind the service's back: the CLI training into the same store while the
// app is open, a model folder deleted or copied in by hand. The service reports its own changes itself, as they
// happen; this only fills in the rest, so the views' lists stay true without a restart.
//
// Polling rather than fs.watch: a save changes files two levels down (<id>/current), which a watch of the models
// folder does not see, and recursive watching is uneven across platforms. One tick reads a directory and one tiny
// file per model, asynchronously (the app's main process must not stall on a big store). A look that overlaps one of
// the service's own changes is thrown away and taken again next tick: it may have read the store from before it.
import type { ModelsChanged } from '../contract/index'

/**
 * How often the app's shells look: a model the CLI saves shows up within about a second and a half, for one
 * directory read and one small file read per model each time.
 */
export const APP_MODELS_WATCH_MS = 1500

export interface ModelsWatchOptions {
  /** The store's view of its models folder (Store.modelsState). */
  readState: () => Promise<Map<string, string>>
  /** The same for one model (Store.modelState). */
  readModelState: (id: string) => Promise<string | undefined>
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
  absorb(id: string): Promise<void>
  /** While `work` runs the service is changing the store itself; ticks wait until it is done. */
  during<T>(work: () => Promise<T>): Promise<T>
  /**
   * One comparison now (the timer calls this; tests call it to avoid waiting). The first look, which the watch starts
   * itself, only learns what is there. Does nothing while the service changes the store; while a look is under way,
   * waits for that one.
   */
  check(): Promise<void>
  stop(): void
}

export function watchModels(options: ModelsWatchOptions): ModelsWatch {
  /** What the last look saw; undefined until the first look. */
  let known: Map<string, string> | undefined
  let ownOperations = 0
  /** Moves on whenever the service starts or ends a change of its own: a look that saw it move is out of date. */
  let generation = 0
  /** The look under way: a check asked for meanwhile waits for it rather than read the store twice at once. */
  let lookUnderWay: Promise<void> | undefined
  /** A look that ends after stop() (the service closing) reports nothing. */
  let stopped = false

  async function during<T>(work: () => Promise<T>): Promise<T> {
    ownOperations++
    generation++
    try {
      return await work()
    } finally {
      ownOperations--
      generation++
    }
  }

  function absorb(id: string): Promise<void> {
    return during(async () => {
      const state = await options.readModelState(id)
      if (!known) return
      if (state === undefined) known.delete(id)
      else known.set(id, state)
    })
  }

  function check(): Promise<void> {
    if (ownOperations > 0) return Promise.resolve()
    lookUnderWay ??= look().finally(() => {
      lookUnderWay = undefined
    })
    return lookUnderWay
  }

  async function look(): Promise<void> {
    const lookedAt = generation
    const now = await options.readState()
    if (generation !== lookedAt || ownOperations > 0) return
    if (!known) {
      known = now
      return
    }
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
    if (stopped) return
    for (const change of changes) options.onChange(change)
  }

  // A look whose read fails (the models folder unreadable for a moment) is simply taken again next tick.
  const tick = () => void check().catch(() => undefined)
  tick()
  const timer = setInterval(tick, options.intervalMs)
  // A watch must not keep a process alive that has nothing else to do (the CLI's service, a test).
  timer.unref()

  return {
    absorb,
    during,
    check,
    stop() {
      stopped = true
      clearInterval(timer)
    },
  }
}
