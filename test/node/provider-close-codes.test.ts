import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { WireSocketProvider } from '../../src/index.ts'
import { client, converge, destroyAll, fakeServer, next, recordingWebSocket, synced, dataplaneForFile } from './support/provider-harness.ts'

const file = dataplaneForFile()
let dp: LocalDataplane
before(async () => { dp = await file.ready })

test('4001 Missing token: one immediate retry, then closed (unauthorized)', async () => {
  const a = client(dp, 'code-4001', { tokenTransport: 'query', tokenQueryParam: 'not_the_token_param' })
  try {
    const [closed] = await next(a.provider, 'closed')
    assert.deepEqual({ code: closed.code, reason: closed.reason, kind: closed.kind }, { code: 4001, reason: 'Missing token', kind: 'unauthorized' })
    assert.equal(dp.handshakes.filter(h => h.url.startsWith('/code-4001')).length, 2)
    assert.equal(a.provider.state, 'closed')
  } finally {
    destroyAll([a])
  }
})

test('4003 Origin not allowed: closed (forbidden), no retry', async () => {
  const app = dp.addApp({ allowedDomains: ['app.example.com'] })
  const a = client(dp, 'code-4003', { app, WebSocketPolyfill: recordingWebSocket([], { origin: 'https://evil.example.net' }) })
  try {
    const [closed] = await next(a.provider, 'closed')
    assert.deepEqual({ code: closed.code, reason: closed.reason, kind: closed.kind }, { code: 4003, reason: 'Origin not allowed', kind: 'forbidden' })
    assert.equal(dp.handshakes.filter(h => h.url.startsWith('/code-4003')).length, 1)
  } finally {
    destroyAll([a])
  }
})

const limitCases = [
  { code: 4004, limit: 'connections', limits: { maxConnections: 1 }, docs: ['code-4004', 'code-4004-b'] },
  { code: 4005, limit: 'documents', limits: { maxDocuments: 1 }, docs: ['code-4005-a', 'code-4005-b'] },
  { code: 4008, limit: 'users-per-document', limits: { maxUsersPerDoc: 1 }, docs: ['code-4008', 'code-4008'] },
] as const

for (const c of limitCases) {
  test(`${c.code}: a limit event with the plan's value and a slow retry (≥ 30 s)`, async () => {
    const app = dp.addApp({ limits: { maxConnections: 100, maxDocuments: 100, maxUsersPerDoc: 100, opsPerMinute: 10_000, ...c.limits } })
    const first = client(dp, c.docs[0], { app })
    await synced(first.provider)
    const second = client(dp, c.docs[1], { app })
    try {
      const [event] = await next(second.provider, 'limit')
      assert.equal(event.code, c.code)
      assert.equal(event.limit, c.limit)
      assert.equal(event.value, 1)
      assert.ok(event.retryIn >= 30_000, `retryIn ${event.retryIn}`)
      assert.equal(second.provider.state, 'waiting')
      assert.equal(second.provider.shouldConnect, true)
    } finally {
      destroyAll([first, second])
    }
  })
}

test('4006 Rate limit: waits, keeps local edits in the doc, then reconnects and syncs them', async () => {
  // Its own dataplane with a clock the test moves: a tripped limit fills a sliding 60 s window, and the
  // edits kept through the wait count against it when they arrive (in the reconnect's sync step 2).
  let clockOffset = 0
  const limited = await startLocalDataplane({ now: () => Date.now() + clockOffset })
  const app = limited.addApp({ limits: { maxConnections: 100, maxDocuments: 100, maxUsersPerDoc: 100, opsPerMinute: 1000 } })
  const a = client(limited, 'code-4006', { app, limitRetryDelay: 300 })
  const b = client(limited, 'code-4006', { app })
  try {
    await Promise.all([synced(a.provider), synced(b.provider)])
    limited.tripRateLimit(app)
    const limitEvent = next(a.provider, 'limit')
    a.doc.getText('text').insert(0, 'over the limit')
    const [event] = await limitEvent
    assert.equal(event.code, 4006)
    assert.equal(event.limit, 'ops-per-minute')
    assert.equal(event.value, 1000)
    assert.ok(event.retryIn >= 300)
    a.doc.getText('text').insert(0, 'while waiting: ')
    clockOffset += 61_000 // the minute passes while the provider waits
    await converge([a.doc, b.doc], t => t === 'while waiting: over the limit')
  } finally {
    destroyAll([a, b])
    await limited.close()
  }
})

