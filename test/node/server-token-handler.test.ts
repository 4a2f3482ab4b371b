// createTokenHandler and toNodeHandler: authorize first (401 calls nothing), { token, expiresAt } with
// no-store, documented methods only, token failures as 502/503 without secrets; over real sockets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startLocalDataplane } from '../../src/local/index.ts'
import { createTokenClient, createTokenHandler, toNodeHandler, WireSocketTokenError, type AccessToken, type NodeContext } from '../../src/server/index.ts'

const SESSION = 'session=alice-session-id'
/** The app's own session check, as an app would write it. */
const sessionUser = (request: Request): { id: string } | null =>
  (request.headers.get('cookie') ?? '').split(/;\s*/).includes(SESSION) ? { id: 'alice' } : null

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}
const closeServer = async (server: Server): Promise<void> => {
  server.closeAllConnections()
  await new Promise<void>(resolve => server.close(() => resolve()))
}

test('without a passing authorize: 401, and neither the client nor WireSocket is called', async () => {
  const dp = await startLocalDataplane()
  try {
    const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl })
    let clientCalls = 0
    const counted = { getAccessToken: async (): Promise<AccessToken> => { clientCalls++; return await client.getAccessToken() } }
    const verdicts: Array<(r: Request) => unknown> = [
      () => false,
      () => null,
      () => undefined,
      async () => await Promise.resolve(0),
      () => { throw new Error('no session') },
      async () => { throw new Error('session store down') },
      sessionUser,
    ]
    for (const authorize of verdicts) {
      const handler = createTokenHandler({ client: counted, authorize })
      const res = await handler(new Request('http://app.test/api/wiresocket-token', { method: 'POST' }))
      assert.equal(res.status, 401)
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.deepEqual(await res.json(), { error: 'unauthorized' })
    }
    assert.equal(clientCalls, 0)
    assert.equal(dp.tokenRequests.length, 0, 'the token service received nothing')
    // authorize may answer itself (403 here); WireSocket is still not called.
    const forbidden = createTokenHandler({ client: counted, authorize: () => new Response('no plan', { status: 403 }) })
    assert.equal((await forbidden(new Request('http://app.test/t', { method: 'POST' }))).status, 403)
    assert.equal(dp.tokenRequests.length, 0)
  } finally {
    await dp.close()
  }
})

test('authorized: { token, expiresAt } with Cache-Control: no-store, one token request for many users', async () => {
  const dp = await startLocalDataplane()
  try {
    const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl })
    const seenUsers: unknown[] = []
    const handler = createTokenHandler({ client, authorize: request => { const user = sessionUser(request); seenUsers.push(user); return user } })
    const replies = await Promise.all(Array.from({ length: 10 }, async (_, i) =>
      await handler(new Request('http://app.test/api/wiresocket-token', { method: i % 2 === 0 ? 'POST' : 'GET', headers: { cookie: SESSION } }))))
    for (const res of replies) {
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('cache-control'), 'no-store')
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
      const body = await res.json() as Record<string, unknown>
      assert.deepEqual(Object.keys(body).sort(), ['expiresAt', 'token'])
      assert.equal(typeof body.token, 'string')
      assert.ok(typeof body.expiresAt === 'number' && body.expiresAt > Date.now() + 800_000 && body.expiresAt <= Date.now() + 900_000)
    }
    assert.deepEqual(seenUsers, Array(10).fill({ id: 'alice' }))
    assert.equal(dp.tokenRequests.length, 1)
  } finally {
    await dp.close()
  }
})

test('only GET and POST (or the configured subset); others 405 with Allow', async () => {
  const client = { getAccessToken: async (): Promise<AccessToken> => { throw new Error('must not be called') } }
  const handler = createTokenHandler({ client, authorize: () => true })
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) {
    const res = await handler(new Request('http://app.test/t', { method }))
    assert.equal(res.status, 405, method)
    assert.equal(res.headers.get('allow'), 'GET, POST')
  }
  const postOnly = createTokenHandler({ client, authorize: () => true, methods: ['POST'] })
  const res = await postOnly(new Request('http://app.test/t'))
  assert.equal(res.status, 405)
  assert.equal(res.headers.get('allow'), 'POST')
  assert.throws(() => createTokenHandler({ client, authorize: () => true, methods: [] }), TypeError)
})

