// `wiresocket-local doctor` (issue 17) against real servers on loopback: the local dataplane (every
// step passes; a wrong secret, a foreign origin, a dataplane that checks no tokens, a document pinned
// to another region, and the expiry watch each change exactly the steps they should), a stock
// y-websocket server and a stock @hocuspocus/server (framing detected), and a hostile stand-in that
// echoes the token back. No output, human or JSON, ever contains a token or secret in any form.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { docs as yWebsocketDocs, setupWSConnection } from '@y/websocket-server/utils'
import { Server as HocuspocusServer } from '@hocuspocus/server'
import { DoctorOptionError, formatReport, runDoctor, type DoctorOptions, type DoctorReport, type LocalDataplane, type StepId, type StepStatus } from '../../src/local/index.ts'
import { Redactor } from '../../src/local/doctor/redact.ts'
import { checkClaims } from '../../src/local/doctor/claims-check.ts'
import { resolveTarget } from '../../src/local/doctor/target.ts'
import { withDataplane } from '../support/with-dataplane.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const APP_ORIGIN = 'https://app.example.com'

const stepOf = (report: DoctorReport, id: StepId): DoctorReport['steps'][number] => {
  const step = report.steps.find(s => s.id === id)
  assert.ok(step, `step ${id} present`)
  return step
}

const notPassing = (report: DoctorReport): Record<string, StepStatus> =>
  Object.fromEntries(report.steps.filter(s => s.status !== 'pass').map(s => [s.id, s.status]))

/** Every form a secret could leak in: raw, percent-encoded, form-encoded, base64, base64url. */
const leakedForms = (output: string, secret: string): string[] => {
  const bytes = Buffer.from(secret)
  const forms = [secret, encodeURIComponent(secret), new URLSearchParams({ v: secret }).toString().slice(2), bytes.toString('base64'), bytes.toString('base64url')]
  const parts = secret.split('.')
  if (parts.length === 3) forms.push(parts[2]!)
  return forms.filter(form => output.includes(form))
}

const JWT_SHAPE = /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/

const credentials = (dp: LocalDataplane): DoctorOptions => ({
  region: dp.regions[0]!.url,
  clientId: dp.app.clientId,
  clientSecret: dp.app.clientSecret,
  tokenUrl: dp.tokenUrl,
  origin: APP_ORIGIN,
})

const ALL_STEPS: StepId[] = [
  'token', 'claims', 'health', 'discovery', 'usage', 'handshake-subprotocol', 'handshake-query', 'framing', 'round-trip',
  'reject-wrong-token', 'reject-missing-token', 'reject-bad-document-name', 'reject-foreign-origin',
]

test('local dataplane with client credentials: every step passes, with what was seen', async () => {
  await withDataplane({ allowedDomains: ['app.example.com'] }, async dp => {
    const report = await runDoctor(credentials(dp))
    assert.deepEqual(report.steps.map(s => s.id), ALL_STEPS)
    assert.deepEqual(notPassing(report), {}, formatReport(report))
    assert.equal(report.ok, true)
    assert.equal(report.version, 1)
    assert.equal(report.framing, 'both', 'the local dataplane speaks both framings')
    assert.deepEqual(report.findings, [])
    const token = stepOf(report, 'token').details
    assert.equal(token.expiresIn, 900)
    assert.equal(token.refreshTokenPresent, true)
    assert.equal(token.tokenType, 'Bearer')
    const claims = stepOf(report, 'claims').details
    assert.equal(claims.tenantId, dp.app.tenantId)
    assert.equal(claims.appId, dp.app.appId)
    assert.deepEqual(claims.allowedDomains, ['app.example.com'])
    assert.equal(claims.lifetimeSeconds, 900)
    assert.deepEqual(claims.limits, { ...dp.app.limits })
    const discovery = stepOf(report, 'discovery').details
    assert.deepEqual(discovery, { httpStatus: 200, region: 'eu-central-1', url: `${dp.regions[0]!.url}/${report.target.documentName}`, isNew: true })
    assert.equal(stepOf(report, 'handshake-subprotocol').details.selectedProtocol, 'access_token')
    assert.equal(stepOf(report, 'handshake-query').details.selectedProtocol, null)
    assert.equal(stepOf(report, 'round-trip').details.delivered, true)
    assert.deepEqual(stepOf(report, 'reject-wrong-token').details.close, { code: 4002, reason: 'Invalid token' })
    assert.deepEqual(stepOf(report, 'reject-missing-token').details.close, { code: 4001, reason: 'Missing token' })
    assert.deepEqual(stepOf(report, 'reject-bad-document-name').details.close, { code: 4007, reason: 'Invalid document name' })
    assert.deepEqual(stepOf(report, 'reject-foreign-origin').details.close, { code: 4003, reason: 'Origin not allowed' })
    assert.match(report.target.documentName, /^doctor-[a-z0-9-]+$/)
    // The doctor left nothing open behind it.
    assert.deepEqual(dp.stats().connections, 0)
  })
})

