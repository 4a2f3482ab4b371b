import { decodeClaims, type WireSocketClaims } from '../contract/claims.ts'

/** Why the provider asks for a token; passed to `getToken` so an app can log or meter calls. */
export type TokenReason = 'connect' | 'refresh' | 'expired' | 'missing' | 'retry'

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
  readonly claims: WireSocketClaims
}

export type TokenErrorCode = 'callback' | 'timeout' | 'malformed' | 'expired'

const JWT_SHAPE = /eyJ[\w-]*\.[\w-]*\.?[\w-]*/g

/**
 * The app's own error, kept for debugging but with anything JWT-shaped blanked: an error thrown by
 * `getToken` may quote the token, and `cause` ends up in logs.
 */
const redact = (cause: unknown): unknown => {
  if (!(cause instanceof Error)) return typeof cause === 'string' ? cause.replace(JWT_SHAPE, '[token]') : cause
  const copy = new Error(cause.message.replace(JWT_SHAPE, '[token]'))
  copy.name = cause.name
  return copy
}

/** Raised for every way a token can fail to arrive. Neither its message nor its cause contains a token. */
export class TokenError extends Error {
  readonly code: TokenErrorCode
  constructor (code: TokenErrorCode, message: string, cause?: unknown) {
    super(message, { cause: redact(cause) })
    this.name = 'TokenError'
    this.code = code
  }
}

/**
 * When the token expires on the local clock. `exp - iat` is the token's full lifetime and holds whatever
 * the client clock says; `exp` read against the local clock is right for a token a backend cached for a
 * while, but only when the local clock agrees with the issuer's. So: trust the clock when it places `iat`
 * plausibly (in the past, within the lifetime), otherwise assume the token was issued just now. Either way
 * the estimate errs towards refreshing early, and never past the full lifetime.
 */
export const localExpiry = (claims: WireSocketClaims, now: number, expiresAtHint?: number): number | undefined => {
  const { exp, iat } = claims
  if (exp === undefined) return expiresAtHint
  if (iat === undefined || iat > exp) return exp * 1000
  const lifetime = (exp - iat) * 1000
  const age = now - iat * 1000
  return age >= 0 && age <= lifetime ? Math.min(exp * 1000, now + lifetime) : now + lifetime
}

/** Turn whatever `getToken` resolved to into a usable token, or explain (without the token) why not. */
export const toToken = (result: unknown, now: number): Token => {
  const value = typeof result === 'string'
    ? result
    : typeof result === 'object' && result !== null && typeof (result as { token?: unknown }).token === 'string'
      ? (result as { token: string }).token
      : undefined
  if (value === undefined) {
    throw new TokenError('malformed', 'getToken must resolve to a JWT string or { token, expiresAt? }')
  }
  let claims: WireSocketClaims
  try {
    claims = decodeClaims(value)
  } catch (error) {
    throw new TokenError('malformed', 'getToken resolved to something that is not a JWT', error)
  }
  const hint = (result as { expiresAt?: unknown }).expiresAt
  const expiresAt = localExpiry(claims, now, typeof hint === 'number' ? hint : undefined)
  if (expiresAt === undefined) {
    throw new TokenError('malformed', 'the token has no exp claim and getToken gave no expiresAt')
  }
  if (expiresAt <= now) throw new TokenError('expired', 'getToken resolved to a token that has already expired')
  return { value, expiresAt, claims }
}
