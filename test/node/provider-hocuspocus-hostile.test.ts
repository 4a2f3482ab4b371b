/**
 * A hostile or broken server in the Hocuspocus framing: whatever it sends, no method of ours throws,
 * nothing escapes as an uncaught exception, each garbled frame is a `message-error` and a reconnect,
 * and a huge sync reply is read, not spread onto the stack.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { writeSyncStep2 } from 'y-protocols/sync'
import { WireSocketProvider } from '../../src/index.ts'
import { createSharedConnection, hocuspocusFraming } from '../../src/hocuspocus/index.ts'
import { authenticatedFrame, decodeHocuspocusFrame, HocuspocusMessage, readAuth, tokenRequestFrame } from '../../src/wire/codec.ts'
import { fakeServer, next, synced } from './support/provider-harness.ts'
import { startLocalDataplane } from '../../src/local/index.ts'

const frame = (address: string, write: (e: encoding.Encoder) => void): Uint8Array => {
  const e = encoding.createEncoder()
  encoding.writeVarString(e, address)
  write(e)
  return encoding.toUint8Array(e)
}

/** What a broken server sends to an authenticated document, after Authenticated. */
const garbage: Record<string, (address: string) => Uint8Array> = {
  'a truncated Auth message': address => frame(address, e => encoding.writeVarUint(e, HocuspocusMessage.Auth)),
  'a PermissionDenied without its reason': address => frame(address, e => { encoding.writeVarUint(e, HocuspocusMessage.Auth); encoding.writeVarUint(e, 1) }),
  'a CLOSE whose reason is cut short': address => frame(address, e => { encoding.writeVarUint(e, HocuspocusMessage.Close); encoding.writeVarUint(e, 50) }),
  'a frame that is not one (an address longer than the frame)': () => Uint8Array.of(200, 1, 2),
  'an unknown message type': address => frame(address, e => encoding.writeVarUint(e, 42)),
  'a sync message that is not one': address => frame(address, e => { encoding.writeVarUint(e, HocuspocusMessage.Sync); encoding.writeVarUint(e, 7) }),
}

/** A server that authenticates every document, then sends `bad` once to each. */
const brokenServer = async (bad: (address: string) => Uint8Array): Promise<{ url: string; close(): Promise<void>; connections: () => number }> => {
  let connections = 0
  const server = await fakeServer(socket => {
    connections++
    let sent = false
    socket.on('message', (data: Buffer) => {
      const f = decodeHocuspocusFrame(new Uint8Array(data))
      if (f.kind !== 'message') return
      // sync step 1 gets an empty document's step 2, so the provider syncs
      if (f.type === HocuspocusMessage.Sync && f.message[1] === 0) socket.send(frame(f.address, e => { encoding.writeVarUint(e, HocuspocusMessage.SyncReply); writeSyncStep2(e, new Y.Doc()) }))
      if (f.type !== HocuspocusMessage.Auth || readAuth(f.message).kind !== 'token') return
      socket.send(authenticatedFrame(f.address))
      if (!sent) {
        sent = true
        setTimeout(() => socket.send(bad(f.address)), 50)
      }
    })
  })
  return { ...server, connections: () => connections }
}

for (const [what, bad] of Object.entries(garbage)) {
  test(`hostile server, Hocuspocus framing: ${what} is a message-error and a reconnect, never an exception`, { timeout: 15_000 }, async () => {
    const uncaught: unknown[] = []
    const onUncaught = (error: unknown): void => { uncaught.push(error) }
    process.on('uncaughtException', onUncaught)
    const server = await brokenServer(bad)
    const dp = await startLocalDataplane()
    const own = new WireSocketProvider(server.url, 'victim', new Y.Doc(), { framing: hocuspocusFraming, WebSocketPolyfill: WebSocket, disableBc: true, maxBackoffTime: 50, getToken: async () => await dp.mintToken() })
    const shared = createSharedConnection(server.url, { WebSocketPolyfill: WebSocket, getToken: async () => await dp.mintToken() })
    const pooled = new WireSocketProvider(server.url, 'pooled', new Y.Doc(), { connection: shared, disableBc: true, maxBackoffTime: 50 })
    try {
      for (const provider of [own, pooled]) {
        // the garbage ends that connection: a message-error (or, for a CLOSE, the close it stands for), then back in sync
        const ended = Promise.race([next(provider, 'message-error'), next(provider, 'connection-close')])
        await synced(provider)
        await ended
        await synced(provider)
      }
      assert.deepEqual(uncaught, [])
    } finally {
      own.destroy()
      shared.destroy()
      process.off('uncaughtException', onUncaught)
      await server.close()
      await dp.close()
    }
  })
}

test('hostile server, Hocuspocus framing: a 4 MB sync reply is applied, not spread onto the stack', { timeout: 15_000 }, async () => {
  const big = new Y.Doc()
  big.getText('text').insert(0, 'x'.repeat(4 * 1024 * 1024))
  const update = Y.encodeStateAsUpdate(big)
  const server = await fakeServer(socket => {
    socket.on('message', (data: Buffer) => {
      const f = decodeHocuspocusFrame(new Uint8Array(data))
      if (f.kind !== 'message') return
      if (f.type === HocuspocusMessage.Auth) socket.send(authenticatedFrame(f.address))
      // answer step 1 with a sync reply carrying step 2: the whole 4 MB document
      if (f.type === HocuspocusMessage.Sync) {
        socket.send(frame(f.address, e => {
          encoding.writeVarUint(e, HocuspocusMessage.SyncReply)
          encoding.writeVarUint(e, 1)
          encoding.writeVarUint8Array(e, update)
        }))
      }
    })
  })
  const dp = await startLocalDataplane()
  const doc = new Y.Doc()
  const provider = new WireSocketProvider(server.url, 'big', doc, { framing: hocuspocusFraming, WebSocketPolyfill: WebSocket, disableBc: true, getToken: async () => await dp.mintToken() })
  try {
    await synced(provider)
    assert.equal(doc.getText('text').length, 4 * 1024 * 1024)
  } finally {
    provider.destroy()
    await server.close()
    await dp.close()
  }
})

test('hostile server, Hocuspocus framing: 200 token requests, each sent on the last answer, are each answered with one backend call in all', { timeout: 15_000 }, async () => {
  const answers: string[] = []
  let done: () => void = () => {}
  const allAnswered = new Promise<void>(resolve => { done = resolve })
  const server = await fakeServer(socket => {
    socket.on('message', (data: Buffer) => {
      const f = decodeHocuspocusFrame(new Uint8Array(data))
      if (f.kind !== 'message' || f.type !== HocuspocusMessage.Auth) return
      const auth = readAuth(f.message)
      if (auth.kind !== 'token') return
      if (answers.length === 0) socket.send(authenticatedFrame(f.address))
      answers.push(auth.token)
      // each answer is met with the next request: a server that never stops asking
      if (answers.length <= 200) socket.send(tokenRequestFrame(f.address))
      else done()
    })
  })
  const dp = await startLocalDataplane()
  let calls = 0
  const provider = new WireSocketProvider(server.url, 'asked', new Y.Doc(), {
    framing: hocuspocusFraming,
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    // each token outlives the last, as a real backend's would over time
    getToken: async () => { calls++; return await dp.mintToken({ ttl: 600 + calls }) },
  })
  try {
    await allAnswered
    assert.equal(calls, 1, 'a fresh token is not due: the one in hand answers every request')
    assert.ok(answers.every(a => a === answers[0]))
  } finally {
    provider.destroy()
    await server.close()
    await dp.close()
  }
})
