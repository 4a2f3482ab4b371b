// createTokenClient against the local dataplane's real token service (contract §1): one token request
// for many callers, one refresh when due, rotation stored, reuse detection, the 7-day and 900 s
// lifetimes on an injected clock shared by client and service.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { createMemoryTokenStore, createTokenClient, WireSocketTokenError, type StoredTokenState, type TokenStore } from '../../src/server/index.ts'

const DAY = 24 * 60 * 60 * 1000

/** A clock both the client and the dataplane read, moved by the test. */
const manualClock = (start = Date.UTC(2026, 0, 5, 12)): { now: () => number; advance: (ms: number) => void } => {
  let t = start
  return { now: () => t, advance: ms => { t += ms } }
}

const grants = (dp: LocalDataplane): string[] => dp.tokenRequests.map(r => `${r.grantType}:${r.status}${r.error === undefined ? '' : `:${r.error}`}`)

/** A memory store whose latest state the test can read (to play the thief). */
const observedStore = (): { store: TokenStore; last: () => StoredTokenState | undefined } => {
  const inner = createMemoryTokenStore()
  let last: StoredTokenState | undefined
  return {
    last: () => last,
    store: {
      get: () => inner.get(),
      set: async state => { last = { ...state }; await inner.set(state) },
      lock: async lease => await inner.lock!(lease),
    },
  }
}

test('50 concurrent getAccessToken() at start make one token request and share its token', async () => {
  const clock = manualClock()
  const dp = await startLocalDataplane({ now: clock.now })
  try {
    const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl, now: clock.now })
    const results = await Promise.all(Array.from({ length: 50 }, async () => await client.getAccessToken()))
    assert.deepEqual(grants(dp), ['client_credentials:200'])
    assert.equal(new Set(results.map(r => r.token)).size, 1)
    const [first] = results
    assert.equal(first!.expiresAt, clock.now() + 900_000, 'expiresAt is epoch ms, 900 s out')
    assert.equal(first!.claims.tenantId, dp.app.tenantId)
    assert.equal(first!.claims.appId, dp.app.appId)
    assert.deepEqual(first!.claims.scopes, ['WireSocket.API', 'offline_access'])
    assert.equal(typeof first!.claims.limits?.maxConnections, 'number')
    // Later callers are served from the cache.
    await client.getAccessToken()
    assert.equal(dp.tokenRequests.length, 1)
  } finally {
    await dp.close()
  }
})

test('the 900 s access expiry: cached until refreshMargin before it, then 50 concurrent callers share one refresh', async () => {
  const clock = manualClock()
  const dp = await startLocalDataplane({ now: clock.now })
  try {
    const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl, now: clock.now, refreshMargin: 60_000 })
    const first = await client.getAccessToken()
    clock.advance(900_000 - 60_000 - 1)
    assert.equal((await client.getAccessToken()).token, first.token, 'still outside the margin: cached')
    assert.equal(dp.tokenRequests.length, 1)
    clock.advance(2)
    const results = await Promise.all(Array.from({ length: 50 }, async () => await client.getAccessToken()))
    assert.deepEqual(grants(dp), ['client_credentials:200', 'refresh_token:200'], 'one refresh, no invalid_grant')
    assert.equal(new Set(results.map(r => r.token)).size, 1)
    assert.notEqual(results[0]!.token, first.token)
    assert.equal(results[0]!.expiresAt, clock.now() + 900_000)
    // The rotated refresh token was stored: the next renewal uses it successfully.
    clock.advance(900_000)
    await client.getAccessToken()
    assert.deepEqual(grants(dp), ['client_credentials:200', 'refresh_token:200', 'refresh_token:200'])
  } finally {
    await dp.close()
  }
})

test('two clients sharing one store (two processes, one lock) refresh once between them', async () => {
  const clock = manualClock()
  const dp = await startLocalDataplane({ now: clock.now })
  try {
    const store = createMemoryTokenStore()
    const options = { clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl, now: clock.now, store }
    const a = createTokenClient(options)
    const b = createTokenClient(options)
    const [ta, tb] = await Promise.all([a.getAccessToken(), b.getAccessToken()])
    assert.equal(ta.token, tb.token, 'b found a\'s token in the store')
    clock.advance(900_000 - 30_000)
    const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => await (i % 2 === 0 ? a : b).getAccessToken()))
    assert.deepEqual(grants(dp), ['client_credentials:200', 'refresh_token:200'])
    assert.equal(new Set(results.map(r => r.token)).size, 1)
  } finally {
    await dp.close()
  }
})