test('4009: follows the redirect to the region the document is pinned to', async () => {
  const pinned = client(dp, 'code-4009', { region: 1 })
  await synced(pinned.provider)
  const a = client(dp, 'code-4009', { region: 0 })
  try {
    const [redirect] = await next(a.provider, 'redirect')
    assert.equal(redirect.from, `${dp.regions[0]!.url}/code-4009`)
    assert.equal(redirect.to, `${dp.regions[1]!.url}/code-4009`)
    await synced(a.provider)
    assert.equal(a.provider.url, `${dp.regions[1]!.url}/code-4009`)
    pinned.doc.getText('text').insert(0, 'across regions')
    await converge([a.doc, pinned.doc], t => t === 'across regions')
  } finally {
    destroyAll([a, pinned])
  }
})

test('moving a document between regions: the provider follows and keeps syncing', async () => {
  const a = client(dp, 'code-4009-move', { region: 0 })
  const b = client(dp, 'code-4009-move', { region: 0 })
  try {
    await Promise.all([synced(a.provider), synced(b.provider)])
    const redirected = Promise.all([next(a.provider, 'redirect'), next(b.provider, 'redirect')])
    dp.moveDocument('code-4009-move', dp.regions[1]!.name)
    await redirected
    a.doc.getText('text').insert(0, 'moved')
    await converge([a.doc, b.doc], t => t === 'moved')
    assert.equal(b.provider.url, `${dp.regions[1]!.url}/code-4009-move`)
  } finally {
    destroyAll([a, b])
  }
})

test('discovery: connects straight to the pinned region, no 4009 round trip', async () => {
  const pinned = client(dp, 'discovered-doc', { region: 1 })
  await synced(pinned.provider)
  const a = client(dp, 'discovered-doc', { region: 0, discovery: true })
  try {
    await synced(a.provider)
    const atWrongRegion = dp.handshakes.filter(h => h.url.startsWith('/discovered-doc') && h.region === dp.regions[0]!.name)
    assert.deepEqual(atWrongRegion, [])
    assert.equal(a.provider.url, `${dp.regions[1]!.url}/discovered-doc`)
  } finally {
    destroyAll([a, pinned])
  }
})

const hostileTargets = [
  ['a foreign host', 'REDIRECT:ws://evil.example:9/doc-hostile'],
  ['a non-WebSocket scheme', 'REDIRECT:http://127.0.0.1:9/doc-hostile'],
  ['another document', 'REDIRECT:ws://127.0.0.1:9/someone-elses-doc'],
  ['a malformed URL', 'REDIRECT:not a url'],
  ['a bare prefix', 'REDIRECT:'],
  ['an unknown instruction', 'go away'],
] as const

for (const [what, reason] of hostileTargets) {
  test(`a 4009 redirect to ${what} is refused and the token is not sent there`, async () => {
    const server = await fakeServer(socket => socket.close(4009, reason))
    const log: Array<{ url: string; protocols: string[] }> = []
    const provider = new WireSocketProvider(server.url, 'doc-hostile', new Y.Doc(), {
      WebSocketPolyfill: recordingWebSocket(log),
      disableBc: true,
      getToken: async () => await dp.mintToken(),
    })
    try {
      const [closed] = await next(provider, 'closed')
      assert.equal(closed.code, 4009)
      assert.equal(closed.kind, 'redirect')
      assert.deepEqual(log.map(l => l.url), [`${server.url}/doc-hostile`], 'only the configured host was contacted')
    } finally {
      provider.destroy()
      await server.close()
    }
  })
}

