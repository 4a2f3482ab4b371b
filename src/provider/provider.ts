import type * as Y from 'yjs'
import { ObservableV2 } from 'lib0/observable'
import * as bc from 'lib0/broadcastchannel'
import { Awareness, removeAwarenessStates } from 'y-protocols/awareness'
import { CloseCode } from '../contract/close-codes.ts'
import type { WireSocketClaims, WireSocketLimits } from '../contract/claims.ts'
import { Backoff } from './backoff.ts'
import { createTokenSource, type TokenHolder, type TokenSource } from './token-source.ts'
import { TokenError, type Token, type TokenReason } from './token.ts'
import { isRedirectAllowed, parentDomain, parseRedirect } from './redirect.ts'
import {
  encodeAwareness, encodeQueryAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate,
  messageHandlers, readMessage, type MessageHandler, type SyncPeer,
} from './protocol.ts'
import {
  validate, type CloseEventLike, type WebSocketConstructor, type WebSocketLike, type WireSocketProviderOptions,
} from './options.ts'

/**
 * The connection state machine. Every transition goes through `enter`, which refuses the ones not
 * listed here, so an impossible combination (a socket while idle, a timer while open) cannot arise.
 *
 * - `idle`: no connection wanted (`connect: false`, or after `disconnect()`).
 * - `token`: obtaining a token (and, with `discovery`, the document's region).
 * - `connecting`: WebSocket handshake under way.
 * - `open`: connected; `synced` tells whether the first sync round finished.
 * - `waiting`: between attempts, a retry timer armed (or about to be).
 * - `closed`: the server said retrying cannot help (4003, 4007, a refused redirect…); `connect()` resumes.
 * - `destroyed`: final.
 */
export type ConnectionState = 'idle' | 'token' | 'connecting' | 'open' | 'waiting' | 'closed' | 'destroyed'

const transitions: Record<ConnectionState, readonly ConnectionState[]> = {
  idle: ['token', 'waiting'],
  token: ['connecting', 'waiting', 'idle'],
  connecting: ['open', 'waiting', 'idle'],
  open: ['waiting', 'idle'],
  waiting: ['token', 'waiting', 'closed', 'idle'],
  closed: ['token', 'waiting', 'idle'],
  destroyed: [],
}

/**
 * y-protocols' `Awareness`, typed so that bindings with a stricter state type accept it without a cast:
 * Lexical's `Provider` wants `getLocalState()` to return its own `UserState`, which an untyped
 * awareness state cannot promise. The extra signatures are never the ones a call resolves to (the
 * intersection's first member wins), so code reading `provider.awareness` sees the plain Awareness.
 */
export type ProviderAwareness = Awareness & {
  getLocalState(): null
  getStates(): Map<number, never>
}

/** Why the provider stopped for good (the `closed` event). */
export type ClosedKind = 'unauthorized' | 'forbidden' | 'invalid-name' | 'redirect' | 'server'
/** Which plan limit a 4004/4005/4006/4008 close reported (the `limit` event). */
export type LimitKind = 'connections' | 'documents' | 'ops-per-minute' | 'users-per-document'

export interface WireSocketProviderEvents {
  status: (event: { status: 'connecting' | 'connected' | 'disconnected' }) => void
  sync: (synced: boolean) => void
  synced: (synced: boolean) => void
  'connection-close': (event: CloseEventLike | null, provider: WireSocketProvider) => void
  'connection-error': (event: Event, provider: WireSocketProvider) => void
  /** The provider stopped retrying: a close code that retrying cannot fix. `connect()` starts again. */
  closed: (event: { code: number; reason: string; kind: ClosedKind }, provider: WireSocketProvider) => void
  /** A new token is in use. Never carries the token itself. */
  token: (event: { expiresAt: number; claims: WireSocketClaims }) => void
  /** A token could not be obtained; `retryIn` (ms) when the provider will try again, null for a background refresh. */
  'token-error': (event: { error: TokenError; retryIn: number | null }) => void
  limit: (event: { code: number; limit: LimitKind; value: number | null; retryIn: number }) => void
  redirect: (event: { from: string; to: string }) => void
  /** The server sent a frame that could not be read; the connection is re-established. */
  'message-error': (event: { error: unknown }) => void
  /** The server answered with a y-protocols auth message (permission denied). */
  'permission-denied': (event: { reason: string }) => void
  /** Declared so the provider satisfies `@lexical/yjs`'s `Provider` type; this provider never emits them. */
  update: (arg: unknown) => void
  reload: (doc: Y.Doc) => void
}

