import { jittered } from './backoff.ts'
import { CloseCode, parseRedirect } from '../contract/close-codes.ts'
import type { CloseEventLike } from './options.ts'
import { afterOtherClose, retry, stop, type ClosedKind, type Counters, type Decision, type LimitKind, type PolicyOptions, type Settled, type Verdict } from './policy.ts'
import { judge, type Route } from './route.ts'

/**
 * The policy for the close codes the contract names (§3, "client action"), a part of policy.ts that
 * the provider loads on the first such close (a lazy chunk): a session that only ever sees network
 * drops never downloads it. Pure, like the rest of the policy.
 */

/** After this many consecutive rejections of freshly fetched tokens, stop: the backend's tokens are not accepted. */
export const MAX_REJECTIONS = 4
/** More redirects in a row than this is a loop between regions. */
export const MAX_REDIRECTS = 3

/** Plan limits: the contract asks for at least 30 s; repeated hits double it up to ten times that. */
const SLOW_CEILING_FACTOR = 10

/** The wait after a plan-limit close: at least `minimum`, doubling with each consecutive hit, plus up to half again of jitter. */
export const slow = (minimum: number, hits: number, random: () => number): number =>
  Math.min(minimum * SLOW_CEILING_FACTOR, minimum * 2 ** Math.max(0, hits - 1)) * (1 + random() / 2)

const limitKinds: Partial<Record<number, LimitKind>> = {
  [CloseCode.ConnectionLimit]: 'connections',
  [CloseCode.DocumentLimit]: 'documents',
  [CloseCode.RateLimit]: 'ops-per-minute',
  [CloseCode.UsersPerDoc]: 'users-per-document',
}

/** Codes that retrying cannot fix: configuration errors. */
const configurationErrors: Partial<Record<number, ClosedKind>> = {
  [CloseCode.Forbidden]: 'forbidden',
  [CloseCode.InvalidName]: 'invalid-name',
}

/** The server closed the connection (or discovery refused the token, judged as a 4002). */
export const afterClose = (event: CloseEventLike, counters: Counters, options: PolicyOptions): Verdict => {
  const { code, reason } = event
  const c: { -readonly [K in keyof Counters]: Counters[K] } = { ...counters, failures: counters.failures + 1 }
  const backoff = (): number => jittered(c.failures, options.maxBackoffTime, options.random)
  const limit = limitKinds[code]
  if (limit !== undefined) {
    // A rate limit clears within the minute: always the short wait. Quota limits back off further each time.
    if (code !== CloseCode.RateLimit) c.limitHits++
    const value = /: (\d+)/.exec(reason)?.[1]
    const delay = slow(options.limitRetryDelay, code === CloseCode.RateLimit ? 1 : c.limitHits, options.random)
    return { decision: { action: 'limit', code, limit, value: value === undefined ? null : Number(value), delay }, counters: c }
  }
  const kind = configurationErrors[code]
  if (kind !== undefined) return { decision: stop(kind, event), counters: c }
  if (code === CloseCode.WrongRegion) {
    // A loop between regions: start over from the configured URL, after an ordinary backoff.
    if (++c.redirects > MAX_REDIRECTS) return { decision: { ...retry(backoff()), home: true }, counters: { ...c, redirects: 0 } }
    const to = parseRedirect(reason)
    return { decision: to === null ? stop('redirect', event) : { action: 'follow', to, event }, counters: c }
  }
  if (code === CloseCode.InvalidToken) {
    // The first time at once with a fresh token, then backing off, then stop.
    if (++c.rejections > MAX_REJECTIONS) return { decision: stop('unauthorized', event), counters: c }
    return { decision: { ...retry(c.rejections === 1 ? 0 : backoff(), 'rejected'), forgetToken: true }, counters: c }
  }
  if (code === CloseCode.MissingToken) {
    // The token got lost on the way (a proxy stripping the subprotocol?): once more, then stop.
    if (c.missingTokenRetried) return { decision: stop('unauthorized', event), counters: c }
    return { decision: retry(0, 'missing'), counters: { ...c, missingTokenRetried: true } }
  }
  return afterOtherClose(event, counters, options)
}

/**
 * A decision made into what the provider carries out. A `limit` is a retry that no returning network
 * wakes early, reported as the `limit` event. A `follow`: a region is noted for the next attempt; a URL
 * is judged (redirect.ts, which may have to load the public-suffix list) and moved to if allowed, else
 * the provider stops (`redirect`). The route moves only when the provider calls `move`, which it does
 * only if no newer step superseded this one. Retries and stops pass as they are.
 */
export const settle = async (decision: Decision, route: Route): Promise<Settled> => {
  if (decision.action === 'limit') {
    const { code, limit, value, delay } = decision
    return { ...retry(delay), wakeOnOnline: false, limit: { code, limit, value } }
  }
  if (decision.action !== 'follow') return decision
  const { to, event } = decision
  if ('region' in to) return { ...retry(0, 'connect'), move: () => { route.pendingRegion = to.region } }
  const loaded = await judge()
  return loaded !== null && await loaded.allows(route, to.url) ? { ...retry(0, 'connect'), move: () => loaded.goTo(route, to.url) } : stop('redirect', event)
}
