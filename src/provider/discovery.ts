/**
 * Ask the dataplane where a document lives (`GET /discovery`, beside the WebSocket endpoint, over
 * https for wss). Resolves to the URL it names, `null` when the answer is unusable (network error,
 * an error status, no URL), or `'rejected'` when the token was refused; an abort rejects.
 */
export const discover = async (from: URL, documentName: string, token: string, signal: AbortSignal): Promise<URL | null | 'rejected'> => {
  const endpoint = new URL(`/discovery?documentName=${documentName}`, from)
  endpoint.protocol = endpoint.protocol === 'wss:' ? 'https:' : 'http:'
  try {
    const response = await fetch(endpoint, { headers: { Authorization: `Bearer ${token}` }, signal })
    if (response.status === 401) return 'rejected'
    const body = (response.ok ? await response.json() : {}) as { url?: unknown }
    return typeof body.url === 'string' ? new URL(body.url) : null
  } catch (error) {
    if (signal.aborted) throw error
    return null
  }
}
