/**
 * The demo's token backend, built with `y-wiresocket/server`: the app's own server authenticates its own
 * user (here a demo session cookie the page gets) and hands the browser a short-lived WireSocket access
 * token. The client secret stays in this process.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createTokenClient, createTokenHandler, toNodeHandler } from '../src/server/index.ts'

export const SESSION_COOKIE = 'demo_session'

export interface DemoBackendOptions {
  clientId: string
  clientSecret: string
  tokenUrl: string
}

export interface DemoBackend {
  /** A new demo session: the value of the cookie the page gets. */
  newSession(): string
  /** `/api/token` for node:http: `{ token, expiresAt }` to a caller with a demo session, 401 otherwise. */
  handleToken(req: IncomingMessage, res: ServerResponse): void
  /** The dataplane revoked every token: stop handing out the cached one. */
  dropCachedToken(): void
}

const cookieValue = (header: string | null, name: string): string | null => {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return rest.join('=')
  }
  return null
}

export function createDemoBackend (options: DemoBackendOptions): DemoBackend {
  const sessions = new Set<string>()
  // The default margin fits the demo's 60 s tokens too: it is capped at a quarter of their lifetime.
  const client = createTokenClient(options)
  const handler = createTokenHandler({
    client,
    methods: ['POST'],
    authorize: request => {
      const session = cookieValue(request.headers.get('cookie'), SESSION_COOKIE)
      return session !== null && sessions.has(session)
    },
    onError: (error, phase) => { console.error(`[demo] /api/token ${phase} failed:`, error) },
  })
  return {
    newSession: () => {
      const id = randomUUID()
      sessions.add(id)
      return id
    },
    handleToken: toNodeHandler(handler),
    dropCachedToken: () => { client.invalidate() },
  }
}
