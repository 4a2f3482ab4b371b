/**
 * Shared connections under churn (issue 13): three users, each with one shared connection carrying the
 * same three documents, through twenty token expiries (in-band refresh: no reconnect at all) and through
 * twenty socket drops (each document re-attaches), editing throughout; every edit is present at the end.
 * The plan allows as many connections as there are users: with a socket per document it would need nine.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { converge, next, synced } from './support/provider-harness.ts'
import { sharedClient, tally, type SharedClient, type Tally } from './support/hocuspocus-interop.ts'

const USERS = ['ann', 'ben', 'cy']
const DOCUMENTS = ['alpha', 'beta', 'gamma']
const ROUNDS = 20

interface User {
  name: string
  connection: SharedClient
  tallies: Tally[]
  edits: number
}

/** Each user's three documents on one shared connection; `onToken` runs after each getToken call. */
const users = (dp: LocalDataplane, ttl: number | undefined, onToken: () => void, providerOptions = {}): User[] =>
  USERS.map(name => {
    const connection = sharedClient(dp.regions[0]!.url, async () => {
      const token = await dp.mintToken({ ttl })
      queueMicrotask(onToken)
      return token
    })
    const clients = DOCUMENTS.map(d => connection.open(d, providerOptions))
    return { name, connection, tallies: clients.map(c => tally(c.provider)), edits: 0 }
  })

/** One edit by `user` in each of its documents, each tagged so that the end can look for all of them. */
const edit = (user: User): void => {
  user.edits++
  user.connection.clients.forEach((c, i) => c.doc.getText('text').insert(0, `<${user.name}:${DOCUMENTS[i]}:${user.edits}>`))
}

/** Every edit of every user is in every copy of every document. */
const everyEditPresent = async (all: User[]): Promise<void> => {
  for (const [i, d] of DOCUMENTS.entries()) {
    const expected = all.flatMap(u => Array.from({ length: u.edits }, (_, n) => `<${u.name}:${d}:${n + 1}>`))
    await converge(all.map(u => u.connection.clients[i]!.doc), t => expected.every(e => t.includes(e)), 'text', 20_000)
  }
}

const syncedAll = async (all: User[]): Promise<void> => {
  await Promise.all(all.flatMap(u => u.connection.clients.map(async c => await synced(c.provider))))
}

test(`${ROUNDS} token expiries on 2 s tokens: in-band refresh, no reconnect, every edit present (3 users × 3 documents, maxConnections 3)`, { timeout: 60_000 }, async t => {
  const dp = await startLocalDataplane({ limits: { maxConnections: USERS.length } })
  let done: () => void = () => {}
  const finished = new Promise<void>(resolve => { done = resolve })
  // a user's first token, then one per expiry: ROUNDS + 1 calls have seen ROUNDS tokens expire in use
  const all: User[] = users(dp, 2, () => {
    for (const u of all) if (u.connection.tokenCalls > u.edits) edit(u)
    if (all.every(u => u.connection.tokenCalls > ROUNDS)) done()
  })
  const started = Date.now()
  try {
    await syncedAll(all)
    assert.equal(dp.stats().connections, USERS.length)
    await finished
    for (const u of all) edit(u)
    await everyEditPresent(all)
    const closes = all.flatMap(u => u.tallies.flatMap(x => x.connectionCloses))
    const limits = all.flatMap(u => u.tallies.flatMap(x => x.limits))
    t.diagnostic(`${Date.now() - started} ms; token calls ${all.map(u => u.connection.tokenCalls).join('/')}; connection-close ${closes.length}; edits ${all.map(u => u.edits).join('/')}`)
    assert.deepEqual(closes, [], 'no reconnect')
    assert.deepEqual(limits, [])
    for (const u of all) assert.equal(u.connection.shared.sockets, 1)
    assert.equal(dp.stats().connections, USERS.length)
  } finally {
    for (const u of all) u.connection.destroy()
    await dp.close()
  }
})

