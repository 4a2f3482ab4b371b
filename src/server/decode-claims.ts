import { decodeJwt } from 'jose'
import { normalizeClaims, type WireSocketClaims } from '../contract/claims.ts'

/**
 * Decode (without verifying) a WireSocket access token, with jose. Throws a `TypeError` that never
 * contains the token when the input is not a JWT. The browser entry's `decodeClaims` is the jose-free
 * reader (provider/read-claims.ts), held to the same verdicts by a differential test.
 */
export const decodeClaims = (token: string): WireSocketClaims => {
  let payload: Record<string, unknown>
  try {
    payload = decodeJwt(token) as Record<string, unknown>
  } catch {
    throw new TypeError('Not a JWT: expected three base64url segments with a JSON payload')
  }
  return normalizeClaims(payload)
}
