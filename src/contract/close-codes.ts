/**
 * WireSocket close codes (contract §3). Shared by the provider and the local dataplane so that the
 * numbers and reason texts cannot drift apart. Reason builders live beside the codes but are separate
 * exports, so a browser bundle that only reads codes tree-shakes them away.
 */
export const CloseCode = {
  MissingToken: 4001,
  InvalidToken: 4002,
  Forbidden: 4003,
  ConnectionLimit: 4004,
  DocumentLimit: 4005,
  RateLimit: 4006,
  InvalidName: 4007,
  UsersPerDoc: 4008,
  WrongRegion: 4009,
} as const

export type CloseCodeName = keyof typeof CloseCode
export type WireSocketCloseCode = (typeof CloseCode)[CloseCodeName]

/** Prefixes of the 4009 reason: a full URL, or only a region when the URL would not fit 123 bytes. */
export const REDIRECT_PREFIX = 'REDIRECT:'
export const REGION_PREFIX = 'REGION:'

/** A 4009's instruction: a full URL to follow, or only a region whose URL must be looked up. */
export type RedirectTarget = { url: URL } | { region: string }

const REGION_NAME = /^[a-z0-9-]{1,63}$/

/** Read a 4009 reason (`REDIRECT:<url>` or `REGION:<region>`); null when it is neither. */
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

/** RFC 6455: a close frame's reason is at most 123 UTF-8 bytes. */
export const MAX_CLOSE_REASON_BYTES = 123

/**
 * `reason` cut to fit a close frame (`ws` throws beyond 123 bytes; browsers throw a SyntaxError): by
 * UTF-8 bytes, never in the middle of a character. TextEncoder, so it runs wherever a close is sent.
 */
export const fitReason = (reason: string): string => {
  const encoder = new TextEncoder()
  if (encoder.encode(reason).length <= MAX_CLOSE_REASON_BYTES) return reason
  let out = ''
  let bytes = 0
  for (const ch of reason) {
    bytes += encoder.encode(ch).length
    if (bytes > MAX_CLOSE_REASON_BYTES) break
    out += ch
  }
  return out
}

/** Separate from `CloseReason` so that a browser bundle needing only this text leaves the builders out. */
export const INVALID_TOKEN_REASON = 'Invalid token'

export const CloseReason = {
  missingToken: 'Missing token',
  invalidToken: INVALID_TOKEN_REASON,
  tokenExpired: 'Token expired',
  forbidden: 'Forbidden',
  originNotAllowed: 'Origin not allowed',
  invalidName: 'Invalid document name',
  connectionLimit: (limit: number): string => `Connection limit exceeded: ${limit}`,
  documentLimit: (limit: number, active: number): string =>
    `Document limit exceeded: ${limit} (active: ${active})`,
  rateLimit: (limit: number): string => `Rate limit exceeded: ${limit} ops/min`,
  usersPerDoc: (limit: number): string => `Document user limit exceeded: ${limit}`,
  redirect: (url: string): string => REDIRECT_PREFIX + url,
  region: (region: string): string => REGION_PREFIX + region,
} as const
