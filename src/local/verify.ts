/**
 * Access-token verification as the dataplane does it: no database, only the tenant's keys and the
 * token's own claims. The result distinguishes "expired" from every other defect because the close
 * reason differs (`Token expired` vs `Invalid token`) and clients react differently to each.
 */
import { decodeJwt } from 'jose'
import { normalizeClaims, type WireSocketClaims } from '../contract/claims.ts'
import { CloseCode, CloseReason } from '../contract/close-codes.ts'
import type { CloseRequest } from './document-session.ts'
import { verifyRs256 } from './keys.ts'
import { appKeyOf, type Registry } from './registry.ts'
import { API_SCOPE, AUDIENCE, type TokenIssuer } from './tokens.ts'
import type { LocalApp } from './types.ts'

export interface VerifiedToken {
  claims: WireSocketClaims
  app: LocalApp
  appKey: string
  /** When the token expires, in ms on the dataplane's clock. */
  expiresAtMs: number
}

/** What verification reads: the key rings, the issuer's forced expiries, the clock. */
export interface VerifierDeps {
  registry: Registry
  issuer: TokenIssuer
  now: () => number
}

export type VerifyResult = { ok: true; token: VerifiedToken } | { ok: false; defect: 'invalid' | 'expired' }

const decoder = new TextDecoder()

// Contract §2: `aud` must be exactly `WireSocket.API`, stricter than RFC 7519's "contains": an array
// naming other audiences too is refused, as the backend verifier does.
const audienceMatches = (aud: string | string[] | undefined): boolean =>
  aud === AUDIENCE || (Array.isArray(aud) && aud.length === 1 && aud[0] === AUDIENCE)

export const verifyAccessToken = async (
  token: string,
  deps: VerifierDeps
): Promise<VerifyResult> => {
  const invalid: VerifyResult = { ok: false, defect: 'invalid' }
  let unverified: Record<string, unknown>
  try {
    unverified = decodeJwt(token) as Record<string, unknown>
  } catch {
    return invalid
  }
  // The tenant claim only chooses which key ring to try; the signature check below is what trusts it.
  const tenantId = normalizeClaims(unverified).tenantId
  const tenant = tenantId === undefined ? undefined : deps.registry.tenant(tenantId.toLowerCase())
  if (!tenant) return invalid
  let payload: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(decoder.decode(await verifyRs256(token, tenant.keys)))
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return invalid
    payload = parsed as Record<string, unknown>
  } catch {
    return invalid
  }
  const claims = normalizeClaims(payload)
  if (claims.tenantId?.toLowerCase() !== tenant.id) return invalid
  if (!audienceMatches(claims.aud)) return invalid
  if (!claims.scopes.includes(API_SCOPE)) return invalid
  const app = claims.appId === undefined ? undefined : deps.registry.byApp(tenant.id, claims.appId)
  if (!app) return invalid
  if (claims.exp === undefined) return invalid
  const nowSeconds = deps.now() / 1000
  if (claims.nbf !== undefined && claims.nbf > nowSeconds) return invalid
  if (claims.exp <= nowSeconds || deps.issuer.isForcedExpired(claims.jti)) return { ok: false, defect: 'expired' }
  return { ok: true, token: { claims, app, appKey: appKeyOf(app.tenantId, app.appId), expiresAtMs: claims.exp * 1000 } }
}

/** Contract §3: the Origin's host (with port, without scheme) must equal one allowed domain. */
export const originAllowed = (origin: string | null, allowedDomains: string[]): boolean => {
  if (origin === null || allowedDomains.length === 0) return true
  let host: string
  try {
    host = new URL(origin).host.toLowerCase()
  } catch {
    return false
  }
  return allowedDomains.some(domain => domain.toLowerCase() === host)
}

export type Auth = { ok: true; token: VerifiedToken | undefined } | { ok: false; close: CloseRequest }

/**
 * A token presented at a handshake (or in a Hocuspocus Auth), checked in the order a client can act on:
 * missing (4001), invalid or expired (4002), origin (4003).
 */
export const checkToken = async (
  deps: VerifierDeps & { authenticate: boolean },
  token: string | undefined,
  origin: string | null
): Promise<Auth> => {
  if (!deps.authenticate) return { ok: true, token: undefined }
  if (token === undefined) return { ok: false, close: { code: CloseCode.MissingToken, reason: CloseReason.missingToken } }
  const result = await verifyAccessToken(token, deps)
  if (!result.ok) {
    const reason = result.defect === 'expired' ? CloseReason.tokenExpired : CloseReason.invalidToken
    return { ok: false, close: { code: CloseCode.InvalidToken, reason } }
  }
  if (!originAllowed(origin, result.token.claims.allowedDomains)) {
    return { ok: false, close: { code: CloseCode.Forbidden, reason: CloseReason.originNotAllowed } }
  }
  return { ok: true, token: result.token }
}
