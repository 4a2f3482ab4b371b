/**
 * Issue 10, provider points 2–7: what a server (or a peer through it), a long-lived token, a slow
 * handshake or an odd option can do to the provider. Real sockets on loopback throughout.
 */
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { createServer as createHttpServer } from 'node:http'
import type { Duplex } from 'node:stream'
import type { AddressInfo } from 'node:net'
import * as Y from 'yjs'
import WebSocket from 'ws'
import type { LocalDataplane } from '../../src/local/index.ts'
import { WireSocketProvider, createTokenSource, type WebSocketConstructor } from '../../src/index.ts'
import { client, converge, dataplaneForFile, destroyAll, fakeServer, next, synced } from './support/provider-harness.ts'

const file = dataplaneForFile()
let dp: LocalDataplane
before(async () => { dp = await file.ready })

const MAX_DELAY = 2 ** 31 - 1
const closedSocket = (ws: unknown): Promise<void> => new Promise(resolve => {
  const socket = ws as WebSocket
  if (socket.readyState === WebSocket.CLOSED) return resolve()
  socket.once('close', () => resolve())
})

// ---- 2. a peer that makes Yjs change our client id ----

test('a peer claiming our clientID makes Yjs pick a new one; disconnect() and destroy() still work and close the socket', async () => {
  const a = client(dp, 'hostile-client-id')
  await synced(a.provider)
  a.provider.awareness.setLocalStateField('user', { name: 'a' })
  const b = client(dp, 'hostile-client-id')
  // b writes under a's client id: a's Yjs sees its own id edited by someone else and changes it
  b.doc.clientID = a.doc.clientID
  try {
    await synced(b.provider)
    const original = a.doc.clientID
    const changed = new Promise<void>(resolve => a.doc.on('afterTransactionCleanup', () => a.doc.clientID !== original && resolve()))
    b.doc.getText('text').insert(0, 'mine now')
    await changed
    assert.notEqual(a.doc.clientID, original)
    const socket = a.provider.ws
    assert.ok(socket !== null)
    a.provider.disconnect()
    await closedSocket(socket)
    assert.equal(a.provider.state, 'idle')
    a.provider.connect()
    await synced(a.provider)
    a.provider.destroy()
    assert.equal(a.provider.state, 'destroyed')
  } finally {
    destroyAll([a, b])
  }
})

// ---- 3. delays past 2^31−1 ms ----

test('a 60-day token is fetched once, not in a loop (the refresh delay is past what setTimeout honours)', async () => {
  const a = client(dp, 'hostile-long-token', { ttl: 60 * 24 * 3600 })
  try {
    await synced(a.provider)
    // an overflowing refresh timer fires at once and again after each answer: thousands of calls a second
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.equal(a.tokenCalls, 1)
  } finally {
    destroyAll([a])
  }
})

test('limitRetryDelay near 2^31−1: the limit wait is clamped, not turned into an immediate reconnect', async () => {
  const app = dp.addApp({ limits: { maxConnections: 100, maxDocuments: 100, maxUsersPerDoc: 100, opsPerMinute: 5 } })
  const a = client(dp, 'hostile-limit-delay', { app, limitRetryDelay: 2e9 })
  try {
    await synced(a.provider)
    const handshakes = dp.handshakes.length
    dp.tripRateLimit(app)
    a.doc.getText('text').insert(0, 'over the limit')
    const [limit] = await next(a.provider, 'limit')
    assert.ok(limit.retryIn >= 2e9 && limit.retryIn <= MAX_DELAY, `retryIn ${limit.retryIn}`)
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.equal(dp.handshakes.length, handshakes, 'no reconnect')
    assert.equal(a.provider.state, 'waiting')
  } finally {
    destroyAll([a])
  }
})