test('a stolen refresh token: the service detects the reuse, the client recovers with client credentials once', async () => {
  const clock = manualClock()
  const dp = await startLocalDataplane({ now: clock.now })
  try {
    const { store, last } = observedStore()
    const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl, now: clock.now, store })
    await client.getAccessToken()
    const stolen = last()?.refreshToken
    assert.equal(typeof stolen, 'string')
    // The thief redeems it first; the service rotates it to the thief.
    const thief = await fetch(dp.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: stolen!, client_id: dp.app.clientId }),
    })
    assert.equal(thief.status, 200)
    const thiefSuccessor = (await thief.json() as { refresh_token: string }).refresh_token
    clock.advance(900_000)
    const recovered = await client.getAccessToken()
    assert.ok(recovered.expiresAt > clock.now())
    assert.deepEqual(grants(dp), [
      'client_credentials:200',
      'refresh_token:200', // the thief
      'refresh_token:400:invalid_grant', // our client presents the reused token: family revoked
      'client_credentials:200', // one fall-back with the secret
    ])
    assert.notEqual(last()?.refreshToken, stolen, 'the new family\'s token is stored')
    // The family was revoked: the thief's successor is dead too.
    const again = await fetch(dp.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: thiefSuccessor, client_id: dp.app.clientId }),
    })
    assert.equal(again.status, 400)
    // The new family works for the client.
    clock.advance(900_000)
    await client.getAccessToken()
    assert.equal(grants(dp).at(-1), 'refresh_token:200')
  } finally {
    await dp.close()
  }
})

test('the 7-day refresh expiry: refresh tokens are used up to it, never presented after it', async () => {
  const clock = manualClock()
  const dp = await startLocalDataplane({ now: clock.now })
  try {
    const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl, now: clock.now })
    await client.getAccessToken()
    // Rotation does not extend the family: six days of refreshes later, still refreshing.
    for (let day = 1; day <= 6; day++) {
      clock.advance(DAY)
      await client.getAccessToken()
    }
    assert.deepEqual(grants(dp), ['client_credentials:200', ...Array<string>(6).fill('refresh_token:200')])
    clock.advance(DAY)
    await client.getAccessToken()
    assert.deepEqual(grants(dp).slice(7), ['client_credentials:200'], 'past 7 days: straight to client credentials, no doomed refresh')
    assert.equal(dp.tokenRequests.some(r => r.error !== undefined), false)
  } finally {
    await dp.close()
  }
})

test('a refresh token the service expired earlier than 7 days: invalid_grant, then client credentials once', async () => {
  const clock = manualClock()
  const dp = await startLocalDataplane({ now: clock.now, refreshTokenTtl: 3600 })
  try {
    const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl, now: clock.now })
    await client.getAccessToken()
    clock.advance(2 * 3600_000)
    await client.getAccessToken()
    assert.deepEqual(grants(dp), ['client_credentials:200', 'refresh_token:400:invalid_grant', 'client_credentials:200'])
  } finally {
    await dp.close()
  }
})

test('a wrong secret: one 401, a typed error that never contains the secret; the client object hides it', async () => {
  const dp = await startLocalDataplane()
  try {
    const secret = 'wrong-secret-0123456789abcdef-SHOULD-NEVER-APPEAR'
    const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: secret, tokenUrl: dp.tokenUrl })
    const error = await client.getAccessToken().then(() => undefined, (e: unknown) => e)
    assert.ok(error instanceof WireSocketTokenError)
    assert.equal(error.code, 'invalid_client')
    assert.equal(error.status, 401)
    assert.equal(error.transient, false)
    assert.deepEqual(grants(dp), ['client_credentials:401:invalid_client'])
    for (const text of [error.message, String(error.stack), inspect(error, { depth: 5 }), JSON.stringify(error), inspect(client, { depth: 5, showHidden: true }), JSON.stringify(client)]) {
      assert.equal(text.includes(secret), false)
      assert.equal(text.includes(dp.app.clientSecret), false)
    }
  } finally {
    await dp.close()
  }
})

test('invalidate(): a token the dataplane rejected is not handed out again, even from the shared store', async () => {
  const clock = manualClock()
  const dp = await startLocalDataplane({ now: clock.now })
  try {
    const store = createMemoryTokenStore()
    const a = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl, now: clock.now, store })
    const first = await a.getAccessToken()
    a.invalidate(first.token)
    const second = await a.getAccessToken()
    assert.notEqual(second.token, first.token)
    assert.deepEqual(grants(dp), ['client_credentials:200', 'refresh_token:200'])
  } finally {
    await dp.close()
  }
})

test('short tokens: the default 60 s margin is capped at a quarter of the lifetime, so 60 s tokens are reused', async () => {
  const dp = await startLocalDataplane({ accessTokenTtl: 60 })
  try {
    const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl })
    const first = await client.getAccessToken()
    const second = await client.getAccessToken()
    assert.equal(second.token, first.token)
    assert.equal(dp.tokenRequests.length, 1)
  } finally {
    await dp.close()
  }
})
