import type * as Y from 'yjs'
import { ownAwareness } from './own-awareness.ts'
import { bumpOwn, forgetPeers } from './presence.ts'
import { expiresSockets, Links } from './links.ts'
import { openSocket } from './connection.ts'
import type { Framing, Link, LinkListener } from './link.ts'
import { transitions, type ConnectionState, type ProviderAwareness } from './events.ts'
import { Stepped } from './stepped.ts'
import { DEV } from './dev.ts'
import type { WireSocketLimits } from '../contract/claims.ts'
import { RetryTimer } from './backoff.ts'
import { CrossTab } from './cross-tab.ts'
import { createTokenSource, type TokenHolder, type TokenSource } from './token-source.ts'
import { asTokenError, type GetToken, type Token, type TokenReason } from './token.ts'
import { locate, Route } from './route.ts'
import {
  afterDrop, afterOtherClose, afterTokenFailure, defaultShouldReconnect, loadClosePolicy, namedByContract, noFailures, policyOptions,
  type ClosedKind, type Counters, type PolicyOptions, type Settled, type Verdict,
} from './policy.ts'
import { encodeAwareness, encodeQueryAwareness, encodeSyncStep1, encodeUpdate, messageHandlers, readMessage, type MessageHandler, type SyncPeer } from './protocol.ts'
import { handshakeTimeout, validate, type CloseEventLike, type WebSocketLike, type WireSocketProviderOptions } from './options.ts'

/** Like y-websocket: a connection that heard nothing (not even its own awareness echo) for 30 s is dead. */
const SILENCE_LIMIT = 30_000

/**
 * A y-websocket-compatible Yjs provider for WireSocket that owns the token lifecycle.
 *
 * Re-entrancy: every step of the machine (a public call, a socket event, a timer, a token answer) runs
 * through `step` (see stepped.ts), so listeners hear of it only once it is complete and their own calls
 * win. Answers that arrive after a newer step superseded theirs are ignored (`#generation`).
 *
 * @example
 * const provider = new WireSocketProvider('wss://eu-central-1.wiresocket.net', 'my-doc', doc, {
 *   getToken: async ({ signal }) => (await fetch('/api/wiresocket-token', { signal })).json(),
 * })
 */
export class WireSocketProvider extends Stepped implements SyncPeer {
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
  wsLastMessageReceived = 0

  #state: ConnectionState = 'idle'
  #synced = false
  #counters: Counters = noFailures
  readonly #tokens: TokenSource
  /** This provider as the token source's holder (while it holds it: `#release`), and the newest token it heard of. */
  readonly #holder: TokenHolder
  #release: (() => void) | null = null
  #newest: Token | null = null
  readonly #options: WireSocketProviderOptions<WireSocketProvider>
  /** The live link, and its replacement during a make-before-break. */
  readonly #links: Links
  /** How this provider's messages travel, when not in y-websocket framing on a socket of its own. */
  readonly #framing: Framing | undefined
  /** The wait before the next attempt. */
  readonly #retry = new RetryTimer()
  readonly #crossTab: CrossTab
  /** Undoes what the constructor attached to the outside world: listeners, intervals, the awareness, the framing. */
  readonly #detach: () => void
  readonly #route: Route
  #pending: AbortController | null = null
  /** Bumped whenever an attempt is superseded, so that late token, discovery or redirect answers are ignored. */
  #generation = 0