test('local dataplane with a ready token: the token step is skipped, every other step passes', async () => {
  await withDataplane({ allowedDomains: ['app.example.com'] }, async dp => {
    const token = await dp.mintToken()
    const report = await runDoctor({ region: dp.regions[0]!.url, token, origin: APP_ORIGIN, documentName: 'my-doc' })
    assert.deepEqual(notPassing(report), { token: 'skip' }, formatReport(report))
    assert.equal(report.ok, true)
    assert.equal(report.target.credentials, 'token')
    assert.equal(report.target.tokenUrl, null)
    assert.equal(report.target.documentName, 'my-doc')
    assert.equal(dp.tokenRequests.length, 0, 'no token request with a ready token')
    // Again on the same document, which now holds the first run's edit (kept by the grace period).
    const again = await runDoctor({ region: dp.regions[0]!.url, token, origin: APP_ORIGIN, documentName: 'my-doc' })
    assert.deepEqual(notPassing(again), { token: 'skip' }, formatReport(again))
    assert.equal(dp.getDocument('my-doc')?.getMap('wiresocket-doctor').size, 2)
  })
})

test('wrong client secret: the token step fails with the OAuth error, token-dependent steps say why they were skipped', async () => {
  await withDataplane({ allowedDomains: ['app.example.com'] }, async dp => {
    const report = await runDoctor({ ...credentials(dp), clientSecret: 'not-the-secret-at-all' })
    assert.equal(report.ok, false)
    const token = stepOf(report, 'token')
    assert.equal(token.status, 'fail')
    assert.equal(token.summary, 'HTTP 401, invalid_client: Client authentication failed')
    assert.match(token.findings[0]!, /refused the client credentials \(401\)/)
    const expected: Record<string, StepStatus> = { token: 'fail' }
    for (const id of ALL_STEPS) if (id !== 'token' && id !== 'health') expected[id] = 'skip'
    assert.deepEqual(notPassing(report), expected)
    for (const id of Object.keys(expected).filter(id => id !== 'token')) assert.equal(stepOf(report, id as StepId).summary, 'no token to present')
    assert.equal(report.framing, 'unknown')
  })
})

