/** One client's chrome: status, token countdown, plan limits, who is here, and an event log. */
import type { WireSocketProvider } from '../../src/index.ts'

export interface User { name: string; color: string }

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag)
  if (className !== undefined) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

const clock = (): string => new Date().toLocaleTimeString([], { hour12: false })

/** Why a socket closed, in words: each reconnect in the log says what caused it. */
const CLOSE_CAUSES: Record<number, string> = {
  1000: 'closed normally',
  1006: 'connection lost',
  1012: 'server restart (document moved)',
  4001: 'missing token',
  4002: 'token expired or invalid',
  4003: 'forbidden',
  4004: 'connection limit',
  4005: 'document limit',
  4006: 'rate limit',
  4007: 'invalid document name',
  4008: 'users-per-document limit',
  4009: 'wrong region',
}

const MAX_LOG_ENTRIES = 200

/** WebSocket.OPEN: the global may be absent where the panel is type-checked. */
const OPEN = 1

export interface ClientPanel {
  root: HTMLElement
  editorHost: HTMLElement
  /** Follow the provider's events; the returned function stops (before the provider is replaced). */
  attach(provider: WireSocketProvider): () => void
  log(kind: string, text: string): void
}

export function createClientPanel (user: User, testId: string): ClientPanel {
  const root = el('section', 'client')
  root.dataset.testid = testId
  const head = el('div', 'client-head')
  const who = el('span', 'who')
  const dot = el('span', 'dot')
  dot.style.background = user.color
  who.append(dot, user.name)
  const status = el('span', 'status', 'idle')
  status.dataset.role = 'status'
  const expiry = el('span', 'meta')
  expiry.append('token ', el('b', undefined, '—'))
  const limits = el('span', 'meta')
  limits.title = 'Plan limits from the token claims'
  limits.append('plan ', el('b', undefined, '—'))
  const countdown = el('span', 'countdown')
  countdown.dataset.role = 'retry'
  countdown.hidden = true
  const peers = el('span', 'peers')
  peers.dataset.role = 'peers'
  head.append(who, status, countdown, expiry, limits, peers)
  const editorHost = el('div', 'editor')
  const list = el('ol', 'log')
  list.dataset.role = 'log'
  root.append(head, editorHost, list)

  /** Oldest first, like a terminal: follow the newest line unless the reader scrolled up. */
  const log = (kind: string, text: string): void => {
    const following = list.scrollTop + list.clientHeight >= list.scrollHeight - 4
    const item = el('li', `k-${kind}`)
    item.append(el('time', undefined, clock()), el('span', undefined, text))
    list.append(item)
    while (list.childElementCount > MAX_LOG_ENTRIES) list.firstElementChild?.remove()
    if (following) list.scrollTop = list.scrollHeight
  }

  const attach = (provider: WireSocketProvider): () => void => {
    const setStatus = (value: string): void => {
      status.textContent = value
      status.dataset.status = value
    }
    // When a plan limit holds the client back, the moment it tries again (from the `limit` event).
    let retryAt: number | null = null
    // The expiry of the token the live socket runs on (a background refresh brings the next one early).
    let liveExpiresAt: number | null = null
    const tick = (): void => {
      const waiting = retryAt !== null && retryAt > Date.now() && !provider.wsconnected
      countdown.hidden = !waiting
      if (waiting && retryAt !== null) countdown.textContent = `reconnecting in ${Math.ceil((retryAt - Date.now()) / 1000)} s`
      const at = liveExpiresAt ?? provider.tokenExpiresAt
      const b = expiry.querySelector('b')
      if (b !== null) b.textContent = at === null ? '—' : `${Math.max(0, Math.round((at - Date.now()) / 1000))} s`
      const l = provider.limits
      const lb = limits.querySelector('b')
      if (lb !== null) {
        lb.textContent = l === null
          ? '—'
          : `${l.maxConnections ?? '∞'} conn · ${l.maxUsersPerDoc ?? '∞'}/doc · ${l.opsPerMinute ?? '∞'} ops/min`
      }
    }
    const renderPeers = (): void => {
      peers.replaceChildren()
      for (const [clientID, state] of provider.awareness.getStates()) {
        if (clientID === provider.awareness.clientID) continue
        // y-codemirror.next and TipTap publish `user: { name, color }`; Lexical publishes `name` and `color` at the top.
        const u: unknown = typeof state.user === 'object' && state.user !== null ? state.user : state
        if (typeof u !== 'object' || u === null || !('name' in u) || typeof u.name !== 'string') continue
        const chip = el('span', 'peer', u.name)
        chip.style.background = 'color' in u && typeof u.color === 'string' ? u.color : '#667085'
        peers.append(chip)
      }
    }
    const ticker = setInterval(tick, 250)
    let wasConnected = false
    let lastCause: string | null = null
    // The socket the document is on: on a shared socket, the server may end one document (an in-band
    // CLOSE) while the socket stays open for the others, and the document rejoins over it.
    let socket: WireSocketProvider['ws'] = null
    let endedInBand = false
    const onStatus = ({ status: s }: { status: string }): void => {
      setStatus(s)
      if (s === 'connected') {
        retryAt = null
        liveExpiresAt = provider.tokenExpiresAt
        const host = new URL(provider.url).host
        log('ok', !wasConnected ? `connected to ${host}` : endedInBand && provider.ws === socket ? `rejoined on the same socket to ${host}` : `reconnected to ${host}`)
        wasConnected = true
        endedInBand = false
        socket = provider.ws
      } else if (s === 'connecting' && wasConnected) {
        retryAt = null
        const verb = endedInBand ? 'rejoining' : 'reconnecting'
        log('reconnect', lastCause === null ? `${verb}…` : `${verb} after ${lastCause}…`)
      }
      tick()
    }
    const onSync = (synced: boolean): void => { if (synced) log('ok', 'synced') }
    let tokens = 0
    const onToken = ({ expiresAt }: { expiresAt: number }): void => {
      tokens++
      log('token', `token ${tokens === 1 ? 'received' : 'refreshed'}, expires in ${Math.round((expiresAt - Date.now()) / 1000)} s`)
      tick()
    }
    const onTokenError = ({ error, retryIn }: { error: Error; retryIn: number | null }): void => {
      log('closed', `token error: ${error.message}${retryIn === null ? '' : `, retry in ${Math.round(retryIn / 1000)} s`}`)
    }
    const onConnectionClose = (event: { code: number; reason: string } | null): void => {
      if (event === null) return
      lastCause = CLOSE_CAUSES[event.code] ?? `close ${event.code}`
      const detail = `${lastCause} (${event.code}${event.reason === '' ? '' : ` ${event.reason}`})`
      endedInBand = socket !== null && socket.readyState === OPEN
      log('closed', endedInBand ? `document ended by the server (in-band CLOSE): ${detail}` : `socket closed: ${detail}`)
    }
    const onClosed = ({ code, kind }: { code: number; kind: string }): void => { setStatus('closed'); log('closed', `stopped: ${kind} (${code})`) }
    const onLimit = ({ code, limit, retryIn }: { code: number; limit: string; retryIn: number }): void => {
      retryAt = Date.now() + retryIn
      log('limit', `plan limit: ${limit} (${code}); reconnecting in ${Math.round(retryIn / 1000)} s`)
      tick()
    }
    const onHandover = ({ expiresAt }: { expiresAt: number }): void => {
      liveExpiresAt = expiresAt
      socket = provider.ws
      log('token', 'token renewed, socket replaced')
      tick()
    }
    const onRedirect = ({ to }: { to: string }): void => { log('redirect', `redirected to ${new URL(to).host}`) }
    provider.on('status', onStatus)
    provider.on('sync', onSync)
    provider.on('token', onToken)
    provider.on('token-error', onTokenError)
    provider.on('connection-close', onConnectionClose)
    provider.on('closed', onClosed)
    provider.on('limit', onLimit)
    provider.on('handover', onHandover)
    provider.on('redirect', onRedirect)
    provider.awareness.on('update', renderPeers)
    renderPeers()
    setStatus(provider.wsconnected ? 'connected' : provider.wsconnecting ? 'connecting' : 'disconnected')
    tick()
    return () => {
      clearInterval(ticker)
      provider.off('status', onStatus)
      provider.off('sync', onSync)
      provider.off('token', onToken)
      provider.off('token-error', onTokenError)
      provider.off('connection-close', onConnectionClose)
      provider.off('closed', onClosed)
      provider.off('limit', onLimit)
      provider.off('handover', onHandover)
      provider.off('redirect', onRedirect)
      provider.awareness.off('update', renderPeers)
      peers.replaceChildren()
      countdown.hidden = true
    }
  }

  return { root, editorHost, attach, log }
}

export interface DocSection {
  root: HTMLElement
  setRegion(region: string): void
}

export function createDocSection (title: string, subtitle: string, documentName: string, left: ClientPanel, right: ClientPanel, onMove: () => void): DocSection {
  const root = el('article', 'doc')
  root.dataset.doc = documentName
  const head = el('div', 'doc-head')
  const h = el('h2', undefined, title)
  h.append(el('span', 'sub', subtitle))
  const right_ = el('div', 'right')
  const docName = el('span', 'mono', documentName)
  const region = el('span', 'region', '…')
  region.dataset.role = 'region'
  const move = el('button', 'small', 'Move to other region')
  move.type = 'button'
  move.dataset.role = 'move'
  move.title = 'Pin the document to the other region: clients are redirected with 4009'
  move.addEventListener('click', onMove)
  right_.append(docName, region, move)
  head.append(h, right_)
  const pair = el('div', 'pair')
  pair.append(left.root, right.root)
  root.append(head, pair)
  return { root, setRegion: name => { region.textContent = name } }
}
