// Handshake authentication: each token transport, every token defect with its exact close code and
// reason, Origin checks, document names, and the 4002 close of live sockets at expiry.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, createPublicKey } from 'node:crypto'
import { decodeProtectedHeader } from 'jose'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { accepted, closeOf, closeQuietly, getJson, nextClose, open, opened } from '../support/local-client.ts'

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const payloadOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>

const rejectedWith = async (dp: LocalDataplane, token: string, code: number, reason: string, path = '/doc'): Promise<void> => {
  const close = await closeOf(`${dp.regions[0]!.url}${path}`, { protocols: ['access_token', token] })
  assert.deepEqual(close, { code, reason })
}

test('each token transport is accepted and recorded; the JWT is never echoed', async () => {
  const dp = await startLocalDataplane()
  try {
    const token = await dp.mintToken()
    const base = `${dp.regions[0]!.url}/transports`
    const sub = await accepted(base, token)
    assert.equal(sub.protocol, 'access_token')
    const bearer = await accepted(base, token, { protocols: ['Bearer', token] })
    assert.equal(bearer.protocol, 'Bearer')
    const query = open(`${base}?token=${token}`)
    await opened(query)
    assert.equal(query.protocol, '')
    const legacyQuery = open(`${base}?access_token=${token}`)
    await opened(legacyQuery)
    const header = open(base, { headers: { Authorization: `Bearer ${token}` } })
    await opened(header)
    await closeQuietly(sub, bearer, query, legacyQuery, header)
    assert.deepEqual(dp.handshakes.map(h => [h.transport, h.protocolHeader, h.outcome]), [
      ['subprotocol', true, 'accepted'],
      ['subprotocol', true, 'accepted'],
      ['query', false, 'accepted'],
      ['query', false, 'accepted'],
      ['header', false, 'accepted'],
    ])
    // The subprotocol transport keeps the token out of the URL; the query transport cannot, so the
    // record redacts it (issue 10.12), keeping only the JWT's header segment.
    assert.equal(dp.handshakes[0]!.url, '/transports')
    assert.equal(dp.handshakes[2]!.url, `/transports?token=${token.split('.')[0]!}.[redacted]`)
    assert.equal(dp.handshakes[3]!.url, `/transports?access_token=${token.split('.')[0]!}.[redacted]`)
    assert.equal(dp.handshakes.some(h => h.url.includes(token.split('.')[1]!)), false)
  } finally {
    await dp.close()
  }
})

test('4001 Missing token', async () => {
  const dp = await startLocalDataplane()
  try {
    assert.deepEqual(await closeOf(`${dp.regions[0]!.url}/doc`), { code: 4001, reason: 'Missing token' })
    assert.deepEqual(await closeOf(`${dp.regions[0]!.url}/doc?token=`), { code: 4001, reason: 'Missing token' })
    assert.deepEqual(dp.handshakes[0]!.outcome, { code: 4001, reason: 'Missing token' })
    assert.equal(dp.handshakes[0]!.transport, 'none')
  } finally {
    await dp.close()
  }
})

test('4002 Invalid token for every signature and claim defect', async () => {
  const dp = await startLocalDataplane()
  try {
    const good = await dp.mintToken()
    const [header, , signature] = good.split('.')
    const otherTenant = dp.addApp()
    const jwk = ((await getJson(dp.jwksUrl())).body.keys as Array<Record<string, string>>)[0]!
    const publicPem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
    const hsSigningInput = `${b64({ alg: 'HS256', typ: 'JWT', kid: decodeProtectedHeader(good).kid })}.${b64(payloadOf(good))}`
    const hsToken = `${hsSigningInput}.${createHmac('sha256', publicPem).update(hsSigningInput).digest('base64url')}`
    const defects: Record<string, string> = {
      'foreign key': await dp.mintToken({ signWith: 'foreign' }),
      'alg none': await dp.mintToken({ signWith: 'none' }),
      'HS256 signed with the public key': hsToken,
      'tampered payload': `${header}.${b64({ ...payloadOf(good), limits: { maxConnections: 1e9 } })}.${signature}`,
      'stripped signature': `${header}.${good.split('.')[1]}.`,
      'wrong aud': await dp.mintToken({ claims: { aud: 'Other.API' } }),
      'no aud': await dp.mintToken({ claims: { aud: null } }),
      'aud naming another audience too': await dp.mintToken({ claims: { aud: ['Other.API', 'WireSocket.API'] } }),
      'scope without WireSocket.API': await dp.mintToken({ claims: { scope: 'offline_access' } }),
      'no scope at all': await dp.mintToken({ claims: { scope: null } }),
      'nbf in the future': await dp.mintToken({ claims: { nbf: Math.floor(Date.now() / 1000) + 300 } }),
      'no exp': await dp.mintToken({ claims: { exp: null } }),
      'unknown tenant': await dp.mintToken({ claims: { tenantid: 'no-such-tenant' } }),
      'signed by another tenant, claiming ours': await dp.mintToken({ app: otherTenant, claims: { tenantid: dp.app.tenantId } }),
      'unknown app': await dp.mintToken({ claims: { appId: 'no-such-app' } }),
      'not a JWT': 'not-a-jwt',
      'three garbage segments': 'aaa.bbb.ccc',
      'JSON array payload': `${header}.${b64([1, 2])}.${signature}`,
    }
    for (const [defect, token] of Object.entries(defects)) {
      const close = await closeOf(`${dp.regions[0]!.url}/doc`, { protocols: ['access_token', token] })
      assert.deepEqual(close, { code: 4002, reason: 'Invalid token' }, defect)
    }
    // Same defects through the query and header transports.
    assert.deepEqual(await closeOf(`${dp.regions[0]!.url}/doc?token=${defects['foreign key']!}`), { code: 4002, reason: 'Invalid token' })
    assert.deepEqual(await closeOf(`${dp.regions[0]!.url}/doc`, { headers: { Authorization: `Bearer ${defects['alg none']!}` } }), { code: 4002, reason: 'Invalid token' })
    // What is accepted: `scp` instead of `scope`, a legacy string `limits`, and another tenant's own token.
    const variants = [
      await dp.mintToken({ claims: { scope: null, scp: 'WireSocket.API' } }),
      await dp.mintToken({ claims: { limits: JSON.stringify({ maxConnections: 5 }) } }),
      await dp.mintToken({ app: otherTenant }),
    ]
    for (const token of variants) await closeQuietly(await accepted(`${dp.regions[0]!.url}/doc`, token))
  } finally {
    await dp.close()
  }
})

