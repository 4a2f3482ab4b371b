// The local control plane: /connect/token (client credentials, rotating refresh tokens, RFC 6749
// errors), access-token claims (contract §2), JWKS with key rotation and its rate limit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { startLocalDataplane } from '../../src/local/index.ts'
import { accepted, closeOf, closeQuietly, getJson, postForm } from '../support/local-client.ts'

const credentials = (app: { clientId: string; clientSecret: string }, scope = 'WireSocket.API offline_access'): Record<string, string> =>
  ({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, scope })

test('client credentials: reply shape and every contract claim', async () => {
  const dp = await startLocalDataplane({ allowedDomains: ['app.example.com', 'localhost:5173'], limits: { maxConnections: 7, maxDocuments: 3, maxUsersPerDoc: 4, opsPerMinute: 100 } })
  try {
    const reply = await postForm(dp.tokenUrl, credentials(dp.app))
    assert.equal(reply.status, 200)
    assert.equal(reply.headers.get('cache-control'), 'no-store')
    assert.deepEqual(Object.keys(reply.body).sort(), ['access_token', 'expires_in', 'refresh_token', 'token_type'])
    assert.equal(reply.body.token_type, 'Bearer')
    assert.equal(reply.body.expires_in, 900)
    const token = reply.body.access_token as string
    const header = decodeProtectedHeader(token)
    assert.equal(header.alg, 'RS256')
    assert.equal(typeof header.kid, 'string')
    const claims = decodeJwt(token)
    assert.equal(claims.iss, 'https://api.wiresocket.com')
    assert.equal(claims.sub, dp.app.clientId)
    assert.equal(claims.aud, 'WireSocket.API')
    assert.equal(claims.scope, 'WireSocket.API offline_access')
    assert.equal(claims.tenantid, dp.app.tenantId)
    assert.equal(claims.appId, dp.app.appId)
    assert.equal(claims.licenseRegionCode, 'aws-eu-central-1')
    assert.equal(typeof claims.dbCode, 'string')
    assert.equal(claims.allowed_domain_1, 'app.example.com')
    assert.equal(claims.allowed_domain_2, 'localhost:5173')
    assert.equal('allowed_domain_3' in claims, false, 'unset allowed domains are omitted')
    assert.deepEqual(claims.limits, { maxConnections: 7, maxDocuments: 3, maxUsersPerDoc: 4, opsPerMinute: 100 })
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 900)
    assert.equal(typeof claims.jti, 'string')
    assert.deepEqual(dp.tokenRequests, [{ grantType: 'client_credentials', clientId: dp.app.clientId, status: 200 }])
  } finally {
    await dp.close()
  }
})

test('no refresh token without offline_access; accessTokenTtl sets expires_in', async () => {
  const dp = await startLocalDataplane({ accessTokenTtl: 60 })
  try {
    const reply = await postForm(dp.tokenUrl, credentials(dp.app, 'WireSocket.API'))
    assert.equal(reply.status, 200)
    assert.equal(reply.body.refresh_token, undefined)
    assert.equal(reply.body.expires_in, 60)
    const claims = decodeJwt(reply.body.access_token as string)
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 60)
  } finally {
    await dp.close()
  }
})

test('OAuth errors: RFC 6749 bodies and statuses', async () => {
  const dp = await startLocalDataplane()
  try {
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ ...credentials(dp.app), client_secret: 'wrong' }, 401, 'invalid_client'],
      [{ ...credentials(dp.app), client_id: 'nobody' }, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_id: dp.app.clientId, scope: 'WireSocket.API' }, 400, 'invalid_request'],
      [credentials(dp.app, 'offline_access'), 400, 'invalid_scope'],
      [credentials(dp.app, 'WireSocket.API admin'), 400, 'invalid_scope'],
      [{ ...credentials(dp.app), grant_type: 'password' }, 400, 'unsupported_grant_type'],
      [{ client_id: dp.app.clientId }, 400, 'invalid_request'],
      [{ grant_type: 'refresh_token', client_id: dp.app.clientId }, 400, 'invalid_request'],
      [{ grant_type: 'refresh_token', client_id: dp.app.clientId, refresh_token: 'made-up' }, 400, 'invalid_grant'],
    ]
    for (const [fields, status, error] of cases) {
      const reply = await postForm(dp.tokenUrl, fields)
      assert.equal(reply.status, status, JSON.stringify(fields))
      assert.equal(reply.body.error, error)
      assert.equal(typeof reply.body.error_description, 'string')
      assert.equal(JSON.stringify(reply.body).includes(dp.app.clientSecret), false)
    }
    const json = await fetch(dp.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials(dp.app)) })
    assert.equal(json.status, 400)
    assert.equal((await json.json() as { error: string }).error, 'invalid_request')
    const get = await fetch(dp.tokenUrl)
    assert.equal(get.status, 405)
    await get.body?.cancel()
    assert.deepEqual(dp.tokenRequests.map(r => r.status), [401, 401, 400, 400, 400, 400, 400, 400, 400, 400])
    assert.equal(dp.tokenRequests[0]!.error, 'invalid_client')
  } finally {
    await dp.close()
  }
})

