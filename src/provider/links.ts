import type { Link, LinkListener } from './link.ts'
import type { CloseEventLike } from './options.ts'
import type { MessageHandler, SyncPeer } from './protocol.ts'
import type { Token } from './token.ts'
import type { Handover } from './handover.ts'

/** When the provider replaces its socket before the token expires: see `WireSocketProviderOptions.handover`. */
export type HandoverMode = 'auto' | 'always' | 'never'

/** A server that closed a socket with this at `exp` will close the next one too. */
export const expiresSockets = ({ code, reason }: CloseEventLike): boolean => code === 4002 && reason === 'Token expired'

/** What the provider hears: the live link's news (each call runs a step of the provider's machine), and a finished swap. */
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
 * will take over (handover.ts, loaded once `enableHandover` is called, starts and completes it). Only
 * the live link's news reaches the provider; the replacement's stays in the handover until the swap.
 */
export class Links {
  live: Link | null = null
  /** The token the live link presented (a background refresh may have brought a newer one since). */
  token: Token | null = null
  /** The make-before-break under way. */
  replacement: Handover | null = null
  readonly owner: LinksOwner
  /** The live link's news: the provider's listener. */
  readonly news: LiveListener
  /** handover.ts, once loaded. */
  #handover: typeof import('./handover.ts') | null = null

  constructor (owner: LinksOwner, news: LiveListener) {
    this.owner = owner
    this.news = news
  }

  /** Load the make-before-break code (a lazy chunk), so that the next fresh token can use it. */
  enableHandover (): void {
    import('./handover.ts').then(loaded => { this.#handover = loaded }, () => {})
  }

  /** Throws what dialing throws. */
  open (token: Token): void {
    this.live = this.owner.dial(token, this.news)
    this.token = token
  }

  /** A fresh token arrived: replace the live link before its token expires, once the handover code is loaded. */
  replace (token: Token): void {
    this.#handover?.replace(this, token)
  }

  send (message: Uint8Array<ArrayBuffer>): void {
    this.live?.send(message)
    this.replacement?.send(message)
  }

  abandon (): void {
    this.replacement?.abandon()
    this.replacement = null
  }

  /** End both links: nothing more is heard from them. */
  end (): void {
    this.abandon()
    this.live?.end()
    this.live = null
  }
}
