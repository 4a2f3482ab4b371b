/** Minting access tokens with every claim of contract §2, and remembering them for `expireTokens()`. */
import { randomUUID } from 'node:crypto'
import { generateSigningKey, signNone, signRs256, type SigningKey } from './keys.ts'
import { appKeyOf, type Registry } from './registry.ts'
import type { LocalApp, SignWith } from './types.ts'
import { WIRESOCKET_AUDIENCE as AUDIENCE, WIRESOCKET_SCOPE as API_SCOPE } from '../contract/identity.ts'

export { AUDIENCE, API_SCOPE }

export interface IssuerConfig {
  issuer: string
  accessTokenTtl: number
  now: () => number
  /** `licenseRegionCode` claim: the `aws-`-prefixed form the control plane uses (contract §3). */
  licenseRegionCode: string
}

export interface MintRequest {
  ttl?: number
  claims?: Record<string, unknown>
  signWith?: SignWith
  scope?: string
}

export class TokenIssuer {
  /** jti → app key, so that `expireTokens(app)` can find what was issued for one app. */
  private readonly issued = new Map<string, string>()
  private readonly expired = new Set<string>()
  private foreignKey: SigningKey | undefined

  constructor (private readonly registry: Registry, private readonly config: IssuerConfig) {}

  private defaultClaims (app: LocalApp, ttl: number, scope: string): Record<string, unknown> {
    const iat = Math.floor(this.config.now() / 1000)
    const claims: Record<string, unknown> = {
      iss: this.config.issuer,
      sub: app.clientId,
      aud: AUDIENCE,
      scope,
      tenantid: app.tenantId,
      appId: app.appId,
      licenseRegionCode: this.config.licenseRegionCode,
      dbCode: 'local',
    }
    // The hosted service only emits the allowed_domain_N claims that are set.
    app.allowedDomains.slice(0, 3).forEach((domain, i) => { claims[`allowed_domain_${i + 1}`] = domain })
    claims.limits = { ...app.limits }
    claims.iat = iat
    claims.exp = iat + ttl
    claims.jti = randomUUID()
    return claims
  }

  async mint (app: LocalApp, request: MintRequest = {}): Promise<string> {
    const ttl = request.ttl ?? this.config.accessTokenTtl
    const payload = this.defaultClaims(app, ttl, request.scope ?? API_SCOPE)
    for (const [name, value] of Object.entries(request.claims ?? {})) {
      if (value === null) delete payload[name]
      else payload[name] = value
    }
    if (typeof payload.jti === 'string') this.issued.set(payload.jti, appKeyOf(app.tenantId, app.appId))
    const signWith = request.signWith ?? 'tenant'
    if (signWith === 'none') return signNone(payload)
    if (signWith === 'foreign') {
      this.foreignKey ??= generateSigningKey()
      return await signRs256(payload, this.foreignKey)
    }
    const tenant = this.registry.tenant(app.tenantId)
    if (!tenant) throw new Error(`unknown tenant ${app.tenantId}`)
    return await signRs256(payload, tenant.keys.active)
  }

  /** Mark every token issued so far (for one app, or all) as expired; returns the affected jtis. */
  expireIssued (appKey?: string): Set<string> {
    const affected = new Set<string>()
    for (const [jti, key] of this.issued) {
      if (appKey === undefined || key === appKey) {
        this.expired.add(jti)
        affected.add(jti)
      }
    }
    return affected
  }

  isForcedExpired (jti: string | undefined): boolean {
    return jti !== undefined && this.expired.has(jti)
  }
}
