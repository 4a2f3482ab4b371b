// Plan limits from the token's `limits` claim: 4004 connections per app across regions, 4005 active
// documents (grace period included), 4008 users per document, 4006 update messages per minute per app.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startLocalDataplane } from '../../src/local/index.ts'
import { accepted, closeOf, closeQuietly, eventually, nextClose, updateFrame, YClient } from '../support/local-client.ts'
import { destroyHocus, hocusDoc, hocusSocket, hocusUntil, rawHocusAuth } from './support/hocuspocus-clients.ts'

test('4004 Connection limit exceeded: counted per app across all regions', async () => {
  const dp = await startLocalDataplane()
  try {
    const token = await dp.mintToken({ claims: { limits: { maxConnections: 2 } } })
    const [eu, us] = dp.regions
    const a = await accepted(`${eu!.url}/one`, token)
    const b = await accepted(`${us!.url}/two`, token)
    assert.deepEqual(await closeOf(`${eu!.url}/one`, { protocols: ['access_token', token] }), { code: 4004, reason: 'Connection limit exceeded: 2' })
    // Another app has its own budget.
    const other = await accepted(`${eu!.url}/one`, await dp.mintToken({ app: dp.addApp(), claims: { limits: { maxConnections: 2 } } }))
    await closeQuietly(a)
    await eventually(() => dp.stats().connections === 2, 'server saw a leave')
    const c = await accepted(`${eu!.url}/one`, token)
    await closeQuietly(b, c, other)
  } finally {
    await dp.close()
  }
})

test('4005 Document limit exceeded with the active count; documents in grace still count', async () => {
  const dp = await startLocalDataplane({ gracePeriod: 300 })
  try {
    const token = await dp.mintToken({ claims: { limits: JSON.stringify({ maxDocuments: 2 }) } })
    const [eu, us] = dp.regions
    const d1 = await accepted(`${eu!.url}/d1`, token)
    const d2 = await accepted(`${us!.url}/d2`, token)
    const again = await accepted(`${eu!.url}/d1`, token)
    assert.deepEqual(await closeOf(`${eu!.url}/d3`, { protocols: ['access_token', token] }), { code: 4005, reason: 'Document limit exceeded: 2 (active: 2)' })
    await closeQuietly(d1, again)
    await eventually(() => dp.stats().connections === 1, 'server saw d1 close')
    // d1 has no socket but is in its grace period: still active.
    assert.deepEqual(await closeOf(`${eu!.url}/d3`, { protocols: ['access_token', token] }), { code: 4005, reason: 'Document limit exceeded: 2 (active: 2)' })
    await eventually(() => dp.stats().documents === 1, 'grace period over')
    const d3 = await accepted(`${eu!.url}/d3`, token)
    await closeQuietly(d2, d3)
  } finally {
    await dp.close()
  }
})

test('4008 Document user limit exceeded', async () => {
  const dp = await startLocalDataplane()
  try {
    const token = await dp.mintToken({ claims: { limits: { maxUsersPerDoc: 2 } } })
    const url = `${dp.regions[0]!.url}/crowded`
    const a = await accepted(url, token)
    const b = await accepted(url, token)
    assert.deepEqual(await closeOf(url, { protocols: ['access_token', token] }), { code: 4008, reason: 'Document user limit exceeded: 2' })
    const elsewhere = await accepted(`${dp.regions[0]!.url}/roomy`, token)
    await closeQuietly(a, b, elsewhere)
  } finally {
    await dp.close()
  }
})

test('4006 Rate limit exceeded: update messages per app over a sliding minute; awareness is free', async () => {
  let clock = Date.now()
  const dp = await startLocalDataplane({ now: () => clock })
  try {
    const token = await dp.mintToken({ ttl: 3600, claims: { limits: { opsPerMinute: 3 } } })
    const url = `${dp.regions[0]!.url}/busy`
    const a = new YClient(url, token)
    const b = new YClient(url, token)
    await a.until(() => a.synced)
    await b.until(() => b.synced)
    for (let i = 0; i < 10; i++) a.setAwareness({ n: i })
    a.doc.getText('text').insert(0, 'a')
    a.doc.getText('text').insert(0, 'b')
    await b.until(() => b.text() === 'ba', 'two updates through')
    const closed = nextClose(b.ws)
    b.doc.getText('text').insert(0, 'c') // third: still within the limit
    await a.until(() => a.text() === 'cba', 'third update through')
    b.doc.getText('text').insert(0, 'd') // fourth for the app: b is closed
    assert.deepEqual(await closed, { code: 4006, reason: 'Rate limit exceeded: 3 ops/min' })
    assert.equal(dp.getDocument('busy')?.getText('text').toString(), 'cba', 'the refused update was not applied')
    assert.equal(a.ws.readyState, a.ws.OPEN, 'only the socket that exceeded is closed')
    // A minute later the window has slid past.
    clock += 60_001
    a.doc.getText('text').insert(0, 'e')
    const c = new YClient(url, token)
    await c.until(() => c.text().startsWith('e'), 'update accepted after the window slid')
    await Promise.all([a.close(), b.close(), c.close()])
  } finally {
    await dp.close()
  }
})

