import { REDIRECT_PREFIX, REGION_PREFIX } from '../contract/close-codes.ts'

/** A 4009's instruction: a full URL to follow, or only a region whose URL must be looked up. */
export type RedirectTarget = { url: URL } | { region: string }

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])
const REGION_NAME = /^[a-z0-9-]{1,63}$/

export const parseRedirect = (reason: string): RedirectTarget | null => {
  if (reason.startsWith(REGION_PREFIX)) {
    const region = reason.slice(REGION_PREFIX.length)
    return REGION_NAME.test(region) ? { region } : null
  }
  if (!reason.startsWith(REDIRECT_PREFIX)) return null
  try {
    return { url: new URL(reason.slice(REDIRECT_PREFIX.length)) }
  } catch {
    return null
  }
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
 * large, so it is loaded only when a redirect to another host must be judged.
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
 * Synchronous unless the public-suffix list must be consulted; a list that cannot be loaded refuses.
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
  if (target.hostname === configured.hostname) return true
  return site(configured.hostname).then(own => own !== null && (parent === own || parent.endsWith(`.${own}`)), () => false)
}
