/** Wires the token service, the region servers and the shared state into one `LocalDataplane`. */
import type * as Y from 'yjs'
import { CloseCode, CloseReason } from '../contract/close-codes.ts'
import type { DataplaneContext, ResolvedRateLimits } from './context.ts'
import { DocumentStore, documentKeyOf } from './documents.ts'
import { closeServer, listen } from './http-util.ts'
import { SlidingWindow } from './rate-limit.ts'
import { RegionServer } from './region-server.ts'
import { appKeyOf, Registry } from './registry.ts'
import { TokenIssuer } from './tokens.ts'
import { TokenService } from './token-service.ts'
import type { HandshakeRecord, LocalApp, LocalDataplane, LocalDataplaneOptions, TokenRequestRecord, WireSocketLimits } from './types.ts'
import { WIRESOCKET_ISSUER } from '../contract/identity.ts'

export const DEFAULT_REGIONS = ['eu-central-1', 'us-east-1'] as const

/** Generous on purpose: local development and test suites should not trip plan limits by accident. */
export const DEFAULT_LIMITS: Required<WireSocketLimits> = {
  maxConnections: 1000,
  maxDocuments: 1000,
  maxUsersPerDoc: 100,
  opsPerMinute: 60_000,
}

const DEFAULT_RATE_LIMITS: ResolvedRateLimits = {
  connectPerMinute: 6000,
  discoveryPerMinute: 6000,
  usagePerMinute: 12,
  jwksPer10Minutes: 20,
}

const nonNegative = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`)
  return value
}

/** Per-client bounds (issue 10); docs/limits.md says what each one stops. */
export const DEFAULT_BOUNDS = {
  maxBufferedBytes: 8 * 1024 * 1024,
  maxPendingBytes: 256 * 1024,
  maxPendingStructs: 32,
  maxContentDepth: 256,
  maxAwarenessStateBytes: 16 * 1024,
  maxAwarenessDepth: 32,
  maxAwarenessIds: 8,
  maxHandshakeRecords: 1000,
  maxDocumentsPerSocket: 256,
} as const

const positiveInteger = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`)
  return value
}

