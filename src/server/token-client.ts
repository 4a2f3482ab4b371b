/**
 * The app's WireSocket access token, shared by every user of the backend (access tokens are app-level).
 * One cached token until `refreshMargin` before it expires; one renewal at a time (per process through
 * a shared promise, across processes through the store's lock); rotating refresh tokens stored as they
 * rotate; client credentials when there is no usable refresh token, or once after `invalid_grant`.
 */
import type { WireSocketClaims } from '../contract/claims.ts'
import { decodeClaims } from './decode-claims.ts'
import { WireSocketTokenError, withRetryAfter } from './oauth-errors.ts'
import { boundedStoreCall, readStoredState, type StoreCall } from './store-calls.ts'
import { requestToken, type FetchLike, type TokenReply } from './token-endpoint.ts'
import { createMemoryTokenStore, type ReleaseLock, type StoredTokenState, type TokenStore } from './token-store.ts'

import { WIRESOCKET_TOKEN_URL as DEFAULT_TOKEN_URL, TOKEN_REQUEST_SCOPE as TOKEN_SCOPE } from '../contract/identity.ts'
export { DEFAULT_TOKEN_URL, TOKEN_SCOPE }
/** Contract §1: refresh tokens live 7 days from the client-credentials grant. */
export const REFRESH_TOKEN_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000

export interface AccessToken {
  /** The JWT to hand to the browser. */
  token: string
  /** Epoch milliseconds after which the token is no longer accepted. */
  expiresAt: number
  /** The token's decoded (not verified: it came straight from the token service over TLS) claims. */
  claims: WireSocketClaims
}

export interface TokenClientOptions {
  clientId: string
  /** Only ever sent to `tokenUrl`; kept in a closure, never on an object, never in an error. */
  clientSecret: string
  /** Default `https://api.wiresocket.com/connect/token`. */
  tokenUrl?: string
  /** Default: the global `fetch`. */
  fetch?: FetchLike
  /** Where the refresh token (and the current access token) live. Default: in memory, per client. */
  store?: TokenStore
  /** Renew this many milliseconds before the access token expires. Default 60 000. */
  refreshMargin?: number
  /** Epoch-milliseconds clock. Default `Date.now`. */
  now?: () => number
  /** Per-request timeout in milliseconds. Default 10 000. */
  timeout?: number
  /** Known refresh-token lifetime in milliseconds. Default 7 days (contract §1). */
  refreshTokenLifetime?: number
  /**
   * How long to wait before asking again after a failure that gave no `Retry-After` (5xx, network,
   * 400, 401…), in milliseconds. Default 5 000. A 429 or 503 with `Retry-After` waits exactly that long.
   * Callers arriving meanwhile get the same error (or, after a 429/503/network failure, the cached token
   * while it is still valid) without a request.
   */
  failureBackoff?: number
  /**
   * Longest wait, in milliseconds, for one call to the store (`get`, `set`, releasing the lock). Default
   * 2 000. Waiting for the lock itself may take up to `lockLease` more when there is no valid token to
   * serve meanwhile (another process is renewing); with a valid cached token, only `storeTimeout`.
   * A store call that fails or times out is a `store_error`; the still-valid cached token is served.
   */
  storeTimeout?: number
  /**
   * How long one renewal may hold the store's lock before other processes presume its holder dead, in
   * milliseconds. Default `2 × timeout + 5 000` (one refresh, one client-credentials fall-back, slack).
   */
  lockLease?: number
}

export interface TokenClient {
  /** The current access token, renewing it when due. Rejects with a `WireSocketTokenError`. */
  getAccessToken(): Promise<AccessToken>
  /**
   * Stop handing out `token` (for example because the dataplane rejected it before its expiry): the
   * next `getAccessToken()` renews, even if the shared store still holds that same token.
   */
  invalidate(token?: string): void
}

const requirePositive = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`createTokenClient: ${name} must be a non-negative number of milliseconds`)
  return value
}

