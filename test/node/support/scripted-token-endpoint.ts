// A token endpoint on 127.0.0.1 that answers each request with the next scripted reply (the last one
// repeats), for tests of how the token client reacts to what an upstream says.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'

export interface Scripted { status: number; body?: unknown; headers?: Record<string, string>; hang?: boolean }
export type ScriptStep = Scripted | ((form: URLSearchParams) => Scripted)

export interface ScriptedEndpoint {
  url: string
  /** The form of every request received, in order. */
  seen: URLSearchParams[]
  close: () => Promise<void>
}

export const scriptedEndpoint = async (script: ScriptStep[]): Promise<ScriptedEndpoint> => {
  const seen: URLSearchParams[] = []
  const hanging = new Set<ServerResponse>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => { body += chunk })
    req.on('end', () => {
      const form = new URLSearchParams(body)
      seen.push(form)
      const step = script[Math.min(seen.length - 1, script.length - 1)]!
      const reply = typeof step === 'function' ? step(form) : step
      if (reply.hang === true) {
        hanging.add(res)
        return
      }
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      res.end(reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body))
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/connect/token`,
    seen,
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }
}

/** An HS256 JWT shaped like a WireSocket access token, issued at `nowMs`. */
export const testJwt = async (nowMs: number, ttl = 900): Promise<string> =>
  await new SignJWT({ scope: 'WireSocket.API offline_access', tenantid: 't1', aud: 'WireSocket.API' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(Math.floor(nowMs / 1000))
    .setExpirationTime(Math.floor(nowMs / 1000) + ttl)
    .sign(new TextEncoder().encode('test-only-key-test-only-key-1234'))

/** A successful token reply. */
export const tokenReply = async (nowMs: number, refresh: string, ttl = 900): Promise<Scripted> =>
  ({ status: 200, body: { access_token: await testJwt(nowMs, ttl), refresh_token: refresh, token_type: 'Bearer', expires_in: ttl } })

/** A clock the test moves by hand. */
export const manualClock = (start = Date.UTC(2026, 0, 5, 12)): { now: () => number; advance: (ms: number) => void } => {
  let t = start
  return { now: () => t, advance: ms => { t += ms } }
}