/** After this many consecutive rejections of freshly fetched tokens, stop: the backend's tokens are not accepted. */
const MAX_REJECTIONS = 4
const MAX_REDIRECTS = 3
/** Like y-websocket: a connection that heard nothing (not even its own awareness echo) for 30 s is dead. */
const SILENCE_LIMIT = 30_000

const limitKinds: Record<number, LimitKind> = {
  [CloseCode.ConnectionLimit]: 'connections',
  [CloseCode.DocumentLimit]: 'documents',
  [CloseCode.RateLimit]: 'ops-per-minute',
  [CloseCode.UsersPerDoc]: 'users-per-document',
}

const defaultShouldReconnect = (event: CloseEventLike): boolean => !(event.code >= 4400 && event.code < 4500)

const withPath = (base: string, documentName: string): URL => new URL(`${base}/${documentName}`)

/**
 * A y-websocket-compatible Yjs provider for WireSocket that owns the token lifecycle.
 *
 * @example
 * const provider = new WireSocketProvider('wss://eu-central-1.wiresocket.net', 'my-doc', doc, {
 *   getToken: async ({ signal }) => (await fetch('/api/wiresocket-token', { signal })).json(),
 * })
 */
export class WireSocketProvider extends ObservableV2<WireSocketProviderEvents> implements SyncPeer {
  readonly doc: Y.Doc
  readonly awareness: ProviderAwareness
  /** The configured server URL, without trailing slashes. */
  readonly serverUrl: string
  readonly roomname: string
  readonly bcChannel: string
  /** Query parameters added to every connection URL; may be changed, applies from the next connection. */
  params: Record<string, string>
  /** Extra subprotocols offered after the token's. */
  protocols: string[]
  shouldReconnect: (event: CloseEventLike, provider: WireSocketProvider) => boolean
  maxBackoffTime: number
  readonly disableBc: boolean
  messageHandlers: MessageHandler[] = messageHandlers.slice()
  /** Whether a connection is wanted (y-websocket's meaning). */
  shouldConnect = false
  ws: WebSocketLike | null = null
  bcconnected = false
  wsLastMessageReceived = 0
  state: ConnectionState = 'idle'

  #_synced = false
  readonly #tokens: TokenSource
  readonly #options: WireSocketProviderOptions<WireSocketProvider>
  readonly #configuredUrl: URL
  readonly #WS: WebSocketConstructor
  readonly #backoff: Backoff
  readonly #ownsAwareness: boolean
  /** The doc 'destroy' listener our own Awareness added (y-protocols never removes it). */
  readonly #awarenessDocListener: unknown
  /** Where the next connection goes: the configured URL, or where discovery or a redirect pointed. */
  #target: URL
  #token: Token | null = null
  #socketToken: Token | null = null
  #releaseTokens: (() => void) | null = null
  #pending: AbortController | null = null
  #timer: ReturnType<typeof setTimeout> | undefined
  #wakeOnOnline = false
  /** Bumped whenever an attempt is superseded, so late token or discovery answers are ignored. */
  #generation = 0
  #discovered = false
  #pendingRegion: string | null = null
  #redirects = 0
  #rejections = 0
  #missingTokenRetried = false
  #limitHits = 0
  readonly #checkInterval: ReturnType<typeof setInterval>
  readonly #resyncTimer: ReturnType<typeof setInterval> | undefined
  readonly #holder: TokenHolder

