import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { WireSocketProvider, createTokenSource } from '../../src/index.ts'
import { client, destroyAll, synced, dataplaneForFile } from './support/provider-harness.ts'

const file = dataplaneForFile()
let dp: LocalDataplane
before(async () => { dp = await file.ready })

/** Node's own view of what keeps the process alive: timers, sockets, servers. */
const resources = (): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1
  return counts
}

test('destroy() leaves no socket, timer or listener behind', async () => {
  const before = resources()
  // a dataplane of its own, so that its timers can be accounted for by closing it
  const dp = await startLocalDataplane()
  const doc = new Y.Doc()
  const provider = new WireSocketProvider(dp.regions[0]!.url, 'lifecycle-destroy', doc, {
    WebSocketPolyfill: WebSocket,
    getToken: async () => await dp.mintToken({ ttl: 60 }),
    resyncInterval: 1000,
  })
  await synced(provider)
  assert.ok(dp.stats().connections >= 1)
  const awareness = provider.awareness
  provider.destroy()
  assert.equal(provider.state, 'destroyed')
  assert.equal(provider.ws, null)
  assert.equal(provider.bcconnected, false)
  assert.equal(provider._observers.size, 0, 'no event listeners left')
  // the provider created the awareness, so it went with it (its own outdated-state timer too)
  assert.equal(awareness.getLocalState(), null)
  // the doc no longer feeds a provider: only listeners that existed before remain
  assert.equal(doc._observers.get('update')?.size ?? 0, 0)
  assert.equal(doc._observers.get('destroy')?.size ?? 0, 0, 'not even the destroy listener y-protocols Awareness adds')
  // the server sees the socket close (the provider closed it; nobody else did)
  await new Promise<void>(resolve => {
    const check = (): void => { dp.stats().connections === 0 ? resolve() : setImmediate(check) }
    check()
  })
  await dp.close()
  // Node releases a closed server's handle on the next turn of the loop; there is no event for it
  await new Promise(resolve => setImmediate(resolve))
  assert.deepEqual(resources(), before, 'nothing keeps Node alive that was not there before')
  provider.connect()
  assert.equal(provider.state, 'destroyed', 'connect() after destroy() does nothing')
  provider.destroy()
})

test('destroy() during a pending token call aborts it and nothing fires afterwards', async () => {
  let signal: AbortSignal | undefined
  const provider = new WireSocketProvider(dp.regions[0]!.url, 'lifecycle-pending', new Y.Doc(), {
    WebSocketPolyfill: WebSocket,
    getToken: ({ signal: s }) => {
      signal = s
      return new Promise<string>(() => {})
    },
  })
  assert.equal(provider.state, 'token')
  assert.equal(provider.wsconnecting, true)
  provider.destroy()
  assert.equal(signal?.aborted, true, 'the getToken call was told to stop')
  assert.equal(provider.state, 'destroyed')
})

test('disconnect() during a pending token call aborts it; connect() fetches again', async () => {
  const signals: AbortSignal[] = []
  let release: ((token: string) => void) | undefined
  const doc = new Y.Doc()
  const provider = new WireSocketProvider(dp.regions[0]!.url, 'lifecycle-disconnect', doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    getToken: ({ signal }) => {
      signals.push(signal)
      return new Promise<string>(resolve => { release = resolve })
    },
  })
  try {
    provider.disconnect()
    assert.equal(signals[0]?.aborted, true)
    assert.equal(provider.state, 'idle')
    assert.equal(provider.shouldConnect, false)
    provider.connect()
    assert.equal(signals.length, 2)
    release?.(await dp.mintToken())
    await synced(provider)
  } finally {
    provider.destroy()
  }
})

test('a shared token call outlives one provider letting go, and is aborted when the last one does', async () => {
  const calls: Array<{ signal: AbortSignal; resolve: (token: string) => void }> = []
  const tokenSource = createTokenSource(({ signal }) => new Promise<string>(resolve => { calls.push({ signal, resolve }) }))
  const make = (name: string): WireSocketProvider =>
    new WireSocketProvider(dp.regions[0]!.url, name, new Y.Doc(), { WebSocketPolyfill: WebSocket, disableBc: true, tokenSource })
  const [a, b] = [make('lifecycle-shared-a'), make('lifecycle-shared-b')]
  try {
    assert.equal(calls.length, 1, 'one backend call for both providers')
    a.disconnect()
    assert.equal(calls[0]!.signal.aborted, false, 'b still waits for the call')
    calls[0]!.resolve(await dp.mintToken({ ttl: 60 }))
    await synced(b)
    assert.equal(a.state, 'idle')
  } finally {
    a.destroy()
    b.destroy()
  }
  // with nobody holding the source, the next call starts afresh; both providers going away aborts it
  tokenSource.invalidate(await tokenSource.get('lifecycle-shared-c', 'connect'))
  const [c, d] = [make('lifecycle-shared-c'), make('lifecycle-shared-d')]
  assert.equal(calls.length, 2, 'the forgotten token is fetched anew, once for both')
  c.destroy()
  assert.equal(calls.at(-1)!.signal.aborted, false, 'd still waits for the call')
  d.destroy()
  assert.equal(calls.at(-1)!.signal.aborted, true, 'nobody wants the token: the backend call is told to stop')
})