test('foreign origin: both handshakes fail 4003 with the fix named; framing and round trip follow', async () => {
  await withDataplane({ allowedDomains: ['app.example.com'] }, async dp => {
    const report = await runDoctor({ ...credentials(dp), origin: 'https://other.example.com' })
    assert.equal(report.ok, false)
    assert.deepEqual(notPassing(report), {
      'handshake-subprotocol': 'fail',
      'handshake-query': 'fail',
      framing: 'fail',
      'round-trip': 'skip',
    }, formatReport(report))
    const handshake = stepOf(report, 'handshake-subprotocol')
    assert.equal(handshake.summary, 'closed 4003 Origin not allowed, selected subprotocol access_token')
    assert.match(handshake.findings.join('\n'), /origin was refused \(4003\): add the origin host to the app's allowed domains/)
    assert.deepEqual(stepOf(report, 'handshake-query').details.close, { code: 4003, reason: 'Origin not allowed' })
    assert.equal(report.framing, 'neither')
    // The rejection probes present no origin (or the foreign one) so each isolates its own defect.
    assert.equal(stepOf(report, 'reject-bad-document-name').status, 'pass')
  })
})

test('a dataplane that checks no tokens (--no-auth): exactly the token rejections differ from the contract', async () => {
  await withDataplane({ allowedDomains: ['app.example.com'], authenticate: false }, async dp => {
    const report = await runDoctor(credentials(dp))
    assert.deepEqual(notPassing(report), {
      'reject-wrong-token': 'warn',
      'reject-missing-token': 'warn',
      'reject-foreign-origin': 'warn',
    }, formatReport(report))
    assert.equal(report.ok, true, 'a provider still connects and syncs')
    // The local dataplane speaks both framings, so each rejection is tried (and let in) in both.
    assert.deepEqual(report.findings, [
      'reject-wrong-token: Contract: 4002 "Invalid token"; seen: accepted (the server sent the first frame). The server let this connection in.',
      'reject-wrong-token: Hocuspocus framing: contract PermissionDenied "4002 Invalid token" or close 4002; seen: Authenticated (scope read-write).',
      'reject-missing-token: Contract: 4001 "Missing token"; seen: accepted (the server sent the first frame). The server let this connection in.',
      'reject-missing-token: Hocuspocus framing: contract PermissionDenied "4001 Missing token" or close 4001; seen: Authenticated (scope read-write).',
      'reject-foreign-origin: Contract: 4003 "Origin not allowed" or "Forbidden"; seen: accepted (the server sent the first frame). The server let this connection in.',
      'reject-foreign-origin: Hocuspocus framing: contract PermissionDenied "4003 Origin not allowed" or "4003 Forbidden" or close 4003; seen: Authenticated (scope read-write).',
    ])
  })
})

test('a document pinned to another region: reported, and the doctor never connects there', async () => {
  await withDataplane({ allowedDomains: ['app.example.com'] }, async dp => {
    dp.moveDocument('pinned-doc', 'us-east-1')
    const report = await runDoctor({ ...credentials(dp), documentName: 'pinned-doc' })
    const discovery = stepOf(report, 'discovery')
    assert.equal(discovery.status, 'warn')
    assert.equal(discovery.details.url, `${dp.regions[1]!.url}/pinned-doc`)
    assert.match(discovery.findings[0]!, /pinned to another host .* The doctor does not\./)
    assert.equal(stepOf(report, 'handshake-subprotocol').status, 'fail')
    assert.match(stepOf(report, 'handshake-subprotocol').summary, /^closed 4009 REDIRECT:ws:\/\/127\.0\.0\.1:\d+\/pinned-doc/)
    assert.ok(dp.handshakes.length > 0)
    assert.deepEqual(dp.handshakes.filter(h => h.region !== 'eu-central-1'), [], 'no socket to the redirect target')
  })
})

test('--watch-expiry: the local dataplane closes the socket at exp with 4002 Token expired; with keep-expired it stays', async () => {
  await withDataplane({ allowedDomains: ['app.example.com'], accessTokenTtl: 3 }, async dp => {
    const report = await runDoctor({ ...credentials(dp), watchExpiry: true, expiryMarginMs: 3000 })
    const expiry = stepOf(report, 'expiry')
    assert.equal(expiry.status, 'pass', formatReport(report))
    assert.deepEqual(expiry.details.close, { code: 4002, reason: 'Token expired' })
    const after = expiry.details.secondsAfterExp as number
    assert.ok(after >= -0.1 && after < 1.5, `closed at exp (+${after} s)`)
    assert.match(stepOf(report, 'token').summary, /expires_in 3 \(contract: 900\)/)
  })
  await withDataplane({ allowedDomains: ['app.example.com'], accessTokenTtl: 2, closeOnExpiry: false }, async dp => {
    const report = await runDoctor({ ...credentials(dp), watchExpiry: true, expiryMarginMs: 1000 })
    const expiry = stepOf(report, 'expiry')
    assert.equal(expiry.status, 'pass')
    assert.equal(expiry.details.closedByServer, false)
    assert.match(expiry.summary, /^kept open 1 s past exp/)
  })
})

// A crafted token for servers that do not verify one: the claims a real token carries, no real signature.
const craftedToken = (): string => {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({
    iss: 'https://api.wiresocket.com',
sub: 'client',
aud: 'WireSocket.API',
scope: 'WireSocket.API',
tenantid: 'tenant-1',
appId: 'app-1',
    allowed_domain_1: 'app.example.com',
limits: { maxConnections: 10 },
iat: now,
exp: now + 900,
  })}.${Buffer.alloc(256, 7).toString('base64url')}`
}

const listenOn = async (server: HttpServer): Promise<string> => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
}

test('stock y-websocket server (@y/websocket-server 0.1.1): framing y-websocket, the round trip works', async () => {
  const wss = new WebSocketServer({ noServer: true })
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    res.end('okay')
  })
  // The same wiring as the package's own bin/server.js.
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, ws => setupWSConnection(ws, req)))
  try {
    const report = await runDoctor({ region: await listenOn(server), token: craftedToken(), origin: APP_ORIGIN, timeoutMs: 1000 })
    assert.equal(report.framing, 'y-websocket', formatReport(report))
    assert.equal(stepOf(report, 'framing').status, 'pass')
    assert.equal(stepOf(report, 'round-trip').status, 'pass')
    assert.equal(stepOf(report, 'handshake-subprotocol').status, 'pass')
    // It checks no token and knows no WireSocket endpoint: said as findings, not as a broken setup.
    assert.equal(stepOf(report, 'health').status, 'warn')
    assert.equal(stepOf(report, 'reject-wrong-token').status, 'warn')
    assert.equal(report.ok, true)
  } finally {
    for (const ws of wss.clients) ws.terminate()
    server.close()
    await once(server, 'close')
    // The stock server keeps every document (and its awareness timer) for the life of the process.
    for (const doc of yWebsocketDocs.values()) doc.destroy()
    yWebsocketDocs.clear()
  }
})

test('stock @hocuspocus/server 4.7: framing hocuspocus; its missing subprotocol is a finding, not a crash', async () => {
  const hocuspocus = new HocuspocusServer({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false })
  await hocuspocus.listen()
  try {
    const report = await runDoctor({ region: `ws://127.0.0.1:${hocuspocus.address.port}`, token: craftedToken(), timeoutMs: 1000 })
    assert.equal(report.framing, 'hocuspocus', formatReport(report))
    const framing = stepOf(report, 'framing').details
    assert.deepEqual(framing.hocuspocus, { speaks: true, seen: 'Authenticated (scope read-write)', tokenInUrl: false })
    const sub = stepOf(report, 'handshake-subprotocol')
    assert.equal(sub.status, 'warn')
    assert.equal(sub.summary, 'Server sent no subprotocol, selected subprotocol (none)')
    assert.match(sub.findings.join('\n'), /selected no subprotocol/)
    assert.match(sub.findings.join('\n'), /tokenTransport: 'query'/)
    assert.equal(stepOf(report, 'handshake-query').status, 'pass')
    assert.equal(stepOf(report, 'round-trip').status, 'pass')
    assert.equal(stepOf(report, 'round-trip').details.framing, 'hocuspocus')
    // The rejections are also tried in Hocuspocus framing; a stock server without auth hooks takes all.
    const wrong = stepOf(report, 'reject-wrong-token')
    assert.equal(wrong.status, 'warn')
    assert.equal(wrong.details.hocuspocus, 'Authenticated (scope read-write)')
    assert.deepEqual(wrong.findings, [
      'Contract: 4002 "Invalid token"; seen: accepted (open and quiet for 750 ms). The server let this connection in.',
      'Hocuspocus framing: contract PermissionDenied "4002 Invalid token" or close 4002; seen: Authenticated (scope read-write).',
    ])
    assert.equal(report.ok, true)
  } finally {
    await hocuspocus.destroy()
  }
})

