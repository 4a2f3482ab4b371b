/**
 * Security of the local dataplane, from the attacker's side (issue 6): forged, tampered, mis-addressed
 * and foreign tokens, a wrong Origin and a replayed refresh token, each through the real servers with
 * raw `ws` clients and fetch; and tenant isolation for one document name, raw and through providers.
 * Every rejection must be an accepted upgrade closed with the contract's code and reason, with not one
 * byte of the document sent first.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import WebSocket from 'ws'
import { SignJWT, decodeProtectedHeader, type JWK } from 'jose'
import { startLocalDataplane, type LocalApp, type LocalDataplane } from '../../src/local/index.ts'
import { client, converge, destroyAll, synced } from './support/provider-harness.ts'
import { destroyHocus, hocusDoc, hocusSocket, hocusUntil, rawHocusAuth } from './support/hocuspocus-clients.ts'

let dp: LocalDataplane
/** an app of a second tenant (its own RSA key) */
let otherTenant: LocalApp
/** an app whose tokens allow only the Origin host app.example.com */
let guarded: LocalApp
before(async () => {
  dp = await startLocalDataplane()
  otherTenant = dp.addApp()
  guarded = dp.addApp({ allowedDomains: ['app.example.com'] })
})
after(async () => { await dp.close() })

interface Outcome { code: number; reason: string; messages: number }

/** Open a raw socket the way an attacker would; resolve with how it ended and how many frames arrived first. */
const attempt = (token: string | undefined, options: { doc?: string; origin?: string; region?: number } = {}): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const { doc = 'shared-name', origin, region = 0 } = options
    const ws = new WebSocket(`${dp.regions[region]!.url}/${doc}`, token === undefined ? [] : ['access_token', token], origin === undefined ? {} : { origin })
    let messages = 0
    ws.on('message', () => {
      messages++
      // a frame means the handshake was accepted: that is an outcome too, report it and leave
      ws.close(1000)
    })
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), messages }))
    ws.on('error', reject)
  })

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const parts = (jwt: string): [Record<string, unknown>, Record<string, unknown>, string] => {
  const [h, p, s] = jwt.split('.') as [string, string, string]
  return [JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>, JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>, s]
}

/** The classic key-confusion forgery: HMAC-SHA256 keyed with the tenant's published RSA public key (PEM). */
const hs256WithPublicKey = async (): Promise<string> => {
  const genuine = await dp.mintToken()
  const { kid } = decodeProtectedHeader(genuine)
  const jwks = await (await fetch(dp.jwksUrl())).json() as { keys: JWK[] }
  const jwk = jwks.keys.find(k => k.kid === kid) ?? jwks.keys[0]!
  const pem = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' })
  const [, payload] = parts(genuine)
  return await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid }).sign(new TextEncoder().encode(String(pem)))
}

