// The inference process's loaded models: kept between calls so a stroke in Draw does not reload its model, and
// bounded, because a user who opens model after model over a long session would otherwise keep every one's weights
// (and compiled session) until the process grows too large. The least recently used model goes first; a model a
// call is still using (a denoising job runs for seconds) leaves the cache at once but is disposed only when returned.

/** Models kept loaded: one for each view that works with a model (Draw, Compare, Latent, Denoise). */
export const MODELS_KEPT_LOADED = 4

/** Where a model comes from: the store's version pointer (a later save makes a loaded copy stale) and its load. */
export interface ModelSource<T> {
  /** The version the store points to now; read on every call, so it must be cheap. */
  currentVersion(): string
  /** Loads the model; `version` is the one actually read (a save during the load may have moved the pointer). */
  load(): Promise<{ version: string; value: T }>
}

/** A loaded model lent to a call: `release` gives it back (once; later calls do nothing). */
export interface ModelLease<T> {
  value: T
  release(): void
}

interface Entry<T> {
  version: string
  value: T
  /** Leases not yet returned. */
  users: number
  /** Out of the cache (evicted, stale or forgotten): disposed as soon as no lease holds it. */
  dropped: boolean
}

interface PendingLoad<T> {
  version: string
  /** Callers waiting for this load; each is lent the model as the load ends, so no eviction can come between. */
  waiters: number
  entry: Promise<Entry<T>>
}

export interface ModelCache<T> {
  /** The model, loaded once however many calls ask for it at the same time, and kept for the next call. */
  acquire(key: string, source: ModelSource<T>): Promise<ModelLease<T>>
  /** Runs `work` with the model and returns it afterwards, even when `work` throws. */
  use<R>(key: string, source: ModelSource<T>, work: (value: T) => R | Promise<R>): Promise<R>
  /** Drops a model (deleted, renamed or replaced in the store); true when it was loaded or loading. */
  forget(key: string): boolean
  /** Drops every model (shutdown). */
  clear(): void
  /** Models in the cache now (those dropped but still lent are not counted). */
  readonly size: number
}

export function createModelCache<T>(options: { dispose(value: T): void; capacity?: number }): ModelCache<T> {
  const capacity = Math.max(1, options.capacity ?? MODELS_KEPT_LOADED)
  /** In order of use: the first is the least recently used. */
  const entries = new Map<string, Entry<T>>()
  const loading = new Map<string, PendingLoad<T>>()

  function drop(entry: Entry<T>): void {
    entry.dropped = true
    if (entry.users === 0) options.dispose(entry.value)
  }

  function lend(entry: Entry<T>): ModelLease<T> {
    let returned = false
    return {
      value: entry.value,
      release() {
        if (returned) return
        returned = true
        entry.users--
        if (entry.dropped && entry.users === 0) options.dispose(entry.value)
      },
    }
  }

  function keep(key: string, entry: Entry<T>): void {
    const previous = entries.get(key)
    if (previous && previous !== entry) drop(previous)
    entries.delete(key)
    entries.set(key, entry)
    for (const [oldest, old] of entries) {
      if (entries.size <= capacity) break
      entries.delete(oldest)
      drop(old)
    }
  }

  function startLoad(key: string, source: ModelSource<T>, version: string): PendingLoad<T> {
    const pending: PendingLoad<T> = {
      version,
      waiters: 0,
      entry: source.load().then(
        (loaded) => {
          // Forgotten while loading (the model was deleted) or overtaken by the load of a newer version: the copy
          // serves the calls that waited for it and is then disposed.
          const current = loading.get(key) === pending
          if (current) loading.delete(key)
          const entry: Entry<T> = { ...loaded, users: pending.waiters, dropped: !current }
          if (current) keep(key, entry)
          return entry
        },
        (error: unknown) => {
          if (loading.get(key) === pending) loading.delete(key)
          throw error
        },
      ),
    }
    loading.set(key, pending)
    return pending
  }

  async function acquire(key: string, source: ModelSource<T>): Promise<ModelLease<T>> {
    const version = source.currentVersion()
    const cached = entries.get(key)
    if (cached && cached.version === version) {
      cached.users++
      keep(key, cached)
      return lend(cached)
    }
    let pending = loading.get(key)
    if (!pending || pending.version !== version) pending = startLoad(key, source, version)
    pending.waiters++
    return lend(await pending.entry)
  }

  return {
    acquire,
    async use(key, source, work) {
      const lease = await acquire(key, source)
      try {
        return await work(lease.value)
      } finally {
        lease.release()
      }
    },
    forget(key) {
      const pending = loading.delete(key)
      const entry = entries.get(key)
      if (entry) {
        entries.delete(key)
        drop(entry)
      }
      return entry !== undefined || pending
    },
    clear() {
      loading.clear()
      for (const entry of entries.values()) drop(entry)
      entries.clear()
    },
    get size() {
      return entries.size
    },
  }
}