test('HTTP Basic client authentication is accepted', async () => {
  const dp = await startLocalDataplane()
  try {
    const basic = Buffer.from(`${dp.app.clientId}:${dp.app.clientSecret}`).toString('base64')
    const reply = await postForm(dp.tokenUrl, { grant_type: 'client_credentials', scope: 'WireSocket.API' }, { authorization: `Basic ${basic}` })
    assert.equal(reply.status, 200)
  } finally {
    await dp.close()
  }
})

test('refresh tokens rotate; reuse of a used one revokes the whole family', async () => {
  const dp = await startLocalDataplane()
  try {
    const first = await postForm(dp.tokenUrl, credentials(dp.app))
    const r1 = first.body.refresh_token as string
    const second = await postForm(dp.tokenUrl, { grant_type: 'refresh_token', refresh_token: r1, client_id: dp.app.clientId })
    assert.equal(second.status, 200)
    const r2 = second.body.refresh_token as string
    assert.notEqual(r2, r1)
    assert.equal(second.body.token_type, 'Bearer')
    assert.equal(second.body.expires_in, 900)
    assert.equal(decodeJwt(second.body.access_token as string).scope, 'WireSocket.API offline_access')

    // Another client cannot redeem it.
    const other = dp.addApp({ tenantId: dp.app.tenantId })
    const stolen = await postForm(dp.tokenUrl, { grant_type: 'refresh_token', refresh_token: r2, client_id: other.clientId })
    assert.equal(stolen.body.error, 'invalid_grant')

    // r1 is dead; presenting it again is theft: r2 dies with it.
    const replay = await postForm(dp.tokenUrl, { grant_type: 'refresh_token', refresh_token: r1, client_id: dp.app.clientId })
    assert.equal(replay.status, 400)
    assert.equal(replay.body.error, 'invalid_grant')
    const successor = await postForm(dp.tokenUrl, { grant_type: 'refresh_token', refresh_token: r2, client_id: dp.app.clientId })
    assert.equal(successor.status, 400)
    assert.equal(successor.body.error, 'invalid_grant')

    // A fresh login starts a new, working family.
    const again = await postForm(dp.tokenUrl, credentials(dp.app))
    const ok = await postForm(dp.tokenUrl, { grant_type: 'refresh_token', refresh_token: again.body.refresh_token as string, client_id: dp.app.clientId })
    assert.equal(ok.status, 200)
    assert.deepEqual(dp.tokenRequests.map(r => r.grantType), ['client_credentials', 'refresh_token', 'refresh_token', 'refresh_token', 'refresh_token', 'client_credentials', 'refresh_token'])
  } finally {
    await dp.close()
  }
})

test('refresh tokens expire after refreshTokenTtl (injected clock)', async () => {
  let clock = Date.now()
  const dp = await startLocalDataplane({ now: () => clock })
  try {
    const first = await postForm(dp.tokenUrl, credentials(dp.app))
    clock += 7 * 24 * 3600 * 1000 - 1000
    const stillOk = await postForm(dp.tokenUrl, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string, client_id: dp.app.clientId })
    assert.equal(stillOk.status, 200)
    // The access token follows the injected clock too.
    assert.equal(decodeJwt(stillOk.body.access_token as string).iat, Math.floor(clock / 1000))
    clock += 2000
    const expired = await postForm(dp.tokenUrl, { grant_type: 'refresh_token', refresh_token: stillOk.body.refresh_token as string, client_id: dp.app.clientId })
    assert.equal(expired.status, 400)
    assert.equal(expired.body.error, 'invalid_grant')
  } finally {
    await dp.close()
  }
})

