// createTokenVerifier against the local dataplane's real JWKS: typed claims, every claim check, key
// rotation (active and retired keys, one refetch for a new kid after the cooldown), and the JWKS rate
// limit of 20 requests per 10 minutes never reached, even under a flood of unknown key ids.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { createTokenVerifier, WireSocketVerifyError, type FetchLike, type TokenVerifierOptions } from '../../src/server/index.ts'

/** Count the JWKS requests that really went out (and what came back). */
const countingFetch = (): { fetch: FetchLike; statuses: number[] } => {
  const statuses: number[] = []
  return {
    statuses,
    fetch: async (input, init) => {
      const res = await fetch(input, init)
      statuses.push(res.status)
      return res
    },
  }
}

const verifierFor = (dp: LocalDataplane, extra: Partial<TokenVerifierOptions> = {}): ReturnType<typeof createTokenVerifier> =>
  createTokenVerifier({ tenantId: dp.app.tenantId, jwksUrl: dp.jwksUrl(), ...extra })

const rejection = async (promise: Promise<unknown>): Promise<WireSocketVerifyError> => {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  assert.ok(error instanceof WireSocketVerifyError, `expected a WireSocketVerifyError, got ${String(error)}`)
  return error
}

test('a token from the real token service verifies to typed claims; limits as object or legacy string', async () => {
  const dp = await startLocalDataplane({ limits: { maxConnections: 7, maxDocuments: 3, maxUsersPerDoc: 4, opsPerMinute: 100 } })
  try {
    const { fetch: counted, statuses } = countingFetch()
    const verifier = verifierFor(dp, { fetch: counted })
    const res = await fetch(dp.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: dp.app.clientId, client_secret: dp.app.clientSecret, scope: 'WireSocket.API offline_access' }),
    })
    const { access_token: token } = await res.json() as { access_token: string }
    const claims = await verifier.verify(token)
    assert.equal(claims.tenantId, dp.app.tenantId)
    assert.equal(claims.appId, dp.app.appId)
    assert.equal(claims.sub, dp.app.clientId)
    assert.deepEqual(claims.limits, { maxConnections: 7, maxDocuments: 3, maxUsersPerDoc: 4, opsPerMinute: 100 })
    assert.ok(claims.scopes.includes('WireSocket.API'))
    const legacy = await verifier.verify(await dp.mintToken({ claims: { limits: JSON.stringify({ maxConnections: 9 }) } }))
    assert.deepEqual(legacy.limits, { maxConnections: 9 })
    // scp instead of scope, and a millisecond exp, are both read as the contract says.
    const scp = await verifier.verify(await dp.mintToken({ claims: { scope: null, scp: 'WireSocket.API' } }))
    assert.deepEqual(scp.scopes, ['WireSocket.API'])
    const msExp = Date.now() + 600_000
    assert.equal((await verifier.verify(await dp.mintToken({ claims: { exp: msExp } }))).exp, Math.floor(msExp / 1000))
    // A millisecond nbf is read the same way, as the dataplane reads it: now is valid, an hour ahead is not.
    const msNbf = Date.now()
    assert.equal((await verifier.verify(await dp.mintToken({ claims: { nbf: msNbf } }))).nbf, Math.floor(msNbf / 1000))
    const ahead = await rejection(verifier.verify(await dp.mintToken({ claims: { nbf: Date.now() + 3_600_000 } })))
    assert.equal(ahead.code, 'expired')
    assert.deepEqual(statuses, [200], 'one JWKS fetch served every verification')
  } finally {
    await dp.close()
  }
})

test('every defect is rejected with a typed error that never contains the token', async () => {
  const dp = await startLocalDataplane()
  try {
    const verifier = verifierFor(dp)
    const other = dp.addApp()
    const cases: Array<[string, Promise<string>, string]> = [
      ['foreign key', dp.mintToken({ signWith: 'foreign' }), 'invalid_signature'],
      ['alg none', dp.mintToken({ signWith: 'none' }), 'malformed'],
      ['expired', dp.mintToken({ ttl: -60 }), 'expired'],
      ['expired, ms exp', dp.mintToken({ claims: { exp: Date.now() - 60_000 } }), 'expired'],
      ['aud with an extra audience', dp.mintToken({ claims: { aud: ['WireSocket.API', 'other'] } }), 'invalid_claims'],
      ['wrong aud', dp.mintToken({ claims: { aud: 'Other.API' } }), 'invalid_claims'],
      ['scope without WireSocket.API', dp.mintToken({ claims: { scope: 'offline_access' } }), 'invalid_claims'],
      ['wrong issuer', dp.mintToken({ claims: { iss: 'https://evil.example' } }), 'invalid_claims'],
      ['another tenant', dp.mintToken({ app: other }), 'invalid_signature'],
      ['another tenant id claim', dp.mintToken({ claims: { tenantid: 'someone-else' } }), 'invalid_claims'],
    ]
    for (const [name, minted, code] of cases) {
      const token = await minted
      const error = await rejection(verifier.verify(token))
      assert.equal(error.code, code, name)
      assert.equal(error.message.includes(token), false)
      assert.equal(error.message.includes(token.split('.')[1]!), false)
    }
    assert.equal((await rejection(verifier.verify('not-a-jwt'))).code, 'malformed')
    assert.equal((await rejection(verifier.verify(''))).code, 'malformed')
  } finally {
    await dp.close()
  }
})

