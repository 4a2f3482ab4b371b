/**
 * The stock `@hocuspocus/provider` 4.x against the local dataplane through real sockets (issue 12,
 * contract §6): WireSocket's editor-setup recipe (region URL, token in `token`) and the `?token=`
 * variant, side by side with a y-websocket-framed client; several documents over one socket; in-band
 * refusals and closes that leave the socket's other documents syncing; in-band token refresh.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { closeOf, YClient } from '../support/local-client.ts'
import { destroyHocus, hocusDoc, hocusSocket, hocusUntil } from './support/hocuspocus-clients.ts'
import { withDataplane } from '../support/with-dataplane.ts'

test('WireSocket\'s recipe (region URL, token in `token`): text and presence both ways with a y-websocket client', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const token = await dp.mintToken()
    const socket = hocusSocket(dp.regions[0]!.url)
    const h = hocusDoc(socket, 'my-doc', token)
    const y = new YClient(`${dp.regions[0]!.url}/my-doc`, token)
    try {
      await hocusUntil(h, () => h.provider.isSynced && h.provider.isAuthenticated, 'hocuspocus synced')
      await y.until(() => y.synced)
      h.doc.getText('text').insert(0, 'from hocuspocus')
      await y.until(() => y.text() === 'from hocuspocus', 'y-websocket sees the hocuspocus edit')
      y.doc.getText('text').insert(0, 'y: ')
      await hocusUntil(h, () => h.doc.getText('text').toString() === 'y: from hocuspocus', 'hocuspocus sees the y-websocket edit')
      h.provider.setAwarenessField('user', { name: 'hocus' })
      await y.until(() => [...y.awareness.getStates().values()].some(s => (s.user as { name?: string } | undefined)?.name === 'hocus'), 'presence hocus → y')
      y.setAwareness({ user: { name: 'ywebsocket' } })
      await hocusUntil(h, () => [...h.provider.awareness!.getStates().values()].some(s => s.user?.name === 'ywebsocket'), 'presence y → hocus')
      assert.deepEqual(h.denied, [])
      assert.equal(dp.stats().connections, 2)
    } finally {
      destroyHocus(socket, h)
      await y.close()
    }
  })
})

test('the token as ?token= on the region URL, `token: null` in the provider: the upgrade\'s token serves the document', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const token = await dp.mintToken()
    const socket = hocusSocket(`${dp.regions[0]!.url}?token=${token}`)
    const h = hocusDoc(socket, 'query-doc', null)
    try {
      await hocusUntil(h, () => h.provider.isSynced, 'synced')
      h.doc.getText('text').insert(0, 'via query')
      const y = new YClient(`${dp.regions[0]!.url}/query-doc`, token)
      await y.until(() => y.text() === 'via query', 'edit reached the server')
      await y.close()
      assert.match(dp.handshakes[0]!.url, /^\/\?token=eyJ[\w-]+\.\[redacted\]$/)
    } finally {
      destroyHocus(socket, h)
    }
  })
})

test('three documents over one socket with maxConnections: 1; a second socket of the app is refused 4004', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const token = await dp.mintToken({ claims: { limits: { maxConnections: 1 } } })
    const socket = hocusSocket(dp.regions[0]!.url)
    const docs = ['one', 'two', 'three'].map(name => hocusDoc(socket, name, token))
    try {
      await Promise.all(docs.map(d => hocusUntil(d, () => d.provider.isSynced, 'synced')))
      docs.forEach((d, i) => d.doc.getText('text').insert(0, `doc ${i}`))
      for (const [i, name] of ['one', 'two', 'three'].entries()) {
        await new Promise<void>((resolve, reject) => {
          const doc = dp.getDocument(name)!
          const check = (): void => { if (doc.getText('text').toString() === `doc ${i}`) { doc.off('update', check); resolve() } }
          doc.on('update', check)
          check()
          setTimeout(() => reject(new Error(`${name} never synced`)), 5000).unref()
        })
      }
      assert.equal(dp.stats().connections, 1)
      assert.deepEqual(await closeOf(`${dp.regions[0]!.url}/one`, { protocols: ['access_token', token] }), { code: 4004, reason: 'Connection limit exceeded: 1' })
    } finally {
      destroyHocus(socket, ...docs)
    }
  })
})

test('per-document refusals arrive in-band (4002, 4007, 4008, 4009 REDIRECT:…) while the socket\'s other documents keep syncing', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const token = await dp.mintToken({ claims: { limits: { maxUsersPerDoc: 1 } } })
    const [eu, us] = dp.regions
    // `crowded` already has its one user; `elsewhere` is pinned to the other region.
    const crowd = new YClient(`${eu!.url}/crowded`, token)
    const pinned = new YClient(`${us!.url}/elsewhere`, token)
    await crowd.until(() => crowd.synced)
    await pinned.until(() => pinned.synced)
    const socket = hocusSocket(eu!.url)
    const good = hocusDoc(socket, 'good', token)
    const invalid = hocusDoc(socket, 'forged', async () => 'not.a-valid.token')
    const badName = hocusDoc(socket, 'bad.name', token)
    const full = hocusDoc(socket, 'crowded', token)
    const moved = hocusDoc(socket, 'elsewhere', token)
    try {
      await hocusUntil(good, () => good.provider.isSynced, 'good synced')
      await hocusUntil(badName, () => badName.denied.length > 0, '4007')
      await hocusUntil(full, () => full.denied.length > 0, '4008')
      await hocusUntil(moved, () => moved.denied.length > 0, '4009')
      await hocusUntil(invalid, () => invalid.denied.length > 0, '4002')
      assert.deepEqual(invalid.denied, ['4002 Invalid token'])
      assert.deepEqual(badName.denied, ['4007 Invalid document name'])
      assert.deepEqual(full.denied, ['4008 Document user limit exceeded: 1'])
      assert.deepEqual(moved.denied, [`4009 REDIRECT:${us!.url}/elsewhere`])
      assert.equal(dp.stats().connections, 3, 'one Hocuspocus socket + two y-websocket clients')
      // The socket is still open and `good` still syncs.
      good.doc.getText('text').insert(0, 'still syncing')
      const reader = new YClient(`${eu!.url}/good`, await dp.mintToken())
      await reader.until(() => reader.text() === 'still syncing', 'good keeps syncing')
      await reader.close()
    } finally {
      destroyHocus(socket, good, invalid, badName, full, moved)
      await Promise.all([crowd.close(), pinned.close()])
    }
  })
})

test('a foreign-key or expired token for one document: PermissionDenied 4002 for it alone', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const token = await dp.mintToken()
    const socket = hocusSocket(dp.regions[0]!.url)
    const good = hocusDoc(socket, 'good-one', token)
    const bad = hocusDoc(socket, 'bad-one', await dp.mintToken({ signWith: 'foreign' }))
    const expired = hocusDoc(socket, 'old-one', await dp.mintToken({ ttl: -5 }))
    try {
      await hocusUntil(bad, () => bad.denied.length > 0, '4002')
      await hocusUntil(expired, () => expired.denied.length > 0, '4002 expired')
      await hocusUntil(good, () => good.provider.isSynced, 'good synced')
      assert.deepEqual(bad.denied, ['4002 Invalid token'])
      assert.deepEqual(expired.denied, ['4002 Token expired'])
      assert.deepEqual(good.denied, [])
    } finally {
      destroyHocus(socket, good, bad, expired)
    }
  })
})

test('in-band token refresh: an 11 s session on 4 s tokens, no socket disconnect, edits keep flowing', { timeout: 30_000 }, async () => {
  await withDataplane({}, async dp => {
    let minted = 0
    const socket = hocusSocket(dp.regions[0]!.url)
    let disconnects = 0
    socket.on('disconnect', () => { disconnects++ })
    const h = hocusDoc(socket, 'long-session', async () => { minted++; return await dp.mintToken({ ttl: 4 }) })
    const reader = new YClient(`${dp.regions[0]!.url}/long-session`, await dp.mintToken({ ttl: 60 }))
    try {
      await hocusUntil(h, () => h.provider.isSynced, 'synced')
      const started = Date.now()
      let i = 0
      while (Date.now() - started < 11_000) {
        h.doc.getText('text').insert(0, String(i % 10))
        const expected = h.doc.getText('text').toString()
        await reader.until(() => reader.text() === expected, `edit ${i} relayed`)
        i++
        await new Promise(resolve => setTimeout(resolve, 250))
      }
      assert.equal(disconnects, 0, 'the socket never dropped')
      assert.deepEqual(h.closes, [], 'no document was closed')
      assert.ok(minted >= 3, `the token function was asked again in-band (${minted} tokens)`)
    } finally {
      destroyHocus(socket, h)
      await reader.close()
    }
  })
})

test('a document past opsPerMinute gets an in-band CLOSE "4006 …"; the socket\'s other document keeps syncing', { timeout: 20_000 }, async () => {
  await withDataplane({}, async dp => {
    const limited = dp.addApp({ limits: { opsPerMinute: 3 } })
    const socket = hocusSocket(dp.regions[0]!.url)
    const busy = hocusDoc(socket, 'busy', await dp.mintToken({ app: limited }))
    const calm = hocusDoc(socket, 'calm', await dp.mintToken())
    try {
      await hocusUntil(busy, () => busy.provider.isSynced, 'busy synced')
      await hocusUntil(calm, () => calm.provider.isSynced, 'calm synced')
      for (let i = 0; i < 5; i++) busy.doc.getText('text').insert(0, String(i))
      await hocusUntil(busy, () => busy.closes.length > 0, 'CLOSE for busy')
      assert.deepEqual(busy.closes, ['4006 Rate limit exceeded: 3 ops/min'])
      calm.doc.getText('text').insert(0, 'calm')
      const reader = new YClient(`${dp.regions[0]!.url}/calm`, await dp.mintToken())
      await reader.until(() => reader.text() === 'calm', 'calm keeps syncing')
      await reader.close()
    } finally {
      destroyHocus(socket, busy, calm)
    }
  })
})
