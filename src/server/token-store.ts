/**
 * Where the token client keeps its renewal state. The refresh token rotates on every use and a reused
 * one makes the service revoke the whole family, so every process that shares a client id must share
 * this state and take turns renewing it. In one process the in-memory default does that; serverless or
 * multi-instance deployments plug in a shared store (Redis, a database row) with a `lock`.
 */

/** What a store holds. Times are epoch milliseconds. */
export interface StoredTokenState {
  /** The current (not yet used) refresh token, if the service issued one. */
  refreshToken?: string
  /**
   * When the refresh token stops working: 7 days after the client-credentials grant that started its
   * family (contract §1). Rotation does not extend it, so this is carried over unchanged on refresh.
   */
  refreshExpiresAt?: number
  /** The current access token, so that other processes reuse it instead of asking for their own. */
  accessToken?: string
  accessExpiresAt?: number
}

export interface LockOptions {
  /** Aborted when the caller no longer waits for the lock. */
  signal?: AbortSignal
}

/** Release a lock taken with `TokenStore.lock`. */
export type ReleaseLock = () => Promise<void> | void

export interface TokenStore {
  /** The current state, or `undefined` when nothing has been stored yet. */
  get(): Promise<StoredTokenState | undefined> | StoredTokenState | undefined
  /** Replace the state (only ever called while holding the lock, when the store has one). */
  set(state: StoredTokenState): Promise<void> | void
  /**
   * Optional mutual exclusion around one renewal, across every process that uses this store. Resolve
   * with a release function once this caller holds the lock (waiting while another holds it). The lock
   * must expire by itself after `leaseMs`, so that a crashed holder cannot block renewals forever.
   * Without `lock`, renewals are single-flight within one process only.
   *
   * `signal` aborts when the token client stops waiting (see its `storeTimeout`): a store that polls
   * for the lock should stop then. A lock granted after that is released by the client at once.
   */
  lock?(leaseMs: number, options?: LockOptions): Promise<ReleaseLock>
}

/**
 * The default store: state in memory, and a lock that queues renewals of every client sharing this
 * store (two `createTokenClient`s in one process can share one store instance).
 */
export const createMemoryTokenStore = (initial?: StoredTokenState): TokenStore => {
  let state: StoredTokenState | undefined = initial === undefined ? undefined : { ...initial }
  let tail: Promise<void> = Promise.resolve()
  return {
    get: () => (state === undefined ? undefined : { ...state }),
    set: next => { state = { ...next } },
    lock: async leaseMs => {
      let release!: () => void
      const released = new Promise<void>(resolve => { release = resolve })
      const previous = tail
      // The lease bounds how long a holder that never releases can block the next one, as in Redis.
      tail = previous.then(async () => {
        let timer: ReturnType<typeof setTimeout> | undefined
        await Promise.race([released, new Promise<void>(resolve => { timer = setTimeout(resolve, leaseMs) })])
        clearTimeout(timer)
      })
      await previous
      let done = false
      return () => {
        if (done) return
        done = true
        release()
      }
    },
  }
}
