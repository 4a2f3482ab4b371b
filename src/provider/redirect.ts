import { WIRESOCKET_DOMAIN } from '../contract/identity.ts'
import { discover } from './discovery.ts'
import type { CloseEventLike } from './options.ts'

/**
 * Judging a place other than the configured URL: a 4009 redirect, a `REGION:` name, a discovery
 * answer. Few sessions ever meet one, so this module is a chunk of its own, loaded by route.ts on the
 * first such judgement (and the public-suffix list, larger still, only when it must be consulted).
 */

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Where a provider's connections go, as route.ts keeps it. */
export interface Place {
  readonly configured: URL
  target: URL
  readonly documentName: string
  readonly allowedHosts: readonly string[] | undefined
  discovered: boolean
  /** Hears of every move (the `redirect` event). */
  readonly moved: (move: { from: string; to: string }) => void
}

/** `eu-central-1.wiresocket.net` → `wiresocket.net`; null for loopback, IPs and single-label hosts. */
export const parentDomain = (hostname: string): string | null => {
  if (LOOPBACK.has(hostname) || /^[\d.]+$/.test(hostname) || hostname.startsWith('[')) return null
  const dot = hostname.indexOf('.')
  const parent = hostname.slice(dot + 1)
  return dot > 0 && parent.includes('.') ? parent : null
}

/**
 * The registrable domain (public suffix + one label) per the public-suffix list, private section
 * included: `myapp.github.io` is its own site, not a sibling of `attacker.github.io`. The list is
 * large, so it is loaded only when a redirect to another host under an unknown domain must be judged.
 */
const site = async (hostname: string): Promise<string | null> => {
  const { getDomain } = await import('tldts')
  return getDomain(hostname, { allowPrivateDomains: true })
}

/**
 * May the provider follow a redirect (and present its token) to `target`? Explicit patterns are exact
 * hosts (`host` or `host:port`) or `*.domain`. Without them: siblings of the configured host under the
 * same parent domain, unless that parent is a public suffix (`github.io`: its children are different
 * sites), or, on loopback, the same hostname on any port. Never a downgrade from wss to ws.
 * Synchronous unless the public-suffix list must be consulted (never for the service's own regions,
 * `*.wiresocket.net`); a list that cannot be loaded refuses.
 */
export const isRedirectAllowed = (target: URL, configured: URL, patterns?: readonly string[]): boolean | Promise<boolean> => {
  if (target.protocol !== 'wss:' && target.protocol !== 'ws:') return false
  if (target.protocol === 'ws:' && configured.protocol === 'wss:') return false
  if (target.username !== '' || target.password !== '') return false
  if (patterns !== undefined) {
    return patterns.some(p => p.startsWith('*.')
      ? target.hostname.endsWith(p.slice(1)) && target.hostname.length > p.length - 1
      : p === target.host || p === target.hostname)
  }
  if (LOOPBACK.has(configured.hostname)) return target.hostname === configured.hostname
  const parent = parentDomain(configured.hostname)
  if (parent === null || parentDomain(target.hostname) !== parent) return false
  if (target.hostname === configured.hostname || parent === WIRESOCKET_DOMAIN) return true
  return site(configured.hostname).then(own => own !== null && (parent === own || parent.endsWith(`.${own}`)), () => false)
}

/** Point `place` at `to` (already judged), and tell when it is a move. */
export const goTo = (place: Place, to: URL): void => {
  const from = place.target.href
  if (to.href === from) return
  place.target = to
  place.moved({ from, to: to.href })
}

/** Is `to` a WebSocket URL on an allowed host, for this same document? */
export const allows = async (place: Place, to: URL): Promise<boolean> =>
  to.pathname === place.configured.pathname && to.search === '' &&
    await isRedirectAllowed(to, place.configured, place.allowedHosts)

/**
 * Where does the document live? Asked once per session with `discovery`, and to resolve a `REGION:`
 * redirect; failing an answer, keep the current URL (a 4009 will correct it) or build the region's
 * sibling host. Resolves to an allowed URL, null to stay, or the close event a refused token stands
 * for (discovery.ts).
 */
export const locate = async (place: Place, token: string, region: string | null, signal: AbortSignal, timeout: number): Promise<URL | null | CloseEventLike> => {
  const { configured, documentName } = place
  let found = await discover(place.target, documentName, token, signal, timeout)
  if (found !== null && !(found instanceof URL)) return found
  const parent = parentDomain(configured.hostname)
  if (found === null && region !== null && parent !== null) {
    found = new URL(`${configured.protocol}//${region}.${parent}/${documentName}`)
  }
  return found !== null && await allows(place, found) ? found : null
}

/**
 * The provider's discovery step (`locate`): the close event a refused token stands for, or the move to
 * make once the provider knows the attempt is still its newest.
 */
export const locating = async (place: Place, token: string, region: string | null, signal: AbortSignal, timeout: number): Promise<CloseEventLike | (() => void)> => {
  const found = await locate(place, token, region, signal, timeout)
  if (found !== null && !(found instanceof URL)) return found
  return () => {
    place.discovered = true
    if (found !== null) goTo(place, found)
  }
}