const tamper = async (change: (payload: Record<string, unknown>) => void): Promise<string> => {
  const [header, payload, signature] = parts(await dp.mintToken())
  change(payload)
  return `${b64(header)}.${b64(payload)}.${signature}`
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)
const cases: Array<[string, () => Promise<string | undefined>, number, string, { origin?: string }?]> = [
  ['no token at all', async () => undefined, 4001, 'Missing token'],
  ['alg: none', async () => await dp.mintToken({ signWith: 'none' }), 4002, 'Invalid token'],
  ['HS256 signed with the public key', hs256WithPublicKey, 4002, 'Invalid token'],
  ['a tampered payload (raised limits)', () => tamper(p => { p.limits = { maxConnections: 1e9, maxDocuments: 1e9, maxUsersPerDoc: 1e9, opsPerMinute: 1e9 } }), 4002, 'Invalid token'],
  ['a tampered payload (pushed exp)', () => tamper(p => { p.exp = nowSeconds() + 86_400 * 365 }), 4002, 'Invalid token'],
  ['a stripped signature', async () => { const [h, p] = (await dp.mintToken()).split('.'); return `${h!}.${p!}.` }, 4002, 'Invalid token'],
  ['the wrong audience', async () => await dp.mintToken({ claims: { aud: 'WireSocket.Admin' } }), 4002, 'Invalid token'],
  ['an audience array without WireSocket.API', async () => await dp.mintToken({ claims: { aud: ['Other', 'WireSocket.APIx'] } }), 4002, 'Invalid token'],
  ['no scope', async () => await dp.mintToken({ claims: { scope: null, scp: null } }), 4002, 'Invalid token'],
  ['a scope without WireSocket.API', async () => await dp.mintToken({ claims: { scope: 'openid WireSocket.APIx' } }), 4002, 'Invalid token'],
  ['nbf an hour ahead', async () => await dp.mintToken({ claims: { nbf: nowSeconds() + 3600 } }), 4002, 'Invalid token'],
  ['a key the tenant never had', async () => await dp.mintToken({ signWith: 'foreign' }), 4002, 'Invalid token'],
  ['another tenant\'s token claiming this tenant', async () => await dp.mintToken({ app: otherTenant, claims: { tenantid: dp.app.tenantId } }), 4002, 'Invalid token'],
  ['an unknown app id', async () => await dp.mintToken({ claims: { appId: 'no-such-app' } }), 4002, 'Invalid token'],
  ['an expired token', async () => await dp.mintToken({ ttl: -5 }), 4002, 'Token expired'],
  ['a mismatched Origin', async () => await dp.mintToken({ app: guarded }), 4003, 'Origin not allowed', { origin: 'https://evil.example.com' }],
  ['an Origin that only ends with the allowed host', async () => await dp.mintToken({ app: guarded }), 4003, 'Origin not allowed', { origin: 'https://notapp.example.com' }],
]

for (const [what, token, code, reason, options] of cases) {
  test(`handshake with ${what}: closed ${code} "${reason}" before any document byte`, async () => {
    const outcome = await attempt(await token(), { origin: options?.origin })
    assert.deepEqual(outcome, { code, reason, messages: 0 })
  })
}

test('control: a genuine token, and the guarded app from its allowed Origin, are accepted', async () => {
  assert.equal((await attempt(await dp.mintToken())).messages, 1)
  assert.equal((await attempt(await dp.mintToken({ app: guarded }), { origin: 'https://app.example.com' })).messages, 1)
})

test('the token is never echoed: the server selects the bare "access_token" subprotocol', async () => {
  const token = await dp.mintToken()
  const ws = new WebSocket(`${dp.regions[0]!.url}/echo-check`, ['access_token', token])
  await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  assert.equal(ws.protocol, 'access_token')
  const closed = new Promise<void>(resolve => ws.once('close', () => resolve()))
  ws.close()
  await closed
})

// ---- the control plane -----------------------------------------------------------------------------

const post = async (body: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> => {
  const reply = await fetch(dp.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) })
  return { status: reply.status, body: await reply.json() as Record<string, unknown> }
}

test('a wrong client secret: 401 invalid_client, no token', async () => {
  const reply = await post({ grant_type: 'client_credentials', client_id: dp.app.clientId, client_secret: `${dp.app.clientSecret}x`, scope: 'WireSocket.API' })
  assert.equal(reply.status, 401)
  assert.equal(reply.body.error, 'invalid_client')
  assert.equal(reply.body.access_token, undefined)
})

test('a replayed refresh token: 400 invalid_grant, and the family (its successor too) is revoked', async () => {
  const login = await post({ grant_type: 'client_credentials', client_id: dp.app.clientId, client_secret: dp.app.clientSecret, scope: 'WireSocket.API offline_access' })
  const first = login.body.refresh_token as string
  const rotated = await post({ grant_type: 'refresh_token', refresh_token: first, client_id: dp.app.clientId })
  assert.equal(rotated.status, 200)
  const successor = rotated.body.refresh_token as string
  const replay = await post({ grant_type: 'refresh_token', refresh_token: first, client_id: dp.app.clientId })
  assert.deepEqual([replay.status, replay.body.error, replay.body.access_token], [400, 'invalid_grant', undefined])
  const afterReplay = await post({ grant_type: 'refresh_token', refresh_token: successor, client_id: dp.app.clientId })
  assert.deepEqual([afterReplay.status, afterReplay.body.error], [400, 'invalid_grant'])
})

