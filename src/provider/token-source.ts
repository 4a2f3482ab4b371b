import { toToken, TokenError, type GetToken, type Token, type TokenReason } from './token.ts'

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

interface Call {
  readonly promise: Promise<Token>
  readonly controller: AbortController
  waiters: number
}

const lifetimeOf = (token: Token, obtainedAt: number): number => {
  const { exp, iat } = token.claims
  return exp !== undefined && iat !== undefined && exp > iat ? (exp - iat) * 1000 : token.expiresAt - obtainedAt
}

/**
 * Share one token, and one `getToken` call at a time, between any number of providers. A provider made
 * with `getToken` gets a source of its own; pass one source to many providers (`tokenSource`) so that a
 * page with many documents asks its backend once per token lifetime.
 */
export function createTokenSource (getToken: GetToken, options: TokenSourceOptions = {}): TokenSource {
  if (typeof getToken !== 'function') throw new TypeError('createTokenSource: getToken must be a function')
  const refreshMargin = options.refreshMargin ?? 30_000
  const timeout = options.timeout ?? 10_000
  const holders = new Set<TokenHolder>()
  let cached: Token | null = null
  let lifetime = 0
  let call: Call | null = null
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  let refreshFailures = 0

  const current = (): Token | null =>
    cached !== null && cached.expiresAt - Date.now() > Math.min(5000, lifetime / 10) ? cached : null

  const start = (documentName: string, reason: TokenReason): Call => {
    const controller = new AbortController()
    const promise = new Promise<Token>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new TokenError('timeout', `getToken did not settle within ${timeout} ms`)
        reject(error)
        controller.abort(error)
      }, timeout)
      const settle = (fn: () => void): void => {
        clearTimeout(timer)
        try {
          fn()
        } catch (error) {
          reject(error)
        }
      }
      controller.signal.addEventListener('abort', () => settle(() => reject(controller.signal.reason)))
      // getToken may throw synchronously, reject, resolve garbage or never settle: all end up here.
      new Promise<unknown>(res => res(getToken({ documentName, reason, signal: controller.signal }))).then(
        result => settle(() => resolve(toToken(result, Date.now()))),
        error => settle(() => reject(error instanceof TokenError ? error : new TokenError('callback', 'getToken failed', error))),
      )
    })
    const next: Call = { promise, controller, waiters: 0 }
    promise.then(token => {
      if (call === next) call = null
      const previous = cached
      const obtainedAt = Date.now()
      if (previous === null || token.expiresAt > previous.expiresAt) {
        cached = token
        lifetime = lifetimeOf(token, obtainedAt)
      }
      if (cached === token) {
        refreshFailures = 0
        holders.forEach(h => h.onToken(token))
      }
      schedule(previous !== null && cached !== token)
    }, () => {
      if (call === next) call = null
    })
    return next
  }

  /** Stop a backend call nobody needs. Forgotten at once, so the next `get` starts a fresh one. */
  const abandon = (target: Call, reason: unknown): void => {
    if (call === target) call = null
    target.controller.abort(reason)
  }

  const join = (target: Call, signal?: AbortSignal): Promise<Token> => new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    target.waiters++
    const leave = (): void => {
      signal?.removeEventListener('abort', onAbort)
      target.waiters--
    }
    const onAbort = (): void => {
      leave()
      reject(signal?.reason)
      // Nobody else waits and no provider holds the source: stop the backend call.
      if (target.waiters === 0 && holders.size === 0) abandon(target, signal?.reason)
    }
    signal?.addEventListener('abort', onAbort)
    target.promise.then(token => { leave(); resolve(token) }, error => { leave(); reject(error) })
  })

  const get = (documentName: string, reason: TokenReason, signal?: AbortSignal): Promise<Token> => {
    const hit = current()
    if (hit !== null) return Promise.resolve(hit)
    call ??= start(documentName, reason)
    return join(call, signal)
  }

  /** Arm the background refresh; `stale` means the backend handed back a token no newer than ours. */
  const schedule = (stale = false): void => {
    clearTimeout(refreshTimer)
    refreshTimer = undefined
    const [holder] = holders
    if (holder === undefined || cached === null) return
    const remaining = cached.expiresAt - Date.now()
    const margin = Math.min(refreshMargin, lifetime / 5)
    // A stale answer or a failure is retried at shrinking intervals until the token runs out, so a
    // backend that keeps serving the same cached token is asked a handful of times, not every second.
    const delay = stale
      ? Math.max(1000, remaining / 2)
      : refreshFailures > 0
        ? Math.max(1000, Math.min(remaining / 2, 1000 * 2 ** refreshFailures))
        : remaining - margin
    if (remaining <= 0) return
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined
      call ??= start(holder.documentName, 'refresh')
      call.promise.catch((error: unknown) => {
        refreshFailures++
        const failure = error instanceof TokenError ? error : new TokenError('callback', 'getToken failed', error)
        holders.forEach(h => h.onError(failure))
        schedule()
      })
    }, Math.max(0, delay))
  }

  return {
    get,
    current,
    invalidate (token) {
      if (cached === token) cached = null
    },
    hold (holder) {
      holders.add(holder)
      if (holders.size === 1) schedule()
      return () => {
        if (!holders.delete(holder) || holders.size > 0) return
        clearTimeout(refreshTimer)
        refreshTimer = undefined
        if (call !== null && call.waiters === 0) abandon(call, new TokenError('callback', 'no longer needed'))
      }
    },
  }
}
