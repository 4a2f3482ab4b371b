import type { CloseEventLike, WebSocketLike, WireSocketProviderOptions } from './options.ts'
import type { Verdict, Counters, PolicyOptions } from './policy.ts'
import type { Token } from './token.ts'
import type { TokenSource } from './token-source.ts'

/**
 * The seam between a provider and the wire. A link carries one document's messages (y-websocket layout:
 * `varUint(type) · body`) to and from a server. The default link is a socket of its own in y-websocket
 * framing (`Connection`); `y-wiresocket/hocuspocus` brings links in the Hocuspocus framing, on a socket
 * of their own or on one shared with other documents. Types only: the default entry ships no framing
 * code but its own.
 */
export interface Link {
  /** The WebSocket carrying this document (shared with other documents on a shared connection). */
  readonly socket: WebSocketLike
  send(message: Uint8Array<ArrayBuffer>): void
  /** Leave: nothing more is heard from this link. */
  end(): void
}

/** What a link tells its provider; after `close`, `drop` or `end()` it tells nothing more. */
export interface LinkListener {
  /** Ready for the document's messages (the socket is open; in Hocuspocus framing: the document is authenticated). */
  open(): void
  /** One message in y-websocket layout (an ArrayBuffer from a socket of our own, a Uint8Array otherwise). */
  message(data: unknown): void
  /** The socket closed, or the server ended this one document (its code as contract §3 names it). */
  close(event: CloseEventLike): void
  error(event: Event): void
  /** The link gave up: the handshake did not complete in time, or a frame could not be read (`error`). */
  drop(error?: unknown): void
}

/** The options that say how a socket is opened, as given (connection.ts applies the defaults). */
export type SocketOptions = Pick<WireSocketProviderOptions, 'WebSocketPolyfill' | 'tokenTransport' | 'tokenProtocol' | 'tokenQueryParam' | 'handshakeTimeout'>

/** What a framing needs to connect one document. */
export interface DialRequest {
  /** Where the provider's route points: the server URL with the document name as its last path segment, and `params`. */
  readonly url: URL
  readonly documentName: string
  /** The token to present, and the source to ask for a fresher one. */
  readonly token: Token
  readonly tokens: TokenSource
  /** How the socket is opened: the provider's options, or a shared connection's. */
  readonly options: SocketOptions
  /** Extra subprotocols offered after the token's. */
  readonly protocols: string[]
}

/** A wire format other than the default one: `hocuspocusFraming`, or a shared connection. */
export interface Framing {
  /** Throws what the WebSocket constructor throws. */
  dial(request: DialRequest, listener: LinkListener): Link
  /** The close-code policy for what this framing's servers send (contract §6); the default is §3's. */
  readonly afterClose?: (event: CloseEventLike, counters: Counters, options: PolicyOptions) => Verdict
  /** Check the provider's URL and options as they concern this framing; throws naming the option. */
  readonly validate?: (options: object, serverUrl: string) => void
  /** A provider made with this framing: `shared.destroy()` destroys it. Returns the release, called on the provider's destroy. */
  readonly adopt?: (provider: { destroy(): void }) => () => void
  /** The token source every provider of this framing uses (a shared connection has one token for all). */
  readonly tokenSource?: TokenSource
}
