/**
 * The Hocuspocus transport (contract §6): one socket carrying many documents, each addressed by name
 * (or `name\0sessionId`), each authenticated by its own Auth frame. Per-document failures stay in-band
 * (`PermissionDenied` / `CLOSE` whose reason starts with the WireSocket code) and leave the socket's
 * other documents alone; socket-level failures (origin 4003, `maxConnections` 4004, a slow consumer,
 * an undecodable frame) close the socket. The document work and its bounds are `DocumentSession`'s.
 */
import type { RawData, WebSocket } from 'ws'
import { CloseCode, CloseReason } from '../contract/close-codes.ts'
import {
  authenticatedFrame, closeFrame, decodeHocuspocusFrame, encodeHocuspocusFrame, HocuspocusMessage, parseAddress,
  permissionDeniedFrame, PONG_FRAME, readAuth, syncStatusFrame, tokenRequestFrame,
} from '../wire/codec.ts'
import { messageSync } from '../contract/messages.ts'
import type { AccessPolicy, Clock, Logger, SocketBounds, TokenAuthority } from './context.ts'
import { DocumentSession, InvalidPayload, PolicyViolation, type CloseRequest, type SessionHooks } from './document-session.ts'
import type { DocumentEntry } from './documents.ts'
import { SocketWriter } from './socket-writer.ts'
import { toBytes } from './sync-session.ts'
import type { Auth, VerifiedToken } from './verify.ts'

/** What one Hocuspocus socket reads of the shared state: its bounds, the token policy, the clock. */
export type HocuspocusContext = Pick<SocketBounds, 'maxBufferedBytes' | 'maxDocumentsPerSocket' | 'firstFrameTimeout' | 'sessionLimits'> &
  Pick<AccessPolicy, 'authenticate' | 'closeOnExpiry'> & Pick<TokenAuthority, 'issuer'> & Clock & Logger

export interface HocuspocusDeps {
  ctx: HocuspocusContext
  region: string
  origin: string | null
  /** The token verified at the upgrade, if one came; an Auth with an empty token uses it. */
  upgradeToken: VerifiedToken | undefined
  upgradeTokenPresented: boolean
  authenticate: (token: string | undefined) => Promise<Auth>
  admit: (name: string, token: VerifiedToken | undefined, connection: object) => CloseRequest | { entry: DocumentEntry; appKey: string }
  register: (session: DocumentSession, token: VerifiedToken | undefined) => void
  /** The region's bookkeeping for every session it admitted (ops window, leaving the document). */
  sessionHooks: SessionHooks
  /** Close the whole socket with a contract code. */
  reject: (verdict: CloseRequest) => void
}

/** Messages a client may send for a document while its Auth is being checked (the provider sends step 1 at once). */
const MAX_QUEUED_PER_DOCUMENT = 32

type DocumentState =
  | { phase: 'authenticating'; queue: Uint8Array[] }
  | OpenDocument

/**
 * An authenticated document. A refresh Auth costs an RS256 verify: at most one is in flight, and Auths
 * arriving meanwhile keep only the newest token (`nextToken`), checked when the current one settles.
 */
interface OpenDocument {
  phase: 'open'
  session: DocumentSession
  refreshTimer: ReturnType<typeof setTimeout> | undefined
  checking: boolean
  nextToken: string | undefined
}

/** `4008 Document user limit exceeded: 5`: the §3 code, then its reason text. */
const inBand = (request: CloseRequest): string => `${request.code} ${request.reason}`

export class HocuspocusConnection {
  private readonly documents = new Map<string, DocumentState>()
  private readonly writer: SocketWriter
  private ended = false
  /** Runs while no document is open: a socket that never authenticates is let go (4001). */
  private idleTimer: ReturnType<typeof setTimeout> | undefined

