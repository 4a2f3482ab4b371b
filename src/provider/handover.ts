import type { Link, LinkListener } from './link.ts'
import type { Links, LinksOwner } from './links.ts'
import type { Token } from './token.ts'
import { bumpOwn } from './presence.ts'
import { encodeAwareness, encodeSyncStep1, readMessage } from './protocol.ts'

/**
 * Make-before-break: the overlap of the live socket and its replacement, a sub-state of `open`. Loaded on
 * demand (links.ts): only sessions whose server closes sockets at `exp` need it. `opening`: the
 * replacement's handshake. `syncing`: it is open, carries our edits and presence beside the live socket,
 * and waits for the server's sync step 2, which completes the swap. Anything else (a close, no step 2
 * within the deadline, a frame it cannot read, the live socket ending) abandons it: the live socket then
 * ends at `exp` as before, and the ordinary reconnect follows. Once swapped in, the replacement's news
 * goes where the live link's goes.
 */
export class Handover {
  readonly link: Link
  #phase: 'opening' | 'syncing' | 'live' = 'opening'
  readonly #deadline: ReturnType<typeof setTimeout>

  /**
   * Dials the replacement (throws what dialing throws). `live`: where a live link's news goes (it runs its
   * own steps); `caughtUp`: the replacement synced, swap it in; `giveUp`: abandon it (called in a step).
   */
  constructor (owner: LinksOwner, readonly token: Token, live: LinkListener, caughtUp: () => void, giveUp: () => void) {
    const { peer } = owner
    const swapped = (): boolean => this.#phase === 'live'
    const fail = (): void => owner.step(giveUp)
    this.link = owner.dial(token, {
      open: () => owner.step(() => {
        this.#phase = 'syncing'
        this.send(encodeSyncStep1(peer.doc))
        this.send(encodeAwareness(peer.awareness, bumpOwn(peer.awareness)))
      }),
      message: data => swapped() ? live.message(data) : owner.step(() => { if (this.#receive(peer, data, giveUp)) caughtUp() }),
      error: event => swapped() && live.error(event),
      close: event => swapped() ? live.close(event) : fail(),
      drop: error => swapped() ? live.drop(error) : fail(),
    })
    this.#deadline = setTimeout(fail, owner.handshakeTimeout)
  }

  /** A message on the replacement; true once it caught up (the server's sync step 2), false when abandoned. */
  #receive (peer: LinksOwner['peer'], data: unknown, giveUp: () => void): boolean {
    const bytes = new Uint8Array(data as ArrayBuffer)
    try {
      // Its step 2 must not touch `synced` (read as not from the server): that stays true across the swap.
      const reply = readMessage(peer.messageHandlers, peer, bytes, false)
      if (reply !== null) this.link.send(reply)
    } catch {
      giveUp()
      return false
    }
    return bytes[0] === 0 && bytes[1] === 1
  }

  send (message: Uint8Array<ArrayBuffer>): void {
    if (this.#phase === 'syncing') this.link.send(message)
  }

  /** The swap is done: from now on the link's news is the live link's. */
  settle (): Link {
    clearTimeout(this.#deadline)
    this.#phase = 'live'
    return this.link
  }

  abandon (): void {
    clearTimeout(this.#deadline)
    this.link.end()
  }
}

/**
 * A fresh token arrived: open a replacement presenting it, unless one is under way or the token does not
 * outlive the live link's; the live link carries on meanwhile.
 */
export const replace = (links: Links, token: Token): void => {
  if (links.replacement !== null || links.token === null || token.expiresAt <= links.token.expiresAt) return
  try {
    const handover: Handover = links.replacement = new Handover(links.owner, token, links.news, () => swap(links, handover), () => links.abandon())
  } catch {}
}

/** The replacement synced: it becomes the live link, and the old one closes unheard. */
const swap = (links: Links, handover: Handover): void => {
  // only the replacement under way (an abandoned one's link is ended and tells nothing more)
  if (links.replacement !== handover) return
  const old = links.live
  links.replacement = null
  links.live = handover.settle()
  links.token = handover.token
  old?.end()
  links.news.swapped(handover.token)
}
