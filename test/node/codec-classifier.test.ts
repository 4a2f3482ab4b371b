/**
 * The first-frame classifier (contract §6, src/wire/codec.ts): the first frame of every real client
 * we can run, captured on a loopback server, and tens of thousands of generated frames of each kind,
 * with no misclassification. Plus round trips of the codec's frames through the stock provider's reader.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket, { WebSocketServer } from 'ws'
import type { AddressInfo } from 'node:net'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'
import { WireSocketProvider } from '../../src/index.ts'
import { authTokenFrame, classifyFirstFrame, decodeHocuspocusFrame, encodeHocuspocusFrame, parseAddress, readAuth, type Framing } from '../../src/wire/codec.ts'

/** JWT-shaped, unsigned: the capture server checks nothing, and a provider only reads `exp`. */
const JWT = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from(JSON.stringify({ sub: 'local', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.c2lnbmF0dXJl`

/** A loopback server that resolves with the first binary frame of the next client, then drops it. */
const captureFirstFrame = async (connect: (url: string) => () => void): Promise<Uint8Array> => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: p => p.has('access_token') ? 'access_token' : false })
  await new Promise<void>(resolve => server.once('listening', resolve))
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
  let stop: () => void = () => {}
  try {
    const first = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no first frame')), 5000)
      server.once('connection', socket => socket.once('message', (data: Buffer) => {
        clearTimeout(timer)
        resolve(new Uint8Array(data))
      }))
    })
    stop = connect(url)
    return await first
  } finally {
    stop()
    server.clients.forEach(c => c.terminate())
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
}

const hocuspocusFirstFrame = (names: string[], options: { sessionAwareness?: boolean } = {}) => (url: string): () => void => {
  const socket = new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket })
  const providers = names.map(name => {
    const p = new HocuspocusProvider({ websocketProvider: socket, name, document: new Y.Doc(), token: JWT, ...options })
    p.attach()
    return p
  })
  return () => {
    providers.forEach(p => p.destroy())
    socket.destroy()
  }
}

const realClients: Array<[string, (url: string) => () => void, Framing]> = [
  ['y-websocket 3.x WebsocketProvider', url => {
    const p = new WebsocketProvider(url, 'room', new Y.Doc(), { WebSocketPolyfill: WebSocket as never, disableBc: true })
    return () => {
      p.destroy()
      // y-websocket leaves the Awareness it created (and its interval) to its owner.
      p.awareness.destroy()
    }
  }, 'y-websocket'],
  ['y-wiresocket WireSocketProvider', url => {
    const p = new WireSocketProvider(url, 'room', new Y.Doc(), { WebSocketPolyfill: WebSocket, disableBc: true, getToken: async () => JWT })
    return () => p.destroy()
  }, 'y-websocket'],
  ...[1, 2, 3, 4, 130].map(n => [`Hocuspocus, a ${n}-character name`, hocuspocusFirstFrame(['d'.repeat(n)]), 'hocuspocus'] as [string, (url: string) => () => void, Framing]),
  ['Hocuspocus with sessionAwareness', hocuspocusFirstFrame(['doc'], { sessionAwareness: true }), 'hocuspocus'],
  ['Hocuspocus multiplexing three documents on one socket', hocuspocusFirstFrame(['a', 'bb', 'ccc']), 'hocuspocus'],
]

for (const [what, connect, expected] of realClients) {
  test(`the first frame of ${what} is classified ${expected}`, { timeout: 15_000 }, async () => {
    const first = await captureFirstFrame(connect)
    assert.equal(classifyFirstFrame(first), expected, `first bytes ${Buffer.from(first.subarray(0, 12)).toString('hex')}`)
  })
}

/** A seeded generator, so a failure can be replayed. */
const random = (seed: number): (() => number) => () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}

test('20,000 generated y-websocket frames and 20,000 generated Hocuspocus Auth frames: no misclassification', () => {
  const next = random(7)
  const int = (n: number): number => Math.floor(next() * n)
  const NAME = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'
  const B64 = `${NAME}`
  const pick = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join('')
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  const misses: string[] = []
  const check = (frame: Uint8Array, expected: Framing): void => {
    if (classifyFirstFrame(frame) !== expected && misses.length < 5) misses.push(`${expected}: ${Buffer.from(frame.subarray(0, 24)).toString('hex')}`)
  }
  for (let i = 0; i < 20_000; i++) {
    const e = encoding.createEncoder()
    switch (i % 5) {
      case 0: { // sync step 1 with a random state vector
        encoding.writeVarUint(e, 0); encoding.writeVarUint(e, 0)
        const sv = encoding.createEncoder()
        const clients = int(4)
        encoding.writeVarUint(sv, clients)
        for (let c = 0; c < clients; c++) { encoding.writeVarUint(sv, int(2 ** 32)); encoding.writeVarUint(sv, int(10_000)) }
        encoding.writeVarUint8Array(e, encoding.toUint8Array(sv))
        break
      }
      case 1: { // an update
        const d = new Y.Doc()
        d.getText('t').insert(0, pick(NAME, 1 + int(20)))
        encoding.writeVarUint(e, 0); encoding.writeVarUint(e, 2)
        encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(d))
        d.destroy()
        break
      }
      case 2: { // awareness (a y-websocket client's second frame, but a server must not care)
        awareness.setLocalState({ user: { name: pick(NAME, int(30)), color: `#${int(0xffffff).toString(16)}` } })
        encoding.writeVarUint(e, 1)
        encoding.writeVarUint8Array(e, encodeAwarenessUpdate(awareness, [doc.clientID]))
        break
      }
      case 3: encoding.writeVarUint(e, 3); break // query awareness
      default: { // random bytes after a y-websocket type byte
        encoding.writeVarUint(e, int(4))
        for (let b = 0; b < int(40); b++) encoding.writeUint8(e, int(256))
      }
    }
    check(encoding.toUint8Array(e), 'y-websocket')
  }
  for (let i = 0; i < 20_000; i++) {
    const name = pick(NAME, 1 + (i % 7 === 0 ? int(255) : int(12)))
    const address = i % 3 === 0 ? `${name}\0${pick(NAME, 10)}` : name
    const token = `eyJ${pick(B64, 10 + int(60))}.${pick(B64, 10 + int(200))}.${pick(B64, int(80))}`
    check(authTokenFrame(address, token, i % 2 === 0 ? '4.8.0' : undefined), 'hocuspocus')
  }
  awareness.destroy()
  assert.deepEqual(misses, [])
})

test('codec frames read back: address, session id, message and Auth bodies', () => {
  const frame = encodeHocuspocusFrame('doc\0session', new Uint8Array([0, 1, 2, 0, 0]))
  const decoded = decodeHocuspocusFrame(frame)
  assert.equal(decoded.kind, 'message')
  if (decoded.kind !== 'message') return
  assert.deepEqual(parseAddress(decoded.address), { documentName: 'doc', sessionId: 'session' })
  assert.deepEqual([...decoded.message], [0, 1, 2, 0, 0])
  const auth = decodeHocuspocusFrame(authTokenFrame('d', JWT, '4.8.0'))
  assert.ok(auth.kind === 'message')
  assert.deepEqual(readAuth(auth.message), { kind: 'token', token: JWT, version: '4.8.0' })
  assert.deepEqual(decodeHocuspocusFrame(new Uint8Array([9])), { kind: 'ping' })
})
