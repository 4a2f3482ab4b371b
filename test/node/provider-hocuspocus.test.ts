/** WireSocketProvider in the Hocuspocus framing (contract §6), against the local dataplane. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WireSocketProvider } from '../../src/index.ts'
import { createSharedConnection, hocuspocusFraming } from '../../src/hocuspocus/index.ts'
import { client, converge, destroyAll, next, synced } from './support/provider-harness.ts'
import { startLocalDataplane, type LocalDataplane, type LocalDataplaneOptions } from '../../src/local/index.ts'

const withDataplane = async (options: LocalDataplaneOptions, run: (dp: LocalDataplane) => Promise<void>): Promise<void> => {
  const dp = await startLocalDataplane(options)
  try {
    await run(dp)
  } finally {
    await dp.close()
  }
}

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

test('bad options throw at construction, naming the option: createSharedConnection, and a provider given a shared connection', () => {
  const url = 'ws://127.0.0.1:9'
  const getToken = async (): Promise<string> => 'x'
  const throwsNaming = (make: () => unknown, name: string): void => {
    assert.throws(make, (error: Error) => error instanceof TypeError && error.message.includes(`"${name}"`), name)
  }
  assert.throws(() => createSharedConnection('http://example.com', { getToken, WebSocketPolyfill: WebSocket }), /url/)
  throwsNaming(() => createSharedConnection(url, { WebSocketPolyfill: WebSocket }), 'getToken')
  throwsNaming(() => createSharedConnection(url, { getToken, WebSocketPolyfill: WebSocket, tokenTransport: 'header' as 'query' }), 'tokenTransport')
  throwsNaming(() => createSharedConnection(url, { getToken, WebSocketPolyfill: WebSocket, tokenProtocol: 'two words' }), 'tokenProtocol')
  throwsNaming(() => createSharedConnection(url, { getToken, WebSocketPolyfill: WebSocket, handshakeTimeout: 0 }), 'handshakeTimeout')
  throwsNaming(() => createSharedConnection(url, { getToken }), 'WebSocketPolyfill')
  const shared = createSharedConnection(url, { getToken, WebSocketPolyfill: WebSocket })
  const doc = new Y.Doc()
  throwsNaming(() => new WireSocketProvider(url, 'd', doc, { connection: shared, getToken }), 'getToken')
  throwsNaming(() => new WireSocketProvider(url, 'd', doc, { connection: shared, tokenTransport: 'query' }), 'tokenTransport')
  throwsNaming(() => new WireSocketProvider(url, 'd', doc, { connection: shared, WebSocketPolyfill: WebSocket }), 'WebSocketPolyfill')
  throwsNaming(() => new WireSocketProvider('ws://127.0.0.1:10', 'd', doc, { connection: shared }), 'connection')
  throwsNaming(() => new WireSocketProvider(url, 'd', doc, { getToken, WebSocketPolyfill: WebSocket, tokenTransport: 'in-band' }), 'tokenTransport')
  throwsNaming(() => new WireSocketProvider(url, 'd', doc, { getToken, WebSocketPolyfill: WebSocket, framing: {} as typeof hocuspocusFraming }), 'framing')
  shared.destroy()
  throwsNaming(() => new WireSocketProvider(url, 'd', doc, { connection: shared }), 'connection')
  doc.destroy()
})
