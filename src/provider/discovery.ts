import { CloseCode, INVALID_TOKEN_REASON } from '../contract/close-codes.ts'
import type { CloseEventLike } from './options.ts'

/** A 401 from discovery: judged as the 4002 close it stands for. */
export const DISCOVERY_REJECTED: CloseEventLike = { code: CloseCode.InvalidToken, reason: INVALID_TOKEN_REASON }

/**
 * Ask the dataplane where a document lives (`GET /discovery`, beside the WebSocket endpoint, over
 * https for wss). Resolves to the URL it names, `null` when the answer is unusable (network error,
 * an error status, no URL, no answer within `timeout`), or `DISCOVERY_REJECTED` when the token was refused;
 * an abort of `signal` rejects.
 */
export const discover = async (from: URL, documentName: string, token: string, signal: AbortSignal, timeout: number): Promise<URL | null | CloseEventLike> => {
  const endpoint = new URL(`/discovery?documentName=${documentName}`, from)
  endpoint.protocol = endpoint.protocol === 'wss:' ? 'https:' : 'http:'
  // Our own controller: a server that accepts and never answers must not hold the provider in `token`.
  const request = new AbortController()
  const abort = (): void => request.abort()
  const timer = setTimeout(abort, timeout)
  signal.addEventListener('abort', abort)
  try {
    const response = await fetch(endpoint, { headers: { Authorization: `Bearer ${token}` }, signal: request.signal })
    if (response.status === 401) return DISCOVERY_REJECTED
    const body = (response.ok ? await response.json() : {}) as { url?: unknown }
    return typeof body.url === 'string' ? new URL(body.url) : null
  } catch (error) {
    if (signal.aborted) throw error
    return null
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', abort)
  }
}
