/**
 * One request to the WireSocket token endpoint (contract §1): a form POST, and its answer as a parsed
 * reply or a typed error. No retries and no state here; the token client decides what to do next.
 */
import { errorFromResponse, WireSocketTokenError } from './oauth-errors.ts'

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export interface TokenReply {
  accessToken: string
  refreshToken: string | undefined
  /** Seconds, from `expires_in`; undefined when the reply did not say. */
  expiresIn: number | undefined
}

export interface TokenEndpointRequest {
  url: string
  form: Record<string, string>
  fetch: FetchLike
  timeoutMs: number
  nowMs: number
  /** Values that must never appear in an error message (the secret, the refresh token presented). */
  secrets: readonly string[]
}

const parseReply = (body: unknown): TokenReply | undefined => {
  if (body === null || typeof body !== 'object') return undefined
  const { access_token: access, refresh_token: refresh, expires_in: expiresIn } = body as Record<string, unknown>
  if (typeof access !== 'string' || access.length === 0) return undefined
  return {
    accessToken: access,
    refreshToken: typeof refresh === 'string' && refresh.length > 0 ? refresh : undefined,
    expiresIn: typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined,
  }
}

export const requestToken = async (request: TokenEndpointRequest): Promise<TokenReply> => {
  let response: Response
  try {
    response = await request.fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(request.form).toString(),
      signal: AbortSignal.timeout(request.timeoutMs),
      // A token endpoint never redirects; following one would resend the secret elsewhere.
      redirect: 'manual',
    })
  } catch (error) {
    // The fetch error itself is dropped on purpose: some runtimes attach the request to it.
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
    throw new WireSocketTokenError('unavailable', timedOut
      ? `WireSocket token request timed out after ${request.timeoutMs} ms`
      : 'WireSocket token request failed: network error')
  }
  if (response.status !== 200) throw await errorFromResponse(response, request.nowMs, request.secrets)
  let body: unknown
  try {
    body = await response.json()
  } catch {
    body = undefined
  }
  const reply = parseReply(body)
  if (reply === undefined) {
    throw new WireSocketTokenError('bad_response', 'WireSocket token reply has no access_token', { status: 200 })
  }
  return reply
}
