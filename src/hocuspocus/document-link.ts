import { handshakeTimeout } from '../provider/options.ts'
import * as decoding from 'lib0/decoding'
import { authTokenFrame, closeFrame, encodeHocuspocusFrame, HocuspocusMessage, readAuth } from '../wire/codec.ts'
import type { DialRequest, Link, LinkListener } from '../provider/link.ts'
import type { Token } from '../provider/token.ts'
import type { WebSocketLike } from '../provider/options.ts'
import { documentCloseAsClose, permissionDeniedAsClose } from './reasons.ts'

/** What a document link needs of the socket that carries it. */
export interface Carrier {
  readonly socket: WebSocketLike
  readonly open: boolean
  send(frame: Uint8Array): void
  /**
   * The link has left: forget it, and close the socket when it was the last. `byServer`: the server ended
   * the live document (`CLOSE`, e.g. `4002 Token expired`), whose provider is likely to come back at once.
   */
  detach(link: DocumentLink, byServer: boolean): void
}

/**
 * One document on a Hocuspocus-framed socket (contract §6): its Auth, its messages with their address,
 * its token refreshed in-band, and its end. Phases: `waiting` for the socket to open, `authenticating`
 * (Auth sent, answer awaited within the handshake timeout), `open`, `ended`.
 */
export class DocumentLink implements Link {
  #phase: 'waiting' | 'authenticating' | 'open' | 'ended' = 'waiting'
  /** The token this document last presented; a token request is answered with a fresher one. */
  #presented: Token
  readonly #deadline: ReturnType<typeof setTimeout>

  constructor (
    readonly address: string,
    readonly carrier: Carrier,
    readonly request: DialRequest,
    readonly listener: LinkListener
  ) {
    this.#presented = request.token
    this.#deadline = setTimeout(() => this.#leave() && listener.drop(), handshakeTimeout(request.options))
  }

  get socket (): WebSocketLike { return this.carrier.socket }

  /** The socket is open: present the token. */
  authenticate (): void {
    if (this.#phase !== 'waiting') return
    this.#phase = 'authenticating'
    this.carrier.send(authTokenFrame(this.address, this.#presented.value))
  }

  send (message: Uint8Array<ArrayBuffer>): void {
    if (this.#phase === 'open') this.carrier.send(encodeHocuspocusFrame(this.address, message))
  }

  /** The provider leaves: tell the server (a `CLOSE` for this document) unless it never heard of us. */
  end (): void {
    // before leaving: the socket closes when its last document leaves
    if (this.#phase === 'authenticating' || this.#phase === 'open') this.carrier.send(closeFrame(this.address))
    this.#leave()
  }

  /** The socket ended under every document on it: tell the provider (`news`), once. */
  socketEnded (news: (listener: LinkListener) => void): void {
    if (this.#leave()) news(this.listener)
  }

  /** One frame for this document; `message` is `varUint(type) · body`. One we cannot read ends this document's link. */
  receive (type: number, message: Uint8Array): void {
    if (this.#phase === 'ended') return
    try {
      this.#read(type, message)
    } catch (error) {
      if (this.#leave()) this.listener.drop(error)
    }
  }

  #read (type: number, message: Uint8Array): void {
    switch (type) {
      case HocuspocusMessage.Auth: return this.#auth(message)
      case HocuspocusMessage.Close: {
        const decoder = decoding.createDecoder(message)
        decoding.readVarUint(decoder)
        const reason = decoding.hasContent(decoder) ? decoding.readVarString(decoder) : ''
        if (this.#leave(true)) this.listener.close(documentCloseAsClose(reason))
        return
      }
      // A sync reply carries the server's step 2 (or an update) in a sync message's body.
      case HocuspocusMessage.SyncReply: {
        const sync = message.slice()
        sync[0] = HocuspocusMessage.Sync
        return this.listener.message(sync)
      }
      // Acknowledgements and stateless messages: nothing for a Yjs provider to do.
      case HocuspocusMessage.SyncStatus: case HocuspocusMessage.Stateless: case HocuspocusMessage.BroadcastStateless: return
      default:
        // sync, awareness, query-awareness: y-websocket's own messages (anything else, the provider reports as unreadable)
        if (this.#phase === 'open') this.listener.message(message)
    }
  }

  #auth (message: Uint8Array): void {
    const auth = readAuth(message)
    if (auth.kind === 'authenticated' && this.#phase === 'authenticating') {
      clearTimeout(this.#deadline)
      this.#phase = 'open'
      this.listener.open()
    } else if (auth.kind === 'permission-denied') {
      // The server forgot this document: nothing to tell it on leaving.
      if (this.#leave()) this.listener.close(permissionDeniedAsClose(auth.reason))
    } else if (auth.kind === 'token-request' && this.#phase === 'open') {
      this.#refresh()
    }
  }

  /**
   * The server asks for a token (before ours expires, or to check it again): answer with the freshest,
   * and the session goes on without a reconnect. The backend is asked for a new one only when the token
   * we presented is in the second half of its life and the source has none newer, so that a server
   * asking over and over costs at most one backend call per half lifetime. If no token can be had, the
   * server ends the document at `exp` (4002) and the provider's policy takes over.
   */
  #refresh (): void {
    const { tokens, documentName } = this.request
    const presented = this.#presented
    const fresh = tokens.current()
    const due = presented.expiresAt - Date.now() < presented.lifetime / 2
    if (due && (fresh === null || fresh.expiresAt <= presented.expiresAt)) tokens.invalidate(presented)
    tokens.get(documentName, 'refresh').then(token => {
      if (this.#phase !== 'open') return
      if (token.expiresAt > this.#presented.expiresAt) this.#presented = token
      this.carrier.send(authTokenFrame(this.address, this.#presented.value))
    }, () => {})
  }

  /** Enter `ended` (once: returns whether this call did it) and leave the socket. */
  #leave (byServer = false): boolean {
    if (this.#phase === 'ended') return false
    this.#phase = 'ended'
    clearTimeout(this.#deadline)
    this.carrier.detach(this, byServer)
    return true
  }
}