test('a Hocuspocus server refusing Auth frames the contract\'s way: each rejection matches in Hocuspocus framing', async () => {
  const token = craftedToken()
  // Stand-in for contract §6 on stock @hocuspocus/server: PermissionDenied reasons carry the §3 code and text.
  const refuse = (reason: string): Error => Object.assign(new Error(reason), { reason })
  const hocuspocus = new HocuspocusServer({
    port: 0,
    address: '127.0.0.1',
    quiet: true,
    stopOnSignals: false,
    onAuthenticate: async ({ token: presented, documentName, requestHeaders }) => {
      if (presented === '') throw refuse('4001 Missing token')
      if (presented !== token) throw refuse('4002 Invalid token')
      const origin = requestHeaders.get('origin')
      if (origin !== null && new URL(origin).host !== 'app.example.com') throw refuse('4003 Origin not allowed')
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(documentName)) throw refuse('4007 Invalid document name')
    },
  })
  await hocuspocus.listen()
  try {
    const report = await runDoctor({ region: `ws://127.0.0.1:${hocuspocus.address.port}`, token, origin: APP_ORIGIN, timeoutMs: 1000 })
    assert.equal(report.framing, 'hocuspocus', formatReport(report))
    assert.equal(stepOf(report, 'round-trip').status, 'pass')
    const seen = Object.fromEntries(report.steps.filter(s => s.id.startsWith('reject-')).map(s => [s.id, s.details.hocuspocus]))
    assert.deepEqual(seen, {
      'reject-wrong-token': 'PermissionDenied "4002 Invalid token"',
      'reject-missing-token': 'PermissionDenied "4001 Missing token"',
      'reject-bad-document-name': 'PermissionDenied "4007 Invalid document name"',
      'reject-foreign-origin': 'PermissionDenied "4003 Origin not allowed"',
    })
    // Only the y-websocket-path probes differ: this server accepts any upgrade and judges the Auth frame.
    for (const s of report.steps.filter(s => s.id.startsWith('reject-'))) {
      assert.ok(s.findings.every(f => !f.startsWith('Hocuspocus framing')), `${s.id}: ${s.findings.join(' | ')}`)
    }
  } finally {
    await hocuspocus.destroy()
  }
})

