/**
 * Verify a WireSocket access token the way the dataplane does (contract §2): RS256 against the tenant's
 * JWKS (every key it serves, active and retired), `iss`, `aud` exactly `WireSocket.API`, a scope that
 * contains `WireSocket.API`, the tenant, and expiry (a millisecond `exp` read as milliseconds).
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type FetchImplementation } from 'jose'
import { normalizeClaims, toSeconds, type WireSocketClaims } from '../contract/claims.ts'
import { createJwksFetchGuard, JwksHeld } from './jwks-fetch-guard.ts'
import type { FetchLike } from './token-endpoint.ts'

import { WIRESOCKET_AUDIENCE, WIRESOCKET_ISSUER, WIRESOCKET_SCOPE as REQUIRED_SCOPE } from '../contract/identity.ts'
export { WIRESOCKET_AUDIENCE, WIRESOCKET_ISSUER } from '../contract/identity.ts'

export type WireSocketVerifyErrorCode =
  /** Not a compact JWS, or not RS256. */
  | 'malformed'
  /** No key of the tenant's JWKS verifies the signature (also: a key id the JWKS does not have). */
  | 'invalid_signature'
  /** `exp` has passed (or `nbf` has not). */
  | 'expired'
  /** Wrong `iss`, `aud`, scope or tenant. */
  | 'invalid_claims'
  /** The JWKS could not be fetched, or fetching is held back to respect its rate limit. */
  | 'jwks_unavailable'

export class WireSocketVerifyError extends Error {
  override readonly name = 'WireSocketVerifyError'
  constructor (readonly code: WireSocketVerifyErrorCode, message: string, readonly retryAfter?: number) {
    super(message)
  }
}

export interface TokenVerifierOptions {
  tenantId: string
  /** Default `https://api.wiresocket.com/{tenantId}/.well-known/jwks`. */
  jwksUrl?: string
  /** Default `https://api.wiresocket.com`. */
  issuer?: string
  /** Default `WireSocket.API`; the token's `aud` must be exactly this. */
  audience?: string
  /** Default: the global `fetch`. */
  fetch?: FetchLike
  /** Epoch-milliseconds clock for expiry checks and the fetch budget. Default `Date.now`. */
  now?: () => number
  /** Seconds of clock skew tolerated on `exp`/`nbf`. Default 5. */
  clockTolerance?: number
  /**
   * Minimum milliseconds between two JWKS fetches caused by an unknown key id (jose's cooldown).
   * Default 60 000: at most 10 such fetches per 10 minutes, half the service's limit.
   */
  jwksCooldown?: number
  /** Milliseconds a fetched JWKS is used before it is fetched again. Default 600 000 (10 min). */
  jwksCacheMaxAge?: number
  /**
   * Hard cap on JWKS fetches per 10 minutes from this verifier, whatever happens. Default 10 (the
   * service allows 20 per IP: the rest is headroom for other processes behind the same address).
   */
  jwksMaxRequests?: number
  /** JWKS request timeout in milliseconds. Default 5 000. */
  timeout?: number
}

export interface TokenVerifier {
  /** Verified, normalised claims; rejects with a `WireSocketVerifyError` (whose message never holds the token). */
  verify(token: string): Promise<WireSocketClaims>
}

const toError = (error: unknown): WireSocketVerifyError => {
  if (error instanceof WireSocketVerifyError) return error
  if (error instanceof JwksHeld) return new WireSocketVerifyError('jwks_unavailable', error.message, error.retryAfter)
  if (error instanceof errors.JWTExpired) return new WireSocketVerifyError('expired', 'Token expired')
  if (error instanceof errors.JWTClaimValidationFailed) {
    // jose's own messages name the claim, never its value.
    return new WireSocketVerifyError(error.claim === 'nbf' ? 'expired' : 'invalid_claims', `Claim check failed: ${error.claim}`)
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed) {
    return new WireSocketVerifyError('invalid_signature', 'No key of the tenant JWKS verifies this token')
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new WireSocketVerifyError('malformed', 'Not an RS256-signed JWT')
  }
  if (error instanceof errors.JWKSTimeout) return new WireSocketVerifyError('jwks_unavailable', 'JWKS request timed out')
  // Anything else came from fetching the JWKS (network error, non-200, bad JSON).
  return new WireSocketVerifyError('jwks_unavailable', 'JWKS could not be fetched')
}

