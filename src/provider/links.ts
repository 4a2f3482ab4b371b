import type { Link, LinkListener } from './link.ts'
import type { CloseEventLike } from './options.ts'
import type { MessageHandler, SyncPeer } from './protocol.ts'
import type { Token } from './token.ts'
import type { Handover } from './handover.ts'

/** When the provider replaces its socket before the token expires: see `WireSocketProviderOptions.handover`. */
export type HandoverMode = 'auto' | 'always' | 'never'

/** A server that closed a socket with this at `exp` will close the next one too. */
export const expiresSockets = ({ code, reason }: CloseEventLike): boolean => code === 4002 && reason === 'Token expired'

/** What the provider hears: the live link's news (each call already inside a step), and a finished swap. */
export interface LiveListener extends LinkListener {
  swapped(token: Token): void
}

/** What the links need of their provider. */
export interface LinksOwner {
  readonly peer: SyncPeer & { readonly messageHandlers: readonly MessageHandler[] }
  /** A link presenting `token`; throws what the WebSocket constructor throws. */
  dial(token: Token, listener: LinkListener): Link
  /** Run in a step of the provider's machine (stepped.ts). */
  step(run: () => void): void
  readonly handshakeTimeout: number
}

/**
 * The provider's links to the server: the live one and, during a make-before-break, the replacement that
 * will take over (handover.ts, loaded once `enableHandover` is called). Only the live link's news reaches
 * the provider; the replacement's stays in the handover until the swap.
 */
export class Links {
  live: Link | null = null
  /** The token the live link presented (a background refresh may have brought a newer one since). */
  token: Token | null = null
  #handover: Handover | null = null
  #Handover: typeof Handover | null = null
  readonly #owner: LinksOwner
  readonly #on: LiveListener
  /** The live link's news, each in a step of the provider's machine. */
  readonly #live: LinkListener

  constructor (owner: LinksOwner, on: LiveListener) {
    this.#owner = owner
    this.#on = on
    const { step } = owner
    this.#live = {
      open: () => step(() => on.open()),
      message: data => step(() => on.message(data)),
      error: event => on.error(event),
      close: event => step(() => on.close(event)),
      // A server that accepts TCP but never completes the upgrade would leave us connecting forever.
      drop: error => step(() => on.drop(error)),
    }
  }

  /** Load the make-before-break code (a lazy chunk), so that the next fresh token can use it. */
  enableHandover (): void {
    import('./handover.ts').then(({ Handover }) => { this.#Handover = Handover }, () => {})
  }

  /** Throws what dialing throws. */
  open (token: Token): void {
    this.live = this.#owner.dial(token, this.#live)
    this.token = token
  }

  /**
   * A fresh token arrived: open a replacement presenting it, if the handover code is loaded and the token
   * outlives the live link's; the live link carries on meanwhile.
   */
  replace (token: Token): void {
    const Class = this.#Handover
    if (Class === null || this.#handover !== null || this.token === null || token.expiresAt <= this.token.expiresAt) return
    try {
      const handover: Handover = this.#handover = new Class(this.#owner, token, this.#live, () => this.#swap(handover), () => this.abandon())
    } catch {}
  }

  send (message: Uint8Array<ArrayBuffer>): void {
    this.live?.send(message)
    this.#handover?.send(message)
  }

  abandon (): void {
    this.#handover?.abandon()
    this.#handover = null
  }

  /** End both links: nothing more is heard from them. */
  end (): void {
    this.abandon()
    this.live?.end()
    this.live = null
  }

  /** The replacement synced: it becomes the live link, and the old one closes unheard. */
  #swap (handover: Handover): void {
    const old = this.live
    this.#handover = null
    this.live = handover.settle()
    this.token = handover.token
    old?.end()
    this.#on.swapped(handover.token)
  }
}