test(`${ROUNDS} socket drops: every document of each shared socket re-attaches, edits made offline arrive (3 users × 3 documents, maxConnections 3)`, { timeout: 60_000 }, async t => {
  const dp = await startLocalDataplane({ limits: { maxConnections: USERS.length } })
  const all = users(dp, undefined, () => {}, { maxBackoffTime: 100 })
  const providers = all.flatMap(u => u.connection.clients.map(c => c.provider))
  const started = Date.now()
  try {
    await syncedAll(all)
    for (let round = 0; round < ROUNDS; round++) {
      const closed = providers.map(async p => await next(p, 'connection-close'))
      dp.dropConnections()
      await Promise.all(closed)
      // offline: these wait in the documents until the sockets come back
      for (const u of all) edit(u)
      await syncedAll(all)
      for (const u of all) edit(u)
    }
    await everyEditPresent(all)
    const closes = all.flatMap(u => u.tallies.flatMap(x => x.connectionCloses))
    const limits = all.flatMap(u => u.tallies.flatMap(x => x.limits))
    t.diagnostic(`${Date.now() - started} ms; token calls ${all.map(u => u.connection.tokenCalls).join('/')}; connection-close ${closes.length} (${providers.length} providers × ${ROUNDS})`)
    assert.equal(closes.length, providers.length * ROUNDS, 'one close per provider per drop')
    assert.deepEqual(limits, [], 'never over maxConnections')
    for (const u of all) {
      assert.equal(u.connection.shared.sockets, 1)
      assert.equal(u.connection.tokenCalls, 1, 'the token outlives the drops')
    }
    assert.equal(dp.stats().connections, USERS.length)
  } finally {
    for (const u of all) u.connection.destroy()
    await dp.close()
  }
})

test(`one page, maxConnections: 1: three documents on one shared connection through ${ROUNDS} token expiries and ${ROUNDS} drops; a later reader finds every edit`, { timeout: 90_000 }, async t => {
  const dp = await startLocalDataplane({ limits: { maxConnections: 1 }, gracePeriod: 60_000 })
  let onToken = (): void => {}
  const page = sharedClient(dp.regions[0]!.url, async () => {
    const token = await dp.mintToken({ ttl: 2 })
    queueMicrotask(() => onToken())
    return token
  })
  const clients = DOCUMENTS.map(d => page.open(d, { maxBackoffTime: 100 }))
  const tallies = clients.map(c => tally(c.provider))
  let edits = 0
  const edit = (): void => {
    edits++
    clients.forEach((c, i) => c.doc.getText('text').insert(0, `<${DOCUMENTS[i]}:${edits}>`))
  }
  const started = Date.now()
  try {
    await Promise.all(clients.map(async c => await synced(c.provider)))
    // expiries: an edit after each new token, until ROUNDS tokens have expired in use
    await new Promise<void>(resolve => {
      onToken = () => {
        edit()
        if (page.tokenCalls > ROUNDS) resolve()
      }
    })
    onToken = () => {}
    const expiryCloses = tallies.flatMap(x => x.connectionCloses)
    assert.deepEqual(expiryCloses, [], 'in-band refresh: no reconnect through the expiries')
    // drops: the one socket goes, every document comes back on one new socket, under the same limit
    for (let round = 0; round < ROUNDS; round++) {
      const closed = clients.map(async c => await next(c.provider, 'connection-close'))
      dp.dropConnections()
      await Promise.all(closed)
      edit()
      await Promise.all(clients.map(async c => await synced(c.provider)))
      assert.equal(page.shared.sockets, 1)
    }
    assert.deepEqual(tallies.flatMap(x => x.limits), [], 'never over maxConnections: 1')
    t.diagnostic(`${Date.now() - started} ms; token calls ${page.tokenCalls}; edits ${edits}; closes ${tallies.flatMap(x => x.connectionCloses).length}`)
  } finally {
    page.destroy()
  }
  try {
    // the page is gone, so its one connection is free: a new reader sees every edit of every document
    const reader = sharedClient(dp.regions[0]!.url, async () => await dp.mintToken())
    const copies = DOCUMENTS.map(d => reader.open(d))
    try {
      for (const [i, d] of DOCUMENTS.entries()) {
        const expected = Array.from({ length: edits }, (_, n) => `<${d}:${n + 1}>`)
        await converge([copies[i]!.doc], text => expected.every(e => text.includes(e)), 'text', 20_000)
      }
    } finally {
      reader.destroy()
    }
  } finally {
    await dp.close()
  }
})