const audienceIsExactly = (aud: unknown, expected: string): boolean =>
  aud === expected || (Array.isArray(aud) && aud.length === 1 && aud[0] === expected)

export const createTokenVerifier = (options: TokenVerifierOptions): TokenVerifier => {
  const { tenantId } = options
  if (typeof tenantId !== 'string' || tenantId.length === 0) throw new TypeError('createTokenVerifier: tenantId is required')
  const issuer = options.issuer ?? WIRESOCKET_ISSUER
  const audience = options.audience ?? WIRESOCKET_AUDIENCE
  const now = options.now ?? Date.now
  const clockTolerance = options.clockTolerance ?? 5
  const cooldown = options.jwksCooldown ?? 60_000
  const jwksUrl = new URL(options.jwksUrl ?? `${WIRESOCKET_ISSUER}/${encodeURIComponent(tenantId)}/.well-known/jwks`)
  const baseFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init))
  const guarded = createJwksFetchGuard({
    fetch: baseFetch,
    now,
    maxRequests: options.jwksMaxRequests ?? 10,
    windowMs: 10 * 60_000,
    failureHoldMs: Math.max(cooldown, 1_000),
  })
  const jwksFetch: FetchImplementation = async (url, init) => await guarded(url, init)
  const jwks = createRemoteJWKSet(jwksUrl, {
    cooldownDuration: cooldown,
    cacheMaxAge: options.jwksCacheMaxAge ?? 10 * 60_000,
    timeoutDuration: options.timeout ?? 5_000,
    [customFetch]: jwksFetch,
  })

  return {
    verify: async token => {
      try {
        if (typeof token !== 'string' || token.length === 0) throw new WireSocketVerifyError('malformed', 'Token is empty')
        const raw = await jwtVerify(token, jwks, {
          algorithms: ['RS256'],
          issuer,
          audience,
          currentDate: new Date(now()),
          clockTolerance,
        }).then(({ payload }) => payload as Record<string, unknown>, (error: unknown) => {
          // jose reads a millisecond `nbf` as a date far ahead. It checks `nbf` after the signature, the
          // issuer and the audience, so a token refused for that alone is judged again with the
          // contract's ms→s rule (§2), as the dataplane judges it.
          if (!(error instanceof errors.JWTClaimValidationFailed) || error.claim !== 'nbf') throw error
          const nbf = error.payload.nbf
          const seconds = toSeconds(nbf)
          if (seconds === undefined || seconds === nbf || seconds * 1000 > now() + clockTolerance * 1000) throw error
          return error.payload as Record<string, unknown>
        })
        if (!audienceIsExactly(raw.aud, audience)) throw new WireSocketVerifyError('invalid_claims', `Claim check failed: aud must be exactly ${audience}`)
        const claims = normalizeClaims(raw)
        if (!claims.scopes.includes(REQUIRED_SCOPE)) throw new WireSocketVerifyError('invalid_claims', `Claim check failed: scope must contain ${REQUIRED_SCOPE}`)
        if (claims.tenantId?.toLowerCase() !== tenantId.toLowerCase()) throw new WireSocketVerifyError('invalid_claims', 'Claim check failed: tenantid')
        // jose read a millisecond `exp` as a date far in the future; the normalised claims did not (contract §2).
        if (claims.exp === undefined) throw new WireSocketVerifyError('invalid_claims', 'Claim check failed: exp missing')
        if (claims.exp * 1000 <= now() - clockTolerance * 1000) throw new WireSocketVerifyError('expired', 'Token expired')
        return claims
      } catch (error) {
        throw toError(error)
      }
    },
  }
}
