/**
 * Every call the token client makes to a `TokenStore`, bounded in time and turned into a typed error
 * that names the call. A store is someone else's code talking to someone else's server: a Redis client
 * queues commands while it reconnects, a database pool waits for a free connection, and neither may
 * hold a token request hostage.
 */
import { redact } from '../contract/redact.ts'
import { WireSocketTokenError } from './oauth-errors.ts'
import type { StoredTokenState } from './token-store.ts'

export type StoreCall = 'get' | 'set' | 'lock' | 'release'

export interface BoundedCall<T> {
  call: StoreCall
  /** `signal` aborts when the call has timed out, so that a store can stop work nobody waits for. */
  run: (signal: AbortSignal) => Promise<T> | T
  timeoutMs: number
  /** Values that must not appear in the message even if the store's own error quotes them. */
  secrets: readonly string[]
  /** Told about a value that arrived after the timeout (a lock granted too late must still be released). */
  late?: (value: T) => void
}

/** Run one store call; reject with `store_error` naming the call on a timeout or a failure. */
export const boundedStoreCall = async <T>(request: BoundedCall<T>): Promise<T> => {
  const { call, timeoutMs, secrets } = request
  let timer: ReturnType<typeof setTimeout> | undefined
  let timedOut = false
  const abandon = new AbortController()
  const attempt = (async () => await request.run(abandon.signal))()
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      timedOut = true
      abandon.abort()
      reject(new WireSocketTokenError('store_error', `WireSocket token store: ${call} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
  })
  attempt.then(value => { if (timedOut) request.late?.(value) }, () => {})
  try {
    return await Promise.race([attempt, deadline])
  } catch (error) {
    if (error instanceof WireSocketTokenError) throw error
    // The store's own words help whoever reads the log ("Connection is closed."), minus anything secret.
    const detail = error instanceof Error && error.message.length > 0 ? ` (${redact(error.message, secrets, 120)})` : ''
    throw new WireSocketTokenError('store_error', `WireSocket token store: ${call} failed${detail}`)
  } finally {
    clearTimeout(timer)
  }
}

const optionalString = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined)
const optionalTime = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)

/**
 * What `get()` returned, checked: `undefined`/`null` is an empty store, an object keeps only fields of
 * the right type (a token without its expiry is useless and dropped), anything else is a store error.
 */
export const readStoredState = (value: unknown): StoredTokenState | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new WireSocketTokenError('store_error', 'WireSocket token store: get returned something that is not token state')
  }
  const raw = value as Record<string, unknown>
  const state: StoredTokenState = {}
  const refreshToken = optionalString(raw.refreshToken)
  const accessToken = optionalString(raw.accessToken)
  const accessExpiresAt = optionalTime(raw.accessExpiresAt)
  if (refreshToken !== undefined) {
    state.refreshToken = refreshToken
    const refreshExpiresAt = optionalTime(raw.refreshExpiresAt)
    if (refreshExpiresAt !== undefined) state.refreshExpiresAt = refreshExpiresAt
  }
  if (accessToken !== undefined && accessExpiresAt !== undefined) {
    state.accessToken = accessToken
    state.accessExpiresAt = accessExpiresAt
  }
  return state
}