export async function startLocalDataplane (options: LocalDataplaneOptions = {}): Promise<LocalDataplane> {
  const host = options.host ?? '127.0.0.1'
  const now = options.now ?? Date.now
  const log = options.log ?? ((): void => {})
  const accessTokenTtl = nonNegative(options.accessTokenTtl, 900, 'accessTokenTtl')
  const refreshTokenTtl = nonNegative(options.refreshTokenTtl, 7 * 24 * 3600, 'refreshTokenTtl')
  const regionSpecs: Array<{ name: string; port?: number }> = options.regions ?? DEFAULT_REGIONS.map(name => ({ name }))
  if (regionSpecs.length === 0) throw new RangeError('at least one region is required')
  if (new Set(regionSpecs.map(r => r.name)).size !== regionSpecs.length) throw new RangeError('region names must be unique')
  const rateLimits: ResolvedRateLimits = { ...DEFAULT_RATE_LIMITS }
  for (const [key, value] of Object.entries(options.rateLimits ?? {}) as Array<[keyof ResolvedRateLimits, number | undefined]>) {
    rateLimits[key] = nonNegative(value, DEFAULT_RATE_LIMITS[key], `rateLimits.${key}`)
  }

  const registry = new Registry({ limits: { ...DEFAULT_LIMITS, ...options.limits }, allowedDomains: options.allowedDomains ?? [] })
  const issuer = new TokenIssuer(registry, {
    issuer: options.issuer ?? WIRESOCKET_ISSUER,
    accessTokenTtl,
    now,
    licenseRegionCode: `aws-${regionSpecs[0]!.name}`,
  })
  const defaultApp = registry.addApp()
  const bound = (name: keyof typeof DEFAULT_BOUNDS): number => positiveInteger(options[name], DEFAULT_BOUNDS[name], name)
  const maxHandshakeRecords = bound('maxHandshakeRecords')
  const sessionLimits = {
    maxPendingBytes: bound('maxPendingBytes'),
    maxPendingStructs: bound('maxPendingStructs'),
    maxContentDepth: bound('maxContentDepth'),
    awareness: {
      maxStateBytes: bound('maxAwarenessStateBytes'),
      maxStateDepth: bound('maxAwarenessDepth'),
      maxIdsPerPeer: bound('maxAwarenessIds'),
    },
  }
  const maxBufferedBytes = bound('maxBufferedBytes')
  const handshakes: HandshakeRecord[] = []
  const tokenRequests: TokenRequestRecord[] = []
  const regionServers = new Map<string, RegionServer>()

  const ctx: DataplaneContext = {
    registry,
    issuer,
    documents: new DocumentStore(nonNegative(options.gracePeriod, 10_000, 'gracePeriod'), log),
    sessions: new Set(),
    sockets: new Set(),
    opsWindow: new SlidingWindow(60_000, now),
    connectLimiter: new SlidingWindow(60_000, now),
    discoveryLimiter: new SlidingWindow(60_000, now),
    usageLimiter: new SlidingWindow(60_000, now),
    rateLimits,
    authenticate: options.authenticate ?? true,
    closeOnExpiry: options.closeOnExpiry ?? true,
    maxMessageBytes: nonNegative(options.maxMessageBytes, 16 * 1024 * 1024, 'maxMessageBytes'),
    maxBufferedBytes,
    firstFrameTimeout: positiveInteger(options.firstFrameTimeout, 10_000, 'firstFrameTimeout'),
    maxDocumentsPerSocket: bound('maxDocumentsPerSocket'),
    sessionLimits,
    defaultApp: () => defaultApp,
    regionUrl: region => regionServers.get(region)?.url,
    recordHandshake: record => {
      handshakes.push(record)
      // In place: `handshakes` is the array callers hold.
      if (handshakes.length > maxHandshakeRecords) handshakes.splice(0, handshakes.length - maxHandshakeRecords)
    },
    now,
    log,
  }

  const tokenService = new TokenService({
    registry,
    issuer,
    accessTokenTtl,
    refreshTokenTtl,
    jwksPer10Minutes: rateLimits.jwksPer10Minutes,
    now,
    log,
    records: tokenRequests,
  })

  let closed = false
  const closeAll = async (): Promise<void> => {
    for (const session of [...ctx.sessions]) session.terminate()
    for (const ws of ctx.sockets) ws.terminate()
    ctx.sockets.clear()
    ctx.documents.clear()
    await Promise.all([closeServer(tokenService.server), ...[...regionServers.values()].map(r => r.close())])
    tokenService.clear()
    for (const limiter of [ctx.opsWindow, ctx.connectLimiter, ctx.discoveryLimiter, ctx.usageLimiter]) limiter.clear()
  }

  let tokenPort: number
  try {
    tokenPort = await listen(tokenService.server, host, options.tokenPort ?? 0)
    for (const spec of regionSpecs) {
      const region = new RegionServer(spec.name, ctx)
      regionServers.set(spec.name, region)
      await region.listen(host, spec.port ?? 0)
    }
  } catch (error) {
    await closeAll()
    throw error
  }

  const urlHost = host.includes(':') ? `[${host}]` : host
  const apiUrl = `http://${urlHost}:${tokenPort}`
  const appOrDefault = (app?: LocalApp): LocalApp => app ?? defaultApp
  const regionOrThrow = (name: string): RegionServer => {
    const region = regionServers.get(name)
    if (!region) throw new RangeError(`unknown region ${name}`)
    return region
  }
  const sessionsOfDocument = (key: string): typeof ctx.sessions => {
    const result = new Set<typeof ctx.sessions extends Set<infer S> ? S : never>()
    for (const session of ctx.sessions) if (session.entry.key === key) result.add(session)
    return result
  }

  log(`token service on ${apiUrl}; regions ${[...regionServers.values()].map(r => `${r.name}=${r.url}`).join(', ')}`)

  return {
    regions: [...regionServers.values()].map(r => ({ name: r.name, url: r.url, httpUrl: r.httpUrl })),
    httpUrl: region => regionOrThrow(region).httpUrl,
    apiUrl,
    tokenUrl: `${apiUrl}/connect/token`,
    jwksUrl: tenantId => `${apiUrl}/${tenantId ?? defaultApp.tenantId}/.well-known/jwks`,
    app: defaultApp,
    addApp: opts => registry.addApp(opts),
    mintToken: async (opts = {}) => await issuer.mint(appOrDefault(opts.app), { ttl: opts.ttl, claims: opts.claims, signWith: opts.signWith }),
    dropConnections: () => {
      for (const session of [...ctx.sessions]) session.terminate()
      for (const ws of ctx.sockets) ws.terminate()
    },
    expireTokens: app => {
      const expired = issuer.expireIssued(app === undefined ? undefined : appKeyOf(app.tenantId, app.appId))
      for (const session of [...ctx.sessions]) {
        if (session.meta.jti !== undefined && expired.has(session.meta.jti)) {
          session.close({ code: CloseCode.InvalidToken, reason: CloseReason.tokenExpired })
        }
      }
    },
    moveDocument: (documentName, region, app) => {
      regionOrThrow(region)
      const target = appOrDefault(app)
      const appKey = appKeyOf(target.tenantId, target.appId)
      const key = documentKeyOf(appKey, documentName)
      const entry = ctx.documents.open(key, appKey, documentName, region)
      entry.region = region
      const live = [...sessionsOfDocument(key)]
      // Like a node restart: clients reconnect, hit the old region and get 4009 to the new one.
      for (const session of live) session.close({ code: 1012, reason: 'Service Restart' })
      if (entry.peers.size === 0) ctx.documents.startGrace(entry)
    },
    tripRateLimit: app => {
      const target = appOrDefault(app)
      const appKey = appKeyOf(target.tenantId, target.appId)
      let fill = target.limits.opsPerMinute ?? 0
      for (const session of ctx.sessions) {
        if (session.meta.appKey === appKey) fill = Math.max(fill, session.meta.opsPerMinute ?? 0)
      }
      ctx.opsWindow.add(appKey, Math.max(0, fill - ctx.opsWindow.count(appKey)))
    },
    rotateKeys: async tenantId => {
      const tenant = registry.tenant((tenantId ?? defaultApp.tenantId).toLowerCase())
      if (!tenant) throw new RangeError(`unknown tenant ${tenantId ?? ''}`)
      tenant.keys.rotate()
    },
    getDocument: (documentName, app): Y.Doc | undefined => {
      const target = appOrDefault(app)
      return ctx.documents.get(documentKeyOf(appKeyOf(target.tenantId, target.appId), documentName))?.doc
    },
    handshakes,
    tokenRequests,
    stats: () => ({ connections: new Set([...ctx.sessions].map(s => s.meta.connection)).size, documents: [...ctx.documents.all()].length }),
    close: async () => {
      if (closed) return
      closed = true
      await closeAll()
      log('closed')
    },
  }
}
