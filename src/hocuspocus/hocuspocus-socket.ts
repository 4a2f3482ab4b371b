import { decodeHocuspocusFrame, PONG_FRAME } from '../wire/codec.ts'
import { openSocket, type Connection } from '../provider/connection.ts'
import type { DialRequest, LinkListener } from '../provider/link.ts'
import type { WebSocketLike } from '../provider/options.ts'
import { DocumentLink, type Carrier } from './document-link.ts'

/**
 * The socket URL for a document in the Hocuspocus framing: the provider's URL without the document name
 * (the name travels in every frame), as WireSocket's docs configure `HocuspocusProviderWebsocket`.
 */
export const socketUrlOf = ({ url, documentName }: DialRequest): URL => {
  const socketUrl = new URL(url)
  const suffix = '/' + documentName
  if (socketUrl.pathname.endsWith(suffix)) socketUrl.pathname = socketUrl.pathname.slice(0, -suffix.length) || '/'
  return socketUrl
}

/**
 * One WebSocket in the Hocuspocus framing, carrying any number of documents (contract §6). Frames go to
 * the document their address names; a socket-level close or drop reaches every document; the socket
 * closes when its last document leaves (`onGone` is told then, or when it closed by itself).
 */
export class HocuspocusSocket implements Carrier {
  readonly #connection: Connection
  readonly #documents = new Map<string, DocumentLink>()
  readonly #onGone: () => void
  readonly #linger: number
  #lingering: ReturnType<typeof setTimeout> | undefined
  open = false
  #gone = false
  #sessions = 0

  /**
   * Throws what the WebSocket constructor throws. `request` gives the socket its URL's token and options.
   * `linger` (ms): how long the socket stays open after the server ended its last document, for that
   * document's provider to come back (a 4002 at expiry answered with a fresh token) without a new socket.
   */
  constructor (request: DialRequest, onGone: () => void, linger = 0) {
    this.#onGone = onGone
    this.#linger = linger
    this.#connection = openSocket(request, {
      open: () => {
        this.open = true
        for (const link of this.#links()) link.authenticate()
      },
      message: data => this.#receive(data),
      error: event => { for (const link of this.#links()) link.listener.error(event) },
      close: event => this.#end(listener => listener.close(event)),
      drop: () => this.#end(listener => listener.drop()),
    }, socketUrlOf(request))
  }

  get socket (): WebSocketLike { return this.#connection.socket }
  get gone (): boolean { return this.#gone }

  /** A document joins: authenticated at once if the socket is open, else when it opens. */
  attach (request: DialRequest, listener: LinkListener): DocumentLink {
    // A second provider of the same document on this socket needs an address of its own (`name\0session`).
    const address = this.#documents.has(request.documentName) ? `${request.documentName}\0${++this.#sessions}` : request.documentName
    const link = new DocumentLink(address, this, request, listener)
    clearTimeout(this.#lingering)
    this.#documents.set(address, link)
    if (this.open) link.authenticate()
    return link
  }

  send (frame: Uint8Array): void {
    this.#connection.send(frame as Uint8Array<ArrayBuffer>)
  }

  detach (link: DocumentLink, byServer: boolean): void {
    if (this.#documents.get(link.address) !== link) return
    this.#documents.delete(link.address)
    if (this.#documents.size > 0) return
    if (byServer && this.#linger > 0) this.#lingering = setTimeout(() => this.#documents.size === 0 && this.#end(() => {}), this.#linger)
    else this.#end(() => {})
  }

  /** Close the socket under its documents, which hear of it as a drop. */
  close (): void {
    this.#end(listener => listener.drop())
  }

  #links (): DocumentLink[] {
    return [...this.#documents.values()]
  }

  #receive (data: unknown): void {
    let frame
    try {
      if (!(data instanceof ArrayBuffer)) throw new TypeError('expected a binary frame')
      frame = decodeHocuspocusFrame(new Uint8Array(data))
    } catch (error) {
      // Unreadable: no telling which document it was for, or what it left half-done. Every document starts over.
      return this.#end(listener => listener.drop(error))
    }
    if (frame.kind === 'ping') return this.send(PONG_FRAME)
    if (frame.kind === 'pong') return
    // a document that left may still hear frames the server sent before it knew
    this.#documents.get(frame.address)?.receive(frame.type, frame.message)
  }

  /** Close the socket (once) and tell each document that was on it (`news`). */
  #end (news: (listener: LinkListener) => void): void {
    if (this.#gone) return
    this.#gone = true
    clearTimeout(this.#lingering)
    const links = this.#links()
    this.#documents.clear()
    this.#connection.end()
    this.#onGone()
    for (const link of links) link.socketEnded(news)
  }
}
