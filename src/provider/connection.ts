import type { CloseEventLike, WebSocketConstructor, WebSocketLike } from './options.ts'

const OPEN = 1

/** What a connection tells its owner; after `close` or `end()` it tells nothing more. */
export interface ConnectionListener {
  open(): void
  message(data: unknown): void
  close(event: CloseEventLike): void
  error(event: Event): void
  /** The handshake did not complete in time (a server that accepts TCP and then says nothing). */
  timeout(): void
}

/** One WebSocket, from handshake to close: binary frames, a handshake deadline, sends only while open. */
export class Connection {
  readonly socket: WebSocketLike
  readonly #handshake: ReturnType<typeof setTimeout>

  /** Throws what the WebSocket constructor throws (a URL it refuses, say). */
  constructor (WebSocketClass: WebSocketConstructor, url: string, protocols: string[], handshakeTimeout: number, on: ConnectionListener) {
    const ws = this.socket = new WebSocketClass(url, protocols)
    ws.binaryType = 'arraybuffer'
    this.#handshake = setTimeout(on.timeout, handshakeTimeout)
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
