/**
 * The app's token endpoint for the browser's `getToken`: a fetch-style `(Request) => Promise<Response>`
 * that works as a Next.js route handler, a Hono/Bun/Deno/Workers handler, and (via `toNodeHandler`)
 * under Node's `http` or Express. The app's own `authorize` runs first; WireSocket is only asked once
 * it has passed, so the endpoint never hands a token to someone the app does not know.
 */
import { WireSocketTokenError } from './oauth-errors.ts'
import type { TokenClient } from './token-client.ts'

/** Methods the endpoint answers. POST is what the docs use; GET is accepted for simple `fetch(url)` callers. */
export const TOKEN_HANDLER_METHODS = ['GET', 'POST'] as const
export type TokenHandlerMethod = typeof TOKEN_HANDLER_METHODS[number]

/**
 * The app's check of its own user. Return something truthy (for example the user) to let the request
 * through; return `false`/`null`/`undefined` or throw to answer 401; return a `Response` to send that
 * instead (for example a 403) without calling WireSocket. `context` is whatever the caller passed as
 * the handler's second argument: `{ req, res }` under `toNodeHandler` (so Express apps can read
 * `req.session`), Hono's `c` if the route passes it, otherwise `undefined`.
 */
export type Authorize<C = unknown> = (request: Request, context: C | undefined) => unknown

export interface TokenHandlerOptions<C = unknown> {
  client: Pick<TokenClient, 'getAccessToken'>
  authorize: Authorize<C>
  /** Accepted methods, a subset of GET and POST. Default both. */
  methods?: readonly TokenHandlerMethod[]
  /**
   * Told about every failure that produced a 401/502/503, for the app's logs. The argument is the
   * thrown value: from the token client a `WireSocketTokenError`, which never contains a secret or a
   * token; from `authorize`, whatever the app threw.
   */
  onError?: (error: unknown, phase: 'authorize' | 'token') => void
}

export type TokenHandler<C = unknown> = (request: Request, context?: C) => Promise<Response>

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...NO_STORE, ...headers },
  })

const report = (onError: TokenHandlerOptions['onError'], error: unknown, phase: 'authorize' | 'token'): void => {
  try {
    onError?.(error, phase)
  } catch {
    // A failing logger must not turn a clean 401/503 into a 500.
  }
}

/** 503 when asking again later can help (rate limit, outage), 502 when WireSocket refused us outright. */
const failureResponse = (error: unknown): Response => {
  if (error instanceof WireSocketTokenError && error.transient) {
    const headers: Record<string, string> = error.retryAfter === undefined ? {} : { 'retry-after': String(error.retryAfter) }
    return json(503, { error: error.code, ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }) }, headers)
  }
  return json(502, { error: error instanceof WireSocketTokenError ? error.code : 'token_error' })
}

export const createTokenHandler = <C = unknown>(options: TokenHandlerOptions<C>): TokenHandler<C> => {
  const { client, authorize, onError } = options
  if (typeof authorize !== 'function') throw new TypeError('createTokenHandler: authorize is required (the app\'s own check of its user)')
  if (client === null || typeof client !== 'object' || typeof client.getAccessToken !== 'function') throw new TypeError('createTokenHandler: client must come from createTokenClient')
  const methods = options.methods ?? TOKEN_HANDLER_METHODS
  if (methods.length === 0 || methods.some(m => !TOKEN_HANDLER_METHODS.includes(m))) throw new TypeError('createTokenHandler: methods must be a non-empty subset of GET, POST')
  const allow = methods.join(', ')

  return async (request, context) => {
    if (!(methods as readonly string[]).includes(request.method.toUpperCase())) {
      return json(405, { error: 'method_not_allowed' }, { allow })
    }
    let verdict: unknown
    try {
      verdict = await authorize(request, context)
    } catch (error) {
      report(onError, error, 'authorize')
      return json(401, { error: 'unauthorized' })
    }
    if (verdict instanceof Response) return verdict
    if (!verdict) return json(401, { error: 'unauthorized' })
    try {
      const { token, expiresAt } = await client.getAccessToken()
      return json(200, { token, expiresAt })
    } catch (error) {
      report(onError, error, 'token')
      return failureResponse(error)
    }
  }
}
