import type { TokenError, Token } from './token.ts'
import type { TokenSource } from './token-source.ts'

/**
 * A provider's hold on a token source: while held, the source keeps the token fresh in the background
 * and reports here. Each new token is announced once, whether the source reports it on `hold()` (the
 * token in hand) or after a refresh.
 */
export class TokenHold {
  /** The newest token heard of; null before the first. */
  newest: Token | null = null
  #release: (() => void) | null = null
  readonly #take: () => () => void

  constructor (source: TokenSource, documentName: string, onNewToken: (token: Token) => void, onError: (error: TokenError) => void) {
    const holder = {
      documentName,
      onToken: (token: Token) => {
        if (token === this.newest) return
        this.newest = token
        onNewToken(token)
      },
      onError,
    }
    this.#take = () => source.hold(holder)
  }

  hold (): void {
    this.#release ??= this.#take()
  }

  release (): void {
    this.#release?.()
    this.#release = null
  }
}