test('a hostile server that echoes the token (as subprotocol and in /discovery) still gets no token into the report', async () => {
  let seen = ''
  const wss = new WebSocketServer({ noServer: true, handleProtocols: offered => [...offered].find(p => p !== 'access_token') ?? false })
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? ''
    seen = auth.replace(/^Bearer /, '')
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ region: seen, url: `wss://elsewhere.example/${seen}`, isNew: false, status: seen }))
  })
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, ws => ws.close(4002, 'Invalid token')))
  const token = craftedToken()
  try {
    const report = await runDoctor({ region: await listenOn(server), token, timeoutMs: 1000 })
    assert.equal(seen, token, 'the stand-in did receive the token')
    const json = JSON.stringify(report)
    const human = formatReport(report)
    assert.deepEqual(leakedForms(json + human, token), [])
    assert.doesNotMatch(json + human, JWT_SHAPE)
    assert.match(stepOf(report, 'handshake-subprotocol').findings.join('\n'), /echoed the JWT/)
    assert.match(json, /\[redacted\]/)
  } finally {
    for (const ws of wss.clients) ws.terminate()
    server.close()
    await once(server, 'close')
  }
})

test('a server that answers every frame with garbage: the doctor finishes, says neither framing, throws nothing', async () => {
  const garbage = [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), new Uint8Array([0, 0, 0xff, 0xff]), new Uint8Array([5, 0x61]), new Uint8Array([2, 0x61, 0x62, 2, 9]), new Uint8Array([0, 1, 3, 1, 2])]
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => 'access_token' })
  const server = createServer((_req, res) => res.end('\u0000not json'))
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, ws => {
    for (const frame of garbage) ws.send(frame)
    ws.on('message', () => { for (const frame of garbage) ws.send(frame) })
  }))
  try {
    const report = await runDoctor({ region: await listenOn(server), token: craftedToken(), timeoutMs: 500, settleMs: 100 })
    assert.equal(report.framing, 'neither')
    assert.equal(stepOf(report, 'framing').status, 'fail')
    assert.equal(stepOf(report, 'round-trip').status, 'skip')
    assert.equal(report.ok, false)
  } finally {
    for (const ws of wss.clients) ws.terminate()
    server.close()
    await once(server, 'close')
  }
})

test('a server that refuses the upgrade with HTTP 401: the handshakes say so, the rejections note the anonymous 1006', async () => {
  const server = createServer((_req, res) => res.end('{}'))
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'))
  try {
    const report = await runDoctor({ region: await listenOn(server), token: craftedToken(), timeoutMs: 500, settleMs: 100 })
    assert.equal(stepOf(report, 'handshake-subprotocol').summary, 'HTTP 401 on the upgrade, selected subprotocol (none)')
    assert.equal(stepOf(report, 'handshake-query').details.httpStatus, 401)
    assert.deepEqual(stepOf(report, 'reject-wrong-token').findings, [
      'Contract: close 4002 "Invalid token" after accepting the upgrade; seen: HTTP 401 on the upgrade (a browser sees only an anonymous 1006).',
    ])
    assert.equal(report.ok, false)
  } finally {
    server.close()
    await once(server, 'close')
  }
})

