import { jittered, slow } from './backoff.ts'
import { CloseCode, INVALID_TOKEN_REASON, parseRedirect, type RedirectTarget } from '../contract/close-codes.ts'
import type { CloseEventLike } from './options.ts'
import type { TokenReason } from './token.ts'
import { guarded } from './stepped.ts'

/**
 * The close-code policy (contract §3, "client action"): what the provider does after a connection ends
 * or a token cannot be had, as a pure function of what happened, the consecutive counts so far and
 * the options. The provider only carries the decision out; this module has no clock, socket or timer.
 */

/** Why the provider stopped for good (the `closed` event). */
export type ClosedKind = 'unauthorized' | 'forbidden' | 'invalid-name' | 'redirect' | 'server'
/** Which plan limit a 4004/4005/4006/4008 close reported (the `limit` event). */
export type LimitKind = 'connections' | 'documents' | 'ops-per-minute' | 'users-per-document'

/** Consecutive counts since the last successful sync. A sync replaces them with `noFailures`, nothing else does. */
export interface Counters {
  /** Unsuccessful attempts: what the ordinary backoff grows with (y-websocket's `wsUnsuccessfulReconnects`). */
  readonly failures: number
  /** Freshly fetched tokens the server refused (4002, or 401 from discovery). */
  readonly rejections: number
  readonly redirects: number
  /** Quota-limit closes (4004, 4005, 4008); a rate limit (4006) clears within the minute and is not counted. */
  readonly limitHits: number
  /** Whether a 4001 was already answered by retrying once. */
  readonly missingTokenRetried: boolean
}

export const noFailures: Counters = { failures: 0, rejections: 0, redirects: 0, limitHits: 0, missingTokenRetried: false }

export interface PolicyOptions {
  readonly maxBackoffTime: number
  /** Shortest wait after a plan-limit close. */
  readonly limitRetryDelay: number
  /** The app's say on codes the contract does not name (y-websocket's `shouldReconnect`). */
  readonly shouldReconnect: (event: CloseEventLike) => boolean
  readonly random: () => number
}

export type Decision =
  /** Connect again after `delay` ms asking for a token with `reason`; `forgetToken`: the socket's token was refused; `home`: back to the configured URL. */
  | { action: 'retry'; delay: number; reason: TokenReason; wakeOnOnline: boolean; forgetToken?: true; home?: true }
  /** Stop retrying (`closed`): only `connect()` starts again. */
  | { action: 'stop'; kind: ClosedKind }
  /** 4009: connect at once to this URL or region, if its host is allowed (the provider judges the host). */
  | { action: 'follow'; to: RedirectTarget }
  /** A plan limit: wait `delay` ms (no waking early when the network comes back), then retry. */
  | { action: 'limit'; limit: LimitKind; value: number | null; delay: number }

export interface Verdict {
  readonly decision: Decision
  readonly counters: Counters
}

/** After this many consecutive rejections of freshly fetched tokens, stop: the backend's tokens are not accepted. */
export const MAX_REJECTIONS = 4
/** More redirects in a row than this is a loop between regions. */
export const MAX_REDIRECTS = 3

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

/** The policy's options from a provider's (y-websocket's) settings. A `shouldReconnect` that throws says "don't", as in y-websocket. */
export const policyOptions = <P>(provider: P & { maxBackoffTime: number; shouldReconnect: (event: CloseEventLike, provider: P) => boolean }, limitRetryDelay = 30_000): PolicyOptions => ({
  maxBackoffTime: provider.maxBackoffTime,
  limitRetryDelay,
  shouldReconnect: event => guarded(() => provider.shouldReconnect(event, provider), false),
  random: Math.random,
})

type Retry = Extract<Decision, { action: 'retry' }>
/** y-websocket's default: codes 4400–4499 mean "do not come back". */
export const defaultShouldReconnect = (event: CloseEventLike): boolean => !(event.code >= 4400 && event.code < 4500)

/** A 401 from discovery: judged as the 4002 close it stands for. */
export const DISCOVERY_REJECTED: CloseEventLike = { code: CloseCode.InvalidToken, reason: INVALID_TOKEN_REASON }

const retry = (delay: number, reason: TokenReason = 'retry'): Retry => ({ action: 'retry', delay, reason, wakeOnOnline: true })
const stop = (kind: ClosedKind): Decision => ({ action: 'stop', kind })

/** The server closed the connection (or discovery refused the token, judged as a 4002). */
export const afterClose = ({ code, reason }: CloseEventLike, counters: Counters, options: PolicyOptions): Verdict => {
  const c: { -readonly [K in keyof Counters]: Counters[K] } = { ...counters, failures: counters.failures + 1 }
  const backoff = (): number => jittered(c.failures, options.maxBackoffTime, options.random)
  const limit = limitKinds[code]
  if (limit !== undefined) {
    // A rate limit clears within the minute: always the short wait. Quota limits back off further each time.
    if (code !== CloseCode.RateLimit) c.limitHits++
    const value = /: (\d+)/.exec(reason)?.[1]
    const delay = slow(options.limitRetryDelay, code === CloseCode.RateLimit ? 1 : c.limitHits, options.random)
    return { decision: { action: 'limit', limit, value: value === undefined ? null : Number(value), delay }, counters: c }
  }
  const kind = configurationErrors[code]
  if (kind !== undefined) return { decision: stop(kind), counters: c }
  if (code === CloseCode.WrongRegion) {
    // A loop between regions: start over from the configured URL, after an ordinary backoff.
    if (++c.redirects > MAX_REDIRECTS) return { decision: { ...retry(backoff()), home: true }, counters: { ...c, redirects: 0 } }
    const to = parseRedirect(reason)
    return { decision: to === null ? stop('redirect') : { action: 'follow', to }, counters: c }
  }
  if (code === CloseCode.InvalidToken) {
    // The first time at once with a fresh token, then backing off, then stop.
    if (++c.rejections > MAX_REJECTIONS) return { decision: stop('unauthorized'), counters: c }
    return { decision: { ...retry(c.rejections === 1 ? 0 : backoff(), 'rejected'), forgetToken: true }, counters: c }
  }
  if (code === CloseCode.MissingToken) {
    // The token got lost on the way (a proxy stripping the subprotocol?): once more, then stop.
    if (c.missingTokenRetried) return { decision: stop('unauthorized'), counters: c }
    return { decision: retry(0, 'missing'), counters: { ...c, missingTokenRetried: true } }
  }
  if (!options.shouldReconnect({ code, reason })) return { decision: stop('server'), counters: c }
  return { decision: retry(backoff()), counters: c }
}

/** We gave up on a connection ourselves: an unreadable frame, silence, a handshake that never completed. */
export const afterDrop = (counters: Counters, options: PolicyOptions): Verdict => {
  const failures = counters.failures + 1
  return { decision: retry(jittered(failures, options.maxBackoffTime, options.random)), counters: { ...counters, failures } }
}

/** `getToken` failed. Token failures back off further than socket drops: the backend may be down, don't pile on. */
export const afterTokenFailure = (counters: Counters, options: PolicyOptions): Verdict => {
  const failures = counters.failures + 1
  const delay = Math.max(jittered(failures, options.maxBackoffTime, options.random), 1000 * Math.min(30, 2 ** failures) * options.random())
  return { decision: retry(delay), counters: { ...counters, failures } }
}
