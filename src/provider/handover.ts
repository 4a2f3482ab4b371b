import type { Link } from './link.ts'
import type { Token } from './token.ts'

/** When the provider replaces its socket before the token expires: see `WireSocketProviderOptions.handover`. */
export type HandoverMode = 'auto' | 'always' | 'never'

/**
 * Make-before-break: the overlap of the live socket and its replacement, a sub-state of `open` that the
 * provider owns alone. `opening`: the replacement's handshake. `syncing`: it is open, carries our edits
 * and presence beside the live socket, and waits for the server's sync step 2, which completes the swap.
 * Anything else (a close, no step 2 within the deadline, the live socket ending) abandons it: the live
 * socket then ends at `exp` as before, and the ordinary reconnect follows.
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

  /** The swap is done: the connection lives on as the provider's own. */
  settle (): Link {
    clearTimeout(this.#deadline)
    return this.connection
  }

  abandon (): void {
    this.settle().end()
  }
}

/** A server that closed a socket with this at `exp` will close the next one too. */
export const expiresSockets = ({ code, reason }: { code: number; reason: string }): boolean => code === 4002 && reason === 'Token expired'