test('claims: no allowed domains, localhost on a non-loopback region, legacy string limits and wrong audience are named', () => {
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  const now = Date.now()
  const jwt = (claims: Record<string, unknown>): string => `${b64({ alg: 'RS256' })}.${b64({
    iss: 'https://api.wiresocket.com',
aud: 'WireSocket.API',
scope: 'WireSocket.API',
tenantid: 't',
appId: 'a',
    iat: Math.floor(now / 1000),
exp: Math.floor(now / 1000) + 900,
limits: { maxConnections: 5 },
...claims,
  })}.sig`
  const none = checkClaims(jwt({}), 'eu-central-1.wiresocket.net', now).outcome
  assert.equal(none.status, 'warn')
  assert.deepEqual(none.findings, ['No allowed_domain_N claims: any website may use tokens of this app. Set allowed domains in the dashboard.'])
  const local = checkClaims(jwt({ allowed_domain_1: 'app.example.com', allowed_domain_2: 'localhost:5173', limits: '{"maxConnections":5}' }), 'eu-central-1.wiresocket.net', now).outcome
  assert.deepEqual(local.findings, [
    'Allowed domains include localhost:5173 on a non-loopback region: any page served from a developer machine may connect. Remove it for production.',
    'limits is a JSON string (the legacy form); readers must accept both.',
  ])
  // On a loopback region (the local dataplane) localhost is the expected setting.
  assert.equal(checkClaims(jwt({ allowed_domain_1: 'localhost:5173' }), '127.0.0.1:7001', now).outcome.status, 'pass')
  const wrong = checkClaims(jwt({ aud: 'Other.API', exp: Math.floor(now / 1000) - 5, allowed_domain_1: 'app.example.com' }), '127.0.0.1:7001', now).outcome
  assert.equal(wrong.status, 'fail')
  assert.match(wrong.findings![0]!, /^aud is "Other.API"; the dataplane requires exactly "WireSocket.API"\.$/)
  assert.match(wrong.findings![1]!, /^The token expired at /)
  assert.equal(checkClaims('not-a-jwt', 'x', now).outcome.summary, 'the token is not a JWT (three base64url segments with a JSON payload)')
})

test('a region name maps to the contract\'s hosts; a URL is used as given', () => {
  const named = resolveTarget({ region: 'eu-central-1', token: 'a' })
  assert.equal(named.regionUrl, 'wss://eu-central-1.wiresocket.net')
  assert.equal(named.httpUrl, 'https://eu-central-1.wiresocket.net')
  assert.equal(named.region, 'eu-central-1')
  assert.equal(resolveTarget({ region: 'wss://us-east-1.wiresocket.net/', token: 'a' }).region, 'us-east-1')
  const local = resolveTarget({ region: 'http://127.0.0.1:7001', clientId: 'a', clientSecret: 'b' })
  assert.deepEqual([local.regionUrl, local.httpUrl, local.region, local.tokenUrl], ['ws://127.0.0.1:7001', 'http://127.0.0.1:7001', null, 'https://api.wiresocket.com/connect/token'])
})

test('a frame over 16 MiB is refused by the doctor, not buffered', async () => {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: () => 'access_token' })
  const server = createServer((_req, res) => res.end('{}'))
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, ws => ws.send(Buffer.alloc(16 * 1024 * 1024 + 1))))
  try {
    const report = await runDoctor({ region: await listenOn(server), token: craftedToken(), timeoutMs: 2000, settleMs: 500 })
    // ws drops the connection itself after refusing the frame, so the close seen locally is 1006.
    assert.equal(stepOf(report, 'handshake-subprotocol').summary, 'closed 1006 (Max payload size exceeded), selected subprotocol access_token')
    assert.equal(report.framing, 'neither')
  } finally {
    for (const ws of wss.clients) ws.terminate()
    server.close()
    await once(server, 'close')
  }
})

test('the redactor scrubs every form of a secret from nested values', () => {
  const secret = 'p@ss word/+=&é-1234'
  const redactor = new Redactor()
  redactor.add(secret)
  const bytes = Buffer.from(secret)
  const dirty = { a: [`x${secret}y`, encodeURIComponent(secret)], b: { c: bytes.toString('base64'), d: bytes.toString('base64url'), e: `q=${new URLSearchParams({ v: secret }).toString().slice(2)}` } }
  const clean = redactor.deep(dirty)
  assert.deepEqual(leakedForms(JSON.stringify(clean), secret), [])
  assert.deepEqual(clean, { a: ['x[redacted]y', '[redacted]'], b: { c: '[redacted]', d: '[redacted]', e: 'q=[redacted]' } })
})