  constructor (serverUrl: string, documentName: string, doc: Y.Doc, options: WireSocketProviderOptions<WireSocketProvider>) {
    super()
    validate(serverUrl, documentName, doc, options)
    this.#options = options
    this.serverUrl = serverUrl.replace(/\/+$/, '')
    this.roomname = documentName
    this.doc = doc
    this.bcChannel = `${this.serverUrl}/${documentName}`
    this.#route = new Route(new URL(this.bcChannel), documentName, options.allowedRedirectHosts, move => this.emit('redirect', [move]))
    const { awareness, release } = ownAwareness(doc, options.awareness)
    this.awareness = awareness as ProviderAwareness
    this.params = options.params ?? {}
    this.protocols = options.protocols ?? []
    this.shouldReconnect = options.shouldReconnect ?? defaultShouldReconnect
    this.maxBackoffTime = options.maxBackoffTime ?? 2500
    this.disableBc = options.disableBc ?? false
    this.#crossTab = new CrossTab(this, error => this.step(() => this.emit('message-error', [{ error }])))
    const framing = this.#framing = options.connection ?? options.framing
    framing?.validate?.(options, serverUrl)
    this.#tokens = framing?.tokenSource ?? options.tokenSource ?? createTokenSource(options.getToken as GetToken, { refreshMargin: options.refreshMargin, timeout: options.tokenTimeout })
    this.#holder = {
      documentName,
      // each new token once, whether the source tells of it on hold (the token in hand) or after a refresh
      onToken: token => {
        if (token === this.#newest) return
        this.#newest = token
        this.emit('token', [{ expiresAt: token.expiresAt, claims: token.claims }])
        // the server will close the live socket at its token's `exp`: replace it first (links.ts)
        this.step(() => this.#state === 'open' && this.#synced && this.#links.replace(token))
      },
      onError: error => this.emit('token-error', [{ error, retryIn: null }]),
    }
    const leaveFraming = framing?.adopt?.(this)
    this.#links = new Links({ peer: this, dial: (token, listener) => this.#dial(token, listener), step: run => this.step(run), handshakeTimeout: handshakeTimeout(options) }, {
      open: () => this.step(() => this.#onOpen()),
      message: data => this.step(() => this.#onMessage(data)),
      error: event => this.emit('connection-error', [event, this]),
      close: event => this.step(() => {
        // The server closes sockets at `exp`: from now on, replace each before its token expires.
        if (framing === undefined && options.handover !== 'never' && expiresSockets(event)) this.#links.enableHandover()
        this.#endSocket(event)
        this.#afterClose(event)
      }),
      drop: error => this.step(() => this.#drop(error)),
      swapped: token => {
        this.wsLastMessageReceived = Date.now()
        // A server that removes our presence when the old socket closes (instead of passing it on) sees it again at once.
        this.#send(encodeAwareness(this.awareness, bumpOwn(this.awareness)))
        this.emit('handover', [{ expiresAt: token.expiresAt }])
      },
    })
    if (framing === undefined && options.handover === 'always') this.#links.enableHandover()
    const onDocUpdate = (update: Uint8Array, origin: unknown): void => { if (origin !== this) this.#broadcast(encodeUpdate(update)) }
    const onAwarenessUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => this.#broadcast(encodeAwareness(this.awareness, added.concat(updated, removed)))
    const onOnline = (): void => this.step(() => { if (this.#state === 'waiting') this.#retry.online() })
    doc.on('update', onDocUpdate)
    this.awareness.on('update', onAwarenessUpdate)
    globalThis.addEventListener?.('online', onOnline)
    const resync = options.resyncInterval ?? -1
    const intervals = [
      setInterval(() => this.#state === 'open' && Date.now() - this.wsLastMessageReceived > SILENCE_LIMIT && this.step(() => this.#drop()), SILENCE_LIMIT / 10),
      ...resync > 0 ? [setInterval(() => this.#send(encodeSyncStep1(doc)), resync)] : [],
    ]
    this.#detach = () => {
      intervals.forEach(clearInterval)
      globalThis.removeEventListener?.('online', onOnline)
      doc.off('update', onDocUpdate)
      this.awareness.off('update', onAwarenessUpdate)
      release()
      leaveFraming?.()
    }
    if (options.connect ?? true) this.connect()
  }

  /** Where the machine is; changed only by the provider's own transitions. */
  get state (): ConnectionState { return this.#state }
  /** The current socket (y-websocket's `ws`); shared with other documents on a shared connection. */
  get ws (): WebSocketLike | null { return this.#links.live?.socket ?? null }
  /** The URL of the current (or next) connection. Never contains a token. */
  get url (): string { return this.#route.url(this.params).href }
  get wsconnected (): boolean { return this.#state === 'open' }
  get wsconnecting (): boolean { return this.#state === 'token' || this.#state === 'connecting' }
  get bcconnected (): boolean { return this.#crossTab.connected }
  /** Consecutive unsuccessful attempts since the last successful sync (y-websocket's counter). */
  get wsUnsuccessfulReconnects (): number { return this.#counters.failures }
  /** When the newest token expires, on the local clock (epoch ms); null before the first token. */
  get tokenExpiresAt (): number | null { return this.#newest?.expiresAt ?? null }
  /** The plan limits carried by the newest token. */
  get limits (): WireSocketLimits | null { return this.#newest?.claims.limits ?? null }
  get synced (): boolean { return this.#synced }

  set synced (state: boolean) {
    if (this.#synced === state) return
    this.#synced = state
    this.emit('synced', [state])
    this.emit('sync', [state])
  }

  connect (): void {
    this.step(() => {
      if (this.#state === 'destroyed') return
      this.shouldConnect = true
      if (this.#state !== 'idle' && this.#state !== 'closed') return
      this.#release ??= this.#tokens.hold(this.#holder)
      if (!this.disableBc) this.#crossTab.connect()
      this.#schedule(0, 'connect', false)
    })
  }

  disconnect (): void {
    this.step(() => {
      this.shouldConnect = false
      if (this.#state === 'destroyed') return
      // Tell peers (server and tabs) that this client left, before the channels go.
      this.#broadcast(encodeAwareness(this.awareness, [this.awareness.clientID], new Map()))
      this.#crossTab.disconnect()
      if (this.#state === 'idle') return
      this.#halt()
      this.#release = this.#release?.() ?? null
      this.#enter('idle')
    })
  }

  override destroy (): void {
    this.step(() => {
      if (this.#state === 'destroyed') return
      this.disconnect()
      // first: app listeners that the teardown below triggers (awareness 'change') find it destroyed
      this.#enter('destroyed')
      this.#detach()
      super.destroy()
    })
  }

  /** @internal y-protocols auth message */
  onPermissionDenied (reason: string): void {
    this.emit('permission-denied', [{ reason }])
  }

  // ---- the state machine ----

  #enter (next: ConnectionState): void {
    if (DEV && next !== 'destroyed' && !transitions[this.#state].includes(next)) throw new Error(`WireSocketProvider: illegal transition ${this.#state} → ${next}`)
    this.#state = next
  }

  /** Abandon whatever is under way: the token call, the timer, the socket. */
  #halt (): void {
    this.#generation++
    this.#pending?.abort()
    this.#pending = null
    this.#retry.cancel()
    if (this.#links.live !== null) this.#endSocket(null)
  }

  /** Start an attempt after `delay` (ms), subject to the attempts-per-minute ceiling. Returns the real wait. */
  #schedule (delay: number, reason: TokenReason, wakeOnOnline = true): number {
    const wait = this.#retry.arm(delay, wakeOnOnline, () => this.step(() => this.#attempt(reason)))
    if (wait > 0) this.#enter('waiting')
    else this.#attempt(reason)
    return wait
  }

  #attempt (reason: TokenReason): void {
    const generation = ++this.#generation
    this.#enter('token')
    this.emit('status', [{ status: 'connecting' }])
    const cached = this.#tokens.current()
    const region = this.#route.pendingRegion
    const needsDiscovery = region !== null || (this.#options.discovery === true && !this.#route.discovered)
    // With a token in hand, open the socket synchronously, as y-websocket does.
    if (cached !== null && !needsDiscovery) return this.#open(cached)
    const { signal } = this.#pending = new AbortController()
    this.#tokens.get(this.roomname, reason, signal)
      .then(async token => ({ token, located: needsDiscovery ? await locate(this.#route, token.value, region, signal, handshakeTimeout(this.#options)) : null }))
      .then(({ token, located }) => this.step(() => {
        if (generation !== this.#generation) return
        this.#pending = null
        this.#route.pendingRegion = null
        // discovery refused the token (401): the same path as the 4002 close it stands for
        if (located !== null && typeof located !== 'function') {
          this.#tokens.invalidate(token)
          this.#enter('waiting')
          return this.#afterClose(located)
        }
        located?.()
        this.#open(token)
      }), (error: unknown) => this.step(() => {
        if (generation !== this.#generation) return
        this.#pending = null
        this.#enter('waiting')
        const retryIn = this.#carryOut(afterTokenFailure(this.#counters, this.#policy()))
        void asTokenError(error).then(error => this.emit('token-error', [{ error, retryIn }]))
      }))
  }

  #open (token: Token): void {
    try {
      this.#links.open(token)
    } catch (error) {
      // e.g. a polyfill that rejects the URL; reported like a failed handshake, never with the URL (it may hold the token)
      return this.#drop(new Error(DEV ? 'could not create the WebSocket' : 'WebSocket', { cause: (error as Error | null)?.name }))
    }
    this.#enter('connecting')
  }

  /** A link presenting `token`, in the configured framing (see links.ts for whose news `listener` hears). */
  #dial (token: Token, listener: LinkListener): Link {
    const request = { url: this.#route.url(this.params), documentName: this.roomname, token, tokens: this.#tokens, options: this.#options, protocols: this.protocols }
    return this.#framing?.dial(request, listener) ?? openSocket(request, listener)
  }

  #onOpen (): void {
    this.wsLastMessageReceived = Date.now()
    this.#enter('open')
    this.emit('status', [{ status: 'connected' }])
    this.#send(encodeSyncStep1(this.doc))
    // presence back within a round trip: ours with a newer clock, and everyone's asked for
    this.#send(encodeAwareness(this.awareness, bumpOwn(this.awareness)))
    this.#send(encodeQueryAwareness())
  }

  #onMessage (data: unknown): void {
    this.wsLastMessageReceived = Date.now()
    const wasSynced = this.#synced
    let reply: Uint8Array<ArrayBuffer> | null
    try {
      if (data instanceof ArrayBuffer) data = new Uint8Array(data)
      if (!(data instanceof Uint8Array)) throw new TypeError('not a binary frame')
      reply = readMessage(this.messageHandlers, this, data, true)
    } catch (error) {
      // A frame we cannot read may have left the sync half-done: start over on a fresh connection.
      return this.#drop(error)
    }
    // Only a connection that synced did useful work: it alone resets the retry counters.
    if (!wasSynced && this.#synced) this.#counters = noFailures
    if (reply !== null) this.#links.live?.send(reply)
  }

  readonly #policy = (): PolicyOptions => policyOptions(this, this.#options.limitRetryDelay)

  /**
   * Give up on this connection from our side (an unreadable frame, silence, a handshake that never completed,
   * a socket that could not be created) and reconnect after a backoff; `error` is reported as `message-error`.
   */
  #drop (error?: unknown): void {
    if (this.#links.live !== null) this.#endSocket(null)
    else this.#enter('waiting')
    if (error !== undefined) this.emit('message-error', [{ error }])
    this.#carryOut(afterDrop(this.#counters, this.#policy()))
  }

  /** Forget the socket: detach it, close it, and tell listeners. Leaves the machine in `waiting`. */
  #endSocket (event: CloseEventLike | null): void {
    this.#links.end()
    const wasOpen = this.#state === 'open'
    this.#enter('waiting')
    this.emit('connection-close', [event, this])
    if (wasOpen) {
      this.synced = false
      // awareness listeners are app code: they run after the step, like event listeners
      this.later(() => forgetPeers(this.awareness, this))
      this.emit('status', [{ status: 'disconnected' }])
    }
  }

  /**
   * Judge a close by the policy and carry the decision out. The codes the contract names are judged, and
   * redirects settled, by a part loaded on the first of them (close-policy.ts): meanwhile the machine waits
   * (no timer armed, so not woken by `online`), and a newer step wins.
   */
  #afterClose (event: CloseEventLike): void {
    const verdict = (this.#framing?.afterClose ?? (namedByContract(event.code) ? undefined : afterOtherClose))?.(event, this.#counters, this.#policy())
    if (verdict !== undefined && (verdict.decision.action === 'retry' || verdict.decision.action === 'stop')) {
      this.#carryOut(verdict as Verdict<Settled>)
      return
    }
    const generation = this.#generation
    void loadClosePolicy().then(async ({ afterClose, settle }) => {
      const { decision, counters } = verdict ?? afterClose(event, this.#counters, this.#policy())
      return { decision: await settle(decision, this.#route), counters }
    }).then(settled => this.step(() => { if (generation === this.#generation) this.#carryOut(settled) }))
  }

  /** Carry out the policy's decision (see policy.ts); returns the wait before the next attempt, if any. */
  #carryOut ({ decision, counters }: Verdict<Settled>): number | null {
    // `shouldReconnect` is app code: if it moved the machine, its call wins
    if (this.#state !== 'waiting') return null
    this.#counters = counters
    switch (decision.action) {
      case 'retry': {
        if (decision.forgetToken === true && this.#links.token !== null) this.#tokens.invalidate(this.#links.token)
        if (decision.home === true) this.#route.target = this.#route.configured
        decision.move?.()
        const retryIn = this.#schedule(decision.delay, decision.reason, decision.wakeOnOnline)
        if (decision.limit !== undefined) this.emit('limit', [{ ...decision.limit, retryIn }])
        return retryIn
      }
      case 'stop':
        this.#enterClosed(decision.event, decision.kind)
        return null
    }
  }

  #enterClosed ({ code, reason }: CloseEventLike, kind: ClosedKind): void {
    this.shouldConnect = false
    this.#release = this.#release?.() ?? null
    this.#enter('closed')
    this.emit('closed', [{ code, reason, kind }, this])
  }

  #send (message: Uint8Array<ArrayBuffer>): void {
    if (this.#state === 'open') this.#links.send(message)
  }

  #broadcast (message: Uint8Array<ArrayBuffer>): void {
    this.#send(message)
    this.#crossTab.publish(message)
  }
}
