/**
 * Each close code and in-band rejection in the Hocuspocus framing, against the local dataplane (issue 13,
 * contract §6): a per-document `PermissionDenied` or `CLOSE` acts on that document alone, with §3's client
 * action; a socket-level close acts on every document of the socket.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WireSocketProvider } from '../../src/index.ts'
import { hocuspocusFraming } from '../../src/hocuspocus/index.ts'
import type { LocalDataplane } from '../../src/local/index.ts'
import { client, converge, destroyAll, next, synced } from './support/provider-harness.ts'
import { sharedClient, sharedOnDataplane, tally } from './support/hocuspocus-interop.ts'
import { withDataplane } from '../support/with-dataplane.ts'

/** getToken that hands out a token signed with a wrong key `refused` times, then good ones. */
const refusingFirst = (dp: LocalDataplane, refused: number): () => Promise<string> => {
  let calls = 0
  return async () => await dp.mintToken(calls++ < refused ? { signWith: 'foreign' } : {})
}

test('PermissionDenied 4002 for one document: a fresh token at once, then synced (own socket, token in-band)', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const mint = refusingFirst(dp, 1)
    let calls = 0
    const a = client(dp, 'retry-4002', { framing: hocuspocusFraming, tokenTransport: 'in-band', getToken: async () => { calls++; return await mint() } })
    const seen = tally(a.provider)
    try {
      await synced(a.provider)
      assert.deepEqual(seen.connectionCloses, [{ code: 4002, reason: 'Invalid token' }])
      assert.equal(calls, 2)
      assert.deepEqual(seen.closed, [])
    } finally {
      destroyAll([a])
    }
  })
})

test('PermissionDenied 4002 on a shared socket: both documents retry with one fresh token', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const shared = sharedClient(dp.regions[0]!.url, refusingFirst(dp, 1), { tokenTransport: 'in-band' })
    const [a, b] = [shared.open('first'), shared.open('second')]
    const seen = [tally(a.provider), tally(b.provider)]
    try {
      await Promise.all([synced(a.provider), synced(b.provider)])
      for (const t of seen) assert.deepEqual(t.connectionCloses, [{ code: 4002, reason: 'Invalid token' }])
      assert.equal(shared.tokenCalls, 2, 'one refused token, one fresh token, for both documents')
      assert.equal(shared.shared.sockets, 1)
    } finally {
      shared.destroy()
    }
  })
})

test('tokens expired by the server (in-band CLOSE 4002 Token expired): every document of the shared socket comes back, on the same socket', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const shared = sharedOnDataplane(dp)
    const docs = [shared.open('x1'), shared.open('x2'), shared.open('x3')]
    const peer = client(dp, 'x2')
    try {
      await Promise.all([...docs, peer].map(async c => await synced(c.provider)))
      const socket = docs[0]!.provider.ws
      const closes = docs.map(async d => await next(d.provider, 'connection-close'))
      dp.expireTokens()
      for (const [event] of await Promise.all(closes)) assert.deepEqual(event, { code: 4002, reason: 'Token expired' })
      await Promise.all([...docs, peer].map(async c => await synced(c.provider)))
      // the socket stayed open for its documents to come back with a fresh token (it lingers when the server closes its last one)
      for (const d of docs) assert.equal(d.provider.ws, socket)
      assert.equal(shared.shared.sockets, 1)
      docs[1]!.doc.getText('text').insert(0, 'after expiry')
      await converge([docs[1]!.doc, peer.doc], t => t === 'after expiry')
      assert.ok(shared.tokenCalls >= 2 && shared.tokenCalls <= 3, `token calls: ${shared.tokenCalls}`)
    } finally {
      shared.destroy()
      destroyAll([peer])
    }
  })
})

