import type * as Y from 'yjs'
import { ObservableV2 } from 'lib0/observable'
import { Awareness, removeAwarenessStates } from 'y-protocols/awareness'
import type { WireSocketClaims, WireSocketLimits } from '../contract/claims.ts'
import { AttemptWindow } from './backoff.ts'
import { CrossTab } from './cross-tab.ts'
import { createTokenSource, type TokenHolder, type TokenSource } from './token-source.ts'
import { asTokenError, type GetToken, type Token, type TokenError, type TokenReason } from './token.ts'
import { isRedirectAllowed, parentDomain } from './redirect.ts'
import { discover } from './discovery.ts'
import {
  afterClose, afterDrop, afterTokenFailure, noFailures,
  type ClosedKind, type Counters, type Decision, type LimitKind, type PolicyOptions, type Verdict,
} from './policy.ts'
import { encodeAwareness, encodeSyncStep1, encodeUpdate, messageHandlers, readMessage, type MessageHandler, type SyncPeer } from './protocol.ts'
import { MAX_DELAY, validate, type CloseEventLike, type WebSocketLike, type WireSocketProviderOptions } from './options.ts'

export type { ClosedKind, LimitKind } from './policy.ts'

/**
 * The connection state machine. Every transition goes through `enter`, which refuses the ones not
 * listed here, so an impossible combination (a socket while idle, a timer while open) cannot arise.
 *
 * - `idle`: no connection wanted (`connect: false`, or after `disconnect()`).
 * - `token`: obtaining a token (and, with `discovery`, the document's region).
 * - `connecting`: WebSocket handshake under way.
 * - `open`: connected; `synced` tells whether the first sync round finished.
 * - `waiting`: between attempts, a retry timer armed (or a redirect being judged).
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

export interface WireSocketProviderEvents {
  status: (event: { status: 'connecting' | 'connected' | 'disconnected' }) => void
  sync: (synced: boolean) => void
  synced: (synced: boolean) => void
  /** A socket ended: the server's close event, or null when we ended it (unreadable frame, silence, handshake timeout). */
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

/** Like y-websocket: a connection that heard nothing (not even its own awareness echo) for 30 s is dead. */
const SILENCE_LIMIT = 30_000
const INVALID_TOKEN: CloseEventLike = { code: 4002, reason: 'Invalid token' }
const OPEN = 1

const defaultShouldReconnect = (event: CloseEventLike): boolean => !(event.code >= 4400 && event.code < 4500)

