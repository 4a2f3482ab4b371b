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

const LIMIT_KEYS = ['maxConnections', 'maxDocuments', 'maxUsersPerDoc', 'opsPerMinute'] as const

export const parseLimits = (value: unknown): WireSocketLimits | undefined => {
  let raw: unknown = value
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw)
    } catch {
      return undefined
    }
  }
  if (raw === null || typeof raw !== 'object') return undefined
  const source = raw as Record<string, unknown>
  const limits: WireSocketLimits = {}
  for (const key of LIMIT_KEYS) {
    const n = source[key]
    if (typeof n === 'number' && Number.isFinite(n)) limits[key] = n
  }
  return limits
}

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined

const parseScopes = (payload: Record<string, unknown>): string[] => {
  const scopes: string[] = []
  for (const value of [payload.scope, payload.scp]) {
    if (typeof value === 'string') scopes.push(...value.split(' ').filter(Boolean))
    else if (Array.isArray(value)) scopes.push(...value.filter((s): s is string => typeof s === 'string'))
  }
  return scopes
}

/** Normalise an already decoded (or verified) JWT payload. */
export const normalizeClaims = (payload: Record<string, unknown>): WireSocketClaims => {
  const aud = payload.aud
  const allowedDomains = [payload.allowed_domain_1, payload.allowed_domain_2, payload.allowed_domain_3]
    .filter((d): d is string => typeof d === 'string' && d.length > 0)
  return {
    iss: optionalString(payload.iss),
    sub: optionalString(payload.sub),
    aud: typeof aud === 'string' || Array.isArray(aud) ? (aud as string | string[]) : undefined,
    scopes: parseScopes(payload),
    tenantId: optionalString(payload.tenantid) ?? optionalString(payload.tenantId),
    appId: optionalString(payload.appId),
    licenseRegionCode: optionalString(payload.licenseRegionCode),
    dbCode: optionalString(payload.dbCode),
    allowedDomains,
    limits: parseLimits(payload.limits),
    exp: toSeconds(payload.exp),
    iat: toSeconds(payload.iat),
    nbf: toSeconds(payload.nbf),
    jti: optionalString(payload.jti),
  }
}
