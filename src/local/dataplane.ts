/** Wires the token service, the region servers and the shared state into one `LocalDataplane`. */
import type { DataplaneContext } from './context.ts'
import { resolveDataplaneOptions, type ResolvedDataplaneOptions } from './dataplane-options.ts'
import { DocumentStore } from './documents.ts'
import { closeServer, listen } from './http-util.ts'
import { SlidingWindow } from './rate-limit.ts'
import { RegionServer } from './region-server.ts'
import { Registry } from './registry.ts'
import { testControls } from './test-controls.ts'
import { TokenIssuer } from './tokens.ts'
import { TokenService } from './token-service.ts'
import type { HandshakeRecord, LocalApp, LocalDataplane, LocalDataplaneOptions, TokenRequestRecord } from './types.ts'

export { DEFAULT_LIMITS, DEFAULT_REGIONS } from './dataplane-options.ts'

export async function startLocalDataplane (options: LocalDataplaneOptions = {}): Promise<LocalDataplane> {
  const config = resolveDataplaneOptions(options)
  const regionServers = new Map<string, RegionServer>()
  const handshakes: HandshakeRecord[] = []
  const tokenRequests: TokenRequestRecord[] = []
  const ctx = sharedState(config, handshakes, region => regionServers.get(region)?.url)
  const tokenService = new TokenService({
    registry: ctx.registry,
    issuer: ctx.issuer,
    accessTokenTtl: config.accessTokenTtl,
    refreshTokenTtl: config.refreshTokenTtl,
    jwksPer10Minutes: config.rateLimits.jwksPer10Minutes,
    now: config.now,
    log: config.log,
    records: tokenRequests,
  })
  const closeAll = async (): Promise<void> => await shutDown(ctx, tokenService, regionServers)

  let tokenPort: number
  try {
    tokenPort = await listen(tokenService.server, config.host, config.tokenPort)
    for (const spec of config.regions) {
      const region = new RegionServer(spec.name, ctx)
      regionServers.set(spec.name, region)
      await region.listen(config.host, spec.port ?? 0)
    }
  } catch (error) {
    await closeAll()
    throw error
  }

  const urls = addresses(config.host, tokenPort, regionServers, ctx.defaultApp())
  config.log(`token service on ${urls.apiUrl}; regions ${urls.regions.map(r => `${r.name}=${r.url}`).join(', ')}`)
  let closed = false
  return {
    ...urls,
    app: ctx.defaultApp(),
    addApp: opts => ctx.registry.addApp(opts),
    ...testControls(ctx),
    handshakes,
    tokenRequests,
    close: async () => {
      if (closed) return
      closed = true
      await closeAll()
      config.log('closed')
    },
  }
}

/** The one object every region server shares; `handshakes` is the caller's array, kept to its bound in place. */
const sharedState = (config: ResolvedDataplaneOptions, handshakes: HandshakeRecord[], regionUrl: (region: string) => string | undefined): DataplaneContext => {
  const { now, log } = config
  const registry = new Registry({ limits: config.limits, allowedDomains: config.allowedDomains })
  const issuer = new TokenIssuer(registry, {
    issuer: config.issuer,
    accessTokenTtl: config.accessTokenTtl,
    now,
    licenseRegionCode: `aws-${config.regions[0]!.name}`,
  })
  const defaultApp = registry.addApp()
  return {
    registry,
    issuer,
    documents: new DocumentStore(config.gracePeriod, log),
    sessions: new Set(),
    sockets: new Set(),
    opsWindow: new SlidingWindow(60_000, now),
    connectLimiter: new SlidingWindow(60_000, now),
    discoveryLimiter: new SlidingWindow(60_000, now),
    usageLimiter: new SlidingWindow(60_000, now),
    rateLimits: config.rateLimits,
    authenticate: config.authenticate,
    closeOnExpiry: config.closeOnExpiry,
    maxMessageBytes: config.maxMessageBytes,
    maxBufferedBytes: config.maxBufferedBytes,
    firstFrameTimeout: config.firstFrameTimeout,
    maxDocumentsPerSocket: config.maxDocumentsPerSocket,
    sessionLimits: config.sessionLimits,
    defaultApp: () => defaultApp,
    regionUrl,
    recordHandshake: record => {
      handshakes.push(record)
      if (handshakes.length > config.maxHandshakeRecords) handshakes.splice(0, handshakes.length - config.maxHandshakeRecords)
    },
    now,
    log,
  }
}

type Addresses = Pick<LocalDataplane, 'regions' | 'httpUrl' | 'apiUrl' | 'tokenUrl' | 'jwksUrl'>

const addresses = (host: string, tokenPort: number, regionServers: Map<string, RegionServer>, defaultApp: LocalApp): Addresses => {
  const urlHost = host.includes(':') ? `[${host}]` : host
  const apiUrl = `http://${urlHost}:${tokenPort}`
  return {
    regions: [...regionServers.values()].map(r => ({ name: r.name, url: r.url, httpUrl: r.httpUrl })),
    httpUrl: name => {
      const region = regionServers.get(name)
      if (!region) throw new RangeError(`unknown region ${name}`)
      return region.httpUrl
    },
    apiUrl,
    tokenUrl: `${apiUrl}/connect/token`,
    jwksUrl: tenantId => `${apiUrl}/${tenantId ?? defaultApp.tenantId}/.well-known/jwks`,
  }
}

/** Also the undoing of a start that failed half-way: every step copes with what was never started. */
const shutDown = async (ctx: DataplaneContext, tokenService: TokenService, regionServers: Map<string, RegionServer>): Promise<void> => {
  for (const session of [...ctx.sessions]) session.terminate()
  for (const ws of ctx.sockets) ws.terminate()
  ctx.sockets.clear()
  ctx.documents.clear()
  await Promise.all([closeServer(tokenService.server), ...[...regionServers.values()].map(r => r.close())])
  tokenService.clear()
  for (const limiter of [ctx.opsWindow, ctx.connectLimiter, ctx.discoveryLimiter, ctx.usageLimiter]) limiter.clear()
}