test('delay options past 2^31−1 ms (or that would spin) are refused at construction, naming the option', () => {
  const getToken = async (): Promise<string> => await dp.mintToken()
  const make = (options: Record<string, unknown>) => () => new WireSocketProvider(dp.regions[0]!.url, 'd', new Y.Doc(), { getToken, WebSocketPolyfill: WebSocket, connect: false, ...options })
  for (const [option, value] of [['tokenTimeout', 3e9], ['tokenTimeout', 0], ['limitRetryDelay', 3e9], ['maxBackoffTime', 3e9], ['refreshMargin', 3e9],
    ['handshakeTimeout', 0], ['handshakeTimeout', 3e9], ['handshakeTimeout', Number.NaN], ['resyncInterval', 3e9]] as const) {
    assert.throws(make({ [option]: value }), new RegExp(`option "${option}" must be a number of milliseconds from \\d to 2147483647`), `${option}: ${value}`)
  }
  assert.throws(() => createTokenSource(getToken, { timeout: 3e9 }), /timeout must be a number of milliseconds from 1 to 2147483647/)
  assert.throws(() => createTokenSource(getToken, { refreshMargin: -1 }), /refreshMargin must be/)
  make({ tokenTimeout: MAX_DELAY, limitRetryDelay: MAX_DELAY, handshakeTimeout: 1, resyncInterval: 0 })().destroy()
})

// ---- 4. a server that accepts TCP and never completes the upgrade ----

test('a handshake that never completes is abandoned after handshakeTimeout and retried', async () => {
  const sockets: Socket[] = []
  let connected: () => void = () => {}
  const server = createServer(socket => { sockets.push(socket); connected() })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const provider = new WireSocketProvider(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, 'silent', new Y.Doc(), {
    WebSocketPolyfill: WebSocket, disableBc: true, handshakeTimeout: 200, maxBackoffTime: 50, getToken: async () => await dp.mintToken(),
  })
  try {
    const [event] = await next(provider, 'connection-close')
    assert.equal(event, null, 'ended by us')
    assert.ok(provider.state === 'waiting' || provider.state === 'connecting')
    await new Promise<void>(resolve => { connected = resolve; if (sockets.length >= 2) resolve() })
    assert.ok(sockets.length >= 2, 'a second attempt')
  } finally {
    provider.destroy()
    sockets.forEach(s => s.destroy())
    await new Promise(resolve => server.close(resolve))
  }
})

// ---- 6. nothing sent to a socket that is closing ----

test('nothing is sent to a socket that is closing (doc and awareness updates wait for the next connection)', async () => {
  const misdirected: number[] = []
  const Recording: WebSocketConstructor = class extends WebSocket {
    override send (data: Uint8Array<ArrayBuffer>): void {
      if (this.readyState !== WebSocket.OPEN) misdirected.push(this.readyState)
      super.send(data)
    }
  }
  const a = client(dp, 'hostile-closing', { WebSocketPolyfill: Recording })
  try {
    await synced(a.provider)
    const socket = a.provider.ws!
    // however the socket came to be closing (a server's close frame, the browser, an app), it is closing
    socket.close()
    assert.equal(socket.readyState, WebSocket.CLOSING)
    a.doc.getText('text').insert(0, 'while closing')
    a.provider.awareness.setLocalStateField('cursor', 1)
    await next(a.provider, 'connection-close')
    assert.deepEqual(misdirected, [])
    // the edit made while closing arrives by the next connection's sync
    await synced(a.provider)
    await converge([dp.getDocument('hostile-closing')!], text => text === 'while closing')
  } finally {
    destroyAll([a])
  }
})

// ---- 7. redirects and the public-suffix list ----

/**
 * A WebSocket whose every host resolves to loopback, as if DNS said so, recording the URL asked for:
 * real sockets to a real server, with the provider judging real-looking host names.
 */
const resolvingToLoopback = (asked: string[]): WebSocketConstructor => class extends WebSocket {
  constructor (url: string | URL, protocols?: string | string[]) {
    asked.push(String(url))
    const loopback = new URL(url)
    loopback.hostname = '127.0.0.1'
    super(loopback, protocols)
  }
}

test('a redirect to another site under a public suffix (attacker.github.io for myapp.github.io) is refused; the token goes nowhere', async () => {
  const asked: string[] = []
  const server = await fakeServer((socket) => socket.close(4009, `REDIRECT:ws://attacker.github.io:${port}/psl`))
  const port = new URL(server.url).port
  const provider = new WireSocketProvider(`ws://myapp.github.io:${port}`, 'psl', new Y.Doc(), {
    WebSocketPolyfill: resolvingToLoopback(asked), disableBc: true, getToken: async () => await dp.mintToken(),
  })
  try {
    const [closed] = await next(provider, 'closed')
    assert.equal(closed.kind, 'redirect')
    assert.deepEqual(asked, [`ws://myapp.github.io:${port}/psl`])
  } finally {
    provider.destroy()
    await server.close()
  }
})

