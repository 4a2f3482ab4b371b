import type * as Y from 'yjs'
import { ObservableV2 } from 'lib0/observable'
import * as bc from 'lib0/broadcastchannel'
import { Awareness, removeAwarenessStates } from 'y-protocols/awareness'
import { CloseCode } from '../contract/close-codes.ts'
import type { WireSocketClaims, WireSocketLimits } from '../contract/claims.ts'
import { Backoff } from './backoff.ts'
import { createTokenSource, type TokenHolder, type TokenSource } from './token-source.ts'
import { asTokenError, type GetToken, type Token, type TokenError, type TokenReason } from './token.ts'
import { isRedirectAllowed, parentDomain, parseRedirect } from './redirect.ts'
import { discover } from './discovery.ts'
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

const stopKinds: Record<number, ClosedKind> = {
  [CloseCode.Forbidden]: 'forbidden',
  [CloseCode.InvalidName]: 'invalid-name',
}

const defaultShouldReconnect = (event: CloseEventLike): boolean => !(event.code >= 4400 && event.code < 4500)

/**
 * A y-websocket-compatible Yjs provider for WireSocket that owns the token lifecycle.
 *
 * @example
 * const provider = new WireSocketProvider('wss://eu-central-1.wiresocket.net', 'my-doc', doc, {
 *   getToken: async ({ signal }) => (await fetch('/api/wiresocket-token', { signal })).json(),
 * })
 */
export class WireSocketProvider extends ObservableV2<WireSocketProviderEvents> implements SyncPeer {
  declare readonly doc: Y.Doc
  declare readonly awareness: ProviderAwareness
  /** The configured server URL, without trailing slashes. */
  declare readonly serverUrl: string
  declare readonly roomname: string
  declare readonly bcChannel: string
  /** Query parameters added to every connection URL; may be changed, applies from the next connection. */
  declare params: Record<string, string>
  /** Extra subprotocols offered after the token's. */
  declare protocols: string[]
  declare shouldReconnect: (event: CloseEventLike, provider: WireSocketProvider) => boolean
  declare maxBackoffTime: number
  declare readonly disableBc: boolean
  messageHandlers: MessageHandler[] = messageHandlers.slice()
  /** Whether a connection is wanted (y-websocket's meaning). */
  shouldConnect = false
  ws: WebSocketLike | null = null
  bcconnected = false
  wsLastMessageReceived = 0
  state: ConnectionState = 'idle'

  #synced = false
  readonly #tokens: TokenSource
  readonly #holder: TokenHolder
  readonly #options: WireSocketProviderOptions<WireSocketProvider>
  readonly #configuredUrl: URL
  readonly #backoff = new Backoff(() => this.maxBackoffTime)
  /** The doc 'destroy' listener our own Awareness added (y-protocols never removes it); undefined when the awareness is the app's. */
  readonly #awarenessDocListener: unknown
  readonly #intervals: Array<ReturnType<typeof setInterval>>
  /** Where the next connection goes: the configured URL, or where discovery or a redirect pointed. */
  #target: URL
  /** The newest token, and the one the current socket presented (a background refresh may differ). */
  #token: Token | null = null
  #socketToken: Token | null = null
  #releaseTokens: (() => void) | null = null
  #pending: AbortController | null = null
  #timer: ReturnType<typeof setTimeout> | undefined
  #wakeOnOnline = false
  /** Bumped whenever an attempt is superseded, so that late token or discovery answers are ignored. */
  #generation = 0
  #discovered = false
  #pendingRegion: string | null = null
  // consecutive counts, reset by a successful sync
  #redirects = 0
  #rejections = 0
  #limitHits = 0
  #missingTokenRetried = false

