import { jittered } from './backoff.ts'
import type { RedirectTarget } from '../contract/close-codes.ts'
import type { CloseEventLike } from './options.ts'
import type { TokenReason } from './token.ts'
import type { Route } from './route.ts'
import { guarded } from './stepped.ts'

/**
 * The close-code policy (contract §3, "client action"): what the provider does after a connection ends
 * or a token cannot be had, as a pure function of what happened, the consecutive counts so far and
 * the options. The provider only carries the decision out; the policy has no clock, socket or timer.
 * The codes the contract names are judged in close-policy.ts, which the provider loads on first need.
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
  /**
   * Connect again after `delay` ms asking for a token with `reason`; `forgetToken`: the socket's token was
   * refused; `home`: back to the configured URL; `move`: a followed redirect, `limit`: a plan limit to
   * report (both made by close-policy.ts `settle`).
   */
  | {
    action: 'retry'
    delay: number
    reason: TokenReason
    wakeOnOnline: boolean
    forgetToken?: true
    home?: true
    move?: () => void
    limit?: { code: number; limit: LimitKind; value: number | null }
  }
  /** Stop retrying (`closed`, reporting `event`): only `connect()` starts again. */
  | { action: 'stop'; kind: ClosedKind; event: CloseEventLike }
  /** 4009: connect at once to this URL or region, if its host is allowed (close-policy.ts `settle` judges it). */
  | { action: 'follow'; to: RedirectTarget; event: CloseEventLike }
  /** A plan limit (the close's `code`): wait `delay` ms (no waking early when the network comes back), then retry. */
  | { action: 'limit'; code: number; limit: LimitKind; value: number | null; delay: number }

export interface Verdict<D extends Decision = Decision> {
  readonly decision: D
  readonly counters: Counters
}

/** What the provider carries out: a retry or a stop, which close-policy.ts `settle` makes of a `follow` or a `limit`. */
export type Settled = Exclude<Decision, { action: 'follow' | 'limit' }>

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

export const retry = (delay: number, reason: TokenReason = 'retry'): Retry => ({ action: 'retry', delay, reason, wakeOnOnline: true })
export const stop = (kind: ClosedKind, event: CloseEventLike): Extract<Decision, { action: 'stop' }> => ({ action: 'stop', kind, event })

/**
 * Codes the contract names (4001–4009; written as a range so that the entry does not carry the code table,
 * and held to `CloseCode` by a test). Their policy (close-policy.ts) is loaded on the first such close:
 * most sessions only ever see network drops, and a token expiry a quarter of an hour in.
 */
export const namedByContract = (code: number): boolean => code > 4000 && code < 4010

interface ClosePolicy {
  afterClose: (event: CloseEventLike, counters: Counters, options: PolicyOptions) => Verdict
  settle: (decision: Decision, place: Route) => Promise<Settled>
}

/** One more failure: the decision `decide` makes with the new count, and the counters that carry it. */
const failed = (counters: Counters, decide: (failures: number) => Settled): Verdict<Settled> => {
  const failures = counters.failures + 1
  return { decision: decide(failures), counters: { ...counters, failures } }
}

/** The ordinary backoff after `failures` consecutive failures. */
const backoff = (failures: number, options: PolicyOptions): number => jittered(failures, options.maxBackoffTime, options.random)

/**
 * close-policy.ts. Should its chunk fail to load, every named code is met with a fresh token after the
 * ordinary backoff (never stuck, never faster than a network drop), and no redirect is followed (a
 * framing's own policy may still ask for one).
 */
export const loadClosePolicy = async (): Promise<ClosePolicy> => await import('./close-policy.ts').catch(() => ({
  afterClose: (_event, counters, options) => failed(counters, failures => ({ ...retry(backoff(failures, options), 'rejected'), forgetToken: true })),
  settle: async decision => decision.action === 'follow'
    ? stop('redirect', decision.event)
    : decision.action === 'limit' ? { ...retry(decision.delay), wakeOnOnline: false } : decision,
}))

/** A close whose code the contract does not name: the app's `shouldReconnect` decides, then the ordinary backoff. */
export const afterOtherClose = (event: CloseEventLike, counters: Counters, options: PolicyOptions): Verdict<Settled> =>
  failed(counters, failures => options.shouldReconnect(event) ? retry(backoff(failures, options)) : stop('server', event))

/** We gave up on a connection ourselves: an unreadable frame, silence, a handshake that never completed. */
export const afterDrop = (counters: Counters, options: PolicyOptions): Verdict<Settled> =>
  failed(counters, failures => retry(backoff(failures, options)))

/** `getToken` failed. Token failures back off further than socket drops: the backend may be down, don't pile on. */
export const afterTokenFailure = (counters: Counters, options: PolicyOptions): Verdict<Settled> =>
  failed(counters, failures => retry(Math.max(backoff(failures, options), 1000 * Math.min(30, 2 ** failures) * options.random())))
