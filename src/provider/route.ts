import type { Place } from './redirect.ts'
import type { CloseEventLike } from './options.ts'

/** The judging of other places (redirect.ts), loaded on first use: most sessions never need it. */
const judge = async (): Promise<typeof import('./redirect.ts')> => await import('./redirect.ts')

/**
 * Where a provider's connections go: the configured URL, or where discovery or a redirect pointed.
 * It judges every other place before the provider goes there, so the token goes nowhere unjudged.
 */
export class Route implements Place {
  readonly configured: URL
  target: URL
  /** A `REGION:` redirect waiting to be resolved by the next attempt. */
  pendingRegion: string | null = null
  discovered = false
  readonly documentName: string
  readonly allowedHosts: readonly string[] | undefined
  /** Hears of every move (the `redirect` event). */
  readonly #moved: (move: { from: string; to: string }) => void

  constructor (configured: URL, documentName: string, allowedHosts: readonly string[] | undefined, moved: (move: { from: string; to: string }) => void) {
    this.configured = this.target = configured
    this.documentName = documentName
    this.allowedHosts = allowedHosts
    this.#moved = moved
  }

  /** The next connection's URL with `params` (the token, when it travels in the query, is the link's to add). */
  url (params: Record<string, string>): URL {
    const url = new URL(this.target)
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
    return url
  }

  /** Is `to` a WebSocket URL on an allowed host, for this same document? A judge that cannot be loaded refuses. */
  async allows (to: URL): Promise<boolean> {
    return await judge().then(async ({ allows }) => await allows(this, to), () => false)
  }

  /** Point the next connection at `to` (already judged), and tell when it is a move. */
  goTo (to: URL): void {
    if (to.href === this.target.href) return
    const from = this.target.href
    this.target = to
    this.#moved({ from, to: to.href })
  }

  /** See redirect.ts `locate`; a judge that cannot be loaded leaves the route where it is (a 4009 will correct it). */
  async locate (token: string, region: string | null, signal: AbortSignal, timeout: number): Promise<URL | null | CloseEventLike> {
    const loaded = await judge().catch(() => null)
    return loaded === null ? null : await loaded.locate(this, token, region, signal, timeout)
  }
}
