/**
 * WireSocketProvider in the Hocuspocus framing (own socket and shared connection) beside a stock
 * `HocuspocusProvider` and a y-websocket-framed WireSocketProvider, on one document of the local
 * dataplane (issue 13): text and presence go every way.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Awareness } from 'y-protocols/awareness'
import { hocuspocusFraming } from '../../src/hocuspocus/index.ts'
import { startLocalDataplane } from '../../src/local/index.ts'
import { client, converge, destroyAll, synced } from './support/provider-harness.ts'
import { destroyHocus, hocusDoc, hocusSocket, hocusUntil } from './support/hocuspocus-clients.ts'
import { presenceConverges, presenceGone, sharedOnDataplane } from './support/hocuspocus-interop.ts'

test('one document, four clients: own Hocuspocus socket, shared connection, stock HocuspocusProvider, y-websocket framing', { timeout: 30_000 }, async () => {
  const dp = await startLocalDataplane()
  const url = dp.regions[0]!.url
  const own = client(dp, 'meeting', { framing: hocuspocusFraming })
  const shared = sharedOnDataplane(dp)
  const pooled = shared.open('meeting')
  // a second document on the same shared socket, to show the first one's traffic is addressed right
  const other = shared.open('agenda')
  const plain = client(dp, 'meeting')
  const stockSocket = hocusSocket(url)
  const stock = hocusDoc(stockSocket, 'meeting', async () => await dp.mintToken())
  try {
    await Promise.all([own, pooled, other, plain].map(async c => await synced(c.provider)))
    await hocusUntil(stock, () => stock.provider.isSynced, 'stock provider synced')
    assert.equal(shared.shared.sockets, 1)

    own.doc.getText('text').insert(0, '[own]')
    pooled.doc.getText('text').insert(0, '[pooled]')
    plain.doc.getText('text').insert(0, '[plain]')
    stock.doc.getText('text').insert(0, '[stock]')
    other.doc.getText('text').insert(0, 'agenda only')
    const all = (t: string): boolean => ['[own]', '[pooled]', '[plain]', '[stock]'].every(s => t.includes(s))
    await converge([own.doc, pooled.doc, plain.doc, stock.doc], all)
    assert.equal(own.doc.getText('text').length, pooled.doc.getText('text').length)
    assert.ok(!own.doc.getText('text').toString().includes('agenda'), 'the other document stays apart')
    assert.equal(dp.getDocument('agenda')?.getText('text').toString(), 'agenda only')

    const awarenesses: Awareness[] = [own.provider.awareness, pooled.provider.awareness, plain.provider.awareness, stock.provider.awareness!]
    own.provider.awareness.setLocalStateField('user', 'own')
    pooled.provider.awareness.setLocalStateField('user', 'pooled')
    plain.provider.awareness.setLocalStateField('user', 'plain')
    stock.provider.setAwarenessField('user', 'stock')
    await presenceConverges(awarenesses, ['own', 'pooled', 'plain', 'stock'])
    // the other document on the shared socket hears nobody of this one
    assert.equal(other.provider.awareness.getStates().size, 1)

    // Leaving is presence too: each kind's departure reaches the others.
    own.provider.destroy()
    await presenceGone(awarenesses.slice(1), 'own')
    pooled.provider.destroy()
    await presenceGone([plain.provider.awareness, stock.provider.awareness!], 'pooled')
    assert.equal(shared.shared.sockets, 1, 'the shared socket stays for the other document')
    other.doc.getText('text').insert(0, 'still ')
    await converge([other.doc], t => t === 'still agenda only')
  } finally {
    destroyAll([own, plain])
    shared.destroy()
    destroyHocus(stockSocket, stock)
    await dp.close()
  }
})

test('three documents on one shared socket sync with y-websocket-framed and stock clients of each', { timeout: 30_000 }, async () => {
  const dp = await startLocalDataplane({ limits: { maxConnections: 7 } })
  const url = dp.regions[0]!.url
  const names = ['one', 'two', 'three']
  const shared = sharedOnDataplane(dp, { tokenTransport: 'query' })
  const pooled = names.map(n => shared.open(n))
  const plain = names.map(n => client(dp, n))
  const stockSocket = hocusSocket(url)
  const stock = names.map(n => hocusDoc(stockSocket, n, async () => await dp.mintToken()))
  try {
    await Promise.all([...pooled, ...plain].map(async c => await synced(c.provider)))
    await Promise.all(stock.map(async s => await hocusUntil(s, () => s.provider.isSynced, 'stock synced')))
    // 1 shared + 3 own + 1 stock socket: the shared one counts once for maxConnections
    assert.equal(dp.stats().connections, 5)
    names.forEach((n, i) => {
      pooled[i]!.doc.getText('text').insert(0, `${n}:pooled `)
      plain[i]!.doc.getText('text').insert(0, `${n}:plain `)
      stock[i]!.doc.getText('text').insert(0, `${n}:stock `)
    })
    await Promise.all(names.map(async (n, i) => await converge([pooled[i]!.doc, plain[i]!.doc, stock[i]!.doc],
      t => [`${n}:pooled`, `${n}:plain`, `${n}:stock`].every(s => t.includes(s)) && !names.filter(o => o !== n).some(o => t.includes(`${o}:`)))))
    names.forEach((n, i) => {
      pooled[i]!.provider.awareness.setLocalStateField('user', `${n}-pooled`)
      plain[i]!.provider.awareness.setLocalStateField('user', `${n}-plain`)
      stock[i]!.provider.setAwarenessField('user', `${n}-stock`)
    })
    await Promise.all(names.map(async (n, i) => await presenceConverges(
      [pooled[i]!.provider.awareness, plain[i]!.provider.awareness, stock[i]!.provider.awareness!],
      [`${n}-pooled`, `${n}-plain`, `${n}-stock`])))
    assert.equal(shared.tokenCalls, 1)
    assert.equal(shared.shared.sockets, 1)
  } finally {
    shared.destroy()
    destroyAll(plain)
    destroyHocus(stockSocket, ...stock)
    await dp.close()
  }
})