test('JWKS verifies tokens; rotation serves active + retired and old tokens keep working', async () => {
  const dp = await startLocalDataplane()
  try {
    const before = await dp.mintToken()
    const jwks1 = await getJson(dp.jwksUrl())
    assert.equal(jwks1.status, 200)
    const keys1 = jwks1.body.keys as Array<Record<string, unknown>>
    assert.equal(keys1.length, 1)
    assert.deepEqual(Object.keys(keys1[0]!).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'])
    await jwtVerify(before, createLocalJWKSet({ keys: keys1 }), { audience: 'WireSocket.API', issuer: 'https://api.wiresocket.com' })

    await dp.rotateKeys()
    const after = await dp.mintToken()
    assert.notEqual(decodeProtectedHeader(after).kid, decodeProtectedHeader(before).kid)
    const keys2 = (await getJson(dp.jwksUrl(dp.app.tenantId))).body.keys as Array<Record<string, unknown>>
    assert.deepEqual(keys2.map(k => k.kid).sort(), [decodeProtectedHeader(before).kid, decodeProtectedHeader(after).kid].sort())
    const set = createLocalJWKSet({ keys: keys2 })
    await jwtVerify(before, set)
    await jwtVerify(after, set)

    // The dataplane accepts both; after a second rotation the oldest key is gone.
    const url = `${dp.regions[0]!.url}/rotated`
    const a = await accepted(url, before)
    const b = await accepted(url, after)
    await closeQuietly(a, b)
    await dp.rotateKeys()
    assert.deepEqual(await closeOf(url, { protocols: ['access_token', before] }), { code: 4002, reason: 'Invalid token' })
    const c = await accepted(url, after)
    await closeQuietly(c)

    const unknown = await getJson(dp.jwksUrl('no-such-tenant'))
    assert.equal(unknown.status, 404)
  } finally {
    await dp.close()
  }
})

test('JWKS: 20 requests per 10 minutes per IP, then 429 with Retry-After', async () => {
  let clock = Date.now()
  const dp = await startLocalDataplane({ now: () => clock })
  try {
    for (let i = 0; i < 20; i++) assert.equal((await getJson(dp.jwksUrl())).status, 200, `request ${i + 1}`)
    const limited = await getJson(dp.jwksUrl())
    assert.equal(limited.status, 429)
    const retryAfter = Number(limited.headers.get('retry-after'))
    assert.ok(retryAfter > 0 && retryAfter <= 600, `Retry-After ${retryAfter}`)
    clock += 10 * 60_000 + 1
    assert.equal((await getJson(dp.jwksUrl())).status, 200)
  } finally {
    await dp.close()
  }
})

test('mintToken: claims merge, null removes, negative ttl, other apps and tenants', async () => {
  const dp = await startLocalDataplane()
  try {
    const custom = decodeJwt(await dp.mintToken({ claims: { scope: null, scp: 'WireSocket.API', limits: '{"maxConnections":1}', extra: 'x' } }))
    assert.equal('scope' in custom, false)
    assert.equal(custom.scp, 'WireSocket.API')
    assert.equal(custom.limits, '{"maxConnections":1}')
    assert.equal(custom.extra, 'x')
    const expired = decodeJwt(await dp.mintToken({ ttl: -30 }))
    assert.ok((expired.exp ?? 0) < Date.now() / 1000)
    const sameTenant = dp.addApp({ tenantId: dp.app.tenantId, allowedDomains: ['a.test'] })
    const otherTenant = dp.addApp()
    assert.notEqual(otherTenant.tenantId, dp.app.tenantId)
    const t1 = await dp.mintToken({ app: sameTenant })
    const t2 = await dp.mintToken({ app: otherTenant })
    assert.equal(decodeJwt(t1).appId, sameTenant.appId)
    assert.equal(decodeJwt(t1).allowed_domain_1, 'a.test')
    assert.equal(decodeJwt(t2).tenantid, otherTenant.tenantId)
    // Each tenant has its own key: the other tenant's JWKS does not verify it.
    const foreignSet = createLocalJWKSet((await getJson(dp.jwksUrl(otherTenant.tenantId))).body as unknown as { keys: [] })
    await assert.rejects(jwtVerify(t1, foreignSet))
    await jwtVerify(t2, foreignSet)
  } finally {
    await dp.close()
  }
})
