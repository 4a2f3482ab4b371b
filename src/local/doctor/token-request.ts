/** Step `token`: the client-credentials grant of contract §1, exactly as a backend would send it. */
import type { StepOutcome } from './step.ts'
import type { JsonValue } from './types.ts'

export const REQUESTED_SCOPE = 'WireSocket.API offline_access'
const CONTRACT_TTL_SECONDS = 900

export interface TokenGrant { accessToken: string; refreshToken: string | undefined }

const text = (value: unknown): string | undefined => typeof value === 'string' ? value : undefined

export const requestToken = async (
  tokenUrl: string,
  clientId: string,
  clientSecret: string,
  timeoutMs: number,
  remember: (secret: string) => void
): Promise<{ outcome: StepOutcome; grant: TokenGrant | undefined }> => {
  let res: Response
  try {
    res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: REQUESTED_SCOPE }).toString(),
      // Never follow a redirect: the doctor talks only to the hosts it was given.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
    return { outcome: { status: 'fail', summary: `token endpoint unreachable (${error instanceof Error ? error.message : String(error)}${cause})` }, grant: undefined }
  }
  const raw = await res.text()
  let body: Record<string, unknown> = {}
  try {
    const parsed: unknown = JSON.parse(raw)
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>
  } catch {
    // Not JSON: reported below by what is missing.
  }
  const accessToken = text(body.access_token)
  const refreshToken = text(body.refresh_token)
  remember(accessToken ?? '')
  remember(refreshToken ?? '')
  if (res.status !== 200 || accessToken === undefined) {
    const error = text(body.error)
    const description = text(body.error_description)
    const what = error === undefined ? 'no access_token in the reply' : `${error}${description ? `: ${description}` : ''}`
    const findings: string[] = []
    if (res.status === 401) findings.push('The token endpoint refused the client credentials (401): check client_id and client_secret, or whether the secret was regenerated.')
    if (res.status >= 300 && res.status < 400) findings.push(`The token endpoint answered with a redirect (${res.status}); the doctor does not follow it. Use the final URL as --token-url.`)
    if (res.status === 429) findings.push('The token endpoint is rate limiting this client (429): back off and retry later.')
    return {
      outcome: { status: 'fail', summary: `HTTP ${res.status}, ${what}`, details: { grant: 'client_credentials', httpStatus: res.status, error: error ?? null }, findings },
      grant: undefined,
    }
  }
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : null
  const scope = text(body.scope)
  const findings: string[] = []
  if (refreshToken === undefined) findings.push('No refresh_token although offline_access was asked for (contract §1): the backend will need the secret for every token.')
  if (text(body.token_type)?.toLowerCase() !== 'bearer') findings.push(`token_type is ${JSON.stringify(body.token_type ?? null)}, the contract says "Bearer".`)
  if (expiresIn === null) findings.push('No numeric expires_in in the reply (contract §1: 900).')
  const details: { [key: string]: JsonValue } = {
    grant: 'client_credentials',
    httpStatus: res.status,
    tokenType: text(body.token_type) ?? null,
    expiresIn,
    refreshTokenPresent: refreshToken !== undefined,
    scopes: scope === undefined ? null : scope.split(' ').filter(Boolean),
    requestedScopes: REQUESTED_SCOPE.split(' '),
  }
  const ttl = expiresIn === null ? 'no expires_in' : `expires_in ${expiresIn}${expiresIn === CONTRACT_TTL_SECONDS ? '' : ` (contract: ${CONTRACT_TTL_SECONDS})`}`
  return {
    outcome: {
      status: findings.length > 0 ? 'warn' : 'pass',
      summary: `client_credentials → ${text(body.token_type) ?? '?'} token, ${ttl}, refresh token ${refreshToken === undefined ? 'absent' : 'present'}, scopes ${scope ?? '(not echoed in the reply)'}`,
      details,
      findings,
    },
    grant: { accessToken, refreshToken },
  }
}