test('connect() and disconnect() in any order and number leave a consistent state', async () => {
  const a = client(dp, 'lifecycle-toggle', { connect: false })
  try {
    assert.equal(a.provider.state, 'idle')
    a.provider.disconnect()
    a.provider.disconnect()
    assert.equal(a.provider.state, 'idle')
    for (let i = 0; i < 20; i++) {
      a.provider.connect()
      if (i % 3 === 0) a.provider.connect()
      a.provider.disconnect()
    }
    assert.equal(a.provider.state, 'idle')
    assert.equal(a.provider.ws, null)
    a.provider.connect()
    a.provider.connect()
    await synced(a.provider)
    assert.equal(a.provider.state, 'open')
    const statuses: string[] = []
    a.provider.on('status', e => statuses.push(e.status))
    a.provider.disconnect()
    a.provider.disconnect()
    assert.deepEqual(statuses, ['disconnected'])
    assert.equal(a.provider.synced, false)
    a.provider.connect()
    await synced(a.provider)
    assert.equal(dp.stats().connections >= 1, true)
  } finally {
    destroyAll([a])
  }
})

test('the status and sync events follow y-websocket: connecting, connected, sync(true); disconnected, sync(false)', async () => {
  const a = client(dp, 'lifecycle-events', { connect: false })
  const events: string[] = []
  a.provider.on('status', e => events.push(e.status))
  a.provider.on('sync', s => events.push(`sync:${String(s)}`))
  try {
    a.provider.connect()
    await synced(a.provider)
    a.provider.disconnect()
    assert.deepEqual(events, ['connecting', 'connected', 'sync:true', 'sync:false', 'disconnected'])
  } finally {
    destroyAll([a])
  }
})

test('a throwing event listener does not break the provider', async () => {
  const a = client(dp, 'lifecycle-throwing-listener', { connect: false })
  const uncaught: unknown[] = []
  const onUncaught = (error: unknown): void => { uncaught.push(error) }
  process.prependListener('uncaughtException', onUncaught)
  // node:test would fail the test on the rethrown error: swallow it here and check it was reported
  const listeners = process.listeners('uncaughtException').filter(l => l !== onUncaught)
  let onReport = (): void => {}
  listeners.forEach(l => process.off('uncaughtException', l))
  try {
    // two status events before sync (connecting, connected): two reported errors
    let reports = 0
    const reported = new Promise<void>(resolve => { onReport = () => { if (++reports === 2) resolve() } })
    process.prependListener('uncaughtException', onReport)
    const throwing = (): void => { throw new Error('listener bug') }
    a.provider.on('status', throwing)
    a.provider.connect()
    await synced(a.provider)
    await reported
    a.provider.off('status', throwing)
    assert.equal(uncaught.filter(e => e instanceof Error && e.message === 'listener bug').length, 2, 'each error was reported, not swallowed')
    assert.equal(a.provider.state, 'open', 'and the provider carried on')
  } finally {
    process.off('uncaughtException', onUncaught)
    process.off('uncaughtException', onReport)
    listeners.forEach(l => process.on('uncaughtException', l))
    destroyAll([a])
  }
})

const url = 'ws://127.0.0.1:1'
const getToken = async (): Promise<string> => 'x'
// What both builds check; the options only code can get wrong are checked by the development build
// only (provider-option-types.test.ts).
const invalid: Array<[string, () => unknown, RegExp]> = [
  ['an http URL', () => new WireSocketProvider('http://127.0.0.1:1', 'doc', new Y.Doc(), { getToken }), /option "serverUrl"/],
  ['a relative URL', () => new WireSocketProvider('/socket', 'doc', new Y.Doc(), { getToken }), /option "serverUrl"/],
  ['a non-string URL', () => new WireSocketProvider(42 as unknown as string, 'doc', new Y.Doc(), { getToken }), /option "serverUrl"/],
  ['an empty name', () => new WireSocketProvider(url, '', new Y.Doc(), { getToken }), /option "documentName"/],
  ['a name with a slash', () => new WireSocketProvider(url, 'a/b', new Y.Doc(), { getToken }), /option "documentName"/],
  ['a name with a dot', () => new WireSocketProvider(url, 'a.b', new Y.Doc(), { getToken }), /option "documentName"/],
  ['a name with a space', () => new WireSocketProvider(url, 'a b', new Y.Doc(), { getToken }), /option "documentName"/],
  ['a unicode name', () => new WireSocketProvider(url, 'dokümant', new Y.Doc(), { getToken }), /option "documentName"/],
  ['a 256-character name', () => new WireSocketProvider(url, 'a'.repeat(256), new Y.Doc(), { getToken }), /option "documentName"/],
  ['no WebSocket in Node', () => new WireSocketProvider(url, 'doc', new Y.Doc(), { getToken }), /option "WebSocketPolyfill"/],
]

for (const [what, construct, message] of invalid) {
  test(`construction with ${what} throws a TypeError naming the option`, () => {
    assert.throws(construct, (error: unknown) => error instanceof TypeError && message.test(error.message))
  })
}
