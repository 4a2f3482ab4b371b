import type { WireSocketClaims } from '../contract/claims.ts'
import { readClaims } from './read-claims.ts'
import { DEV } from './dev.ts'

/**
 * Why the provider asks for a token; passed to `getToken` so an app can log or meter calls.
 * `rejected`: the server refused the last one (4002: invalid or expired); `missing`: it did not see one (4001).
 */
export type TokenReason = 'connect' | 'refresh' | 'rejected' | 'missing' | 'retry'

export interface TokenRequest {
  documentName: string
  reason: TokenReason
  /** Aborted when nobody waits for the token any more (disconnect, destroy) or the call timed out. */
  signal: AbortSignal
}

/** What `getToken` may resolve to: the JWT, or the JWT with the expiry the backend reported. */
export type TokenResult = string | { token: string; expiresAt?: number }
export type GetToken = (request: TokenRequest) => Promise<TokenResult>

/** A token in hand. `expiresAt` is on the local clock (epoch ms), whatever the client clock's skew. */
export interface Token {
  readonly value: string
  readonly expiresAt: number
  /** The token's whole lifetime (ms), `exp - iat` when both are known. */
  readonly lifetime: number
  readonly claims: WireSocketClaims
}

export type TokenErrorCode = 'callback' | 'timeout' | 'malformed' | 'expired'

/**
 * Raised for every way a token can fail to arrive. Neither its message nor its cause contains a token:
 * an app's error becomes a cause only through `asTokenError`.
 */
export class TokenError extends Error {
  override name = 'TokenError'
  /** `message` is empty in the production build (see dev.ts): the code then stands in for it. */
  constructor (readonly code: TokenErrorCode, message: string, cause?: unknown) {
    super(message || code, { cause })
  }
}

/**
 * `error` as a TokenError. One the app threw is rebuilt without anything token-shaped (app-error.ts,
 * loaded on the first failure: most sessions never see one); should that code fail to load, the
 * app's error is left out rather than kept as it is.
 */
export const asTokenError = async (error: unknown): Promise<TokenError> => {
  if (error instanceof TokenError) return error
  const cause = await import('./app-error.ts').then(({ redact }) => redact(error), () => undefined)
  return new TokenError('callback', DEV ? 'getToken failed' : '', cause)
}

/**
 * When the token expires on the local clock. `exp - iat` is the token's full lifetime and holds whatever
 * the client clock says; `exp` read against the local clock is right for a token a backend cached for a
 * while, but only when the local clock agrees with the issuer's. So: trust the clock when it places `iat`
 * plausibly (in the past, within the lifetime), otherwise assume the token was issued just now. Either way
 * the estimate errs towards refreshing early, and never past the full lifetime.
 */
export const localExpiry = ({ exp, iat }: WireSocketClaims, now: number, expiresAtHint?: number): number | undefined => {
  if (exp === undefined) return expiresAtHint
  if (iat === undefined || iat > exp) return exp * 1000
  const lifetime = (exp - iat) * 1000
  const age = now - iat * 1000
  return age >= 0 && age <= lifetime ? Math.min(exp * 1000, now + lifetime) : now + lifetime
}

const malformed = (message: string, cause?: unknown): TokenError => new TokenError('malformed', message, cause)

/** Turn whatever `getToken` resolved to into a usable token, or explain (without the token) why not. */
export const toToken = (result: unknown, now: number): Token => {
  const { token, expiresAt: hint } = (typeof result === 'object' && result !== null ? result : {}) as { token?: unknown; expiresAt?: unknown }
  const value = typeof result === 'string' ? result : token
  if (typeof value !== 'string') throw malformed(DEV ? 'getToken must resolve to a JWT string or { token, expiresAt? }' : '')
  let claims: WireSocketClaims
  try {
    claims = readClaims(value)
  } catch (error) {
    throw malformed(DEV ? 'getToken resolved to something that is not a JWT' : '', error)
  }
  const expiresAt = localExpiry(claims, now, typeof hint === 'number' ? hint : undefined)
  if (expiresAt === undefined) throw malformed(DEV ? 'the token has no exp claim and getToken gave no expiresAt' : '')
  if (expiresAt <= now) throw new TokenError('expired', DEV ? 'getToken resolved to a token that has already expired' : '')
  const { exp, iat } = claims
  const lifetime = exp !== undefined && iat !== undefined && exp > iat ? (exp - iat) * 1000 : expiresAt - now
  return { value, expiresAt, lifetime, claims }
}
