/** WireSocketProvider in the Hocuspocus framing (contract §6), against the local dataplane. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WireSocketProvider } from '../../src/index.ts'
import { createSharedConnection, hocuspocusFraming } from '../../src/hocuspocus/index.ts'
import { client, converge, destroyAll, next, synced } from './support/provider-harness.ts'
import { withDataplane } from '../support/with-dataplane.ts'

test('one document in the Hocuspocus framing syncs text and presence with a y-websocket-framed client', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const a = client(dp, 'framed', { framing: hocuspocusFraming })
    const b = client(dp, 'framed')
    try {
      await Promise.all([synced(a.provider), synced(b.provider)])
      a.doc.getText('text').insert(0, 'from hocuspocus ')
      b.doc.getText('text').insert(0, 'from y-websocket ')
      await converge([a.doc, b.doc], t => t.includes('from hocuspocus') && t.includes('from y-websocket'))
      a.provider.awareness.setLocalStateField('user', 'ada')
      b.provider.awareness.setLocalStateField('user', 'bob')
      await new Promise<void>(resolve => {
        const check = (): void => {
          const seen = (p: WireSocketProvider, who: string): boolean => [...p.awareness.getStates().values()].some(s => (s as { user?: string }).user === who)
          if (seen(a.provider, 'bob') && seen(b.provider, 'ada')) resolve()
        }
        a.provider.awareness.on('change', check)
        b.provider.awareness.on('change', check)
        check()
      })
    } finally {
      destroyAll([a, b])
    }
  })
})

test('in-band refresh: 11 s on 3 s tokens in the Hocuspocus framing, no connection-close', { timeout: 30_000 }, async () => {
  await withDataplane({}, async dp => {
    const a = client(dp, 'refreshing', { framing: hocuspocusFraming, ttl: 3 })
    const closes: unknown[] = []
    a.provider.on('connection-close', e => closes.push(e))
    try {
      await synced(a.provider)
      const started = Date.now()
      while (Date.now() - started < 11_000) {
        await next(a.provider, 'token')
      }
      assert.deepEqual(closes, [])
      assert.ok(a.tokenCalls >= 4, `token calls: ${a.tokenCalls}`)
    } finally {
      destroyAll([a])
    }
  })
})

test('three documents on one shared connection with maxConnections: 1', { timeout: 20_000 }, async () => {
  await withDataplane({ limits: { maxConnections: 1 } }, async dp => {
    let calls = 0
    const shared = createSharedConnection(dp.regions[0]!.url, {
      WebSocketPolyfill: WebSocket,
      getToken: async () => { calls++; return await dp.mintToken() },
    })
    const docs = ['one', 'two', 'three'].map(name => {
      const doc = new Y.Doc()
      return { doc, provider: new WireSocketProvider(dp.regions[0]!.url, name, doc, { connection: shared, disableBc: true }) }
    })
    try {
      await Promise.all(docs.map(async d => await synced(d.provider)))
      assert.equal(shared.sockets, 1)
      assert.equal(calls, 1)
    } finally {
      shared.destroy()
    }
    assert.equal(shared.sockets, 0)
    for (const d of docs) assert.equal(d.provider.state, 'destroyed')
  })
})

test('bad options throw at construction, naming the option: createSharedConnection, and a provider given a shared connection (what both builds check)', () => {
  const url = 'ws://127.0.0.1:9'
  const getToken = async (): Promise<string> => 'x'
  const throwsNaming = (make: () => unknown, name: string): void => {
    assert.throws(make, (error: Error) => error instanceof TypeError && error.message.includes(`"${name}"`), name)
  }
  assert.throws(() => createSharedConnection('http://example.com', { getToken, WebSocketPolyfill: WebSocket }), /url/)
  throwsNaming(() => createSharedConnection(url, { WebSocketPolyfill: WebSocket }), 'getToken')
  throwsNaming(() => createSharedConnection(url, { getToken }), 'WebSocketPolyfill')
  const shared = createSharedConnection(url, { getToken, WebSocketPolyfill: WebSocket })
  const doc = new Y.Doc()
  throwsNaming(() => new WireSocketProvider(url, 'd', doc, { connection: shared, getToken }), 'getToken')
  throwsNaming(() => new WireSocketProvider(url, 'd', doc, { connection: shared, tokenTransport: 'query' }), 'tokenTransport')
  throwsNaming(() => new WireSocketProvider(url, 'd', doc, { connection: shared, WebSocketPolyfill: WebSocket }), 'WebSocketPolyfill')
  throwsNaming(() => new WireSocketProvider('ws://127.0.0.1:10', 'd', doc, { connection: shared }), 'connection')
  shared.destroy()
  throwsNaming(() => new WireSocketProvider(url, 'd', doc, { connection: shared }), 'connection')
  doc.destroy()
})

test('re-entrancy on a shared connection: shared.destroy() from a sync listener, a neighbour destroyed from a connection-close listener, reconnect from a status listener', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const uncaught: unknown[] = []
    const onUncaught = (error: unknown): void => { uncaught.push(error) }
    process.on('uncaughtException', onUncaught)
    const open = (shared: ReturnType<typeof createSharedConnection>, name: string): WireSocketProvider =>
      new WireSocketProvider(dp.regions[0]!.url, name, new Y.Doc(), { connection: shared, disableBc: true, maxBackoffTime: 50 })
    const sharedOf = (): ReturnType<typeof createSharedConnection> =>
      createSharedConnection(dp.regions[0]!.url, { WebSocketPolyfill: WebSocket, getToken: async () => await dp.mintToken() })
    try {
      // 1. the whole shared connection destroyed from inside one provider's first sync
      const first = sharedOf()
      const [a, b] = [open(first, 'r1'), open(first, 'r2')]
      const destroyedInside = new Promise<void>(resolve => a.on('sync', synced => { if (synced) { first.destroy(); resolve() } }))
      await destroyedInside
      assert.deepEqual([a.state, b.state, first.sockets], ['destroyed', 'destroyed', 0])

      // 2. a socket drop reaches both documents; the first to hear of it destroys the other
      const second = sharedOf()
      const [c, d] = [open(second, 'r3'), open(second, 'r4')]
      await Promise.all([synced(c), synced(d)])
      c.once('connection-close', () => d.destroy())
      const back = next(c, 'sync', s => s)
      dp.dropConnections()
      await back
      assert.equal(d.state, 'destroyed')
      assert.equal(second.sockets, 1)

      // 3. disconnect and connect again from inside a status listener: the latest call wins
      const flip = (event: { status: string }): void => {
        if (event.status !== 'connected') return
        c.off('status', flip)
        c.disconnect()
        c.connect()
      }
      c.on('status', flip)
      const resynced = next(c, 'sync', s => s)
      dp.dropConnections()
      await resynced
      assert.equal(c.state, 'open')
      second.destroy()
      assert.equal(second.sockets, 0)
      assert.deepEqual(uncaught, [])
    } finally {
      process.off('uncaughtException', onUncaught)
    }
  })
})