test('tripRateLimit() makes the next update close with 4006 and the app limit', async () => {
  const dp = await startLocalDataplane({ limits: { opsPerMinute: 500 } })
  try {
    const url = `${dp.regions[0]!.url}/tripped`
    const ws = await accepted(url, await dp.mintToken())
    dp.tripRateLimit()
    const closed = nextClose(ws)
    ws.send(updateFrame())
    assert.deepEqual(await closed, { code: 4006, reason: 'Rate limit exceeded: 500 ops/min' })
    // Other apps are unaffected.
    const other = dp.addApp()
    const ok = new YClient(url, await dp.mintToken({ app: other }))
    await ok.until(() => ok.synced)
    ok.doc.getText('text').insert(0, 'fine')
    await eventually(() => dp.getDocument('tripped', other)?.getText('text').toString() === 'fine')
    await ok.close()
  } finally {
    await dp.close()
  }
})

// ---- the same limits in the Hocuspocus framing (contract §6) ---------------------------------------
// A socket counts once for maxConnections whatever number of documents it carries (over the limit:
// the socket closes 4004); each document counts for maxDocuments and maxUsersPerDoc and is refused
// in-band; an opsPerMinute overflow closes that one document in-band.

test('Hocuspocus: 4004 closes the socket whose first document would exceed maxConnections; more documents on a counted socket are free', async () => {
  const dp = await startLocalDataplane()
  try {
    const token = await dp.mintToken({ claims: { limits: { maxConnections: 1 } } })
    const url = dp.regions[0]!.url
    const first = hocusSocket(url)
    const docs = ['c1', 'c2', 'c3'].map(name => hocusDoc(first, name, token))
    await Promise.all(docs.map(d => hocusUntil(d, () => d.provider.isSynced, 'synced')))
    assert.deepEqual(await rawHocusAuth(url, 'c4', token), { answer: 'socket-closed 4004 Connection limit exceeded: 1', documentFrames: 0 })
    destroyHocus(first, ...docs)
  } finally {
    await dp.close()
  }
})

test('Hocuspocus: 4005 and 4008 are PermissionDenied for that document only', async () => {
  const dp = await startLocalDataplane()
  try {
    const url = dp.regions[0]!.url
    const token = await dp.mintToken({ claims: { limits: { maxDocuments: 2, maxUsersPerDoc: 1 } } })
    const socket = hocusSocket(url)
    const d1 = hocusDoc(socket, 'd1', token)
    const d2 = hocusDoc(socket, 'd2', token)
    await hocusUntil(d1, () => d1.provider.isSynced, 'd1')
    await hocusUntil(d2, () => d2.provider.isSynced, 'd2')
    assert.deepEqual(await rawHocusAuth(url, 'd3', token), { answer: 'permission-denied 4005 Document limit exceeded: 2 (active: 2)', documentFrames: 0 })
    assert.deepEqual(await rawHocusAuth(url, 'd1', token), { answer: 'permission-denied 4008 Document user limit exceeded: 1', documentFrames: 0 })
    d1.doc.getText('text').insert(0, 'unaffected')
    await eventually(() => dp.getDocument('d1')?.getText('text').toString() === 'unaffected', 'd1 keeps syncing')
    destroyHocus(socket, d1, d2)
  } finally {
    await dp.close()
  }
})

test('Hocuspocus: 4006 over opsPerMinute is an in-band CLOSE for that document; tripRateLimit() too', async () => {
  let clock = Date.now()
  const dp = await startLocalDataplane({ now: () => clock })
  try {
    const url = dp.regions[0]!.url
    const token = await dp.mintToken({ ttl: 3600, claims: { limits: { opsPerMinute: 2 } } })
    const socket = hocusSocket(url)
    const busy = hocusDoc(socket, 'busy-h', token)
    await hocusUntil(busy, () => busy.provider.isSynced, 'synced')
    for (const ch of 'abc') busy.doc.getText('text').insert(0, ch)
    await hocusUntil(busy, () => busy.closes.length > 0, 'CLOSE')
    assert.deepEqual(busy.closes, ['4006 Rate limit exceeded: 2 ops/min'])
    assert.equal(dp.getDocument('busy-h')?.getText('text').toString(), 'ba', 'the refused update was not applied')
    destroyHocus(socket, busy)
    clock += 60_001
    const other = dp.addApp({ limits: { opsPerMinute: 500 } })
    const socket2 = hocusSocket(url)
    const tripped = hocusDoc(socket2, 'tripped-h', await dp.mintToken({ app: other }))
    await hocusUntil(tripped, () => tripped.provider.isSynced, 'synced')
    dp.tripRateLimit(other)
    tripped.doc.getText('text').insert(0, 'x')
    await hocusUntil(tripped, () => tripped.closes.length > 0, 'CLOSE after trip')
    assert.deepEqual(tripped.closes, ['4006 Rate limit exceeded: 500 ops/min'])
    destroyHocus(socket2, tripped)
  } finally {
    await dp.close()
  }
})