/**
 * A y-websocket-compatible Yjs provider for WireSocket that owns the token lifecycle.
 *
 * Re-entrancy: every step of the machine (a public call, a socket event, a timer, a token answer) runs
 * to completion before any listener hears of it; events queue during the step and are delivered after
 * it. A listener that calls `connect()`, `disconnect()` or `destroy()` so finds the machine at rest, and
 * its call wins. Answers that arrive after a newer step superseded theirs are ignored (`#generation`).
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
  wsLastMessageReceived = 0

  #state: ConnectionState = 'idle'
  #synced = false
  #counters: Counters = noFailures
  readonly #tokens: TokenSource
  readonly #holder: TokenHolder
  readonly #options: WireSocketProviderOptions<WireSocketProvider>
  readonly #policy: PolicyOptions
  readonly #configuredUrl: URL
  readonly #attempts = new AttemptWindow()
  readonly #crossTab: CrossTab
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
  /** The one timer of the machine: the retry wait, or the handshake timeout while connecting. */
  #timer: ReturnType<typeof setTimeout> | undefined
  #wakeOnOnline = false
  /** Bumped whenever an attempt is superseded, so that late token, discovery or redirect answers are ignored. */
  #generation = 0
  #discovered = false
  #pendingRegion: string | null = null
  /** Events (and effects that call out to app code) wait here until the current step is complete. */
  readonly #queue: Array<() => void> = []
  #depth = 0
  #flushing = false

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
    this.#crossTab = new CrossTab(this, error => this.#step(() => this.emit('message-error', [{ error }])))
    this.#policy = {
      get maxBackoffTime () { return provider.maxBackoffTime },
      limitRetryDelay: options.limitRetryDelay ?? 30_000,
      shouldReconnect: event => this.shouldReconnect(event, this),
      random: Math.random,
    }
    const provider = this
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
      setInterval(() => this.#state === 'open' && Date.now() - this.wsLastMessageReceived > SILENCE_LIMIT && this.#step(() => this.#drop()), SILENCE_LIMIT / 10),
      ...resync > 0 ? [setInterval(() => this.#send(encodeSyncStep1(doc)), resync)] : [],
    ]
    if (options.connect ?? true) this.connect()
  }

  /** Where the machine is; changed only by the provider's own transitions. */
  get state (): ConnectionState {
    return this.#state
  }

  /** The URL of the current (or next) connection. Never contains a token. */
  get url (): string {
    return this.#connectionUrl().href
  }

  get wsconnected (): boolean {
    return this.#state === 'open'
  }

  get wsconnecting (): boolean {
    return this.#state === 'token' || this.#state === 'connecting'
  }

  get bcconnected (): boolean {
    return this.#crossTab.connected
  }

  /** Consecutive unsuccessful attempts since the last successful sync (y-websocket's counter). */
  get wsUnsuccessfulReconnects (): number {
    return this.#counters.failures
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
    this.emit('synced', [state])
    this.emit('sync', [state])
  }

  connect (): void {
    this.#step(() => {
      if (this.#state === 'destroyed') return
      this.shouldConnect = true
      if (this.#state !== 'idle' && this.#state !== 'closed') return
      this.#releaseTokens ??= this.#tokens.hold(this.#holder)
      if (!this.disableBc) this.#crossTab.connect()
      this.#schedule(0, 'connect', false)
    })
  }

  disconnect (): void {
    this.#step(() => {
      this.shouldConnect = false
      if (this.#state === 'destroyed') return
      // Tell peers (server and tabs) that this client left, before the channels go.
      this.#broadcast(encodeAwareness(this.awareness, [this.awareness.clientID], new Map()))
      this.#crossTab.disconnect()
      if (this.#state === 'idle') return
      this.#halt()
      this.#letGoOfTokens()
      this.#enter('idle')
    })
  }

  override destroy (): void {
    this.#step(() => {
      if (this.#state === 'destroyed') return
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
    })
  }

  /**
   * Queued until the current step is complete (see the class comment). One listener's exception cannot
   * break the machine or the other listeners: it is rethrown on its own task, as the DOM does.
   */
  override emit<N extends keyof WireSocketProviderEvents & string> (name: N, args: Parameters<WireSocketProviderEvents[N]>): void {
    this.#later(() => {
      for (const listener of [...(this._observers.get(name) ?? [])]) this.#guarded(() => listener(...args))
    })
  }

  /** @internal y-protocols auth message */
  onPermissionDenied (reason: string): void {
    this.emit('permission-denied', [{ reason }])
  }

  // ---- steps: run to completion, then tell the listeners ----

  #guarded (run: () => void): void {
    try {
      run()
    } catch (error) {
      setTimeout(() => { throw error })
    }
  }

  #later (run: () => void): void {
    this.#queue.push(run)
    if (this.#depth === 0) this.#flush()
  }

  #step (run: () => void): void {
    this.#depth++
    try {
      run()
    } finally {
      if (--this.#depth === 0) this.#flush()
    }
  }

  #flush (): void {
    if (this.#flushing) return
    this.#flushing = true
    // a listener's own call is a step of its own: its events join the end of this queue
    for (let run = this.#queue.shift(); run !== undefined; run = this.#queue.shift()) this.#guarded(run)
    this.#flushing = false
  }

  // ---- the state machine ----

  #enter (next: ConnectionState): void {
    if (next !== 'destroyed' && !transitions[this.#state].includes(next)) {
      throw new Error(`WireSocketProvider: illegal transition ${this.#state} → ${next}`)
    }
    this.#state = next
  }

  /** Abandon whatever is under way: the token call, the timer, the socket. */
  #halt (): void {
    this.#generation++
    this.#pending?.abort()
    this.#pending = null
    clearTimeout(this.#timer)
    if (this.ws !== null) this.#endSocket(this.ws, null)
  }

  /** Start an attempt after `delay` (ms), subject to the attempts-per-minute ceiling. Returns the real wait. */
  #schedule (delay: number, reason: TokenReason, wakeOnOnline = true): number {
    // setTimeout fires at once for anything past 2^31−1 ms: never ask it to wait longer
    const wait = Math.min(MAX_DELAY, this.#attempts.admit(delay))
    if (wait > 0) {
      this.#enter('waiting')
      this.#wakeOnOnline = wakeOnOnline
      this.#timer = setTimeout(() => this.#step(() => this.#attempt(reason)), wait)
    } else {
      this.#attempt(reason)
    }
    return wait
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
      .then(async token => ({ token, located: needsDiscovery ? await this.#locate(token, region, signal) : null }))
      .then(({ token, located }) => this.#step(() => {
        if (generation !== this.#generation) return
        this.#pending = null
        this.#pendingRegion = null
        // discovery refused the token (401): the same path as a 4002 close
        if (located === 'rejected') {
          this.#enter('waiting')
          return void this.#carryOut(afterClose(INVALID_TOKEN, this.#counters, this.#policy), INVALID_TOKEN)
        }
        this.#discovered ||= needsDiscovery
        if (located !== null) this.#goTo(located)
        this.#open(token)
      }), (error: unknown) => this.#step(() => {
        if (generation !== this.#generation) return
        this.#pending = null
        this.#enter('waiting')
        const retryIn = this.#carryOut(afterTokenFailure(this.#counters, this.#policy))
        this.emit('token-error', [{ error: asTokenError(error), retryIn }])
      }))
  }

  /** The token source's news of a new token: the one way a token reaches the provider's state. */
  #useToken (token: Token): void {
    // a holder let go and held again is told of the token it already has
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
    // A server that accepts TCP but never completes the upgrade would leave us connecting forever.
    this.#timer = setTimeout(() => this.#step(() => this.ws === ws && this.#drop()), this.#options.handshakeTimeout ?? 10_000)
    ws.onopen = () => this.#step(() => {
      clearTimeout(this.#timer)
      this.wsLastMessageReceived = Date.now()
      this.#enter('open')
      this.emit('status', [{ status: 'connected' }])
      this.#send(encodeSyncStep1(this.doc))
      if (this.awareness.getLocalState() !== null) this.#send(encodeAwareness(this.awareness, [this.awareness.clientID]))
    })
    ws.onmessage = ({ data }: { data: unknown }) => this.#step(() => {
      this.wsLastMessageReceived = Date.now()
      const wasSynced = this.#synced
      let reply: Uint8Array<ArrayBuffer> | null
      try {
        if (!(data instanceof ArrayBuffer)) throw new TypeError('expected a binary frame')
        reply = readMessage(this.messageHandlers, this, new Uint8Array(data), true)
      } catch (error) {
        // A frame we cannot read may have left the sync half-done: start over on a fresh connection.
        return this.ws === ws && this.#drop(error)
      }
      // Only a connection that synced did useful work: it alone resets the retry counters.
      if (!wasSynced && this.#synced) this.#counters = noFailures
      if (reply !== null) this.#send(reply)
    })
    ws.onerror = (event: Event) => this.emit('connection-error', [event, this])
    ws.onclose = (event: CloseEventLike) => this.#step(() => {
      this.#endSocket(ws, event)
      this.#carryOut(afterClose(event, this.#counters, this.#policy), event)
    })
  }

  /**
   * Give up on this connection from our side (a frame we could not read, silence, a handshake that
   * never completed, a socket that could not be created) and reconnect after a backoff. `error`, when
   * given, is reported as `message-error`.
   */
  #drop (error?: unknown): void {
    if (this.ws !== null) this.#endSocket(this.ws, null)
    else this.#enter('waiting')
    if (error !== undefined) this.emit('message-error', [{ error }])
    this.#carryOut(afterDrop(this.#counters, this.#policy))
  }

  /** Forget the socket: detach it, close it, and tell listeners. Leaves the machine in `waiting`. */
  #endSocket (ws: WebSocketLike, event: CloseEventLike | null): void {
    this.ws = null
    clearTimeout(this.#timer)
    ws.onopen = ws.onmessage = ws.onclose = null
    // Closing a socket that is still connecting fires `error`; in Node an unheard error event throws.
    ws.onerror = () => {}
    ws.close()
    const wasOpen = this.#state === 'open'
    this.#enter('waiting')
    this.emit('connection-close', [event, this])
    if (wasOpen) {
      this.synced = false
      // awareness listeners are app code: they run after the step, like event listeners
      this.#later(() => {
        const others = [...this.awareness.getStates().keys()].filter(client => client !== this.awareness.clientID)
        removeAwarenessStates(this.awareness, others, this)
      })
      this.emit('status', [{ status: 'disconnected' }])
    }
  }

  /** Carry out the policy's decision (see policy.ts); returns the wait before the next attempt, if any. */
  #carryOut ({ decision, counters }: Verdict, event: CloseEventLike = INVALID_TOKEN): number | null {
    // `shouldReconnect` is app code: if it moved the machine, its call wins
    if (this.#state !== 'waiting') return null
    this.#counters = counters
    return this.#act(decision, event)
  }

  #act (decision: Decision, event: CloseEventLike): number | null {
    switch (decision.action) {
      case 'retry':
        if (decision.forgetToken === true && this.#socketToken !== null) this.#tokens.invalidate(this.#socketToken)
        if (decision.home === true) this.#target = this.#configuredUrl
        return this.#schedule(decision.delay, decision.reason, decision.wakeOnOnline)
      case 'limit': {
        const retryIn = this.#schedule(decision.delay, 'retry', false)
        const { limit, value } = decision
        this.emit('limit', [{ code: event.code, limit, value, retryIn }])
        return retryIn
      }
      case 'stop':
        this.#enterClosed(event, decision.kind)
        return null
    }
    const { to } = decision
    if ('region' in to) {
      this.#pendingRegion = to.region
      return this.#schedule(0, 'connect')
    }
    // Judging a host may take the public-suffix list's loading: wait (not woken by `online`), then go or stop.
    const generation = this.#generation
    this.#wakeOnOnline = false
    void this.#allowed(to.url).then(allowed => this.#step(() => {
      if (generation !== this.#generation) return
      if (!allowed) return this.#enterClosed(event, 'redirect')
      this.#goTo(to.url)
      this.#schedule(0, 'connect')
    }))
    return 0
  }

  /** Is `to` a WebSocket URL on an allowed host, for this same document? The token goes nowhere else. */
  async #allowed (to: URL): Promise<boolean> {
    return to.pathname.endsWith(`/${this.roomname}`) && to.search === '' &&
      await isRedirectAllowed(to, this.#configuredUrl, this.#options.allowedRedirectHosts)
  }

  #goTo (to: URL): void {
    if (to.href === this.#target.href) return
    this.emit('redirect', [{ from: this.#target.href, to: to.href }])
    this.#target = to
  }

  /**
   * Where does the document live? Asked once per session with `discovery`, and to resolve a `REGION:`
   * redirect; failing an answer, keep the current URL (a 4009 will correct it) or build the region's
   * sibling host. Resolves to an allowed URL, null to stay, or 'rejected' when the dataplane refused the
   * token (after invalidating it).
   */
  async #locate (token: Token, region: string | null, signal: AbortSignal): Promise<URL | null | 'rejected'> {
    let found = await discover(this.#target, this.roomname, token.value, signal)
    if (found === 'rejected') {
      this.#tokens.invalidate(token)
      return found
    }
    const parent = parentDomain(this.#configuredUrl.hostname)
    if (found === null && region !== null && parent !== null) {
      found = new URL(`${this.#configuredUrl.protocol}//${region}.${parent}/${this.roomname}`)
    }
    return found !== null && await this.#allowed(found) ? found : null
  }

  #enterClosed ({ code, reason }: CloseEventLike, kind: ClosedKind): void {
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

  /** Only to an open socket: one that is closing would drop the message (and Chromium logs an error). */
  #send (message: Uint8Array<ArrayBuffer>): void {
    if (this.#state === 'open' && this.ws?.readyState === OPEN) this.ws.send(message)
  }

  #broadcast (message: Uint8Array<ArrayBuffer>): void {
    this.#send(message)
    this.#crossTab.publish(message)
  }

  readonly #onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin !== this) this.#broadcast(encodeUpdate(update))
  }

  readonly #onAwarenessUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    this.#broadcast(encodeAwareness(this.awareness, added.concat(updated, removed)))
  }

  readonly #onOnline = (): void => this.#step(() => {
    if (this.#state !== 'waiting' || !this.#wakeOnOnline) return
    clearTimeout(this.#timer)
    this.#attempt('retry')
  })
}
