// The y-websocket protocol through the local dataplane: document sync both ways, awareness relayed to
// every connection (sender included), query-awareness, tenant/app isolation, abrupt drops.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startLocalDataplane } from '../../src/local/index.ts'
import { eventually, nextClose, serverText, YClient } from '../support/local-client.ts'

test('two clients sync text both ways, and the server holds the state', async () => {
  const dp = await startLocalDataplane()
  const url = `${dp.regions[0]!.url}/shared`
  const a = new YClient(url, await dp.mintToken())
  const b = new YClient(url, await dp.mintToken())
  try {
    await a.until(() => a.synced, 'a synced')
    await b.until(() => b.synced, 'b synced')
    a.doc.getText('text').insert(0, 'hello')
    await b.until(() => b.text() === 'hello', 'b sees hello')
    b.doc.getText('text').insert(5, ' world')
    await a.until(() => a.text() === 'hello world', 'a sees world')
    assert.equal(dp.getDocument('shared')?.getText('text').toString(), 'hello world')
    // A late joiner gets the whole state from the server's sync step 2.
    const c = new YClient(url, await dp.mintToken())
    await c.until(() => c.text() === 'hello world', 'c gets state')
    await c.close()
    await eventually(() => dp.stats().connections === 2, 'server saw c leave')
    assert.deepEqual(dp.stats(), { connections: 2, documents: 1 })
  } finally {
    await Promise.all([a.close(), b.close()])
    await dp.close()
  }
})

test('awareness is relayed to every connection of the document, the sender included', async () => {
  const dp = await startLocalDataplane()
  const url = `${dp.regions[0]!.url}/aware`
  const a = new YClient(url, await dp.mintToken())
  const b = new YClient(url, await dp.mintToken())
  try {
    await a.until(() => a.synced)
    await b.until(() => b.synced)
    const aBefore = a.awarenessMessages
    a.setAwareness({ user: 'ada' })
    await b.until(() => b.awareness.getStates().get(a.doc.clientID)?.user === 'ada', 'b sees ada')
    await a.until(() => a.awarenessMessages > aBefore, 'a gets its own echo')
    // Renewing an unchanged state is still echoed (that keeps a client's receive watchdog quiet).
    const echoes = a.awarenessMessages
    a.setAwareness({ user: 'ada' })
    await a.until(() => a.awarenessMessages > echoes, 'a gets the unchanged echo')
    // A newcomer receives the present states on connect, and on query-awareness.
    const c = new YClient(url, await dp.mintToken())
    await c.until(() => c.awareness.getStates().get(a.doc.clientID)?.user === 'ada', 'c sees ada on connect')
    const cCount = c.awarenessMessages
    c.queryAwareness()
    await c.until(() => c.awarenessMessages > cCount, 'query-awareness answered')
    // When a leaves, the others see its state removed.
    await a.close()
    await b.until(() => !b.awareness.getStates().has(a.doc.clientID), 'a removed at b')
    await c.close()
    // The server itself never shows up as a participant.
    assert.deepEqual([...b.awareness.getStates().keys()].sort(), [b.doc.clientID].filter(id => b.awareness.getStates().has(id)))
  } finally {
    await Promise.all([a.close(), b.close()])
    await dp.close()
  }
})

test('tenant and app isolation: same document name, separate documents', async () => {
  const dp = await startLocalDataplane()
  const sameTenantApp = dp.addApp({ tenantId: dp.app.tenantId })
  const otherTenantApp = dp.addApp()
  const url = `${dp.regions[0]!.url}/same-name`
  const a = new YClient(url, await dp.mintToken())
  const b = new YClient(url, await dp.mintToken({ app: sameTenantApp }))
  const c = new YClient(url, await dp.mintToken({ app: otherTenantApp }))
  const a2 = new YClient(url, await dp.mintToken())
  try {
    await Promise.all([a, b, c, a2].map(async client => await client.until(() => client.synced)))
    a.doc.getText('text').insert(0, 'A')
    b.doc.getText('text').insert(0, 'B')
    c.doc.getText('text').insert(0, 'C')
    a.setAwareness({ who: 'a' })
    await a2.until(() => a2.text() === 'A' && a2.awareness.getStates().has(a.doc.clientID), 'a2 sees only A')
    assert.equal(dp.getDocument('same-name')?.getText('text').toString(), 'A')
    assert.equal(dp.getDocument('same-name', sameTenantApp)?.getText('text').toString(), 'B')
    assert.equal(dp.getDocument('same-name', otherTenantApp)?.getText('text').toString(), 'C')
    assert.equal(b.text(), 'B')
    assert.equal(c.text(), 'C')
    assert.equal(b.awareness.getStates().has(a.doc.clientID), false)
    assert.equal(c.awareness.getStates().has(a.doc.clientID), false)
    assert.equal(dp.stats().documents, 3)
  } finally {
    await Promise.all([a, b, c, a2].map(async client => await client.close()))
    await dp.close()
  }
})

test('dropConnections() cuts every socket without a close frame; state survives for a reconnect', async () => {
  const dp = await startLocalDataplane()
  const url = `${dp.regions[0]!.url}/dropped`
  const a = new YClient(url, await dp.mintToken())
  try {
    await a.until(() => a.synced)
    a.doc.getText('text').insert(0, 'kept')
    await serverText(() => dp.getDocument('dropped'), 'kept')
    const closed = nextClose(a.ws)
    dp.dropConnections()
    assert.equal((await closed).code, 1006)
    const b = new YClient(url, await dp.mintToken())
    await b.until(() => b.text() === 'kept', 'state kept within the grace period')
    await b.close()
  } finally {
    await a.close()
    await dp.close()
  }
})