test('at most three redirects in a row, then back to the configured URL after a backoff', async () => {
  const servers: Array<{ url: string; close(): Promise<void> }> = []
  const s3 = await fakeServer(socket => socket.close(4009, `REDIRECT:${servers[1]!.url}/doc-loop`))
  const s2 = await fakeServer(socket => socket.close(4009, `REDIRECT:${s3.url}/doc-loop`))
  const s1 = await fakeServer(socket => socket.close(4009, `REDIRECT:${s2.url}/doc-loop`))
  servers.push(s1, s2, s3)
  const log: Array<{ url: string; protocols: string[] }> = []
  const provider = new WireSocketProvider(s1.url, 'doc-loop', new Y.Doc(), {
    WebSocketPolyfill: recordingWebSocket(log),
    disableBc: true,
    maxBackoffTime: 50,
    getToken: async () => await dp.mintToken(),
  })
  try {
    await new Promise<void>(resolve => provider.on('status', () => { if (log.length >= 5) resolve() }))
    assert.deepEqual(log.slice(0, 5).map(l => l.url), [s1, s2, s3, s2, s1].map(s => `${s.url}/doc-loop`))
  } finally {
    provider.destroy()
    await Promise.all(servers.map(s => s.close()))
  }
})

test('4007 Invalid document name from a server: closed (invalid-name)', async () => {
  const server = await fakeServer(socket => socket.close(4007, 'Invalid document name'))
  const provider = new WireSocketProvider(server.url, 'doc-4007', new Y.Doc(), {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    getToken: async () => await dp.mintToken(),
  })
  try {
    const [closed] = await next(provider, 'closed')
    assert.deepEqual({ code: closed.code, kind: closed.kind }, { code: 4007, kind: 'invalid-name' })
  } finally {
    provider.destroy()
    await server.close()
  }
})

test('y-websocket convention: a 44xx close stops (server), other closes reconnect', async () => {
  let connections = 0
  const server = await fakeServer(socket => socket.close(++connections === 1 ? 1011 : 4403, 'nope'))
  const provider = new WireSocketProvider(server.url, 'doc-44xx', new Y.Doc(), {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    maxBackoffTime: 50,
    getToken: async () => await dp.mintToken(),
  })
  try {
    const [closed] = await next(provider, 'closed')
    assert.deepEqual({ code: closed.code, kind: closed.kind }, { code: 4403, kind: 'server' })
    assert.equal(connections, 2)
  } finally {
    provider.destroy()
    await server.close()
  }
})

const garbage: Array<[string, (socket: WebSocket) => void]> = [
  ['a truncated varint', socket => socket.send(new Uint8Array([0xff, 0xff, 0xff]))],
  ['an empty frame', socket => socket.send(new Uint8Array([]))],
  ['a text frame', socket => socket.send('hello')],
  ['an unknown sync message type', socket => socket.send(new Uint8Array([0, 9, 0]))],
]

for (const [what, send] of garbage) {
  test(`a garbled frame (${what}) emits message-error and the provider reconnects`, async () => {
    let connections = 0
    const server = await fakeServer(socket => {
      if (++connections === 1) send(socket)
    })
    const provider = new WireSocketProvider(server.url, 'doc-garbage', new Y.Doc(), {
      WebSocketPolyfill: WebSocket,
      disableBc: true,
      maxBackoffTime: 50,
      getToken: async () => await dp.mintToken(),
    })
    try {
      const [event] = await next(provider, 'message-error')
      assert.ok(event.error instanceof Error)
      await next(provider, 'status', e => e.status === 'connected')
      assert.equal(connections, 2)
    } finally {
      provider.destroy()
      await server.close()
    }
  })
}

test('a garbled update inside a valid sync message is discarded by Yjs; the connection keeps syncing', async () => {
  const valid = new Y.Doc()
  valid.getText('text').insert(0, 'still fine')
  const update = Y.encodeStateAsUpdate(valid)
  let connections = 0
  const server = await fakeServer(socket => {
    connections++
    socket.send(new Uint8Array([0, 2, 5, 1, 2, 3, 4, 5]))
    // sync update (type 0, subtype 2) carrying a real update, after the garbage
    socket.send(new Uint8Array([0, 2, ...encodeVarUint(update.length), ...update]))
  })
  const doc = new Y.Doc()
  const provider = new WireSocketProvider(server.url, 'doc-garbled-update', doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    getToken: async () => await dp.mintToken(),
  })
  try {
    await converge([doc], t => t === 'still fine')
    assert.equal(connections, 1)
    assert.equal(provider.wsconnected, true)
  } finally {
    provider.destroy()
    await server.close()
  }
})

function encodeVarUint (n: number): number[] {
  const bytes: number[] = []
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  bytes.push(n)
  return bytes
}