test('bad options throw before any network traffic, naming the option', async () => {
  const cases: Array<[DoctorOptions, RegExp]> = [
    [{ region: '' }, /^region is required$/],
    [{ region: 'eu-central-1' }, /token or clientId and clientSecret are required/],
    [{ region: 'eu-central-1', token: 'a', clientId: 'b', clientSecret: 'c' }, /exclusive/],
    [{ region: 'eu-central-1', clientId: 'b' }, /clientId and clientSecret are both required/],
    [{ region: 'wss://eu-central-1.wiresocket.net/my-doc', token: 'a' }, /region URL must be the bare host/],
    [{ region: 'ftp://x', token: 'a' }, /region URL must use/],
    [{ region: 'eu-central-1', token: 'a', documentName: 'no spaces' }, /documentName must be/],
    [{ region: 'eu-central-1', token: 'a', origin: 'https://x.test/path' }, /origin must be scheme/],
    [{ region: 'eu-central-1', token: 'a', timeoutMs: 0 }, /timeoutMs must be a positive/],
    [{ region: 'eu-central-1', token: 'a', tokenUrl: 'https://x.test' }, /tokenUrl is only used with/],
  ]
  for (const [options, message] of cases) {
    await assert.rejects(runDoctor(options), (error: unknown) => error instanceof DoctorOptionError && message.test(error.message))
  }
})

const runCli = async (args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/cli.ts', 'doctor', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', ...env },
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })
  const [code] = await once(child, 'close') as [number | null]
  return { code, out, err }
}

test('CLI: secret from the environment, human and --json output free of secrets and tokens, exit 0/1/2', async () => {
  const secret = 'doctor+secret/with=odd&chars-éü-0123456789'
  await withDataplane({ allowedDomains: ['app.example.com'] }, async dp => {
    const app = dp.addApp({ tenantId: dp.app.tenantId, clientSecret: secret, allowedDomains: ['app.example.com'] })
    const region = dp.regions[0]!.url
    const env = { WIRESOCKET_CLIENT_ID: app.clientId, WIRESOCKET_CLIENT_SECRET: secret }
    const human = await runCli([region, '--token-url', dp.tokenUrl, '--origin', APP_ORIGIN], env)
    assert.equal(human.code, 0, human.out + human.err)
    assert.match(human.out, /PASS {2}round-trip/)
    assert.match(human.out, /Result: OK \(13 pass, 0 warn, 0 fail, 0 skip\)/)
    const json = await runCli([region, '--token-url', dp.tokenUrl, '--origin', APP_ORIGIN, '--json'], env)
    assert.equal(json.code, 0, json.err)
    const report = JSON.parse(json.out) as DoctorReport
    assert.equal(report.ok, true)
    assert.equal(report.framing, 'both')
    for (const run of [human, json]) {
      assert.deepEqual(leakedForms(run.out + run.err, secret), [])
      assert.doesNotMatch(run.out + run.err, JWT_SHAPE)
    }
    // A ready token from the environment, also never printed.
    const token = await dp.mintToken({ app })
    const withToken = await runCli([region, '--origin', APP_ORIGIN, '--json'], { WIRESOCKET_TOKEN: token })
    assert.equal(withToken.code, 0, withToken.err)
    assert.equal((JSON.parse(withToken.out) as DoctorReport).target.credentials, 'token')
    assert.deepEqual(leakedForms(withToken.out + withToken.err, token), [])
    // Broken: wrong secret → exit 1, and the wrong secret is not printed either.
    const wrong = await runCli([region, '--token-url', dp.tokenUrl, '--client-id', app.clientId, '--client-secret', 'wrong-secret-value-123'], {})
    assert.equal(wrong.code, 1)
    assert.match(wrong.out, /FAIL {2}token +HTTP 401, invalid_client/)
    assert.match(wrong.out, /Result: BROKEN/)
    assert.deepEqual(leakedForms(wrong.out + wrong.err, 'wrong-secret-value-123'), [])
  })
  const usage = await runCli(['--nope'], {})
  assert.equal(usage.code, 2)
  assert.match(usage.err, /^doctor: Unknown option '--nope'.*\(see doctor --help\)$/m)
  const missing = await runCli([], {})
  assert.equal(missing.code, 2)
  assert.match(missing.err, /a region name or URL is required/)
  const help = await runCli(['--help'], {})
  assert.equal(help.code, 0)
  assert.match(help.out, /--watch-expiry/)
})
