import type { Link } from './link.ts'
import type { Token } from './token.ts'
import { bumpOwn } from './presence.ts'
import { encodeAwareness, encodeSyncStep1, readMessage, type MessageHandler, type SyncPeer } from './protocol.ts'

/**
 * Make-before-break: the overlap of the live socket and its replacement, a sub-state of `open`. Loaded on
 * demand (links.ts): only sessions whose server closes sockets at `exp` need it. `opening`: the
 * replacement's handshake. `syncing`: it is open, carries our edits and presence beside the live socket,
 * and waits for the server's sync step 2, which completes the swap. Anything else (a close, no step 2
 * within the deadline, the live socket ending) abandons it: the live socket then ends at `exp` as before,
 * and the ordinary reconnect follows.
 */
export class Handover {
  phase: 'opening' | 'syncing' = 'opening'
  readonly #deadline: ReturnType<typeof setTimeout>

  constructor (readonly connection: Link, readonly token: Token, deadline: number, giveUp: () => void) {
    this.#deadline = setTimeout(giveUp, deadline)
  }

  send (message: Uint8Array<ArrayBuffer>): void {
    if (this.phase === 'syncing') this.connection.send(message)
  }

  /** The replacement is open: ask for what we lack, and show our presence there too. */
  opened (peer: SyncPeer): void {
    this.phase = 'syncing'
    this.send(encodeSyncStep1(peer.doc))
    this.send(encodeAwareness(peer.awareness, bumpOwn(peer.awareness)))
  }

  /**
   * A message on the replacement; true once it caught up (the server's sync step 2). Its step 2 must
   * not touch `synced` (read as not from the server): that stays true across the swap. Throws on a
   * frame it cannot read.
   */
  receive (peer: SyncPeer, handlers: readonly MessageHandler[], data: unknown): boolean {
    const bytes = new Uint8Array(data as ArrayBuffer)
    const reply = readMessage(handlers, peer, bytes, false)
    if (reply !== null) this.connection.send(reply)
    return bytes[0] === 0 && bytes[1] === 1
  }

  /** The swap is done: the connection lives on as the provider's own. */
  settle (): Link {
    clearTimeout(this.#deadline)
    return this.connection
  }

  abandon (): void {
    this.settle().end()
  }
}
