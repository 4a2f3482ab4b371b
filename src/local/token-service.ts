/**
 * The control plane on its own port: `POST /connect/token` (client credentials and rotating refresh
 * tokens, RFC 6749 errors) and `GET /{tenantId}/.well-known/jwks` (rate limited like the hosted one).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import { BodyTooLarge, clientIp, guardClientErrors, readBody, sendJson } from './http-util.ts'
import { RefreshTokenStore } from './refresh-tokens.ts'
import { SlidingWindow } from './rate-limit.ts'
import { API_SCOPE, type TokenIssuer } from './tokens.ts'
import type { Registry } from './registry.ts'
import type { LocalApp, TokenRequestRecord } from './types.ts'
import { OFFLINE_ACCESS_SCOPE as OFFLINE_SCOPE } from '../contract/identity.ts'

const KNOWN_SCOPES = new Set([API_SCOPE, OFFLINE_SCOPE])
const MAX_FORM_BYTES = 64 * 1024
const JWKS_PATH = /^\/([^/]+)\/\.well-known\/jwks$/

export interface TokenServiceConfig {
  registry: Registry
  issuer: TokenIssuer
  accessTokenTtl: number
  refreshTokenTtl: number
  jwksPer10Minutes: number
  now: () => number
  log: (line: string) => void
  records: TokenRequestRecord[]
}

type OAuthError = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'invalid_scope' | 'unsupported_grant_type'

const statusOf: Record<OAuthError, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  invalid_scope: 400,
  unsupported_grant_type: 400,
}

class OAuthFailure extends Error {
  // eslint-disable-next-line n/handle-callback-err -- not a callback: `error` is RFC 6749's field name
  constructor (readonly error: OAuthError, readonly description: string) {
    super(description)
  }
}

const secretsEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Percent-decoding of client input: a malformed escape is the client's error (400), not ours (500). */
const percentDecoded = (value: string, what: string): string => {
  try {
    return decodeURIComponent(value)
  } catch {
    throw new OAuthFailure('invalid_request', `Malformed percent-encoding in ${what}`)
  }
}

/** RFC 6749 §2.3.1: credentials may come as HTTP Basic instead of form fields. */
const basicCredentials = (req: IncomingMessage): { id: string; secret: string } | undefined => {
  const header = req.headers.authorization
  if (!header?.startsWith('Basic ')) return undefined
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  return { id: percentDecoded(decoded.slice(0, colon), 'Basic credentials'), secret: percentDecoded(decoded.slice(colon + 1), 'Basic credentials') }
}

/** Client-chosen text in a log line: control characters escaped, so nobody can forge a line. */
export const loggable = (value: string): string =>
  JSON.stringify(value).slice(1, -1).replace(/[\u007f-\u009f\u2028\u2029]/g, ch => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)

export class TokenService {
  readonly server: Server
  readonly refreshTokens: RefreshTokenStore
  private readonly jwksLimiter: SlidingWindow

