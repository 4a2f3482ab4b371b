import { decodeJwt } from 'jose'

/** Plan limits carried by the token's `limits` claim (contract §2). */
export interface WireSocketLimits {
  maxConnections?: number
  maxDocuments?: number
  maxUsersPerDoc?: number
  opsPerMinute?: number
}

/**
 * The claims of a WireSocket access token, normalised: `exp`/`iat`/`nbf` in seconds (a millisecond
 * `exp` is converted), `limits` parsed whether it came as an object or as a legacy JSON string,
 * `tenantid` exposed as `tenantId`, scopes as a list, allowed domains as a list.
 */
export interface WireSocketClaims {
  iss?: string
  sub?: string
  aud?: string | string[]
  scopes: string[]
  tenantId?: string
  appId?: string
  licenseRegionCode?: string
  dbCode?: string
  allowedDomains: string[]
  limits?: WireSocketLimits
  exp?: number
  iat?: number
  nbf?: number
  jti?: string
}

/** Contract §2 (ours): an `exp` beyond this is milliseconds, not a date 3000 years away. */
const MILLISECOND_THRESHOLD = 1e11

export const toSeconds = (value: unknown): number | undefined => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined
  return value > MILLISECOND_THRESHOLD ? Math.floor(value / 1000) : value
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)
const isString = (value: unknown): value is string => typeof value === 'string'
const text = (value: unknown): string | undefined => isString(value) ? value : undefined

export const parseLimits = (value: unknown): WireSocketLimits | undefined => {
  let raw = value
  try {
    if (isString(raw)) raw = JSON.parse(raw)
  } catch {}
  if (raw === null || typeof raw !== 'object') return undefined
  const entries = Object.entries(raw as Record<string, unknown>)
  return Object.fromEntries(entries.filter(([key, n]) =>
    isNumber(n) && ['maxConnections', 'maxDocuments', 'maxUsersPerDoc', 'opsPerMinute'].includes(key)))
}

/** Normalise an already decoded (or verified) JWT payload. */
export const normalizeClaims = (payload: Record<string, unknown>): WireSocketClaims => {
  const { aud } = payload
  return {
    iss: text(payload.iss),
    sub: text(payload.sub),
    aud: isString(aud) || Array.isArray(aud) ? aud as string | string[] : undefined,
    // `scope` is a space-separated string, `scp` sometimes a list: accept both, in either form
    scopes: [payload.scope, payload.scp].flat().filter(isString).join(' ').split(' ').filter(Boolean),
    tenantId: text(payload.tenantid) ?? text(payload.tenantId),
    appId: text(payload.appId),
    licenseRegionCode: text(payload.licenseRegionCode),
    dbCode: text(payload.dbCode),
    allowedDomains: [payload.allowed_domain_1, payload.allowed_domain_2, payload.allowed_domain_3].filter(isString).filter(Boolean),
    limits: parseLimits(payload.limits),
    exp: toSeconds(payload.exp),
    iat: toSeconds(payload.iat),
    nbf: toSeconds(payload.nbf),
    jti: text(payload.jti),
  }
}

/**
 * Decode (without verifying) a WireSocket access token. Throws a `TypeError` that never contains the
 * token when the input is not a JWT.
 */
export const decodeClaims = (token: string): WireSocketClaims => {
  let payload: Record<string, unknown>
  try {
    payload = decodeJwt(token) as Record<string, unknown>
  } catch {
    throw new TypeError('Not a JWT: expected three base64url segments with a JSON payload')
  }
  return normalizeClaims(payload)
}
