/** HTTP on each region host (contract §4): `/discovery`, `/usage`, `/health` and `/`. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isValidDocumentName } from '../contract/document-name.ts'
import type { AccessPolicy, Clock, LiveState, Logger, RateLimiting, TokenAuthority, Topology } from './context.ts'
import { documentKeyOf } from './documents.ts'
import { httpToken } from './handshake.ts'
import { clientIp, sendJson } from './http-util.ts'
import { connectionsOf } from './limits.ts'
import type { SlidingWindow } from './rate-limit.ts'
import { appKeyOf } from './registry.ts'
import type { LocalApp, WireSocketLimits } from './types.ts'
import { verifyAccessToken } from './verify.ts'

/** Browsers call /discovery from the app's own origin: allow it, the token is the credential. */
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type',
  'Access-Control-Allow-Methods': 'GET, OPTIONS',
  'Access-Control-Max-Age': '600',
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void =>
  sendJson(res, status, body, { ...CORS, ...headers })

/** What the HTTP routes read: tokens, live counts, the discovery/usage rate limits, where regions are. */
export type HttpRoutesContext = LiveState & TokenAuthority & Pick<AccessPolicy, 'authenticate' | 'defaultApp'> &
  Pick<RateLimiting, 'discoveryLimiter' | 'usageLimiter' | 'rateLimits'> & Topology & Clock & Logger

const limited = (ctx: Logger, limiter: SlidingWindow, limit: number, req: IncomingMessage, res: ServerResponse): boolean => {
  if (limiter.hit(clientIp(req), limit).ok) return false
  // Contract §4: every 429 carries Retry-After: 60.
  json(res, 429, { error: 'rate_limited', error_description: 'Too many requests' }, { 'Retry-After': '60' })
  ctx.log(`http: 429 for ${req.method ?? '?'} ${new URL(req.url ?? '/', 'http://local').pathname}`)
  return true
}

type Caller = { app: LocalApp; limits: WireSocketLimits | undefined }

const authenticate = async (ctx: TokenAuthority & Pick<AccessPolicy, 'authenticate' | 'defaultApp'>, req: IncomingMessage, url: URL, res: ServerResponse): Promise<Caller | undefined> => {
  if (!ctx.authenticate) {
    const app = ctx.defaultApp()
    return { app, limits: app.limits }
  }
  const token = httpToken(req, url)
  const result = token === undefined ? undefined : await verifyAccessToken(token, ctx)
  if (!result?.ok) {
    const description = result === undefined ? 'Missing token' : result.defect === 'expired' ? 'Token expired' : 'Invalid token'
    json(res, 401, { error: 'invalid_token', error_description: description }, { 'WWW-Authenticate': 'Bearer' })
    return undefined
  }
  return { app: result.token.app, limits: result.token.claims.limits }
}

const usageStatus = (percent: number): 'healthy' | 'warning' | 'critical' =>
  percent >= 90 ? 'critical' : percent >= 75 ? 'warning' : 'healthy'

const gauge = (current: number, limit: number | undefined): Record<string, unknown> => {
  const percent = limit === undefined || limit <= 0 ? 0 : Math.round((current / limit) * 1000) / 10
  return { current, limit: limit ?? null, percent, status: usageStatus(percent) }
}

export const handleHttp = async (ctx: HttpRoutesContext, region: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const url = new URL(req.url ?? '/', 'http://local')
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS)
    res.end()
    return
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    json(res, 405, { error: 'method_not_allowed' }, { Allow: 'GET, OPTIONS' })
    return
  }
  const timestamp = new Date(ctx.now()).toISOString()
  switch (url.pathname) {
    case '/':
    case '/health':
      json(res, 200, { status: 'healthy', timestamp })
      return
    case '/discovery': {
      if (limited(ctx, ctx.discoveryLimiter, ctx.rateLimits.discoveryPerMinute, req, res)) return
      const name = url.searchParams.get('documentName')
      if (!name) {
        json(res, 400, { error: 'invalid_request', error_description: 'Missing documentName' })
        return
      }
      if (!isValidDocumentName(name)) {
        json(res, 400, { error: 'invalid_request', error_description: 'Invalid document name' })
        return
      }
      const caller = await authenticate(ctx, req, url, res)
      if (!caller) return
      const entry = ctx.documents.get(documentKeyOf(appKeyOf(caller.app.tenantId, caller.app.appId), name))
      // A document nobody has opened yet will be pinned wherever its first connection lands: here.
      const pinned = entry?.region ?? region
      const base = ctx.regionUrl(pinned)
      json(res, 200, { region: pinned, url: base === undefined ? null : `${base}/${name}`, isNew: entry === undefined })
      return
    }
    case '/usage': {
      if (limited(ctx, ctx.usageLimiter, ctx.rateLimits.usagePerMinute, req, res)) return
      const caller = await authenticate(ctx, req, url, res)
      if (!caller) return
      const appKey = appKeyOf(caller.app.tenantId, caller.app.appId)
      json(res, 200, {
        tenantId: caller.app.tenantId,
        appId: caller.app.appId,
        usage: {
          connections: gauge(connectionsOf(ctx, appKey), caller.limits?.maxConnections),
          documents: gauge(ctx.documents.activeCount(appKey), caller.limits?.maxDocuments),
        },
        timestamp,
      })
      return
    }
    default:
      json(res, 404, { error: 'not_found' })
  }
}