test('token failures: 503 with Retry-After when waiting helps, 502 otherwise, never a secret', async () => {
  const secret = 'handler-secret-SHOULD-NEVER-APPEAR'
  const errors: unknown[] = []
  const failing = (error: Error) => createTokenHandler({
    client: { getAccessToken: async () => { throw error } },
    authorize: () => true,
    onError: e => { errors.push(e) },
  })
  const limited = await failing(new WireSocketTokenError('rate_limited', 'HTTP 429', { status: 429, retryAfter: 60 }))(new Request('http://app.test/t', { method: 'POST' }))
  assert.equal(limited.status, 503)
  assert.equal(limited.headers.get('retry-after'), '60')
  assert.equal(limited.headers.get('cache-control'), 'no-store')
  assert.deepEqual(await limited.json(), { error: 'rate_limited', retryAfter: 60 })
  const down = await failing(new WireSocketTokenError('unavailable', 'network error'))(new Request('http://app.test/t', { method: 'POST' }))
  assert.equal(down.status, 503)
  assert.equal(down.headers.get('retry-after'), null)
  const refused = await failing(new WireSocketTokenError('invalid_client', 'HTTP 401', { status: 401 }))(new Request('http://app.test/t', { method: 'POST' }))
  assert.equal(refused.status, 502)
  assert.deepEqual(await refused.json(), { error: 'invalid_client' })
  const odd = await failing(new Error(`boom ${secret}`))(new Request('http://app.test/t', { method: 'POST' }))
  assert.equal(odd.status, 502)
  assert.equal((await odd.text()).includes(secret), false)
  assert.equal(errors.length, 4, 'onError saw each failure')

  // End to end against the real service with a wrong secret: 502 and nothing of the secret in the reply.
  const dp = await startLocalDataplane()
  try {
    const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: secret, tokenUrl: dp.tokenUrl })
    const res = await createTokenHandler({ client, authorize: () => true })(new Request('http://app.test/t', { method: 'POST' }))
    assert.equal(res.status, 502)
    const text = await res.text()
    assert.equal(text.includes(secret), false)
    assert.deepEqual(JSON.parse(text), { error: 'invalid_client' })
  } finally {
    await dp.close()
  }
})

test('toNodeHandler: a real node:http server, cookie session, POST body, 401/405/200', async () => {
  const dp = await startLocalDataplane()
  const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl })
  let bodySeen = ''
  const handler = createTokenHandler({
    client,
    authorize: async request => {
      if (request.method === 'POST') bodySeen = await request.text()
      return sessionUser(request)
    },
  })
  const server = createServer(toNodeHandler(handler))
  const base = await listen(server)
  try {
    const anonymous = await fetch(`${base}/api/wiresocket-token`, { method: 'POST' })
    assert.equal(anonymous.status, 401)
    assert.equal(dp.tokenRequests.length, 0)
    const put = await fetch(`${base}/api/wiresocket-token`, { method: 'PUT', headers: { cookie: SESSION } })
    assert.equal(put.status, 405)
    assert.equal(put.headers.get('allow'), 'GET, POST')
    const res = await fetch(`${base}/api/wiresocket-token`, { method: 'POST', headers: { cookie: `theme=dark; ${SESSION}`, 'content-type': 'application/json' }, body: '{"doc":"my-doc"}' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    const body = await res.json() as { token: string; expiresAt: number }
    assert.equal(typeof body.token, 'string')
    assert.equal(bodySeen, '{"doc":"my-doc"}')
    const get = await fetch(`${base}/api/wiresocket-token`, { headers: { cookie: SESSION } })
    assert.equal(((await get.json()) as { token: string }).token, body.token)
    assert.equal(dp.tokenRequests.length, 1)
    // A body over the adapter's limit is refused before the handler runs.
    const big = await fetch(`${base}/api/wiresocket-token`, { method: 'POST', headers: { cookie: SESSION }, body: 'x'.repeat(70 * 1024) })
    assert.equal(big.status, 413)
  } finally {
    await closeServer(server)
    await dp.close()
  }
})

test('toNodeHandler hands { req, res } to authorize, so an Express-style req.session decides', async () => {
  const dp = await startLocalDataplane()
  type SessionRequest = IncomingMessage & { session?: { userId?: string } }
  const handler = createTokenHandler<NodeContext<SessionRequest>>({
    client: createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl }),
    authorize: (_request, context) => context?.req.session?.userId ?? false,
  })
  const endpoint = toNodeHandler(handler)
  // Stands in for a session middleware (express-session & co.) that runs before the route.
  const server = createServer((req: SessionRequest, res) => {
    req.session = req.headers.cookie === SESSION ? { userId: 'alice' } : {}
    endpoint(req, res)
  })
  const base = await listen(server)
  try {
    assert.equal((await fetch(`${base}/t`, { method: 'POST' })).status, 401)
    assert.equal(dp.tokenRequests.length, 0)
    assert.equal((await fetch(`${base}/t`, { method: 'POST', headers: { cookie: SESSION } })).status, 200)
  } finally {
    await closeServer(server)
    await dp.close()
  }
})