test('a redirect to a sibling region under a registrable domain is followed', async () => {
  const asked: string[] = []
  const target = await fakeServer(() => {})
  const port = new URL(target.url).port
  const origin = await fakeServer((socket) => socket.close(4009, `REDIRECT:ws://us-east-1.wiresocket.net:${port}/psl-ok`))
  const provider = new WireSocketProvider(`ws://eu-central-1.wiresocket.net:${new URL(origin.url).port}`, 'psl-ok', new Y.Doc(), {
    WebSocketPolyfill: resolvingToLoopback(asked), disableBc: true, getToken: async () => await dp.mintToken(),
  })
  try {
    const [redirect] = await next(provider, 'redirect')
    assert.equal(redirect.to, `ws://us-east-1.wiresocket.net:${port}/psl-ok`)
    await next(provider, 'status', e => e.status === 'connected')
    assert.equal(asked.at(-1), `ws://us-east-1.wiresocket.net:${port}/psl-ok`)
  } finally {
    provider.destroy()
    await target.close()
    await origin.close()
  }
})

// ---- found in review: a redirect to another path, a discovery that never answers, a throwing shouldReconnect ----

test('a 4009 to the right host but another path is refused: a redirect is for this same document', async () => {
  const asked: string[] = []
  const target = await fakeServer(() => {})
  const port = new URL(target.url).port
  const origin = await fakeServer((socket) => socket.close(4009, `REDIRECT:ws://us-east-1.wiresocket.net:${port}/other/same-path`))
  const provider = new WireSocketProvider(`ws://eu-central-1.wiresocket.net:${new URL(origin.url).port}`, 'same-path', new Y.Doc(), {
    WebSocketPolyfill: resolvingToLoopback(asked), disableBc: true, getToken: async () => await dp.mintToken(),
  })
  try {
    const [closed] = await next(provider, 'closed')
    assert.equal(closed.kind, 'redirect')
    assert.equal(asked.length, 1, 'no socket to the other path')
  } finally {
    provider.destroy()
    await target.close()
    await origin.close()
  }
})

test('a /discovery that accepts and never answers: after handshakeTimeout the provider connects where it was going', async () => {
  const discoveries: string[] = []
  const upgrades: string[] = []
  const held: Duplex[] = []
  let upgraded: () => void = () => {}
  // Answers nothing, ever: neither the discovery request nor the WebSocket upgrade.
  const server = createHttpServer(request => { discoveries.push(request.url ?? '') })
  server.on('upgrade', (request, socket: Duplex) => { upgrades.push(request.url ?? ''); held.push(socket); socket.on('error', () => {}); upgraded() })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const provider = new WireSocketProvider(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, 'hanging-discovery', new Y.Doc(), {
    WebSocketPolyfill: WebSocket, disableBc: true, discovery: true, handshakeTimeout: 300, getToken: async () => await dp.mintToken(),
  })
  try {
    await new Promise<void>(resolve => { upgraded = resolve })
    assert.deepEqual(discoveries, ['/discovery?documentName=hanging-discovery'])
    assert.deepEqual(upgrades, ['/hanging-discovery'], 'left the token state for a handshake')
  } finally {
    provider.destroy()
    held.forEach(socket => socket.destroy())
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  }
})

test('a shouldReconnect that throws: the provider stops (closed, server) and the error is reported, not swallowed', async () => {
  const server = await fakeServer(socket => socket.close(4100, 'custom'))
  const reported: unknown[] = []
  const others = process.listeners('uncaughtException')
  others.forEach(l => process.off('uncaughtException', l))
  const onUncaught = (error: unknown): void => { reported.push(error) }
  process.on('uncaughtException', onUncaught)
  const provider = new WireSocketProvider(server.url, 'throwing-should-reconnect', new Y.Doc(), {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    getToken: async () => await dp.mintToken(),
    shouldReconnect: () => { throw new Error('app bug') },
  })
  try {
    const [closed] = await next(provider, 'closed')
    assert.deepEqual({ code: closed.code, kind: closed.kind }, { code: 4100, kind: 'server' })
    assert.equal(provider.state, 'closed')
    await new Promise(resolve => setTimeout(resolve, 0))
    assert.deepEqual(reported.map(e => (e as Error).message), ['app bug'])
  } finally {
    provider.destroy()
    process.off('uncaughtException', onUncaught)
    others.forEach(l => process.on('uncaughtException', l))
    await server.close()
  }
})
