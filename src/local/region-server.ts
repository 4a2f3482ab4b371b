/**
 * One region: an HTTP server whose upgrades become y-websocket sessions. Every rejection is delivered
 * the way the hosted service does it (accept the upgrade, then close with the contract's code), because
 * a browser only ever sees an HTTP error on the upgrade as an anonymous 1006.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { CloseCode, CloseReason, MAX_CLOSE_REASON_BYTES } from '../contract/close-codes.ts'
import { isValidDocumentName } from '../contract/document-name.ts'
import type { DataplaneContext } from './context.ts'
import { documentKeyOf } from './documents.ts'
import { presentedToken, redactUrl, selectProtocol } from './handshake.ts'
import { handleHttp } from './http-routes.ts'
import { clientIp, closeServer, guardClientErrors, listen, sendJson } from './http-util.ts'
import { admissionVerdict, opsVerdict } from './limits.ts'
import { appKeyOf } from './registry.ts'
import { fitReason } from '../contract/close-codes.ts'
import type { CloseRequest } from './document-session.ts'
import { SyncSession, toBytes } from './sync-session.ts'
import { classifyFirstFrame } from '../wire/codec.ts'
import { HocuspocusConnection } from './hocuspocus-connection.ts'
import type { DocumentEntry } from './documents.ts'
import type { DocumentSession, SessionHooks } from './document-session.ts'
import type { HandshakeRecord } from './types.ts'
import { checkToken, type VerifiedToken } from './verify.ts'

export class RegionServer {
  readonly server: Server
  private readonly wss: WebSocketServer
  /** Raw sockets between the upgrade request and the WebSocket, so close() can reach them too. */
  private readonly pending = new Set<Duplex>()
  port = 0

  constructor (readonly name: string, private readonly ctx: DataplaneContext) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: ctx.maxMessageBytes,
      perMessageDeflate: false,
      handleProtocols: offered => selectProtocol(offered),
    })
    this.server = createServer((req, res) => {
      handleHttp(ctx, name, req, res).catch(() => sendJson(res, 500, { error: 'server_error' }))
    })
    guardClientErrors(this.server)
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.pending.add(socket)
      socket.on('close', () => this.pending.delete(socket))
      // A client that vanishes mid-handshake must not produce an unhandled 'error' event.
      socket.on('error', () => socket.destroy())
      this.upgrade(req, socket, head).catch(() => {
        this.pending.delete(socket)
        socket.destroy()
      })
    })
  }

  get url (): string {
    return `ws://${this.host}:${this.port}`
  }

  get httpUrl (): string {
    return `http://${this.host}:${this.port}`
  }

  private host = '127.0.0.1'

  async listen (host: string, port: number): Promise<void> {
    this.host = host.includes(':') ? `[${host}]` : host
    this.port = await listen(this.server, host, port)
  }

  private async upgrade (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const ctx = this.ctx
    const rawUrl = req.url ?? '/'
    const url = new URL(rawUrl, 'http://local')
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : null
    const presented = presentedToken(req, url)
    const record: HandshakeRecord = {
      region: this.name,
      url: redactUrl(rawUrl),
      origin,
      transport: presented.transport,
      protocolHeader: req.headers['sec-websocket-protocol'] !== undefined,
      outcome: { code: 1006, reason: 'Socket closed during handshake' },
    }
    ctx.recordHandshake(record)

    if (!ctx.connectLimiter.hit(clientIp(req), ctx.rateLimits.connectPerMinute).ok) {
      record.outcome = { code: 429, reason: 'Too Many Requests' }
      // Contract §4: 429 with Retry-After: 60. There is no close code for it, so it stays HTTP.
      socket.end('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 60\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      ctx.log(`${this.name}: connect rate limit hit`)
      return
    }

    const name = url.pathname.slice(1)
    // Contract §6: the path `/` names no document and is for the Hocuspocus framing, whose tokens may
    // come in each document's Auth instead; elsewhere a missing token is refused at once, as always.
    const rootPath = name === ''
    const auth = rootPath && presented.token === undefined ? { ok: true as const, token: undefined } : await checkToken(ctx, presented.token, origin)
    if (socket.destroyed) return
    this.wss.handleUpgrade(req, socket, head, ws => {
      this.pending.delete(socket)
      ctx.sockets.add(ws)
      ws.on('close', () => ctx.sockets.delete(ws))
      // ws itself answers protocol errors (e.g. 1009 for oversize frames); the event only needs a listener.
      ws.on('error', () => {})
      const reject = (verdict: CloseRequest): void => {
        record.outcome = { code: verdict.code, reason: fitReason(verdict.reason) }
        ws.close(verdict.code, fitReason(verdict.reason))
        ctx.log(`${this.name}: rejected ${verdict.code} ${verdict.reason}`)
      }
      if (!auth.ok) return reject(auth.close)
      const hocuspocus = (first: Uint8Array): void => {
        new HocuspocusConnection(ws, {
          ctx,
          region: this.name,
          origin,
          upgradeToken: auth.token,
          upgradeTokenPresented: presented.token !== undefined,
          authenticate: token => checkToken(ctx, token, origin),
          admit: (docName, token, connection) => this.admitDocument(docName, token, connection),
          register: (session, token) => this.register(session, token),
          sessionHooks: this.sessionHooks(),
          reject,
        }).receive(first)
      }
      if (rootPath) {
        record.outcome = 'accepted'
        this.awaitFirstFrame(ws, reject, first => {
          if (classifyFirstFrame(first) === 'hocuspocus') hocuspocus(first)
          else reject({ code: CloseCode.InvalidName, reason: CloseReason.invalidName })
        })
        return
      }
      const verdict = this.admitYWebsocket(ws, name, auth.token, hocuspocus)
      if (verdict) reject(verdict)
      else record.outcome = 'accepted'
    })
  }

  /**
   * The server says nothing on `/` until the client's first frame decides the framing. No frame within
   * `firstFrameTimeout`: 4001 `Missing token` (contract §6), whether or not a token came at the upgrade.
   */
  private awaitFirstFrame (ws: WebSocket, reject: (verdict: CloseRequest) => void, decide: (first: Uint8Array) => void): void {
    const timer = setTimeout(() => {
      ws.off('message', onFirst)
      reject({ code: CloseCode.MissingToken, reason: CloseReason.missingToken })
    }, this.ctx.firstFrameTimeout)
    const onFirst = (data: RawData, isBinary: boolean): void => {
      clearTimeout(timer)
      if (!isBinary) return reject({ code: 1003, reason: 'Binary messages only' })
      decide(toBytes(data))
    }
    ws.once('message', onFirst)
    ws.once('close', () => clearTimeout(timer))
  }

  /**
   * Name (4007), region (4009), then limits; synchronous from counting to joining (the caller registers
   * the session in the same turn) so that two sockets racing for the last slot cannot both get in.
   * `connection` is the socket asking: a socket already counted is not counted again (Hocuspocus).
   */
  private admitDocument (name: string, token: VerifiedToken | undefined, connection: object): CloseRequest | { entry: DocumentEntry; appKey: string } {
    const ctx = this.ctx
    if (!isValidDocumentName(name)) return { code: CloseCode.InvalidName, reason: CloseReason.invalidName }
    const app = token?.app ?? ctx.defaultApp()
    const appKey = appKeyOf(app.tenantId, app.appId)
    const key = documentKeyOf(appKey, name)
    const existing = ctx.documents.get(key)
    if (existing && existing.region !== this.name) return this.redirect(existing.region, name)
    const verdict = admissionVerdict(ctx, appKey, token?.claims.limits, existing, connection)
    if (verdict) return verdict
    return { entry: ctx.documents.open(key, appKey, name, this.name), appKey }
  }

  /** Count a new session and arm its expiry (contract §3: 4002 at `exp`, unless closeOnExpiry is off). */
  private register (session: DocumentSession, token: VerifiedToken | undefined): void {
    const ctx = this.ctx
    ctx.sessions.add(session)
    ctx.documents.join(session.entry, session)
    if (token && ctx.closeOnExpiry) {
      session.closeAt(token.expiresAtMs, ctx.now, { code: CloseCode.InvalidToken, reason: CloseReason.tokenExpired })
    }
    ctx.log(`${this.name}: accepted ${session.entry.name}`)
  }

  private sessionHooks (): SessionHooks {
    const ctx = this.ctx
    return {
      beforeUpdate: s => opsVerdict(ctx, s),
      onEnd: s => {
        ctx.sessions.delete(s)
        ctx.documents.leave(s.entry, s)
      },
    }
  }

  /** A document path: today's y-websocket session at once, greeting included, unless the first frame is Hocuspocus. */
  private admitYWebsocket (ws: WebSocket, name: string, token: VerifiedToken | undefined, handOver: (first: Uint8Array) => void): CloseRequest | undefined {
    const ctx = this.ctx
    const admitted = this.admitDocument(name, token, ws)
    if (!('entry' in admitted)) return admitted
    const transport = new SyncSession(ws, admitted.entry, { appKey: admitted.appKey, jti: token?.claims.jti, opsPerMinute: token?.claims.limits?.opsPerMinute }, this.sessionHooks(), {
      limits: ctx.sessionLimits,
      maxBufferedBytes: ctx.maxBufferedBytes,
      handOver: first => {
        if (classifyFirstFrame(first) !== 'hocuspocus') return false
        handOver(first)
        return true
      },
    })
    this.register(transport.session, token)
    transport.start()
    return undefined
  }

  /** 4009 with the full URL when it fits the 123-byte reason, else only the region (contract §3). */
  private redirect (region: string, name: string): CloseRequest {
    const base = this.ctx.regionUrl(region)
    const full = base === undefined ? undefined : CloseReason.redirect(`${base}/${name}`)
    const reason = full !== undefined && Buffer.byteLength(full) <= MAX_CLOSE_REASON_BYTES ? full : CloseReason.region(region)
    return { code: CloseCode.WrongRegion, reason }
  }

  async close (): Promise<void> {
    for (const socket of this.pending) socket.destroy()
    this.pending.clear()
    for (const ws of this.wss.clients) ws.terminate()
    await new Promise<void>(resolve => this.wss.close(() => resolve()))
    await closeServer(this.server)
  }
}
