/**
 * Typed errors of the token client. Their messages are built only from fixed text, HTTP statuses and
 * OAuth error codes, and any text taken from a server is scrubbed first: an error that ends up in a log
 * must never carry the client secret, an access token or a refresh token.
 */
import { redact } from '../contract/redact.ts'

export type WireSocketTokenErrorCode =
  /** 400 `invalid_request` / `unsupported_grant_type` / `invalid_scope`: a request the service rejects; not retried. */
  | 'invalid_request'
  /** 401 `invalid_client`: wrong client id or secret. */
  | 'invalid_client'
  /** 400 `invalid_grant` after the one fall-back to client credentials also failed. */
  | 'invalid_grant'
  /** 403: the app is not permitted (plan, suspension). */
  | 'forbidden'
  /** 429: back off until `retryAfter`. */
  | 'rate_limited'
  /** 5xx, a network failure or a timeout: the control plane is down or unreachable. */
  | 'unavailable'
  /** A 200 whose body is not a token reply, or any other unexpected status. */
  | 'bad_response'
  /** The pluggable token store failed or did not answer in time (the message names the call). */
  | 'store_error'

/** Codes after which asking again later may succeed; the token handler maps them to 503. */
const TRANSIENT: ReadonlySet<WireSocketTokenErrorCode> = new Set(['rate_limited', 'unavailable', 'store_error'])

export class WireSocketTokenError extends Error {
  override readonly name = 'WireSocketTokenError'
  readonly code: WireSocketTokenErrorCode
  /** HTTP status of the token service's answer, when there was one. */
  readonly status: number | undefined
  /** Seconds to wait before the token service may be asked again, when known. */
  readonly retryAfter: number | undefined
  /** The RFC 6749 `error` value of the reply (for example `invalid_grant`), when there was one. */
  readonly oauthError: string | undefined

  constructor (code: WireSocketTokenErrorCode, message: string, details: { status?: number; retryAfter?: number; oauthError?: string } = {}) {
    super(message)
    this.code = code
    this.status = details.status
    this.retryAfter = details.retryAfter
    this.oauthError = details.oauthError
  }

  /** Whether waiting (see `retryAfter`) and asking again may succeed. */
  get transient (): boolean {
    return TRANSIENT.has(this.code)
  }
}

/** A copy of `error` with `retryAfter` recomputed, for callers who are turned away during a back-off. */
export const withRetryAfter = (error: WireSocketTokenError, retryAfter: number | undefined): WireSocketTokenError =>
  new WireSocketTokenError(error.code, error.message, { status: error.status, retryAfter, oauthError: error.oauthError })

/** `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in whole seconds from `nowMs`. */
export const parseRetryAfter = (value: string | null, nowMs: number): number | undefined => {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, Math.ceil((date - nowMs) / 1000))
}

const OAUTH_CODES: Readonly<Record<string, WireSocketTokenErrorCode>> = {
  invalid_request: 'invalid_request',
  unsupported_grant_type: 'invalid_request',
  invalid_scope: 'invalid_request',
  invalid_client: 'invalid_client',
  invalid_grant: 'invalid_grant',
  unauthorized_client: 'forbidden',
  access_denied: 'forbidden',
}

const codeOfStatus = (status: number): WireSocketTokenErrorCode => {
  if (status === 400) return 'invalid_request'
  if (status === 401) return 'invalid_client'
  if (status === 403) return 'forbidden'
  if (status === 429) return 'rate_limited'
  if (status >= 500) return 'unavailable'
  return 'bad_response'
}

/** Turn a non-200 reply of the token endpoint into a typed error (the body is read, never echoed raw). */
export const errorFromResponse = async (response: Response, nowMs: number, secrets: readonly string[]): Promise<WireSocketTokenError> => {
  let oauthError: string | undefined
  let description: string | undefined
  try {
    const body: unknown = await response.json()
    if (body !== null && typeof body === 'object') {
      const { error, error_description: desc } = body as Record<string, unknown>
      if (typeof error === 'string') oauthError = redact(error, secrets).slice(0, 64)
      if (typeof desc === 'string') description = redact(desc, secrets)
    }
  } catch {
    // Not JSON (a proxy's HTML error page, for example): the status alone decides.
  }
  const status = response.status
  // The OAuth error code only refines 4xx answers: a 5xx stays "unavailable" whatever its body says.
  const code = status < 500 && oauthError !== undefined && OAUTH_CODES[oauthError] !== undefined
    ? OAUTH_CODES[oauthError]!
    : codeOfStatus(status)
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'), nowMs)
  const what = oauthError === undefined ? `HTTP ${status}` : `HTTP ${status} ${oauthError}`
  const message = `WireSocket token request failed: ${what}${description === undefined ? '' : ` (${description})`}`
  return new WireSocketTokenError(code, message, { status, retryAfter, oauthError })
}
