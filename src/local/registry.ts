/** Tenants (each with its own key ring) and the apps registered under them. */
import { randomBytes, randomUUID } from 'node:crypto'
import { TenantKeyRing } from './keys.ts'
import type { LocalApp, WireSocketLimits } from './types.ts'

export interface Tenant {
  id: string
  keys: TenantKeyRing
}

/** Documents, limits and rate windows are per app; this key joins tenant and app like the service does. */
export const appKeyOf = (tenantId: string, appId: string): string => `${tenantId}::${appId}`

export class Registry {
  readonly tenants = new Map<string, Tenant>()
  private readonly byClientId = new Map<string, LocalApp>()
  private readonly byAppKey = new Map<string, LocalApp>()

  constructor (private readonly defaults: { limits: WireSocketLimits; allowedDomains: string[] }) {}

  tenant (tenantId: string): Tenant | undefined {
    return this.tenants.get(tenantId)
  }

  /** An omitted `tenantId` means a brand-new tenant, so that `addApp()` alone gives an isolated app. */
  addApp (opts: Partial<LocalApp> = {}): LocalApp {
    const tenantId = (opts.tenantId ?? randomUUID()).toLowerCase()
    if (!this.tenants.has(tenantId)) this.tenants.set(tenantId, { id: tenantId, keys: new TenantKeyRing() })
    const app: LocalApp = {
      tenantId,
      appId: opts.appId ?? randomUUID(),
      clientId: opts.clientId ?? `local-${randomBytes(6).toString('hex')}`,
      clientSecret: opts.clientSecret ?? randomBytes(24).toString('base64url'),
      allowedDomains: [...(opts.allowedDomains ?? this.defaults.allowedDomains)].slice(0, 3),
      limits: { ...(opts.limits ?? this.defaults.limits) },
    }
    if (this.byClientId.has(app.clientId)) throw new Error(`client_id ${app.clientId} already exists`)
    if (this.byAppKey.has(appKeyOf(app.tenantId, app.appId))) throw new Error(`app ${app.appId} already exists in tenant ${app.tenantId}`)
    this.byClientId.set(app.clientId, app)
    this.byAppKey.set(appKeyOf(app.tenantId, app.appId), app)
    return app
  }

  byClient (clientId: string): LocalApp | undefined {
    return this.byClientId.get(clientId)
  }

  byApp (tenantId: string, appId: string): LocalApp | undefined {
    return this.byAppKey.get(appKeyOf(tenantId, appId))
  }
}