  constructor (private readonly ws: WebSocket, private readonly deps: HocuspocusDeps) {
    this.writer = new SocketWriter(ws, deps.ctx.maxBufferedBytes, () => this.end())
    this.armIdle()
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        this.fail({ code: 1003, reason: 'Binary messages only' })
        return
      }
      this.receive(toBytes(data))
    })
    ws.on('close', () => this.end())
    ws.on('error', () => this.end())
  }

  receive (frame: Uint8Array): void {
    if (this.ended) return
    try {
      const decoded = decodeHocuspocusFrame(frame)
      if (decoded.kind === 'ping') this.writer.send(PONG_FRAME)
      if (decoded.kind !== 'message') return
      this.route(decoded.address, decoded.type, decoded.message)
    } catch {
      this.fail({ code: InvalidPayload, reason: 'Invalid message' })
    }
  }

  private route (address: string, type: number, message: Uint8Array): void {
    const state = this.documents.get(address)
    if (type === HocuspocusMessage.Auth) {
      const auth = readAuth(message)
      if (auth.kind === 'token') this.authenticateDocument(address, auth.token)
      return
    }
    if (state === undefined) return // not (yet) authenticated: a Hocuspocus server ignores it too
    if (state.phase === 'authenticating') {
      if (state.queue.length >= MAX_QUEUED_PER_DOCUMENT) this.fail({ code: CloseCode.MissingToken, reason: 'Too many messages before authentication' })
      else state.queue.push(message)
      return
    }
    if (type === HocuspocusMessage.Close) {
      // The client leaves this one document; the socket and its other documents stay.
      this.forget(address)
      state.session.end()
      return
    }
    this.deliver(state.session, type, message)
  }

  private deliver (session: DocumentSession, type: number, message: Uint8Array): void {
    if (type === HocuspocusMessage.Sync && message[1] === 0) {
      // Contract §6: a client's step 1 is answered with our step 1, then step 2.
      session.send(session.syncStep1Message())
    }
    if (type !== HocuspocusMessage.Sync && type !== HocuspocusMessage.Awareness && type !== HocuspocusMessage.QueryAwareness) return
    let applied: 'update' | undefined
    try {
      applied = session.receive(message)
    } catch {
      session.close({ code: InvalidPayload, reason: 'Invalid message' })
      return
    }
    if (applied === 'update' && type === messageSync) this.writer.send(syncStatusFrame(this.addressOf(session), true))
  }

  private addressOf (session: DocumentSession): string {
    for (const [address, state] of this.documents) if (state.phase === 'open' && state.session === session) return address
    return session.entry.name
  }

  private authenticateDocument (address: string, presented: string): void {
    const existing = this.documents.get(address)
    if (existing?.phase === 'authenticating') return // one check at a time per document
    if (existing?.phase === 'open') {
      this.refresh(address, existing, presented)
      return
    }
    if (existing === undefined) {
      // Each document costs a token check and a session: one socket may not open without end.
      const max = this.deps.ctx.maxDocumentsPerSocket
      if (this.documents.size >= max) {
        this.writer.send(permissionDeniedFrame(address, `${PolicyViolation} More than ${max} documents on one socket`))
        return
      }
      this.documents.set(address, { phase: 'authenticating', queue: [] })
    }
    this.check(presented).then(
      auth => this.onChecked(address, auth),
      () => this.fail({ code: 1011, reason: 'Internal error' })
    )
  }

  /** A refresh Auth on an open document: one check in flight, the newest waiting token replaces older ones. */
  private refresh (address: string, state: OpenDocument, presented: string): void {
    if (state.checking) {
      state.nextToken = presented
      return
    }
    state.checking = true
    this.check(presented).then(
      auth => {
        state.checking = false
        if (this.ended || this.documents.get(address) !== state) return
        this.onRefreshChecked(address, state, auth)
        const next = state.nextToken
        state.nextToken = undefined
        if (next !== undefined && this.documents.get(address) === state) this.refresh(address, state, next)
      },
      () => this.fail({ code: 1011, reason: 'Internal error' })
    )
  }

  /** An Auth token as at a handshake; an empty one stands for the upgrade's token. */
  private async check (presented: string): Promise<Auth> {
    const { deps } = this
    if (presented === '') {
      const token = deps.upgradeToken
      // The upgrade's token is held to the same expiry as at a handshake, forced expiry included.
      if (token !== undefined && (token.expiresAtMs <= deps.ctx.now() || deps.ctx.issuer.isForcedExpired(token.claims.jti))) {
        return { ok: false, close: { code: CloseCode.InvalidToken, reason: CloseReason.tokenExpired } }
      }
      if (deps.upgradeTokenPresented || !deps.ctx.authenticate) return { ok: true, token }
      return { ok: false, close: { code: CloseCode.MissingToken, reason: CloseReason.missingToken } }
    }
    return await deps.authenticate(presented)
  }

  private onChecked (address: string, auth: Auth): void {
    if (this.ended) return
    const state = this.documents.get(address)
    if (state === undefined) return
    if (!auth.ok && auth.close.code === CloseCode.Forbidden) {
      // Contract §6: the origin is a property of the socket.
      this.fail(auth.close)
      return
    }
    if (state.phase === 'open') return // refresh checks settle in refresh()
    if (!auth.ok) {
      this.deny(address, auth.close)
      return
    }
    const { documentName } = parseAddress(address)
    const admitted = this.deps.admit(documentName, auth.token, this.ws)
    if (!('entry' in admitted)) {
      if (admitted.code === CloseCode.ConnectionLimit) this.fail(admitted)
      else this.deny(address, admitted)
      return
    }
    const token = auth.token
    const session = new DocumentSession(admitted.entry, {
      appKey: admitted.appKey,
      jti: token?.claims.jti,
      opsPerMinute: token?.claims.limits?.opsPerMinute,
      connection: this.ws,
    }, {
      send: (message, onFlushed) => this.writer.send(encodeHocuspocusFrame(address, message), onFlushed),
      close: request => {
        this.forget(address)
        this.writer.send(closeFrame(address, inBand(request)))
      },
      terminate: () => this.ws.terminate(),
    }, this.deps.sessionHooks, this.deps.ctx.sessionLimits)
    const open: OpenDocument = { phase: 'open', session, refreshTimer: undefined, checking: false, nextToken: undefined }
    this.documents.set(address, open)
    this.disarmIdle()
    // Authenticated goes first: registering may end the session at once (a token expiring right now),
    // and its CLOSE must follow the Authenticated, never precede it.
    this.writer.send(authenticatedFrame(address))
    this.deps.register(session, token)
    if (session.isEnded) return
    const awareness = session.awarenessMessage()
    if (awareness) session.send(awareness)
    this.armRefresh(address, open, token)
    for (const message of state.queue) {
      if (session.isEnded) break
      this.deliver(session, message[0] ?? -1, message)
    }
  }

  /** A fresh Auth on an open document: keep the session, move its expiry (contract §6 token refresh). */
  private onRefreshChecked (address: string, state: OpenDocument, auth: Auth): void {
    if (!auth.ok && auth.close.code === CloseCode.Forbidden) {
      // Contract §6: the origin is a property of the socket.
      this.fail(auth.close)
      return
    }
    const { session } = state
    if (!auth.ok || auth.token === undefined || auth.token.appKey !== session.meta.appKey) {
      if (auth.ok && auth.token === undefined) return // authentication is off: nothing to refresh
      session.close(auth.ok ? { code: CloseCode.InvalidToken, reason: CloseReason.invalidToken } : auth.close)
      return
    }
    session.meta.jti = auth.token.claims.jti
    session.meta.opsPerMinute = auth.token.claims.limits?.opsPerMinute
    if (this.deps.ctx.closeOnExpiry) {
      session.closeAt(auth.token.expiresAtMs, this.deps.ctx.now, { code: CloseCode.InvalidToken, reason: CloseReason.tokenExpired })
    }
    this.armRefresh(address, state, auth.token)
  }

  /** Ask for a fresh token a fifth of its lifetime (at most 60 s) before it expires. */
  private armRefresh (address: string, state: OpenDocument, token: VerifiedToken | undefined): void {
    clearTimeout(state.refreshTimer)
    state.refreshTimer = undefined
    if (token === undefined || !this.deps.ctx.closeOnExpiry) return
    const now = this.deps.ctx.now()
    const issuedAtMs = token.claims.iat !== undefined ? token.claims.iat * 1000 : now
    const lead = Math.min((token.expiresAtMs - issuedAtMs) / 5, 60_000)
    const delay = Math.max(0, token.expiresAtMs - lead - now)
    // Beyond 24.8 days a timer fires at once; no token lives that long, and a refresh then is harmless.
    state.refreshTimer = setTimeout(() => {
      if (this.documents.get(address) === state) this.writer.send(tokenRequestFrame(address))
    }, Math.min(delay, 2 ** 31 - 1))
  }

  private deny (address: string, request: CloseRequest): void {
    this.documents.delete(address)
    this.armIdle()
    this.writer.send(permissionDeniedFrame(address, inBand(request)))
    this.deps.ctx.log(`${this.deps.region}: denied ${request.code} ${request.reason}`)
  }

  private forget (address: string): void {
    const state = this.documents.get(address)
    if (state?.phase === 'open') clearTimeout(state.refreshTimer)
    this.documents.delete(address)
    this.armIdle()
  }

  /** Contract §6 allows a socket on `/` `firstFrameTimeout` without a document; re-armed whenever the last one closes. */
  private armIdle (): void {
    if (this.ended || this.idleTimer !== undefined) return
    for (const state of this.documents.values()) if (state.phase === 'open') return
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined
      this.fail({ code: CloseCode.MissingToken, reason: CloseReason.missingToken })
    }, this.deps.ctx.firstFrameTimeout)
  }

  private disarmIdle (): void {
    clearTimeout(this.idleTimer)
    this.idleTimer = undefined
  }

  /** A socket-level failure: every document on it ends, the socket closes with the code. */
  private fail (request: CloseRequest): void {
    this.end()
    this.deps.reject(request)
  }

  private end (): void {
    if (this.ended) return
    this.ended = true
    this.disarmIdle()
    for (const [address, state] of [...this.documents]) {
      this.forget(address)
      if (state.phase === 'open') state.session.end()
    }
  }
}
