import type { Place } from './redirect.ts'
import type { CloseEventLike } from './options.ts'

/**
 * The judging of other places and the moves there (redirect.ts), loaded on first use: most sessions never
 * need it. Null when it cannot be loaded: the route then stays where it is, and a redirect is refused.
 */
export const judge = async (): Promise<typeof import('./redirect.ts') | null> => await import('./redirect.ts').catch(() => null)

/**
 * Where a provider's connections go: the configured URL, or where discovery or a redirect pointed. Only
 * redirect.ts moves it, after judging the place, so the token goes nowhere unjudged.
 */
export class Route implements Place {
  target: URL
  /** A `REGION:` redirect waiting to be resolved by the next attempt. */
  pendingRegion: string | null = null
  discovered = false

  /** `moved` hears of every move (the `redirect` event). */
  constructor (readonly configured: URL, readonly documentName: string, readonly allowedHosts: readonly string[] | undefined, readonly moved: (move: { from: string; to: string }) => void) {
    this.target = configured
  }

  /** The next connection's URL with `params` (the token, when it travels in the query, is the link's to add). */
  url (params: Record<string, string>): URL {
    const url = new URL(this.target)
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
    return url
  }
}

/**
 * Where the document lives (redirect.ts `locating`): the close event a refused token stands for, or the
 * move to make if the attempt is still current. A judge that cannot be loaded leaves the route where it
 * is (a 4009 will correct it).
 */
export const locate = async (route: Route, token: string, region: string | null, signal: AbortSignal, timeout: number): Promise<CloseEventLike | (() => void)> =>
  await (await judge())?.locating(route, token, region, signal, timeout) ?? (() => { route.discovered = true })