  constructor (private readonly config: TokenServiceConfig) {
    this.refreshTokens = new RefreshTokenStore(config.refreshTokenTtl, config.now)
    this.jwksLimiter = new SlidingWindow(10 * 60_000, config.now)
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        // Never let a handler error escape: answer 500 without details (which might include input).
        sendJson(res, 500, { error: 'server_error' })
      })
    })
    guardClientErrors(this.server)
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://local').pathname
    if (path === '/connect/token') {
      if (req.method !== 'POST') {
        sendJson(res, 405, { error: 'invalid_request', error_description: 'Use POST' }, { Allow: 'POST' })
        return
      }
      await this.token(req, res)
      return
    }
    const jwks = JWKS_PATH.exec(path)
    if (jwks && req.method === 'GET') {
      let tenantId: string
      try {
        tenantId = decodeURIComponent(jwks[1]!)
      } catch {
        sendJson(res, 400, { error: 'invalid_request', error_description: 'Malformed percent-encoding in the tenant id' })
        return
      }
      this.jwks(req, res, tenantId)
      return
    }
    if ((path === '/health' || path === '/') && req.method === 'GET') {
      sendJson(res, 200, { status: 'healthy', timestamp: new Date(this.config.now()).toISOString() })
      return
    }
    sendJson(res, 404, { error: 'not_found' })
  }

  private jwks (req: IncomingMessage, res: ServerResponse, tenantId: string): void {
    const verdict = this.jwksLimiter.hit(clientIp(req), this.config.jwksPer10Minutes)
    if (!verdict.ok) {
      sendJson(res, 429, { error: 'rate_limited', error_description: 'JWKS rate limit: cache the key set' },
        { 'Retry-After': String(verdict.retryAfterSeconds) })
      return
    }
    const tenant = this.config.registry.tenant(tenantId.toLowerCase())
    if (!tenant) {
      sendJson(res, 404, { error: 'not_found', error_description: 'Unknown tenant' })
      return
    }
    sendJson(res, 200, tenant.keys.jwks(), { 'Cache-Control': 'public, max-age=300' })
  }

  private async token (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const record: TokenRequestRecord = { grantType: '', status: 0 }
    try {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
      if (contentType !== 'application/x-www-form-urlencoded') {
        throw new OAuthFailure('invalid_request', 'Body must be application/x-www-form-urlencoded')
      }
      let body: string
      try {
        body = await readBody(req, MAX_FORM_BYTES)
      } catch (error) {
        if (error instanceof BodyTooLarge) throw new OAuthFailure('invalid_request', 'Request body too large')
        throw error
      }
      const form = new URLSearchParams(body)
      const grantType = form.get('grant_type') ?? ''
      record.grantType = grantType
      const basic = basicCredentials(req)
      const clientId = form.get('client_id') ?? basic?.id ?? undefined
      if (clientId !== undefined) record.clientId = clientId
      if (!grantType) throw new OAuthFailure('invalid_request', 'Missing grant_type')
      let reply: Record<string, unknown>
      if (grantType === 'client_credentials') reply = await this.clientCredentials(form, clientId, form.get('client_secret') ?? basic?.secret)
      else if (grantType === 'refresh_token') reply = await this.refresh(form, clientId)
      else throw new OAuthFailure('unsupported_grant_type', 'Supported: client_credentials, refresh_token')
      record.status = 200
      sendJson(res, 200, reply, { Pragma: 'no-cache' })
      this.config.log(`token: ${loggable(grantType)} for ${loggable(clientId ?? '?')} → 200`)
    } catch (error) {
      if (!(error instanceof OAuthFailure)) throw error
      record.status = statusOf[error.error]
      record.error = error.error
      const headers: Record<string, string> = error.error === 'invalid_client' ? { 'WWW-Authenticate': 'Basic realm="wiresocket"' } : {}
      sendJson(res, record.status, { error: error.error, error_description: error.description }, headers)
      this.config.log(`token: ${loggable(record.grantType || '?')} for ${loggable(record.clientId ?? '?')} → ${record.status} ${error.error}`)
    } finally {
      this.config.records.push(record)
    }
  }

  private authenticate (clientId: string | undefined, secret: string | null | undefined): LocalApp {
    if (!clientId || !secret) throw new OAuthFailure('invalid_request', 'Missing client_id or client_secret')
    const app = this.config.registry.byClient(clientId)
    if (!app || !secretsEqual(app.clientSecret, secret)) throw new OAuthFailure('invalid_client', 'Client authentication failed')
    return app
  }

  private async clientCredentials (form: URLSearchParams, clientId: string | undefined, secret: string | null | undefined): Promise<Record<string, unknown>> {
    const app = this.authenticate(clientId, secret)
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean)
    if (!scopes.includes(API_SCOPE)) throw new OAuthFailure('invalid_scope', `scope must include ${API_SCOPE}`)
    const unknown = scopes.filter(s => !KNOWN_SCOPES.has(s))
    if (unknown.length > 0) throw new OAuthFailure('invalid_scope', `Unknown scope: ${unknown.join(' ').slice(0, 100)}`)
    const scope = [...new Set(scopes)].join(' ')
    const reply: Record<string, unknown> = {
      access_token: await this.config.issuer.mint(app, { scope }),
      token_type: 'Bearer',
      expires_in: this.config.accessTokenTtl,
    }
    if (scopes.includes(OFFLINE_SCOPE)) reply.refresh_token = this.refreshTokens.issue(app.clientId, scope)
    return reply
  }

  private async refresh (form: URLSearchParams, clientId: string | undefined): Promise<Record<string, unknown>> {
    const presented = form.get('refresh_token')
    if (!presented) throw new OAuthFailure('invalid_request', 'Missing refresh_token')
    if (!clientId) throw new OAuthFailure('invalid_request', 'Missing client_id')
    const app = this.config.registry.byClient(clientId)
    if (!app) throw new OAuthFailure('invalid_client', 'Unknown client')
    const result = this.refreshTokens.redeem(presented, clientId)
    if (!result.ok) throw new OAuthFailure('invalid_grant', result.description)
    return {
      access_token: await this.config.issuer.mint(app, { scope: result.scope }),
      refresh_token: result.successor,
      token_type: 'Bearer',
      expires_in: this.config.accessTokenTtl,
    }
  }

  clear (): void {
    this.refreshTokens.clear()
    this.jwksLimiter.clear()
  }
}
