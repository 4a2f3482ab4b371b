import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import type { LocalDataplane } from '../../src/local/index.ts'
import type { WireSocketProvider } from '../../src/index.ts'
import { client, destroyAll, next, synced, dataplaneForFile, type Client } from './support/provider-harness.ts'

const file = dataplaneForFile()
let dp: LocalDataplane
before(async () => { dp = await file.ready })

const sees = (viewer: WireSocketProvider, other: WireSocketProvider): boolean =>
  (viewer.awareness.getStates().get(other.awareness.clientID) as { name?: string } | undefined)?.name === other.roomname + other.awareness.clientID

/** Resolve when `check()` holds, re-checked on every awareness change of `viewer`. */
const until = (viewer: WireSocketProvider, check: () => boolean, timeout = 5_000): Promise<void> => new Promise((resolve, reject) => {
  const listener = (): void => {
    if (!check()) return
    cleanup()
    resolve()
  }
  const timer = setTimeout(() => {
    cleanup()
    reject(new Error('presence condition not reached'))
  }, timeout)
  const cleanup = (): void => {
    clearTimeout(timer)
    viewer.awareness.off('change', listener)
  }
  viewer.awareness.on('change', listener)
  listener()
})

/** Two clients that see each other; `name` identifies each one's state. */
const pair = async (documentName: string, region = 0): Promise<[Client, Client]> => {
  const clients: [Client, Client] = [client(dp, documentName, { region }), client(dp, documentName, { region })]
  for (const c of clients) c.provider.awareness.setLocalStateField('name', documentName + c.provider.awareness.clientID)
  await Promise.all(clients.map(async c => await synced(c.provider)))
  const [a, b] = clients.map(c => c.provider) as [WireSocketProvider, WireSocketProvider]
  await Promise.all([until(a, () => sees(a, b)), until(b, () => sees(b, a))])
  return clients
}

/** After `disrupt`, both lose each other and then see each other again; returns how long that took (ms). */
const presenceBackAfter = async ([a, b]: [WireSocketProvider, WireSocketProvider], disrupt: () => void): Promise<number> => {
  const lost = Promise.all([until(a, () => !sees(a, b)), until(b, () => !sees(b, a))])
  const started = Date.now()
  disrupt()
  await lost
  await Promise.all([until(a, () => sees(a, b)), until(b, () => sees(b, a))])
  return Date.now() - started
}

test('presence returns within 1 s after the dataplane drops every connection, both ways', async () => {
  const clients = await pair('presence-drop')
  try {
    const took = await presenceBackAfter([clients[0].provider, clients[1].provider], () => dp.dropConnections())
    assert.ok(took < 1000, `presence back after ${took} ms`)
    console.log(`# presence back after ${took} ms`)
  } finally {
    destroyAll(clients)
  }
})

test('presence returns within 1 s after a redirect (4009), both ways', async () => {
  const clients = await pair('presence-redirect')
  try {
    const redirected = Promise.all(clients.map(async c => await next(c.provider, 'redirect')))
    const took = await presenceBackAfter([clients[0].provider, clients[1].provider], () => dp.moveDocument('presence-redirect', dp.regions[1]!.name))
    await redirected
    assert.ok(took < 1000, `presence back after ${took} ms`)
    console.log(`# presence back after ${took} ms`)
  } finally {
    destroyAll(clients)
  }
})

test('a client that left for good leaves no state behind at its peers', async () => {
  const clients: Client[] = await pair('presence-leave')
  const [a, b] = clients as [Client, Client]
  try {
    b.provider.destroy()
    await until(a.provider, () => !sees(a.provider, b.provider))
    // after a drop, the server's answer to our query brings nobody back
    const resynced = next(a.provider, 'sync', s => s)
    dp.dropConnections()
    await resynced
    // a newcomer arrives after the query was answered: a sees exactly itself and the newcomer
    const c = client(dp, 'presence-leave')
    clients.push(c)
    c.provider.awareness.setLocalStateField('name', 'presence-leave' + c.provider.awareness.clientID)
    await until(a.provider, () => sees(a.provider, c.provider))
    assert.deepEqual([...a.provider.awareness.getStates().keys()].sort(), [a.provider.awareness.clientID, c.provider.awareness.clientID].sort())
  } finally {
    destroyAll(clients)
  }
})