test('4002 Token expired: past exp, and tokens expired by expireTokens()', async () => {
  const dp = await startLocalDataplane()
  try {
    await rejectedWith(dp, await dp.mintToken({ ttl: -1 }), 4002, 'Token expired')
    const token = await dp.mintToken()
    const live = await accepted(`${dp.regions[0]!.url}/doc`, token)
    const other = dp.addApp()
    const otherLive = await accepted(`${dp.regions[0]!.url}/doc`, await dp.mintToken({ app: other }))
    const closed = nextClose(live)
    dp.expireTokens(dp.app)
    assert.deepEqual(await closed, { code: 4002, reason: 'Token expired' })
    await rejectedWith(dp, token, 4002, 'Token expired')
    assert.equal(otherLive.readyState, otherLive.OPEN, 'expireTokens(app) leaves other apps alone')
    // Tokens minted afterwards work.
    await closeQuietly(await accepted(`${dp.regions[0]!.url}/doc`, await dp.mintToken()), otherLive)
  } finally {
    await dp.close()
  }
})

test('a live socket is closed 4002 Token expired at its exp; not with closeOnExpiry: false', async () => {
  const dp = await startLocalDataplane()
  const keep = await startLocalDataplane({ closeOnExpiry: false })
  try {
    // ttl 2 s: exp is whole seconds, so 1–2 s remain. The kept token is minted first: it expires no later.
    const keptToken = await keep.mintToken({ ttl: 2 })
    const token = await dp.mintToken({ ttl: 2 })
    const exp = (payloadOf(token).exp as number) * 1000
    const ws = await accepted(`${dp.regions[0]!.url}/doc`, token)
    const kept = await accepted(`${keep.regions[0]!.url}/doc`, keptToken)
    assert.deepEqual(await nextClose(ws), { code: 4002, reason: 'Token expired' })
    assert.ok(Math.abs(Date.now() - exp) < 300, 'closed at exp')
    // Past the exp the other server still holds the socket open; a ping round trip proves it.
    await new Promise<void>(resolve => kept.once('pong', () => resolve()).ping())
    assert.equal(kept.readyState, kept.OPEN)
    assert.equal(keep.stats().connections, 1)
    await closeQuietly(kept)
  } finally {
    await Promise.all([dp.close(), keep.close()])
  }
})

test('4003 Origin not allowed; matching, absent or unrestricted origins pass', async () => {
  const dp = await startLocalDataplane({ allowedDomains: ['app.example.com', 'localhost:5173'] })
  try {
    const token = await dp.mintToken()
    const url = `${dp.regions[0]!.url}/doc`
    assert.deepEqual(await closeOf(url, { protocols: ['access_token', token], origin: 'https://evil.example.com' }), { code: 4003, reason: 'Origin not allowed' })
    assert.deepEqual(await closeOf(url, { protocols: ['access_token', token], origin: 'http://localhost:5174' }), { code: 4003, reason: 'Origin not allowed' })
    assert.deepEqual(await closeOf(url, { protocols: ['access_token', token], origin: 'null' }), { code: 4003, reason: 'Origin not allowed' })
    const ok = [
      await accepted(url, token, { origin: 'https://app.example.com' }),
      await accepted(url, token, { origin: 'http://localhost:5173' }),
      await accepted(url, token),
      await accepted(url, await dp.mintToken({ claims: { allowed_domain_1: null, allowed_domain_2: null } }), { origin: 'https://anything.test' }),
    ]
    await closeQuietly(...ok)
  } finally {
    await dp.close()
  }
})

test('4007 Invalid document name', async () => {
  const dp = await startLocalDataplane()
  try {
    const token = await dp.mintToken()
    for (const path of ['/a.b', '/a/b', `/${'x'.repeat(256)}`, '/%20', '/caf%C3%A9']) {
      await rejectedWith(dp, token, 4007, 'Invalid document name', path)
    }
    await closeQuietly(await accepted(`${dp.regions[0]!.url}/${'x'.repeat(255)}`, token), await accepted(`${dp.regions[0]!.url}/A-z_09`, token))
  } finally {
    await dp.close()
  }
})

test('authenticate: false is a plain y-websocket server that ignores tokens', async () => {
  const dp = await startLocalDataplane({ authenticate: false })
  try {
    const ws = open(`${dp.regions[0]!.url}/plain`)
    await opened(ws)
    const junk = await accepted(`${dp.regions[0]!.url}/plain`, 'not-a-token')
    assert.equal(dp.stats().connections, 2)
    await closeQuietly(ws, junk)
  } finally {
    await dp.close()
  }
})
