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

const LIMIT_KEYS = ['maxConnections', 'maxDocuments', 'maxUsersPerDoc', 'opsPerMinute'] as const
/** Claims kept as they are when they are strings. */
const TEXT_CLAIMS = ['iss', 'sub', 'appId', 'licenseRegionCode', 'dbCode', 'jti'] as const
/** Claims that are times, in seconds. */
const TIME_CLAIMS = ['exp', 'iat', 'nbf'] as const

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)
const text = (value: unknown): string | undefined => typeof value === 'string' ? value : undefined

export const toSeconds = (value: unknown): number | undefined =>
  finite(value) ? (value > MILLISECOND_THRESHOLD ? Math.floor(value / 1000) : value) : undefined

export const parseLimits = (value: unknown): WireSocketLimits | undefined => {
  let raw = value
  try {
    if (typeof raw === 'string') raw = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (raw === null || typeof raw !== 'object') return undefined
  const limits: WireSocketLimits = {}
  for (const key of LIMIT_KEYS) {
    const n = (raw as Record<string, unknown>)[key]
    if (finite(n)) limits[key] = n
  }
  return limits
}

/** `scope` and `scp`, each a space-separated string or a list. */
const scopesOf = (value: unknown): string[] =>
  typeof value === 'string' ? value.split(' ').filter(Boolean) : Array.isArray(value) ? value.filter(s => typeof s === 'string') : []

/** Normalise an already decoded (or verified) JWT payload. */
export const normalizeClaims = (payload: Record<string, unknown>): WireSocketClaims => {
  const { aud } = payload
  const claims: WireSocketClaims = {
    aud: typeof aud === 'string' || Array.isArray(aud) ? (aud as string | string[]) : undefined,
    scopes: [...scopesOf(payload.scope), ...scopesOf(payload.scp)],
    tenantId: text(payload.tenantid) ?? text(payload.tenantId),
    allowedDomains: [1, 2, 3].map(n => payload[`allowed_domain_${n}`]).filter((d): d is string => typeof d === 'string' && d !== ''),
    limits: parseLimits(payload.limits),
  }
  for (const key of TEXT_CLAIMS) claims[key] = text(payload[key])
  for (const key of TIME_CLAIMS) claims[key] = toSeconds(payload[key])
  return claims
}
