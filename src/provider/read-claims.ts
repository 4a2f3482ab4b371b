import { normalizeClaims, type WireSocketClaims } from '../contract/claims.ts'
import { DEV } from './dev.ts'

/**
 * A token's claims, decoded but not verified (the dataplane verifies; the browser only needs to know
 * when the token expires and what it allows). Accepts exactly what jose's `decodeJwt` accepts — three
 * segments, a base64url JSON object as payload — and throws a `TypeError` that never quotes the token.
 * Decoded with atob and the platform's TextDecoder: jose's decoder would add 500 bytes gzipped to the
 * browser bundle. A
 * differential test holds the two to the same verdicts; the server side (`decodeClaims`) uses jose.
 */
export const readClaims = (jwt: string): WireSocketClaims => {
  const [, payload = '', ...rest] = jwt.split('.')
  let claims: unknown
  try {
    if (rest.length === 1 && /^[\w-]+=*$/.test(payload)) {
      // atob, as jose uses where Uint8Array.fromBase64 is missing: the same verdict on odd padding everywhere
      const bytes = Uint8Array.from(atob(payload.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0))
      // strict, like jose's: bytes that are not UTF-8 are refused rather than replaced
      claims = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes))
    }
  } catch {}
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TypeError(DEV ? 'Not a JWT: expected three base64url segments with a JSON payload' : 'Not a JWT')
  }
  return normalizeClaims(claims as Record<string, unknown>)
}