test('key rotation: old tokens keep verifying (retired key), a new kid refetches once, after the cooldown', async t => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() })
  const dp = await startLocalDataplane()
  try {
    const { fetch: counted, statuses } = countingFetch()
    const verifier = verifierFor(dp, { fetch: counted })
    const before = await dp.mintToken()
    await verifier.verify(before)
    assert.equal(statuses.length, 1)
    await dp.rotateKeys()
    const after = await dp.mintToken()
    // Within jose's cooldown (60 s by default) an unknown kid does not cost a JWKS request.
    t.mock.timers.tick(10_000)
    assert.equal((await rejection(verifier.verify(after))).code, 'invalid_signature')
    assert.equal(statuses.length, 1)
    t.mock.timers.tick(51_000)
    const claims = await verifier.verify(after)
    assert.equal(claims.tenantId, dp.app.tenantId)
    assert.equal(statuses.length, 2, 'one refetch for the new key')
    await verifier.verify(before)
    await verifier.verify(await dp.mintToken())
    assert.deepEqual(statuses, [200, 200], 'the retired and the active key both verify from the cache')
  } finally {
    await dp.close()
  }
})

test('the JWKS rate limit is never reached: a flood of unknown key ids costs at most 10 fetches per 10 minutes', async () => {
  const dp = await startLocalDataplane()
  try {
    const { fetch: counted, statuses } = countingFetch()
    // No cooldown at all: only the verifier's own fetch budget stands between the flood and the limit.
    const verifier = verifierFor(dp, { fetch: counted, jwksCooldown: 0 })
    const good = await dp.mintToken()
    const forged = await Promise.all(Array.from({ length: 60 }, async () => await dp.mintToken({ signWith: 'foreign' })))
    const outcomes: string[] = []
    for (let i = 0; i < 60; i++) {
      outcomes.push(await verifier.verify(forged[i]!).then(() => 'ok', (e: unknown) => (e instanceof WireSocketVerifyError ? e.code : 'other')))
      outcomes.push(await verifier.verify(good).then(() => 'ok', (e: unknown) => (e instanceof WireSocketVerifyError ? e.code : 'other')))
    }
    assert.ok(statuses.length <= 10, `${statuses.length} JWKS requests`)
    assert.equal(statuses.includes(429), false, 'the service never had to say 429')
    assert.ok(outcomes.filter((_, i) => i % 2 === 1).every(o => o === 'ok'), 'the real token kept verifying throughout')
    assert.ok(outcomes.filter((_, i) => i % 2 === 0).every(o => o === 'invalid_signature' || o === 'jwks_unavailable'))
    // The service still has budget left for this IP.
    assert.equal((await fetch(dp.jwksUrl())).status, 200)
  } finally {
    await dp.close()
  }
})

test('when the service already answers 429, the verifier waits out Retry-After instead of retrying', async () => {
  const dp = await startLocalDataplane()
  try {
    for (let i = 0; i < 20; i++) await (await fetch(dp.jwksUrl())).arrayBuffer() // someone else used the budget
    const { fetch: counted, statuses } = countingFetch()
    const verifier = verifierFor(dp, { fetch: counted })
    const token = await dp.mintToken()
    const errors = await Promise.all(Array.from({ length: 20 }, async () => await rejection(verifier.verify(token))))
    for (let i = 0; i < 20; i++) errors.push(await rejection(verifier.verify(token)))
    assert.deepEqual(statuses, [429], 'one request, then held')
    assert.ok(errors.every(e => e.code === 'jwks_unavailable'))
    const held = errors.at(-1)!
    assert.ok(held.retryAfter !== undefined && held.retryAfter > 0 && held.retryAfter <= 600)
  } finally {
    await dp.close()
  }
})
