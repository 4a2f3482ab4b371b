/**
 * The parts of `LocalDataplane` that exist for tests and demos: minting odd tokens, dropping
 * connections, forcing expiry, moving documents, tripping limits, rotating keys, looking inside.
 * They act on the shared state the same way a real event would, so clients see what they would see
 * from the hosted service.
 */
import type * as Y from 'yjs'
import { CloseCode, CloseReason } from '../contract/close-codes.ts'
import type { AccessPolicy, LiveState, OpenSockets, RateLimiting, TokenAuthority, Topology } from './context.ts'
import { documentKeyOf } from './documents.ts'
import { appKeyOf } from './registry.ts'
import type { LocalApp, LocalDataplane } from './types.ts'

export type TestControls = Pick<LocalDataplane,
  'mintToken' | 'dropConnections' | 'expireTokens' | 'moveDocument' | 'tripRateLimit' | 'rotateKeys' | 'getDocument' | 'stats'>

export type TestControlsContext = LiveState & OpenSockets & Pick<TokenAuthority, 'registry' | 'issuer'> &
  Pick<AccessPolicy, 'defaultApp'> & Pick<RateLimiting, 'opsWindow'> & Topology

export const testControls = (ctx: TestControlsContext): TestControls => {
  const appOrDefault = (app?: LocalApp): LocalApp => app ?? ctx.defaultApp()
  const appKeyOfApp = (app?: LocalApp): string => {
    const target = appOrDefault(app)
    return appKeyOf(target.tenantId, target.appId)
  }

  return {
    mintToken: async (opts = {}) => await ctx.issuer.mint(appOrDefault(opts.app), { ttl: opts.ttl, claims: opts.claims, signWith: opts.signWith }),
    dropConnections: () => {
      for (const session of [...ctx.sessions]) session.terminate()
      for (const ws of ctx.sockets) ws.terminate()
    },
    expireTokens: app => {
      const expired = ctx.issuer.expireIssued(app === undefined ? undefined : appKeyOf(app.tenantId, app.appId))
      for (const session of [...ctx.sessions]) {
        if (session.meta.jti !== undefined && expired.has(session.meta.jti)) {
          session.close({ code: CloseCode.InvalidToken, reason: CloseReason.tokenExpired })
        }
      }
    },
    moveDocument: (documentName, region, app) => {
      if (ctx.regionUrl(region) === undefined) throw new RangeError(`unknown region ${region}`)
      const appKey = appKeyOfApp(app)
      const key = documentKeyOf(appKey, documentName)
      const entry = ctx.documents.open(key, appKey, documentName, region)
      entry.region = region
      const live = [...ctx.sessions].filter(session => session.entry.key === key)
      // Like a node restart: clients reconnect, hit the old region and get 4009 to the new one.
      for (const session of live) session.close({ code: 1012, reason: 'Service Restart' })
      if (entry.peers.size === 0) ctx.documents.startGrace(entry)
    },
    tripRateLimit: app => {
      const target = appOrDefault(app)
      const appKey = appKeyOfApp(target)
      let fill = target.limits.opsPerMinute ?? 0
      for (const session of ctx.sessions) {
        if (session.meta.appKey === appKey) fill = Math.max(fill, session.meta.opsPerMinute ?? 0)
      }
      ctx.opsWindow.add(appKey, Math.max(0, fill - ctx.opsWindow.count(appKey)))
    },
    rotateKeys: async tenantId => {
      const tenant = ctx.registry.tenant((tenantId ?? ctx.defaultApp().tenantId).toLowerCase())
      if (!tenant) throw new RangeError(`unknown tenant ${tenantId ?? ''}`)
      tenant.keys.rotate()
    },
    getDocument: (documentName, app): Y.Doc | undefined => ctx.documents.get(documentKeyOf(appKeyOfApp(app), documentName))?.doc,
    stats: () => ({ connections: new Set([...ctx.sessions].map(s => s.meta.connection)).size, documents: [...ctx.documents.all()].length }),
  }
}
