import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { WireSocketProvider } from '../../src/index.ts'
import { client, converge, destroyAll, next, recordingWebSocket, synced, dataplaneForFile } from './support/provider-harness.ts'

const file = dataplaneForFile()
let dp: LocalDataplane
before(async () => { dp = await file.ready })

test('two providers sync text and awareness through the dataplane', async () => {
  const a = client(dp, 'sync-basic')
  const b = client(dp, 'sync-basic')
  try {
    await Promise.all([synced(a.provider), synced(b.provider)])
    assert.equal(a.provider.wsconnected, true)
    assert.equal(a.provider.state, 'open')
    a.provider.awareness.setLocalStateField('user', { name: 'Ada' })
    a.doc.getText('text').insert(0, 'hello')
    await converge([a.doc, b.doc], t => t === 'hello')
    await new Promise<void>(resolve => {
      const check = (): void => {
        if (b.provider.awareness.getStates().get(a.doc.clientID)?.user?.name === 'Ada') {
          b.provider.awareness.off('change', check)
          resolve()
        }
      }
      b.provider.awareness.on('change', check)
      check()
    })
  } finally {
    destroyAll([a, b])
  }
})

test('subprotocol transport: the token never appears in a URL the server saw', async () => {
  const a = client(dp, 'transport-sub')
  try {
    await synced(a.provider)
    const token = await dp.mintToken()
    const records = dp.handshakes.filter(h => h.url.startsWith('/transport-sub'))
    assert.ok(records.length >= 1)
    for (const record of records) {
      assert.equal(record.transport, 'subprotocol')
      assert.doesNotMatch(record.url, /token|eyJ/, 'no token in the URL')
    }
    assert.ok(!a.provider.url.includes('eyJ'), 'provider.url carries no token')
    assert.ok(token.startsWith('eyJ'))
  } finally {
    destroyAll([a])
  }
})

test('query transport presents the token as ?token= and provider.url still hides it', async () => {
  const a = client(dp, 'transport-query', { tokenTransport: 'query', params: { app: 'demo' } })
  try {
    await synced(a.provider)
    const record = dp.handshakes.find(h => h.url.startsWith('/transport-query'))
    assert.ok(record)
    assert.equal(record.transport, 'query')
    assert.match(record.url, /[?&]token=eyJ/)
    assert.match(record.url, /[?&]app=demo/)
    assert.equal(a.provider.url, `${dp.regions[0]!.url}/transport-query?app=demo`)
  } finally {
    destroyAll([a])
  }
})

test('edits made while the network is down stay in the doc and sync on reconnect', async () => {
  const a = client(dp, 'offline-edits')
  const b = client(dp, 'offline-edits')
  try {
    await Promise.all([synced(a.provider), synced(b.provider)])
    const down = Promise.all([next(a.provider, 'status', e => e.status === 'disconnected'), next(b.provider, 'status', e => e.status === 'disconnected')])
    dp.dropConnections()
    await down
    a.doc.getText('text').insert(0, 'written offline by a. ')
    b.doc.getText('text').insert(0, 'written offline by b. ')
    await converge([a.doc, b.doc], t => t.includes('written offline by a.') && t.includes('written offline by b.'))
    assert.equal(a.doc.getText('text').toString(), b.doc.getText('text').toString())
  } finally {
    destroyAll([a, b])
  }
})

test('the same provider syncs against a plain y-websocket-protocol server that ignores tokens', async () => {
  const plain = await startLocalDataplane({ authenticate: false })
  const a = client(plain, 'plain-server')
  const b = client(plain, 'plain-server')
  try {
    await Promise.all([synced(a.provider), synced(b.provider)])
    b.doc.getText('text').insert(0, 'plain')
    await converge([a.doc, b.doc], t => t === 'plain')
  } finally {
    destroyAll([a, b])
    await plain.close()
  }
})

test('extra protocols are offered after the token, and a custom subprotocol name is used', async () => {
  const log: Array<{ url: string; protocols: string[] }> = []
  const doc = new Y.Doc()
  const provider = new WireSocketProvider(dp.regions[0]!.url, 'custom-proto', doc, {
    WebSocketPolyfill: recordingWebSocket(log),
    disableBc: true,
    protocols: ['y-sync'],
    getToken: async () => await dp.mintToken(),
  })
  try {
    await synced(provider)
    assert.equal(log[0]?.protocols[0], 'access_token')
    assert.match(log[0]?.protocols[1] ?? '', /^eyJ/)
    assert.equal(log[0]?.protocols[2], 'y-sync')
  } finally {
    provider.destroy()
  }
  const legacy = new WireSocketProvider(dp.regions[0]!.url, 'custom-proto', new Y.Doc(), {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    tokenProtocol: 'Bearer',
    getToken: async () => await dp.mintToken(),
  })
  try {
    await synced(legacy)
  } finally {
    legacy.destroy()
  }
})