test('another client presenting my refresh token: 400 invalid_grant', async () => {
  const login = await post({ grant_type: 'client_credentials', client_id: dp.app.clientId, client_secret: dp.app.clientSecret, scope: 'WireSocket.API offline_access' })
  const stolen = await post({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token as string, client_id: otherTenant.clientId })
  assert.deepEqual([stolen.status, stolen.body.error], [400, 'invalid_grant'])
})

// ---- isolation -------------------------------------------------------------------------------------

test('two tenants (and two apps of one tenant) on the same document name never see each other\'s data', async () => {
  const sameTenantOtherApp = dp.addApp({ tenantId: dp.app.tenantId })
  const apps: LocalApp[] = [dp.app, otherTenant, sameTenantOtherApp]
  const groups = apps.map(app => [client(dp, 'same-name', { app }), client(dp, 'same-name', { app, region: 0 })])
  try {
    await Promise.all(groups.flat().map(c => synced(c.provider)))
    groups.forEach((group, i) => group[0]!.doc.getText('text').insert(0, `secret-${i}`))
    await Promise.all(groups.map((group, i) => converge(group.map(c => c.doc), t => t === `secret-${i}`)))
    // a fresh raw reader per app sees only its own app's state
    groups.forEach((group, i) => {
      for (const c of group) assert.equal(c.doc.getText('text').toString(), `secret-${i}`)
      assert.equal(dp.getDocument('same-name', apps[i])?.getText('text').toString(), `secret-${i}`)
    })
  } finally {
    destroyAll(groups.flat())
  }
})

// ---- the same attacks in the Hocuspocus framing (contract §6) -------------------------------------
// The token comes in the document's Auth frame on the region URL; a refusal is that document's
// PermissionDenied carrying the §3 code and reason, with not one byte of the document sent first. The
// origin stays a property of the socket: a mismatch closes it 4003.

for (const [what, token, code, reason, options] of cases) {
  test(`Hocuspocus Auth with ${what}: ${options?.origin === undefined ? `PermissionDenied "${code} ${reason}"` : `socket closed ${code}`} before any document byte`, async () => {
    const outcome = await rawHocusAuth(dp.regions[0]!.url, 'shared-name', (await token()) ?? '', { origin: options?.origin })
    const answer = options?.origin === undefined ? `permission-denied ${code} ${reason}` : `socket-closed ${code} ${reason}`
    assert.deepEqual(outcome, { answer, documentFrames: 0 })
  })
}

test('Hocuspocus control: a genuine token, and the guarded app from its allowed Origin, are authenticated', async () => {
  assert.equal((await rawHocusAuth(dp.regions[0]!.url, 'shared-name', await dp.mintToken())).answer, 'authenticated')
  assert.equal((await rawHocusAuth(dp.regions[0]!.url, 'shared-name', await dp.mintToken({ app: guarded }), { origin: 'https://app.example.com' })).answer, 'authenticated')
})

test('Hocuspocus: two tenants on one document name never see each other\'s data', async () => {
  const a = hocusSocket(dp.regions[0]!.url)
  const b = hocusSocket(dp.regions[0]!.url)
  const mine = hocusDoc(a, 'same-name-hocus', await dp.mintToken())
  const theirs = hocusDoc(b, 'same-name-hocus', await dp.mintToken({ app: otherTenant }))
  try {
    await hocusUntil(mine, () => mine.provider.isSynced, 'mine synced')
    await hocusUntil(theirs, () => theirs.provider.isSynced, 'theirs synced')
    mine.doc.getText('text').insert(0, 'secret-mine')
    theirs.doc.getText('text').insert(0, 'secret-theirs')
    await eventuallyText(() => dp.getDocument('same-name-hocus')?.getText('text').toString(), 'secret-mine')
    await eventuallyText(() => dp.getDocument('same-name-hocus', otherTenant)?.getText('text').toString(), 'secret-theirs')
    assert.equal(mine.doc.getText('text').toString(), 'secret-mine')
    assert.equal(theirs.doc.getText('text').toString(), 'secret-theirs')
  } finally {
    destroyHocus(a, mine)
    destroyHocus(b, theirs)
  }
})

const eventuallyText = async (read: () => string | undefined, expected: string): Promise<void> => {
  const deadline = Date.now() + 5000
  while (read() !== expected) {
    if (Date.now() > deadline) throw new Error(`server text never became ${expected}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}
