/**
 * Keeps JWKS fetches under the service's limit of 20 requests per 10 minutes per IP (contract §2).
 * jose's `cooldownDuration` only spaces fetches after a *successful* one; a failing fetch (a 429, an
 * outage) would be retried on every verification. This guard caps fetches in a sliding window and, after
 * a failure, holds further fetches until `Retry-After` (or the cooldown) has passed.
 */
import { parseRetryAfter } from './oauth-errors.ts'
import type { FetchLike } from './token-endpoint.ts'

/** Thrown instead of fetching while the guard holds: the verifier maps it to `jwks_unavailable`. */
export class JwksHeld extends Error {
  override readonly name = 'JwksHeld'
  constructor (readonly retryAfter: number) {
    super(`JWKS fetch held back for ${retryAfter} s to stay under the JWKS rate limit`)
  }
}

export interface JwksGuardOptions {
  fetch: FetchLike
  now: () => number
  /** At most this many fetches per `windowMs`. */
  maxRequests: number
  windowMs: number
  /** Hold after a failed fetch that gave no `Retry-After`. */
  failureHoldMs: number
}

export type GuardedFetch = (url: string, init: RequestInit) => Promise<Response>

export const createJwksFetchGuard = (options: JwksGuardOptions): GuardedFetch => {
  const sent: number[] = []
  let heldUntil = 0
  return async (url, init) => {
    const at = options.now()
    while (sent.length > 0 && sent[0]! <= at - options.windowMs) sent.shift()
    if (at < heldUntil) throw new JwksHeld(Math.ceil((heldUntil - at) / 1000))
    if (sent.length >= options.maxRequests) throw new JwksHeld(Math.ceil((sent[0]! + options.windowMs - at) / 1000))
    sent.push(at)
    let response: Response
    try {
      response = await options.fetch(url, init)
    } catch (error) {
      heldUntil = options.now() + options.failureHoldMs
      throw error
    }
    if (response.status !== 200) {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), options.now())
      heldUntil = options.now() + (retryAfter !== undefined ? retryAfter * 1000 : options.failureHoldMs)
    }
    return response
  }
}
