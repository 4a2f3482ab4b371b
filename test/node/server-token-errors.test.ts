// The token client's failure handling over real sockets, against a tiny scripted token endpoint on
// 127.0.0.1: 400 not retried, 429 honours Retry-After, 503 keeps serving a still-valid token, network
// failures and timeouts, malformed replies, and no secret or token ever in an error.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { createTokenClient, WireSocketTokenError } from '../../src/server/index.ts'
import { manualClock as clock, scriptedEndpoint, tokenReply, type Scripted } from './support/scripted-token-endpoint.ts'

const SECRET = 'client-secret-Zx9-SHOULD-NEVER-LEAK-4c1d'

const ok = async (nowMs: number, refresh = 'refresh-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'): Promise<Scripted> => await tokenReply(nowMs, refresh)

const failure = async (promise: Promise<unknown>): Promise<WireSocketTokenError> => {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  assert.ok(error instanceof WireSocketTokenError, `expected a WireSocketTokenError, got ${String(error)}`)
  return error
}

test('400 is not retried: one request, a typed invalid_request error; callers within the back-off get it without a request', async () => {
  const c = clock()
  const ep = await scriptedEndpoint([{ status: 400, body: { error: 'invalid_scope', error_description: 'scope must include WireSocket.API' } }])
  try {
    const client = createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url, now: c.now, failureBackoff: 5_000 })
    const error = await failure(client.getAccessToken())
    assert.equal(error.code, 'invalid_request')
    assert.equal(error.status, 400)
    assert.equal(error.oauthError, 'invalid_scope')
    assert.equal(error.transient, false)
    assert.equal(ep.seen.length, 1)
    assert.match(error.message, /HTTP 400 invalid_scope/)
    // The request itself was the contract's: client credentials with both scopes.
    assert.equal(ep.seen[0]!.get('grant_type'), 'client_credentials')
    assert.equal(ep.seen[0]!.get('scope'), 'WireSocket.API offline_access')
    const held = await Promise.all(Array.from({ length: 10 }, async () => await failure(client.getAccessToken())))
    assert.ok(held.every(e => e.code === 'invalid_request'))
    assert.equal(ep.seen.length, 1, 'a rejected request is not repeated for every caller')
    c.advance(5_000)
    await failure(client.getAccessToken())
    assert.equal(ep.seen.length, 2, 'after the back-off, one new attempt')
  } finally {
    await ep.close()
  }
})

test('429 honours Retry-After: no request until it has passed, then one', async () => {
  const c = clock()
  const ep = await scriptedEndpoint([{ status: 429, body: { error: 'rate_limited' }, headers: { 'retry-after': '120' } }, await ok(c.now())])
  try {
    const client = createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url, now: c.now })
    const first = await failure(client.getAccessToken())
    assert.equal(first.code, 'rate_limited')
    assert.equal(first.status, 429)
    assert.equal(first.retryAfter, 120)
    assert.equal(first.transient, true)
    c.advance(30_000)
    const held = await Promise.all(Array.from({ length: 10 }, async () => await failure(client.getAccessToken())))
    assert.equal(ep.seen.length, 1, 'nobody called the service during Retry-After')
    assert.equal(held[0]!.retryAfter, 90)
    c.advance(90_000)
    await client.getAccessToken()
    assert.equal(ep.seen.length, 2)
  } finally {
    await ep.close()
  }
})

test('Retry-After as an HTTP date is understood', async () => {
  const c = clock()
  const ep = await scriptedEndpoint([{ status: 503, headers: { 'retry-after': new Date(c.now() + 45_000).toUTCString() } }])
  try {
    const client = createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url, now: c.now })
    const error = await failure(client.getAccessToken())
    assert.equal(error.code, 'unavailable')
    assert.equal(error.retryAfter, 45)
  } finally {
    await ep.close()
  }
})

test('503 while the cached access token is still valid keeps serving it, without hammering the service', async () => {
  const c = clock()
  const ep = await scriptedEndpoint([await ok(c.now()), { status: 503, body: { error: 'unavailable' } }])
  try {
    const client = createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url, now: c.now, failureBackoff: 10_000 })
    const first = await client.getAccessToken()
    c.advance(900_000 - 30_000) // inside the refresh margin: a renewal is due
    const during = await Promise.all(Array.from({ length: 20 }, async () => await client.getAccessToken()))
    assert.ok(during.every(t => t.token === first.token), 'the still-valid token is served')
    assert.equal(ep.seen.length, 2, 'one refresh attempt for 20 callers')
    assert.equal(ep.seen[1]!.get('grant_type'), 'refresh_token')
    c.advance(5_000)
    assert.equal((await client.getAccessToken()).token, first.token)
    assert.equal(ep.seen.length, 2, 'within the failure back-off: no new attempt')
    c.advance(30_000) // the token has now expired and the service is still down
    const error = await failure(client.getAccessToken())
    assert.equal(error.code, 'unavailable')
    assert.equal(error.status, 503)
  } finally {
    await ep.close()
  }
})

test('503 with nothing cached, a refused connection and a timeout are all typed "unavailable"', async () => {
  const ep = await scriptedEndpoint([{ status: 503, body: 'not json' }])
  const hang = await scriptedEndpoint([{ status: 200, hang: true }])
  try {
    const down = await failure(createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url }).getAccessToken())
    assert.equal(down.code, 'unavailable')
    const refused = await failure(createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: 'http://127.0.0.1:1/connect/token' }).getAccessToken())
    assert.equal(refused.code, 'unavailable')
    assert.equal(refused.status, undefined)
    const slow = await failure(createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: hang.url, timeout: 200 }).getAccessToken())
    assert.equal(slow.code, 'unavailable')
    assert.match(slow.message, /timed out/)
  } finally {
    await ep.close()
    await hang.close()
  }
})

test('a 200 without an access token is a bad_response', async () => {
  const ep = await scriptedEndpoint([{ status: 200, body: { token_type: 'Bearer' } }])
  try {
    const error = await failure(createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url }).getAccessToken())
    assert.equal(error.code, 'bad_response')
  } finally {
    await ep.close()
  }
})

test('errors never contain the secret, the refresh token or an access token, even when the server echoes them', async () => {
  const c = clock()
  const refresh = 'refresh-token-QQQQ-SHOULD-NEVER-LEAK-QQQQQQQQQQQQQQQQ'
  const first = await ok(c.now(), refresh)
  const accessToken = (first.body as { access_token: string }).access_token
  // Echo everything back, plus a JWT, in the description: a hostile or buggy server.
  const echo = (form: URLSearchParams): Scripted => ({ status: 400, body: { error: 'invalid_grant', error_description: `bad ${form.toString()} ${decodeURIComponent(form.toString())} ${accessToken}` } })
  const ep = await scriptedEndpoint([first, echo, echo])
  try {
    const client = createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url, now: c.now })
    await client.getAccessToken()
    c.advance(900_000)
    const error = await failure(client.getAccessToken())
    // invalid_grant on refresh ⇒ one client-credentials fall-back, which fails too.
    assert.equal(ep.seen.map(s => s.get('grant_type')).join(','), 'client_credentials,refresh_token,client_credentials')
    assert.equal(error.code, 'invalid_grant')
    const texts = [error.message, String(error.stack), inspect(error, { depth: 5, showHidden: true }), JSON.stringify(error), inspect(client, { depth: 5, showHidden: true })]
    for (const text of texts) {
      for (const secret of [SECRET, encodeURIComponent(SECRET), refresh, accessToken]) assert.equal(text.includes(secret), false, 'leaked into an error')
    }
  } finally {
    await ep.close()
  }
})
