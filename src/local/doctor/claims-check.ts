/** Step `claims`: what the token says about the tenant, app, plan and origins (contract §2), unverified. */
import { decodeJwt } from 'jose'
import { normalizeClaims, type WireSocketClaims } from '../../contract/claims.ts'
import type { StepOutcome } from './step.ts'
import { isLoopbackHost } from './target.ts'
import type { JsonValue } from './types.ts'

const AUDIENCE = 'WireSocket.API'
const API_SCOPE = 'WireSocket.API'
const ISSUER = 'https://api.wiresocket.com'

const iso = (seconds: number | undefined): string | null => seconds === undefined ? null : new Date(seconds * 1000).toISOString()

export const checkClaims = (token: string, regionHost: string, nowMs: number): { outcome: StepOutcome; claims: WireSocketClaims | undefined } => {
  let payload: Record<string, unknown>
  try {
    payload = decodeJwt(token) as Record<string, unknown>
  } catch {
    return { outcome: { status: 'fail', summary: 'the token is not a JWT (three base64url segments with a JSON payload)' }, claims: undefined }
  }
  const claims = normalizeClaims(payload)
  const failures: string[] = []
  const warnings: string[] = []
  const audienceOk = claims.aud === AUDIENCE || (Array.isArray(claims.aud) && claims.aud.length === 1 && claims.aud[0] === AUDIENCE)
  if (!audienceOk) failures.push(`aud is ${JSON.stringify(claims.aud ?? null)}; the dataplane requires exactly "${AUDIENCE}".`)
  if (!claims.scopes.includes(API_SCOPE)) failures.push(`scope/scp lacks ${API_SCOPE}; the dataplane refuses such tokens.`)
  if (claims.tenantId === undefined) failures.push('No tenantid claim: the dataplane cannot pick the signing key.')
  if (claims.appId === undefined) failures.push('No appId claim.')
  if (claims.exp === undefined) failures.push('No exp claim.')
  else if (claims.exp * 1000 <= nowMs) failures.push(`The token expired at ${iso(claims.exp)!}: get a fresh one.`)
  if (typeof payload.exp === 'number' && payload.exp !== claims.exp) warnings.push('exp is in milliseconds; readers following the contract convert it, others will see a date far in the future.')
  if (claims.iss !== undefined && claims.iss !== ISSUER) warnings.push(`iss is ${claims.iss}, the contract says ${ISSUER}.`)
  if (payload.tenantid === undefined && payload.tenantId !== undefined) warnings.push('The tenant claim is spelled tenantId; the contract spells it tenantid (lower case).')
  if (claims.allowedDomains.length === 0) warnings.push('No allowed_domain_N claims: any website may use tokens of this app. Set allowed domains in the dashboard.')
  const loopback = claims.allowedDomains.filter(domain => isLoopbackHost(domain.replace(/:\d+$/, '')))
  if (loopback.length > 0 && !isLoopbackHost(regionHost.replace(/:\d+$/, ''))) {
    warnings.push(`Allowed domains include ${loopback.join(', ')} on a non-loopback region: any page served from a developer machine may connect. Remove it for production.`)
  }
  if (claims.limits === undefined) warnings.push('No limits claim (or one that does not parse): plan limits are unknown.')
  else if (typeof payload.limits === 'string') warnings.push('limits is a JSON string (the legacy form); readers must accept both.')
  const lifetime = claims.exp !== undefined && claims.iat !== undefined ? claims.exp - claims.iat : null
  const details: { [key: string]: JsonValue } = {
    iss: claims.iss ?? null,
    aud: claims.aud ?? null,
    scopes: claims.scopes,
    tenantId: claims.tenantId ?? null,
    appId: claims.appId ?? null,
    licenseRegionCode: claims.licenseRegionCode ?? null,
    limits: claims.limits === undefined ? null : { ...claims.limits },
    allowedDomains: claims.allowedDomains,
    issuedAt: iso(claims.iat),
    expiresAt: iso(claims.exp),
    lifetimeSeconds: lifetime,
    remainingSeconds: claims.exp === undefined ? null : Math.round(claims.exp - nowMs / 1000),
  }
  const limits = claims.limits === undefined
    ? 'no limits'
    : `limits ${Object.entries(claims.limits).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`
  const domains = claims.allowedDomains.length === 0 ? 'no allowed domains' : `allowed ${claims.allowedDomains.join(', ')}`
  return {
    outcome: {
      status: failures.length > 0 ? 'fail' : warnings.length > 0 ? 'warn' : 'pass',
      summary: `tenant ${claims.tenantId ?? '?'}, app ${claims.appId ?? '?'}, ${limits}, ${domains}, lifetime ${lifetime === null ? '?' : `${lifetime} s`}`,
      details,
      findings: [...failures, ...warnings],
    },
    claims,
  }
}