  constructor (serverUrl: string, documentName: string, doc: Y.Doc, options: WireSocketProviderOptions<WireSocketProvider>) {
    super()
    validate(serverUrl, documentName, doc, options)
    this.#options = options
    this.serverUrl = serverUrl.replace(/\/+$/, '')
    this.roomname = documentName
    this.doc = doc
    this.bcChannel = `${this.serverUrl}/${documentName}`
    this.#configuredUrl = this.#target = new URL(this.bcChannel)
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
    this.#tokens = options.tokenSource ?? createTokenSource(options.getToken as GetToken, {
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
    const resync = options.resyncInterval ?? -1
    this.#intervals = [
      setInterval(() => this.state === 'open' && Date.now() - this.wsLastMessageReceived > SILENCE_LIMIT && this.#drop(), SILENCE_LIMIT / 10),
      ...resync > 0 ? [setInterval(() => this.#send(encodeSyncStep1(doc)), resync)] : [],
    ]
    if (options.connect ?? true) this.connect()
  }

  /** The URL of the current (or next) connection. Never contains a token. */
  get url (): string {
    return this.#connectionUrl().href
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
    return this.#synced
  }

  set synced (state: boolean) {
    if (this.#synced === state) return
    this.#synced = state
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
    this.#letGoOfTokens()
    this.#enter('idle')
  }

  override destroy (): void {
    if (this.state === 'destroyed') return
    this.disconnect()
    this.#intervals.forEach(clearInterval)
    globalThis.removeEventListener?.('online', this.#onOnline)
    this.doc.off('update', this.#onDocUpdate)
    this.awareness.off('update', this.#onAwarenessUpdate)
    if (this.#awarenessDocListener !== undefined) {
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
    if (this.ws !== null) this.#endSocket(this.ws, null)
  }

  /** Start an attempt after `delay` (ms), subject to the attempts-per-minute ceiling. Returns the real wait. */
  #schedule (delay: number, reason: TokenReason, wakeOnOnline = true): number {
    const wait = this.#backoff.admit(delay)
    if (wait > 0) {
      this.#enter('waiting')
      this.#wakeOnOnline = wakeOnOnline
      this.#timer = setTimeout(() => this.#attempt(reason), wait)
    } else {
      this.#attempt(reason)
    }
    return wait
  }

  /** An attempt failed: count it, and try again after the jittered backoff. */
  #retry (): void {
    this.#backoff.failures++
    this.#schedule(this.#backoff.jittered(), 'retry')
  }

  #attempt (reason: TokenReason): void {
    const generation = ++this.#generation
    this.#enter('token')
    this.emit('status', [{ status: 'connecting' }])
    const cached = this.#tokens.current()
    const region = this.#pendingRegion
    const needsDiscovery = region !== null || (this.#options.discovery === true && !this.#discovered)
    // With a token in hand, open the socket synchronously, as y-websocket does.
    if (cached !== null && !needsDiscovery) return this.#open(cached)
    const { signal } = this.#pending = new AbortController()
    this.#tokens.get(this.roomname, reason, signal)
      .then(async token => ({ token, accepted: !needsDiscovery || await this.#discover(token, region, signal) }))
      .then(({ token, accepted }) => {
        if (generation !== this.#generation) return
        this.#pending = null
        if (accepted) return this.#open(token)
        // discovery refused the token (401): the same path as a 4002 close
        this.#enter('waiting')
        this.#backoff.failures++
        this.#rejected()
      }, (error: unknown) => generation === this.#generation && this.#tokenFailed(asTokenError(error)))
  }

  #tokenFailed (error: TokenError): void {
    this.#pending = null
    this.#enter('waiting')
    this.#backoff.failures++
    // Token failures back off further than socket drops: the backend may be down, don't pile on.
    const retryIn = this.#schedule(Math.max(this.#backoff.jittered(), 1000 * Math.min(30, 2 ** this.#backoff.failures) * Math.random()), 'retry')
    this.emit('token-error', [{ error, retryIn }])
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
    this.#useToken(token)
    this.#socketToken = token
    const protocols = this.#options.tokenTransport === 'query'
      ? this.protocols
      : [this.#options.tokenProtocol ?? 'access_token', token.value, ...this.protocols]
    let ws: WebSocketLike
    try {
      ws = new (this.#options.WebSocketPolyfill ?? WebSocket)(this.#connectionUrl(token).href, protocols)
    } catch (error) {
      // e.g. a polyfill that rejects the URL; reported like a failed handshake, never with the URL (it may hold the token)
      return this.#drop(new Error('could not create the WebSocket', { cause: (error as Error | null)?.name }))
    }
    ws.binaryType = 'arraybuffer'
    this.ws = ws
    this.#enter('connecting')
    ws.onopen = () => {
      this.wsLastMessageReceived = Date.now()
      this.#enter('open')
      this.emit('status', [{ status: 'connected' }])
      this.#send(encodeSyncStep1(this.doc))
      if (this.awareness.getLocalState() !== null) this.#send(encodeAwareness(this.awareness, [this.doc.clientID]))
    }
    ws.onmessage = ({ data }: { data: unknown }) => {
      this.wsLastMessageReceived = Date.now()
      let reply: Uint8Array<ArrayBuffer> | null
      try {
        if (!(data instanceof ArrayBuffer)) throw new TypeError('expected a binary frame')
        reply = readMessage(this.messageHandlers, this, new Uint8Array(data), true)
      } catch (error) {
        // A frame we cannot read may have left the sync half-done: start over on a fresh connection.
        return this.#drop(error)
      }
      if (reply !== null) ws.send(reply)
    }
    ws.onerror = (event: Event) => this.emit('connection-error', [event, this])
    ws.onclose = (event: CloseEventLike) => {
      this.#endSocket(ws, event)
      this.#onServerClose(event)
    }
  }

  /**
   * Give up on this connection from our side (a frame we could not read, silence, a socket that could not
   * be created) and reconnect after a backoff. `error`, when given, is reported as `message-error`.
   */
  #drop (error?: unknown): void {
    if (this.ws !== null) this.#endSocket(this.ws, null)
    else this.#enter('waiting')
    if (error !== undefined) this.emit('message-error', [{ error }])
    this.#retry()
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
    if (code in limitKinds) return this.#limited(event)
    if (code in stopKinds) return this.#stop(event, stopKinds[code] as ClosedKind)
    if (code === CloseCode.WrongRegion) return this.#redirect(event)
    this.#backoff.failures++
    if (code === CloseCode.InvalidToken) {
      if (this.#socketToken !== null) this.#tokens.invalidate(this.#socketToken)
      return this.#rejected(event)
    }
    if (code === CloseCode.MissingToken) {
      // The token got lost on the way (a proxy stripping the subprotocol?): once more, then stop.
      if (this.#missingTokenRetried) return this.#stop(event, 'unauthorized')
      this.#missingTokenRetried = true
      return void this.#schedule(0, 'missing')
    }
    if (!this.shouldReconnect(event, this)) return this.#stop(event, 'server')
    this.#schedule(this.#backoff.jittered(), 'retry')
  }

  /** 4002 (or a 401 from discovery): the first time at once with a fresh token, then backing off, then stop. */
  #rejected (event: CloseEventLike = { code: CloseCode.InvalidToken, reason: 'Invalid token' }): void {
    if (++this.#rejections > MAX_REJECTIONS) return this.#stop(event, 'unauthorized')
    this.#schedule(this.#rejections === 1 ? 0 : this.#backoff.jittered(), 'expired')
  }

  #limited ({ code, reason }: CloseEventLike): void {
    this.#backoff.failures++
    // A rate limit clears within the minute: always the short wait. Quota limits back off further each time.
    const delay = this.#backoff.slow(this.#options.limitRetryDelay ?? 30_000, code === CloseCode.RateLimit ? 1 : ++this.#limitHits)
    const value = /: (\d+)/.exec(reason)?.[1]
    const retryIn = this.#schedule(delay, 'retry', false)
    this.emit('limit', [{ code, limit: limitKinds[code] as LimitKind, value: value === undefined ? null : Number(value), retryIn }])
  }

  #redirect (event: CloseEventLike): void {
    this.#backoff.failures++
    const instruction = parseRedirect(event.reason)
    if (++this.#redirects > MAX_REDIRECTS) {
      // A loop between regions: start over from the configured URL, after an ordinary backoff.
      this.#redirects = 0
      this.#target = this.#configuredUrl
      return void this.#schedule(this.#backoff.jittered(), 'retry')
    }
    if (instruction !== null && 'region' in instruction) {
      this.#pendingRegion = instruction.region
    } else if (!this.#follow(instruction?.url)) {
      return this.#stop(event, 'redirect')
    }
    this.#schedule(0, 'connect')
  }

  /**
   * Point the next connection at `to` if it is a WebSocket URL on an allowed host, for this same
   * document; the token goes nowhere else. Returns whether it was allowed.
   */
  #follow (to: URL | null | undefined): boolean {
    const allowed = to != null && to.pathname.endsWith(`/${this.roomname}`) && to.search === '' &&
      isRedirectAllowed(to, this.#configuredUrl, this.#options.allowedRedirectHosts)
    if (allowed && to.href !== this.#target.href) {
      this.emit('redirect', [{ from: this.#target.href, to: to.href }])
      this.#target = to
    }
    return allowed
  }

  /**
   * Where does the document live? Asked once per session with `discovery`, and to resolve a `REGION:`
   * redirect; failing an answer, keep the current URL (a 4009 will correct it) or build the region's
   * sibling host. Resolves false when the dataplane refused the token (after invalidating it).
   */
  async #discover (token: Token, region: string | null, signal: AbortSignal): Promise<boolean> {
    this.#pendingRegion = null
    let found = await discover(this.#target, this.roomname, token.value, signal)
    if (found === 'rejected') {
      this.#tokens.invalidate(token)
      return false
    }
    const parent = parentDomain(this.#configuredUrl.hostname)
    if (found === null && region !== null && parent !== null) {
      found = new URL(`${this.#configuredUrl.protocol}//${region}.${parent}/${this.roomname}`)
    }
    this.#discovered = true
    this.#follow(found)
    return true
  }

  #stop ({ code, reason }: CloseEventLike, kind: ClosedKind): void {
    this.shouldConnect = false
    this.#letGoOfTokens()
    this.#enter('closed')
    this.emit('closed', [{ code, reason, kind }, this])
  }

  #letGoOfTokens (): void {
    this.#releaseTokens?.()
    this.#releaseTokens = null
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
    this.#attempt('retry')
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
