import { discover } from './discovery.ts'
import { isRedirectAllowed, parentDomain } from './redirect.ts'

/**
 * Where a provider's connections go: the configured URL, or where discovery or a redirect pointed.
 * It judges every other place before the provider goes there, so the token goes nowhere unjudged.
 */
export class Route {
  readonly configured: URL
  target: URL
  /** A `REGION:` redirect waiting to be resolved by the next attempt. */
  pendingRegion: string | null = null
  discovered = false
  readonly #documentName: string
  readonly #allowedHosts: readonly string[] | undefined

  constructor (configured: URL, documentName: string, allowedHosts: readonly string[] | undefined) {
    this.configured = this.target = configured
    this.#documentName = documentName
    this.#allowedHosts = allowedHosts
  }

  /** The next connection's URL with `params`, and the token when it travels in the query. */
  url (params: Record<string, string>, token?: [name: string, value: string]): URL {
    const url = new URL(this.target)
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
    if (token !== undefined) url.searchParams.set(...token)
    return url
  }

  /** Is `to` a WebSocket URL on an allowed host, for this same document? */
  async allows (to: URL): Promise<boolean> {
    return to.pathname.endsWith(`/${this.#documentName}`) && to.search === '' &&
      await isRedirectAllowed(to, this.configured, this.#allowedHosts)
  }

  /** Point the next connection at `to` (already judged); `moved` hears of it when it is a move (the `redirect` event). */
  goTo (to: URL, moved: (move: { from: string; to: string }) => void): void {
    if (to.href === this.target.href) return
    const from = this.target.href
    this.target = to
    moved({ from, to: to.href })
  }

  /**
   * Where does the document live? Asked once per session with `discovery`, and to resolve a `REGION:`
   * redirect; failing an answer, keep the current URL (a 4009 will correct it) or build the region's
   * sibling host. Resolves to an allowed URL, null to stay, or 'rejected' when the dataplane refused
   * the token.
   */
  async locate (token: string, region: string | null, signal: AbortSignal): Promise<URL | null | 'rejected'> {
    let found = await discover(this.target, this.#documentName, token, signal)
    if (found === 'rejected') return found
    const parent = parentDomain(this.configured.hostname)
    if (found === null && region !== null && parent !== null) {
      found = new URL(`${this.configured.protocol}//${region}.${parent}/${this.#documentName}`)
    }
    return found !== null && await this.allows(found) ? found : null
  }
}
