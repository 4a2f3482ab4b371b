import { asTokenError, toToken, TokenError, type GetToken, type Token, type TokenReason } from './token.ts'
import { check, delay, MAX_DELAY, MS } from './options.ts'
import { DEV } from './dev.ts'

export interface TokenSourceOptions {
  /** How long before expiry (ms) a fresh token is fetched in the background; capped at a fifth of the token's lifetime. Default 30 s. */
  refreshMargin?: number
  /** How long (ms) one `getToken` call may take before it is abandoned as a failure. Default 10 s. */
  timeout?: number
}

/** A provider that wants the source to keep a token fresh, and hear about it. */
export interface TokenHolder {
  readonly documentName: string
  onToken(token: Token): void
  onError(error: TokenError): void
}

export interface TokenSource {
  /** A usable token: the cached one, or the result of the one `getToken` call in flight. */
  get(documentName: string, reason: TokenReason, signal?: AbortSignal): Promise<Token>
  /** The cached token, if it is still comfortably valid. */
  current(): Token | null
  /** The server rejected `token`: forget it, unless a newer one has replaced it already. */
  invalidate(token: Token): void
  /** Keep the token fresh in the background while held. Returns the release function. */
  hold(holder: TokenHolder): () => void
}

/** The one `getToken` call in flight, and how many callers still wait for it. */
interface Call {
  readonly promise: Promise<Token>
  readonly controller: AbortController
  waiters: number
}

/**
 * Share one token, and one `getToken` call at a time, between any number of providers. A provider made
 * with `getToken` gets a source of its own; pass one source to many providers (`tokenSource`) so that a
 * page with many documents asks its backend once per token lifetime.
 */
export function createTokenSource (getToken: GetToken, { refreshMargin = 30_000, timeout = 10_000 }: TokenSourceOptions = {}): TokenSource {
  // like the provider's options: checked in the development build only (options.ts `validate`)
  if (DEV) {
    check(typeof getToken === 'function', 'createTokenSource: getToken', 'a function')
    check(delay(0)(refreshMargin), 'createTokenSource: refreshMargin', MS(0))
    check(delay(1)(timeout), 'createTokenSource: timeout', MS(1))
  }
  const holders = new Set<TokenHolder>()
  let cached: Token | null = null
  let call: Call | null = null
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  let refreshFailures = 0

  const lifetime = (): number => cached === null ? 0 : cached.lifetime
  const current = (): Token | null =>
    cached !== null && cached.expiresAt - Date.now() > Math.min(5000, lifetime() / 10) ? cached : null

  /** Stop a backend call nobody needs any more; forgotten at once, so the next `get` starts afresh. */
  const abandonIfUnwanted = (target: Call | null, reason?: unknown): void => {
    if (target === null || target.waiters > 0 || holders.size > 0) return
    if (call === target) call = null
    target.controller.abort(reason)
  }

  const start = (documentName: string, reason: TokenReason): Call => {
    const controller = new AbortController()
    const { signal } = controller
    const timer = setTimeout(() => controller.abort(new TokenError('timeout', DEV ? `getToken did not settle within ${timeout} ms` : '')), timeout)
    const aborted = new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
    // getToken may throw synchronously, reject, resolve garbage or never settle: each ends as a TokenError.
    const answered = new Promise(resolve => resolve(getToken({ documentName, reason, signal })))
      .then(result => toToken(result, Date.now()), async (error: unknown) => { throw await asTokenError(error) })
    const next: Call = { promise: Promise.race([answered, aborted]), controller, waiters: 0 }
    next.promise.then(token => {
      const previous = cached
      if (previous === null || token.expiresAt > previous.expiresAt) cached = token
      if (cached === token) {
        refreshFailures = 0
        holders.forEach(h => h.onToken(token))
      }
      schedule(cached !== token)
    }, () => {}).finally(() => {
      clearTimeout(timer)
      if (call === next) call = null
    })
    return next
  }

  const get = (documentName: string, reason: TokenReason, signal?: AbortSignal): Promise<Token> => {
    const hit = current()
    if (hit !== null) return Promise.resolve(hit)
    const target = call ??= start(documentName, reason)
    target.waiters++
    return new Promise((resolve, reject) => {
      let left = false
      const leave = (): void => {
        if (left) return
        left = true
        target.waiters--
        signal?.removeEventListener('abort', onAbort)
      }
      const onAbort = (): void => {
        leave()
        reject(signal?.reason)
        // Nobody else waits and no provider holds the source: stop the backend call.
        abandonIfUnwanted(target, signal?.reason)
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort)
      target.promise.then(token => { leave(); resolve(token) }, (error: unknown) => { leave(); reject(error) })
    })
  }

  /**
   * Arm the background refresh. After a failure, or when the backend handed back a token no newer than
   * ours (it caches too), retry at shrinking intervals until the token runs out: a handful of calls, not one a second.
   */
  const schedule = (stale = false): void => {
    clearTimeout(refreshTimer)
    const [holder] = holders
    const remaining = (cached?.expiresAt ?? 0) - Date.now()
    if (holder === undefined || remaining <= 0) return
    const delay = stale || refreshFailures > 0
      ? Math.max(1000, Math.min(remaining / 2, stale ? Infinity : 1000 * 2 ** refreshFailures))
      : remaining - Math.min(refreshMargin, lifetime() / 5)
    // setTimeout fires at once past 2^31−1 ms (a 60-day token): wait that long, then look again
    if (delay > MAX_DELAY) {
      refreshTimer = setTimeout(() => schedule(stale), MAX_DELAY)
      return
    }
    refreshTimer = setTimeout(() => {
      call ??= start(holder.documentName, 'refresh')
      call.promise.catch((error: TokenError) => {
        refreshFailures++
        holders.forEach(h => h.onError(error))
        schedule()
      })
    }, delay)
  }

  return {
    get,
    current,
    invalidate (token) {
      if (cached === token) cached = null
    },
    hold (holder) {
      holders.add(holder)
      // the usable token in hand is the holder's first news: tokens reach a holder this one way only
      const hit = current()
      if (hit !== null) holder.onToken(hit)
      if (holders.size === 1) schedule()
      return () => {
        if (!holders.delete(holder) || holders.size > 0) return
        clearTimeout(refreshTimer)
        abandonIfUnwanted(call, new TokenError('callback', DEV ? 'no longer needed' : ''))
      }
    },
  }
}
