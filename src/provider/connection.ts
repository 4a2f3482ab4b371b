import { handshakeTimeout, type CloseEventLike, type WebSocketConstructor, type WebSocketLike } from './options.ts'
import { TOKEN_QUERY_PARAM, TOKEN_SUBPROTOCOL } from '../contract/handshake.ts'
import type { DialRequest, Link, LinkListener } from './link.ts'

const OPEN = 1

/** What a connection tells its owner: a link's news, where `drop` means the handshake did not complete in time. */
export type ConnectionListener = Omit<LinkListener, 'drop'> & { drop(): void }

/**
 * One WebSocket, from handshake to close: binary frames, a handshake deadline (a server that accepts
 * TCP and then says nothing), sends only while open. In y-websocket framing it is the provider's link.
 */
export class Connection implements Link {
  readonly socket: WebSocketLike
  readonly #handshake: ReturnType<typeof setTimeout>

  /** Throws what the WebSocket constructor throws (a URL it refuses, say). */
  constructor (WebSocketClass: WebSocketConstructor, url: string, protocols: string[], handshakeTimeout: number, on: ConnectionListener) {
    const ws = this.socket = new WebSocketClass(url, protocols)
    ws.binaryType = 'arraybuffer'
    this.#handshake = setTimeout(() => on.drop(), handshakeTimeout)
    ws.onopen = () => {
      clearTimeout(this.#handshake)
      on.open()
    }
    ws.onmessage = ({ data }: { data: unknown }) => on.message(data)
    ws.onerror = (event: Event) => on.error(event)
    ws.onclose = (event: CloseEventLike) => {
      this.end()
      on.close(event)
    }
  }

  /** Only to an open socket: one that is closing would drop the message (and Chromium logs an error). */
  send (message: Uint8Array<ArrayBuffer>): void {
    if (this.socket.readyState === OPEN) this.socket.send(message)
  }

  /** Detach and close: nothing more is heard from this socket. */
  end (): void {
    const ws = this.socket
    clearTimeout(this.#handshake)
    ws.onopen = ws.onmessage = ws.onclose = null
    // Closing a socket that is still connecting fires `error`; in Node an unheard error event throws.
    ws.onerror = () => {}
    ws.close()
  }
}

/**
 * A socket for `request`, to `url` (the request's by default), presenting the token at the handshake as
 * `tokenTransport` says: as a subprotocol (after `tokenProtocol`), as a query parameter, or not at all
 * (`in-band`: the Hocuspocus framing's Auth message carries it). The options' defaults are applied here.
 */
export const openSocket = ({ options: o, token, protocols, url: requested }: DialRequest, on: ConnectionListener, url = requested): Connection => {
  const transport = o.tokenTransport
  const target = new URL(url)
  if (transport === 'query') target.searchParams.set(o.tokenQueryParam ?? TOKEN_QUERY_PARAM, token.value)
  const offered = transport === 'query' || transport === 'in-band' ? protocols : [o.tokenProtocol ?? TOKEN_SUBPROTOCOL, token.value, ...protocols]
  return new Connection(o.WebSocketPolyfill ?? globalThis.WebSocket, target.href, offered, handshakeTimeout(o), on)
}
