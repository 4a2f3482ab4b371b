/**
 * The one scrubber for text that came from elsewhere (an upstream's error body, a store's error) before
 * it reaches an error message, a log or an event. Browser-safe (no Node imports), so every part can use it.
 *
 * An upstream that echoes our request can hand a secret back in any encoding it went out in, or that
 * the upstream re-encoded it to: verbatim, form-urlencoded (`+` for space), percent-encoded with either
 * hex case and any choice of which characters to escape (encodeURIComponent, RFC 3986, double-encoded),
 * JSON-escaped, or inside base64/base64url (HTTP Basic `base64(client_id:client_secret)`, whose parts
 * RFC 6749 §2.3.1 form-encodes first). Each known secret is removed in all of those, then anything that
 * merely looks like a credential, then the text is cut.
 */

export const REDACTED = '[redacted]'

/** Anything that looks like a JWT or a long opaque credential; replaced even if we do not know the value. */
const CREDENTIAL_LIKE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*|[A-Za-z0-9_+/=-]{32,}/g

/** Runs that may be base64 or base64url (padding optional): decoded and searched for known secrets. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{4,}={0,2}/g

/** Longest input looked at: an upstream may send megabytes, and only the first `maxLength` survive anyway. */
const MAX_INPUT = 16 * 1024

const utf8 = new TextEncoder()

const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')

/** A hex digit in either case: `%2f` and `%2F` are the same byte. */
const hexDigit = (digit: string): string => {
  const lower = digit.toLowerCase()
  const upper = digit.toUpperCase()
  return lower === upper ? lower : `[${lower}${upper}]`
}

/**
 * Every way one character of a secret can appear once an encoder has been over it. Longest forms first:
 * alternation takes the first that fits, and `\\` must not stop at its first backslash.
 */
const charPattern = (char: string): string => {
  const options: string[] = []
  // JSON: `\uXXXX` for any BMP character, and `\"`, `\\`, `\/`.
  const code = char.codePointAt(0)!
  if (code <= 0xffff) options.push(`\\\\u${[...code.toString(16).padStart(4, '0')].map(hexDigit).join('')}`)
  options.push(`\\\\${escapeRegExp(char)}`)
  // Percent-encoding of each UTF-8 byte, once or twice (`%40` or `%2540`), any hex case.
  const bytes = [...utf8.encode(char)]
  options.push(bytes.map(byte => `%(?:25)?${[...byte.toString(16).padStart(2, '0')].map(hexDigit).join('')}`).join(''))
  if (char === ' ') options.push('\\+')
  options.push(escapeRegExp(char))
  return `(?:${options.join('|')})`
}

/**
 * A run of backslashes is matched as a whole, JSON-escaped (twice as long) or not: matched one by one,
 * "one or two backslashes" per character would backtrack exponentially on a long run in the text.
 */
const backslashRunPattern = (length: number): string =>
  `(?:\\\\{${2 * length}}|(?:%(?:25)?5[cC]){${length}}|\\\\{${length}})`

const secretPattern = (secret: string): RegExp => {
  const parts = secret.match(/\\+|[\s\S]/gu) ?? []
  return new RegExp(parts.map(part => (part.startsWith('\\') ? backslashRunPattern(part.length) : charPattern(part))).join(''), 'g')
}

/** The byte string (one char per byte) of a secret's UTF-8, and of its form-encoded UTF-8. */
const binaryForms = (secret: string): string[] => {
  const forms = new Set([secret, new URLSearchParams({ s: secret }).toString().slice(2), encodeURIComponent(secret)])
  return [...forms].map(form => String.fromCharCode(...utf8.encode(form)))
}

/** Decode a base64 or base64url run starting `offset` characters in; undefined when it is not base64 there. */
const decodeBase64 = (run: string, offset: number): string | undefined => {
  let body = run.slice(offset).replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/')
  // Drop a trailing partial group: a secret in the middle of a longer blob is still found.
  body = body.slice(0, body.length - (body.length % 4 === 1 ? 1 : 0))
  if (body.length < 2) return undefined
  try {
    return atob(body)
  } catch {
    return undefined
  }
}

const hidesSecret = (run: string, needles: readonly string[]): boolean => {
  for (let offset = 0; offset < 4; offset++) {
    const decoded = decodeBase64(run, offset)
    if (decoded !== undefined && needles.some(needle => decoded.includes(needle))) return true
  }
  return false
}

/**
 * Scrub `text`: every known secret (client secret, refresh and access tokens…) in every encoding above,
 * then anything credential-shaped, then cut to `maxLength` characters.
 */
export const redact = (text: string, secrets: readonly string[], maxLength = 200): string => {
  let out = text.length > MAX_INPUT ? text.slice(0, MAX_INPUT) : text
  const known = secrets.filter(secret => typeof secret === 'string' && secret.length > 0)
  for (const secret of known) out = out.replace(secretPattern(secret), REDACTED)
  if (known.length > 0) {
    const needles = known.flatMap(binaryForms)
    out = out.replace(BASE64_RUN, run => (hidesSecret(run, needles) ? REDACTED : run))
  }
  out = out.replace(CREDENTIAL_LIKE, REDACTED)
  return out.length > maxLength ? `${out.slice(0, maxLength)}…` : out
}