export const createTokenClient = (options: TokenClientOptions): TokenClient => {
  const { clientId, clientSecret } = options
  if (typeof clientId !== 'string' || clientId.length === 0) throw new TypeError('createTokenClient: clientId is required')
  if (typeof clientSecret !== 'string' || clientSecret.length === 0) throw new TypeError('createTokenClient: clientSecret is required')
  const tokenUrl = options.tokenUrl ?? DEFAULT_TOKEN_URL
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init))
  const store = options.store ?? createMemoryTokenStore()
  const now = options.now ?? Date.now
  const refreshMargin = requirePositive(options.refreshMargin, 60_000, 'refreshMargin')
  const timeout = requirePositive(options.timeout, 10_000, 'timeout')
  const refreshLifetime = requirePositive(options.refreshTokenLifetime, REFRESH_TOKEN_LIFETIME_MS, 'refreshTokenLifetime')
  const failureBackoff = requirePositive(options.failureBackoff, 5_000, 'failureBackoff')
  const storeTimeout = requirePositive(options.storeTimeout, 2_000, 'storeTimeout')
  // A lock held longer than this is presumed dead: one client-credentials call plus one refresh call.
  const leaseMs = requirePositive(options.lockLease, 2 * timeout + 5_000, 'lockLease')
  if (leaseMs < 1) throw new TypeError('createTokenClient: lockLease must be at least 1 ms')

  let cached: AccessToken | undefined
  let inflight: Promise<AccessToken> | undefined
  let blockedUntil = 0
  let blockedBy: WireSocketTokenError | undefined
  const rejected = new Set<string>()
  // The refresh token last seen (read from the store or received): kept out of every error message.
  let knownRefreshToken: string | undefined
  const secrets = (...more: Array<string | undefined>): string[] =>
    [clientSecret, cached?.token, knownRefreshToken, ...more].filter((s): s is string => s !== undefined)

  // The margin is capped at a quarter of the token's lifetime: with short tokens (a local dataplane at
  // 60 s) a 60 s margin would renew on every call. A quarter stays above the browser provider's fifth,
  // so a browser refreshing early always gets a newer token from us.
  const usable = (token: AccessToken | undefined, at: number, margin: number): token is AccessToken => {
    if (token === undefined || rejected.has(token.token)) return false
    const { exp, iat } = token.claims
    const lifetime = exp !== undefined && iat !== undefined && exp > iat ? (exp - iat) * 1000 : Infinity
    return at < token.expiresAt - Math.min(margin, lifetime / 4)
  }

  const toAccessToken = (token: string, expiresAt: number): AccessToken => ({ token, expiresAt, claims: decodeClaims(token) })

  /** A token straight from the service: one that is not a JWT is a bad reply, not a crash. */
  const fromService = (state: StoredTokenState): AccessToken => {
    try {
      return toAccessToken(state.accessToken!, state.accessExpiresAt!)
    } catch {
      throw new WireSocketTokenError('bad_response', 'WireSocket token reply\'s access_token is not a JWT', { status: 200 })
    }
  }

  /** A token someone else put in the shared store: unreadable means unusable, never an error. */
  const fromStore = (state: StoredTokenState | undefined): AccessToken | undefined => {
    if (state?.accessToken === undefined || state.accessExpiresAt === undefined) return undefined
    try {
      return toAccessToken(state.accessToken, state.accessExpiresAt)
    } catch {
      return undefined
    }
  }

  const post = async (form: Record<string, string>, presented?: string): Promise<TokenReply> =>
    await requestToken({ url: tokenUrl, form, fetch: fetchImpl, timeoutMs: timeout, nowMs: now(), secrets: secrets(presented) })

  const clientCredentials = async (): Promise<StoredTokenState> => {
    const startedAt = now()
    const reply = await post({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: TOKEN_SCOPE })
    return {
      accessToken: reply.accessToken,
      accessExpiresAt: expiryOf(reply, startedAt),
      refreshToken: reply.refreshToken,
      // The family's clock starts at this grant: measured from before the request, to stay on the safe side.
      refreshExpiresAt: reply.refreshToken === undefined ? undefined : startedAt + refreshLifetime,
    }
  }

  const refresh = async (refreshToken: string, refreshExpiresAt: number): Promise<StoredTokenState> => {
    const startedAt = now()
    const reply = await post({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId }, refreshToken)
    return {
      accessToken: reply.accessToken,
      accessExpiresAt: expiryOf(reply, startedAt),
      // The presented token is spent either way: without a successor there is nothing left to store.
      refreshToken: reply.refreshToken,
      refreshExpiresAt: reply.refreshToken === undefined ? undefined : refreshExpiresAt,
    }
  }

  /** `expires_in` counted from before the request (robust to clock skew), else the token's own `exp`. */
  const expiryOf = (reply: TokenReply, startedAt: number): number => {
    if (reply.expiresIn !== undefined) return startedAt + reply.expiresIn * 1000
    const exp = decodeClaims(reply.accessToken).exp
    if (exp === undefined) throw new WireSocketTokenError('bad_response', 'WireSocket token reply has neither expires_in nor exp', { status: 200 })
    return exp * 1000
  }

  const callStore = async <T>(call: StoreCall, run: (signal: AbortSignal) => Promise<T> | T, timeoutMs = storeTimeout, late?: (value: T) => void): Promise<T> =>
    await boundedStoreCall({ call, run, timeoutMs, secrets: secrets(), late })

  const readStore = async (): Promise<StoredTokenState | undefined> => {
    const state = readStoredState(await callStore('get', () => store.get()))
    if (state?.refreshToken !== undefined) knownRefreshToken = state.refreshToken
    return state
  }

  const writeStore = async (state: StoredTokenState): Promise<void> => {
    await callStore('set', () => store.set(state))
  }

  /**
   * Take the store's lock. With a valid token to serve meanwhile, wait no longer than any store call;
   * without one, also wait out a holder that may be renewing (at most its lease). A lock granted after
   * we gave up is released at once.
   */
  const takeLock = async (lock: NonNullable<TokenStore['lock']>): Promise<ReleaseLock> => {
    const waitMs = usable(cached, now(), 0) ? storeTimeout : storeTimeout + leaseMs
    return await callStore('lock', async signal => await lock.call(store, leaseMs, { signal }), waitMs, release => { void releaseLock(release) })
  }

  const releaseLock = async (release: ReleaseLock): Promise<void> => {
    try {
      await callStore('release', release)
    } catch {
      // A lost release only delays the next renewal until the lease runs out.
    }
  }

  /** Obtain new state from the service, using the refresh token when it is known to be still alive. */
  const obtain = async (state: StoredTokenState | undefined): Promise<StoredTokenState> => {
    const { refreshToken, refreshExpiresAt } = state ?? {}
    // Never present a refresh token we know has expired (or will during the request): it would only earn an invalid_grant.
    if (refreshToken !== undefined && refreshExpiresAt !== undefined && now() < refreshExpiresAt - refreshMargin) {
      try {
        return await refresh(refreshToken, refreshExpiresAt)
      } catch (error) {
        // Reused (stolen), revoked or expired early: start a new family with the secret, once.
        if (!(error instanceof WireSocketTokenError) || error.code !== 'invalid_grant') throw error
      }
    }
    return await clientCredentials()
  }

  const renewLocked = async (): Promise<AccessToken> => {
    const state = await readStore()
    // Another process (or client) sharing the store may have renewed while we waited for the lock.
    const shared = fromStore(state)
    if (usable(shared, now(), refreshMargin)) return shared
    const next = await obtain(state)
    if (next.refreshToken !== undefined) knownRefreshToken = next.refreshToken
    const token = fromService(next)
    // Cache before storing: if the store fails, this process still serves the token it paid for.
    cached = token
    await writeStore(next)
    return token
  }

  /**
   * Failures of infrastructure (the service down or rate limiting, a garbage 200, the store) leave the
   * cached token as good as it was. A refused secret or request does not: the app must hear about it.
   */
  const servesCached = (failure: WireSocketTokenError): boolean => failure.transient || failure.code === 'bad_response'

  const renew = async (): Promise<AccessToken> => {
    let release: ReleaseLock | undefined
    try {
      if (store.lock !== undefined) release = await takeLock(store.lock)
      const token = await renewLocked()
      cached = token
      blockedUntil = 0
      blockedBy = undefined
      return token
    } catch (error) {
      const failure = error instanceof WireSocketTokenError
        ? error
        : new WireSocketTokenError('bad_response', 'WireSocket token request failed unexpectedly')
      // Every failure holds further attempts for a while (Retry-After when given): a misconfigured
      // secret must not turn each incoming user request into another rejected call to WireSocket.
      blockedUntil = now() + (failure.retryAfter !== undefined ? failure.retryAfter * 1000 : failureBackoff)
      blockedBy = failure
      // Contract §1: while the control plane is down (or rate limits us, or the store is), keep serving a token that still works.
      if (servesCached(failure) && usable(cached, now(), 0)) return cached
      throw failure
    } finally {
      if (release !== undefined) await releaseLock(release)
    }
  }

  return {
    getAccessToken: async () => {
      const at = now()
      if (usable(cached, at, refreshMargin)) return cached
      if (inflight !== undefined) return await inflight
      if (at < blockedUntil && blockedBy !== undefined) {
        // Honour Retry-After: do not call the service before it said we may.
        if (servesCached(blockedBy) && usable(cached, at, 0)) return cached
        throw blockedBy.transient ? withRetryAfter(blockedBy, Math.ceil((blockedUntil - at) / 1000)) : blockedBy
      }
      const current = renew()
      inflight = current
      const clear = (): void => { if (inflight === current) inflight = undefined }
      current.then(clear, clear)
      return await current
    },
    invalidate: token => {
      const target = token ?? cached?.token
      if (target === undefined) return
      rejected.add(target)
      if (cached?.token === target) cached = undefined
      // The set only needs to outlive the token: keep it from growing without bound.
      if (rejected.size > 16) rejected.delete(rejected.values().next().value as string)
    },
  }
}