test('4007 (a socket URL that names an invalid document) ends in closed invalid-name, own socket and shared', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    // The provider validates document names up front; the server's 4007 comes from the URL's path.
    const url = `${dp.regions[0]!.url}/not.a.name`
    const shared = sharedClient(url, async () => await dp.mintToken())
    const pooled = shared.open('fine')
    const ownDoc = new Y.Doc()
    const own = new WireSocketProvider(url, 'fine', ownDoc, { framing: hocuspocusFraming, WebSocketPolyfill: WebSocket, disableBc: true, getToken: async () => await dp.mintToken() })
    try {
      const [[a], [b]] = await Promise.all([next(own, 'closed'), next(pooled.provider, 'closed')])
      for (const e of [a, b]) assert.deepEqual({ code: e.code, kind: e.kind }, { code: 4007, kind: 'invalid-name' })
      assert.equal(shared.shared.sockets, 0)
    } finally {
      own.destroy()
      shared.destroy()
    }
  })
})

test('4008 for one document of a shared socket: limit event and a slow retry; the other document keeps syncing', { timeout: 20_000 }, async () => {
  await withDataplane({ limits: { maxUsersPerDoc: 1 } }, async dp => {
    const holder = client(dp, 'crowded')
    await synced(holder.provider)
    const shared = sharedOnDataplane(dp)
    const crowded = shared.open('crowded', { limitRetryDelay: 200 })
    const free = shared.open('free')
    try {
      const [limit] = await next(crowded.provider, 'limit')
      assert.equal(limit.code, 4008)
      assert.equal(limit.limit, 'users-per-document')
      assert.equal(limit.value, 1)
      assert.ok(limit.retryIn >= 200, `retryIn ${limit.retryIn}`)
      // maxUsersPerDoc 1 leaves no room for a peer: the server's copy is the witness
      await synced(free.provider)
      free.doc.getText('text').insert(0, 'unaffected')
      await converge([free.doc, dp.getDocument('free')!], t => t === 'unaffected')
      assert.equal(shared.shared.sockets, 1)
      // the one user leaves: the crowded document gets in on a later retry
      holder.provider.destroy()
      await synced(crowded.provider)
    } finally {
      shared.destroy()
      destroyAll([holder])
    }
  })
})

test('in-band CLOSE 4006 (rate limit) for one document: limit event; the other document of the socket stays open', { timeout: 20_000 }, async () => {
  await withDataplane({ limits: { opsPerMinute: 1000 } }, async dp => {
    const shared = sharedOnDataplane(dp)
    const busy = shared.open('busy', { limitRetryDelay: 60_000 })
    const quiet = shared.open('quiet')
    const seenQuiet = tally(quiet.provider)
    try {
      await Promise.all([synced(busy.provider), synced(quiet.provider)])
      dp.tripRateLimit()
      const limit = next(busy.provider, 'limit')
      busy.doc.getText('text').insert(0, 'one too many')
      const [event] = await limit
      assert.deepEqual({ code: event.code, limit: event.limit, value: event.value }, { code: 4006, limit: 'ops-per-minute', value: 1000 })
      assert.equal(busy.provider.state, 'waiting')
      assert.equal(quiet.provider.state, 'open')
      assert.equal(shared.shared.sockets, 1)
      assert.deepEqual(seenQuiet.connectionCloses, [])
      // presence is not an op: the quiet document still talks
      const echoed = new Promise<void>(resolve => quiet.provider.awareness.once('change', () => resolve()))
      quiet.provider.awareness.setLocalStateField('user', 'quiet')
      await echoed
    } finally {
      shared.destroy()
    }
  })
})