  constructor (serverUrl: string, documentName: string, doc: Y.Doc, options: WireSocketProviderOptions<WireSocketProvider>) {
    super()
    validate(serverUrl, documentName, doc, options)
    this.#options = options
    this.serverUrl = serverUrl.replace(/\/+$/, '')
    this.roomname = documentName
    this.doc = doc
    this.bcChannel = `${this.serverUrl}/${documentName}`
    this.#configuredUrl = this.#target = withPath(this.serverUrl, documentName)
    this.#ownsAwareness = options.awareness === undefined
    const docListeners = (): unknown[] => [...(doc._observers.get('destroy') ?? [])]
    const before = docListeners()
    this.awareness = (options.awareness ?? new Awareness(doc)) as ProviderAwareness
    // y-protocols' Awareness registers doc.on('destroy') and never removes it, so every provider
    // destroyed on a long-lived doc would leave a listener (and its Awareness) behind.
    this.#awarenessDocListener = docListeners().find(l => !before.includes(l))
    this.params = options.params ?? {}
    this.protocols = options.protocols ?? []
    this.shouldReconnect = options.shouldReconnect ?? defaultShouldReconnect
    this.maxBackoffTime = options.maxBackoffTime ?? 2500
    this.disableBc = options.disableBc ?? false
    this.#WS = options.WebSocketPolyfill ?? WebSocket
    this.#backoff = new Backoff(() => this.maxBackoffTime)
    this.#tokens = options.tokenSource ?? createTokenSource(options.getToken as NonNullable<typeof options.getToken>, {
      refreshMargin: options.refreshMargin,
      timeout: options.tokenTimeout,
    })
    this.#holder = {
      documentName,
      onToken: token => this.#useToken(token),
      onError: error => this.emit('token-error', [{ error, retryIn: null }]),
    }
    doc.on('update', this.#onDocUpdate)
    this.awareness.on('update', this.#onAwarenessUpdate)
    globalThis.addEventListener?.('online', this.#onOnline)
    this.#checkInterval = setInterval(this.#checkSilence, SILENCE_LIMIT / 10)
    const resync = options.resyncInterval ?? -1
    if (resync > 0) this.#resyncTimer = setInterval(() => this.state === 'open' && this.#send(encodeSyncStep1(doc)), resync)
    if (options.connect ?? true) this.connect()
  }

  /** The URL of the current (or next) connection. Never contains a token. */
  get url (): string {
    const url = this.#connectionUrl()
    return url.href
  }

  get wsconnected (): boolean {
    return this.state === 'open'
  }

  get wsconnecting (): boolean {
    return this.state === 'token' || this.state === 'connecting'
  }

  /** Consecutive unsuccessful attempts since the last successful sync (y-websocket's counter). */
  get wsUnsuccessfulReconnects (): number {
    return this.#backoff.failures
  }

  /** When the newest token expires, on the local clock (epoch ms); null before the first token. */
  get tokenExpiresAt (): number | null {
    return this.#token?.expiresAt ?? null
  }

  /** The plan limits carried by the newest token. */
  get limits (): WireSocketLimits | null {
    return this.#token?.claims.limits ?? null
  }

  get synced (): boolean {
    return this.#_synced
  }

  set synced (state: boolean) {
    if (this.#_synced === state) return
    this.#_synced = state
    if (state) {
      // Only a connection that synced did useful work: it alone resets the retry counters.
      this.#backoff.failures = this.#rejections = this.#redirects = this.#limitHits = 0
      this.#missingTokenRetried = false
    }
    this.emit('synced', [state])
    this.emit('sync', [state])
  }

  connect (): void {
    if (this.state === 'destroyed') return
    this.shouldConnect = true
    if (this.state !== 'idle' && this.state !== 'closed') return
    this.#releaseTokens ??= this.#tokens.hold(this.#holder)
    this.#connectBc()
    this.#schedule(0, 'connect', false)
  }

  disconnect (): void {
    this.shouldConnect = false
    this.#disconnectBc()
    if (this.state === 'idle' || this.state === 'destroyed') return
    this.#halt()
    this.#releaseTokens?.()
    this.#releaseTokens = null
    this.#enter('idle')
  }

  override destroy (): void {
    if (this.state === 'destroyed') return
    this.disconnect()
    clearInterval(this.#checkInterval)
    clearInterval(this.#resyncTimer)
    globalThis.removeEventListener?.('online', this.#onOnline)
    this.doc.off('update', this.#onDocUpdate)
    this.awareness.off('update', this.#onAwarenessUpdate)
    if (this.#ownsAwareness) {
      this.awareness.destroy()
      this.doc._observers.get('destroy')?.delete(this.#awarenessDocListener)
    }
    this.#enter('destroyed')
    super.destroy()
  }

  /**
   * Like lib0's, but one listener's exception cannot break the state machine halfway through a
   * transition: it is rethrown on its own task, as the DOM does for event listeners.
   */
  override emit<N extends keyof WireSocketProviderEvents & string> (name: N, args: Parameters<WireSocketProviderEvents[N]>): void {
    for (const listener of [...(this._observers.get(name) ?? [])]) {
      try {
        listener(...args)
      } catch (error) {
        setTimeout(() => { throw error })
      }
    }
  }

  /** @internal y-protocols auth message */
  onPermissionDenied (reason: string): void {
    this.emit('permission-denied', [{ reason }])
  }

  // ---- the state machine ----

  #enter (next: ConnectionState): void {
    if (next !== 'destroyed' && !transitions[this.state].includes(next)) {
      throw new Error(`WireSocketProvider: illegal transition ${this.state} → ${next}`)
    }
    this.state = next
  }

  /** Abandon whatever is under way: the token call, the retry timer, the socket. */
  #halt (): void {
    this.#generation++
    this.#pending?.abort()
    this.#pending = null
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.ws !== null) this.#endSocket(this.ws, null)
  }

  /** Start an attempt after `delay` (ms), subject to the attempts-per-minute ceiling. Returns the real wait. */
  #schedule (delay: number, reason: TokenReason, wakeOnOnline = true): number {
    const wait = this.#backoff.admit(delay)
    if (wait <= 0) {
      this.#attempt(reason)
    } else {
      this.#enter('waiting')
      this.#wakeOnOnline = wakeOnOnline
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        this.#attempt(reason)
      }, wait)
    }
    return wait
  }

  #attempt (reason: TokenReason): void {
    const generation = ++this.#generation
    this.#enter('token')
    this.emit('status', [{ status: 'connecting' }])
    const cached = this.#tokens.current()
    const needsDiscovery = this.#pendingRegion !== null || (this.#options.discovery === true && !this.#discovered)
    // With a token in hand, open the socket synchronously, as y-websocket does.
    if (cached !== null && !needsDiscovery) return this.#open(cached)
    const controller = this.#pending = new AbortController()
    this.#prepare(reason, needsDiscovery, controller.signal).then(
      token => generation === this.#generation && this.#open(token),
      (error: unknown) => generation === this.#generation && this.#prepareFailed(error),
    )
  }

  async #prepare (reason: TokenReason, needsDiscovery: boolean, signal: AbortSignal): Promise<Token> {
    const token = await this.#tokens.get(this.roomname, reason, signal)
    if (needsDiscovery) await this.#discover(token, signal)
    return token
  }

  #prepareFailed (error: unknown): void {
    this.#pending = null
    this.#enter('waiting')
    this.#backoff.failures++
    if (error instanceof DiscoveryRejected) return this.#rejected(error.token)
    const failure = error instanceof TokenError ? error : new TokenError('callback', 'getToken failed', error)
    // Token failures back off further than socket drops: the backend may be down, don't pile on.
    const retryIn = this.#schedule(Math.max(this.#backoff.jittered(), 1000 * Math.min(30, 2 ** this.#backoff.failures) * Math.random()), 'retry')
    this.emit('token-error', [{ error: failure, retryIn }])
  }

  #useToken (token: Token): void {
    if (token === this.#token) return
    this.#token = token
    this.emit('token', [{ expiresAt: token.expiresAt, claims: token.claims }])
  }

  #connectionUrl (token?: Token): URL {
    const url = new URL(this.#target)
    for (const [key, value] of Object.entries(this.params)) url.searchParams.set(key, value)
    if (token !== undefined && this.#options.tokenTransport === 'query') {
      url.searchParams.set(this.#options.tokenQueryParam ?? 'token', token.value)
    }
    return url
  }

  #open (token: Token): void {
    this.#pending = null
    this.#useToken(token)
    this.#socketToken = token
    const protocols = this.#options.tokenTransport === 'query'
      ? this.protocols
      : [this.#options.tokenProtocol ?? 'access_token', token.value, ...this.protocols]
    let ws: WebSocketLike
    try {
      ws = new this.#WS(this.#connectionUrl(token).href, protocols)
    } catch (error) {
      // e.g. a polyfill that rejects the URL; reported like a failed handshake, never with the URL (it may hold the token)
      this.#enter('waiting')
      this.#backoff.failures++
      this.emit('message-error', [{ error: new Error('could not create the WebSocket', { cause: error instanceof Error ? error.name : undefined }) }])
      this.#schedule(this.#backoff.jittered(), 'retry')
      return
    }
    ws.binaryType = 'arraybuffer'
    this.ws = ws
    this.#enter('connecting')
    ws.onopen = () => {
      if (this.ws !== ws) return
      this.wsLastMessageReceived = Date.now()
      this.#enter('open')
      this.emit('status', [{ status: 'connected' }])
      this.#send(encodeSyncStep1(this.doc))
      if (this.awareness.getLocalState() !== null) this.#send(encodeAwareness(this.awareness, [this.doc.clientID]))
    }
    ws.onmessage = (event: { data: unknown }) => {
      if (this.ws !== ws) return
      this.wsLastMessageReceived = Date.now()
      this.#receive(ws, event.data)
    }
    ws.onerror = (event: Event) => {
      if (this.ws === ws) this.emit('connection-error', [event, this])
    }
    ws.onclose = (event: CloseEventLike) => {
      if (this.ws !== ws) return
      this.#endSocket(ws, event)
      this.#onServerClose(event)
    }
  }

  #receive (ws: WebSocketLike, data: unknown): void {
    let reply: Uint8Array<ArrayBuffer> | null
    try {
      if (!(data instanceof ArrayBuffer)) throw new TypeError('expected a binary frame')
      reply = readMessage(this.messageHandlers, this, new Uint8Array(data), true)
    } catch (error) {
      // A frame we cannot read may have left the sync half-done: start over on a fresh connection.
      this.emit('message-error', [{ error }])
      this.#dropConnection()
      return
    }
    if (reply !== null) ws.send(reply)
  }

  /** Close from our side (garbled frame, silence) and reconnect after a backoff. */
  #dropConnection (): void {
    if (this.ws !== null) this.#endSocket(this.ws, null)
    this.#backoff.failures++
    this.#schedule(this.#backoff.jittered(), 'retry')
  }

  /** Forget the socket: detach it, close it, and tell listeners. Leaves the machine in `waiting`. */
  #endSocket (ws: WebSocketLike, event: CloseEventLike | null): void {
    this.ws = null
    ws.onopen = ws.onmessage = ws.onclose = null
    // Closing a socket that is still connecting fires `error`; in Node an unheard error event throws.
    ws.onerror = () => {}
    ws.close()
    const wasOpen = this.state === 'open'
    this.#enter('waiting')
    this.emit('connection-close', [event, this])
    if (wasOpen) {
      this.synced = false
      const others = [...this.awareness.getStates().keys()].filter(client => client !== this.doc.clientID)
      removeAwarenessStates(this.awareness, others, this)
      this.emit('status', [{ status: 'disconnected' }])
    }
  }

  /** What each close code means for the next step; the table in the README mirrors this. */
  #onServerClose (event: CloseEventLike): void {
    const { code } = event
    this.#backoff.failures++
    switch (code) {
      case CloseCode.MissingToken:
        // The token got lost on the way (a proxy stripping the subprotocol?): once more, then stop.
        if (this.#missingTokenRetried) return this.#stop(event, 'unauthorized')
        this.#missingTokenRetried = true
        this.#schedule(0, 'missing')
        return
      case CloseCode.InvalidToken:
        return this.#rejected(this.#socketToken, event)
      case CloseCode.Forbidden:
        return this.#stop(event, 'forbidden')
      case CloseCode.InvalidName:
        return this.#stop(event, 'invalid-name')
      case CloseCode.ConnectionLimit:
      case CloseCode.DocumentLimit:
      case CloseCode.UsersPerDoc:
      case CloseCode.RateLimit:
        return this.#limited(event)
      case CloseCode.WrongRegion:
        return this.#redirect(event)
    }
    if (!this.shouldReconnect(event, this)) return this.#stop(event, 'server')
    this.#schedule(this.#backoff.jittered(), 'retry')
  }

  /** 4002 (or a 401 from discovery): the first time at once with a fresh token, then backing off, then stop. */
  #rejected (token: Token | null, event: CloseEventLike = { code: CloseCode.InvalidToken, reason: 'Invalid token' }): void {
    if (token !== null) this.#tokens.invalidate(token)
    if (++this.#rejections > MAX_REJECTIONS) return this.#stop(event, 'unauthorized')
    this.#schedule(this.#rejections === 1 ? 0 : this.#backoff.jittered(), 'expired')
  }

  #limited (event: CloseEventLike): void {
    const rate = event.code === CloseCode.RateLimit
    // A rate limit clears within the minute: always the short wait. Quota limits back off further each time.
    const delay = this.#backoff.slow(this.#options.limitRetryDelay ?? 30_000, rate ? 1 : ++this.#limitHits)
    const value = /: (\d+)/.exec(event.reason)
    const retryIn = this.#schedule(delay, 'retry', false)
    this.emit('limit', [{ code: event.code, limit: limitKinds[event.code] as LimitKind, value: value ? Number(value[1]) : null, retryIn }])
  }

  #redirect (event: CloseEventLike): void {
    const from = this.#target.href
    const instruction = parseRedirect(event.reason)
    if (++this.#redirects > MAX_REDIRECTS) {
      // A loop between regions: start over from the configured URL, after an ordinary backoff.
      this.#redirects = 0
      this.#target = this.#configuredUrl
      this.#schedule(this.#backoff.jittered(), 'retry')
      return
    }
    if (instruction !== null && 'region' in instruction) {
      this.#pendingRegion = instruction.region
      this.#schedule(0, 'connect')
      return
    }
    const to = instruction?.url
    if (to === undefined || !this.#allowed(to)) return this.#stop(event, 'redirect')
    this.#target = to
    this.emit('redirect', [{ from, to: to.href }])
    this.#schedule(0, 'connect')
  }

  /** Only a WebSocket URL on an allowed host, for this same document. The token goes nowhere else. */
  #allowed (url: URL): boolean {
    return url.pathname.endsWith(`/${this.roomname}`) && url.search === '' &&
      isRedirectAllowed(url, this.#configuredUrl, this.#options.allowedRedirectHosts)
  }

  /**
   * Ask the dataplane where the document lives (`/discovery`), once per session, or to resolve a
   * `REGION:` redirect. Failing that, keep the current URL (a 4009 will correct it) or build the
   * region's sibling host.
   */
  async #discover (token: Token, signal: AbortSignal): Promise<void> {
    const region = this.#pendingRegion
    this.#pendingRegion = null
    const endpoint = new URL(`/discovery?documentName=${this.roomname}`, this.#target)
    endpoint.protocol = endpoint.protocol === 'wss:' ? 'https:' : 'http:'
    let found: URL | null = null
    try {
      const response = await fetch(endpoint, { headers: { Authorization: `Bearer ${token.value}` }, signal })
      if (response.status === 401) throw new DiscoveryRejected(token)
      const body: unknown = response.ok ? await response.json() : null
      const url = (body as { url?: unknown } | null)?.url
      if (typeof url === 'string') found = new URL(url)
    } catch (error) {
      if (error instanceof DiscoveryRejected || signal.aborted) throw error
    }
    if (found === null && region !== null) {
      const parent = parentDomain(this.#configuredUrl.hostname)
      if (parent !== null) found = withPath(`${this.#configuredUrl.protocol}//${region}.${parent}`, this.roomname)
    }
    this.#discovered = true
    if (found !== null && found.href !== this.#target.href && this.#allowed(found)) {
      this.emit('redirect', [{ from: this.#target.href, to: found.href }])
      this.#target = found
    }
  }

  #stop (event: CloseEventLike, kind: ClosedKind): void {
    this.shouldConnect = false
    this.#releaseTokens?.()
    this.#releaseTokens = null
    this.#enter('closed')
    this.emit('closed', [{ code: event.code, reason: event.reason, kind }, this])
  }

  // ---- traffic ----

  #send (message: Uint8Array<ArrayBuffer>): void {
    if (this.state === 'open') this.ws?.send(message)
  }

  #broadcast (message: Uint8Array<ArrayBuffer>): void {
    this.#send(message)
    if (this.bcconnected) bc.publish(this.bcChannel, message, this)
  }

  readonly #onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin !== this) this.#broadcast(encodeUpdate(update))
  }

  readonly #onAwarenessUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    this.#broadcast(encodeAwareness(this.awareness, added.concat(updated, removed)))
  }

  readonly #onOnline = (): void => {
    if (this.state !== 'waiting' || !this.#wakeOnOnline) return
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#attempt('retry')
  }

  readonly #checkSilence = (): void => {
    if (this.state === 'open' && Date.now() - this.wsLastMessageReceived > SILENCE_LIMIT) this.#dropConnection()
  }

  // ---- cross-tab sync (no token ever crosses it) ----

  readonly #onBcMessage = (data: ArrayBuffer, origin: unknown): void => {
    if (origin === this) return
    try {
      const reply = readMessage(this.messageHandlers, this, new Uint8Array(data), false)
      if (reply !== null) bc.publish(this.bcChannel, reply, this)
    } catch (error) {
      this.emit('message-error', [{ error }])
    }
  }

  #connectBc (): void {
    if (this.disableBc) return
    if (!this.bcconnected) {
      bc.subscribe(this.bcChannel, this.#onBcMessage)
      this.bcconnected = true
    }
    for (const message of [encodeSyncStep1(this.doc), encodeSyncStep2(this.doc), encodeQueryAwareness(), encodeAwareness(this.awareness, [this.doc.clientID])]) {
      bc.publish(this.bcChannel, message, this)
    }
  }

  #disconnectBc (): void {
    // Tell peers (server and tabs) that this client left, before the channels go.
    this.#broadcast(encodeAwareness(this.awareness, [this.doc.clientID], new Map()))
    if (this.bcconnected) {
      bc.unsubscribe(this.bcChannel, this.#onBcMessage)
      this.bcconnected = false
    }
  }
}

class DiscoveryRejected extends Error {
  constructor (readonly token: Token) {
    super('discovery rejected the token')
  }
}