test('4009 REDIRECT for one document: it moves to the other region\'s shared socket, the rest stay', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const [eu, us] = dp.regions
    // pin the document to the second region
    const pinning = client(dp, 'pinned', { region: 1 })
    await synced(pinning.provider)
    const shared = sharedOnDataplane(dp)
    const pinned = shared.open('pinned')
    const home = shared.open('home')
    const own = client(dp, 'pinned', { framing: hocuspocusFraming })
    try {
      const [[moved], [ownMoved]] = await Promise.all([next(pinned.provider, 'redirect'), next(own.provider, 'redirect')])
      assert.deepEqual(moved, { from: `${eu!.url}/pinned`, to: `${us!.url}/pinned` })
      assert.deepEqual(ownMoved, moved)
      await Promise.all([synced(pinned.provider), synced(home.provider), synced(own.provider)])
      assert.equal(shared.shared.sockets, 2, 'one socket per region')
      assert.equal(pinned.provider.url, `${us!.url}/pinned`)
      assert.equal(home.provider.url, `${eu!.url}/home`)
      pinned.doc.getText('text').insert(0, 'across ')
      own.doc.getText('text').insert(0, 'regions ')
      await converge([pinned.doc, own.doc, pinning.doc], t => t.includes('across') && t.includes('regions'))
      // the redirected document leaves: its region's socket closes, the home socket stays
      pinned.provider.destroy()
      assert.equal(shared.shared.sockets, 1)
      home.doc.getText('text').insert(0, 'home')
      await converge([home.doc], t => t === 'home')
    } finally {
      shared.destroy()
      destroyAll([pinning, own])
    }
  })
})

test('socket-level 4004 (maxConnections): limit event for every document of the socket, own socket and shared', { timeout: 20_000 }, async () => {
  await withDataplane({ limits: { maxConnections: 1 } }, async dp => {
    const holder = client(dp, 'holder')
    await synced(holder.provider)
    const shared = sharedOnDataplane(dp)
    const docs = [shared.open('p1', { limitRetryDelay: 60_000 }), shared.open('p2', { limitRetryDelay: 60_000 })]
    const own = client(dp, 'p3', { framing: hocuspocusFraming, limitRetryDelay: 60_000 })
    try {
      const limits = await Promise.all([...docs, own].map(async c => (await next(c.provider, 'limit'))[0]))
      for (const l of limits) assert.deepEqual({ code: l.code, limit: l.limit, value: l.value }, { code: 4004, limit: 'connections', value: 1 })
      assert.equal(shared.shared.sockets, 0)
      assert.equal(dp.stats().connections, 1)
    } finally {
      shared.destroy()
      destroyAll([holder, own])
    }
  })
})

for (const transport of ['subprotocol', 'in-band'] as const) {
  test(`a refused token (wrong key, ${transport}) ends in closed unauthorized with a bounded number of token calls, own socket and shared`, { timeout: 20_000 }, async t => {
    await withDataplane({}, async dp => {
      const refused = async (): Promise<string> => await dp.mintToken({ signWith: 'foreign' })
      let ownCalls = 0
      const own = client(dp, 'refused', { framing: hocuspocusFraming, tokenTransport: transport, maxBackoffTime: 50, getToken: async () => { ownCalls++; return await refused() } })
      const shared = sharedClient(dp.regions[0]!.url, refused, { tokenTransport: transport })
      const pooled = [shared.open('refused', { maxBackoffTime: 50 }), shared.open('refused-too', { maxBackoffTime: 50 })]
      try {
        const closed = await Promise.all([own, ...pooled].map(async c => (await next(c.provider, 'closed'))[0]))
        for (const e of closed) assert.deepEqual({ code: e.code, kind: e.kind }, { code: 4002, kind: 'unauthorized' })
        // a first token, then one fresh token per rejection until the fifth rejection stops it (MAX_REJECTIONS 4)
        assert.equal(ownCalls, 5, `own socket: ${ownCalls} token calls`)
        assert.ok(shared.tokenCalls <= 5 * pooled.length, `shared: ${shared.tokenCalls} token calls`)
        assert.equal(shared.shared.sockets, 0)
        // nothing retries after closed
        const before = [ownCalls, shared.tokenCalls]
        await new Promise<void>(resolve => setImmediate(resolve))
        assert.deepEqual([ownCalls, shared.tokenCalls], before)
        t.diagnostic(`${transport}: own socket ${ownCalls} token calls, shared connection (2 documents) ${shared.tokenCalls}`)
      } finally {
        destroyAll([own])
        shared.destroy()
      }
    })
  })
}
