// Bad input never crashes the dataplane: garbage, truncated, text and oversize frames; huge and
// malformed headers; sockets that vanish mid-handshake. And close() leaves no socket, server or timer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import * as encoding from 'lib0/encoding'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { accepted, closeQuietly, eventually, nextClose, serverText, YClient } from '../support/local-client.ts'

/** Send raw bytes over TCP and collect whatever comes back until the server closes. */
const rawExchange = async (port: number, data: string | Buffer, destroyAfterWrite = false): Promise<string> => {
  const socket: Socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  const chunks: Buffer[] = []
  socket.on('data', chunk => chunks.push(chunk))
  socket.on('error', () => {})
  socket.write(data)
  if (destroyAfterWrite) {
    socket.destroy()
    return ''
  }
  await once(socket, 'close')
  return Buffer.concat(chunks).toString('latin1')
}

const portOf = (dp: LocalDataplane, i = 0): number => Number(new URL(dp.regions[i]!.url).port)

/** A bystander that must keep syncing while others misbehave. */
const bystanderStillServed = async (dp: LocalDataplane, client: YClient, text: string): Promise<void> => {
  client.doc.getText('text').insert(client.text().length, text)
  await serverText(() => dp.getDocument('robust'), client.text())
}

test('garbage, truncated, text and unknown frames close only the offending socket', async () => {
  const dp = await startLocalDataplane()
  const url = `${dp.regions[0]!.url}/robust`
  const bystander = new YClient(url, await dp.mintToken())
  try {
    await bystander.until(() => bystander.synced)
    const frames: Array<[string, Uint8Array | string, number, string]> = [
      ['varint that never ends', new Uint8Array([0xff, 0xff, 0xff]), 1007, 'Invalid message'],
      ['empty frame', new Uint8Array([]), 1007, 'Invalid message'],
      ['truncated update', new Uint8Array([0, 2, 100, 1, 2, 3]), 1007, 'Invalid message'],
      ['unknown sync type', new Uint8Array([0, 9, 0]), 1007, 'Invalid message'],
      ['awareness garbage', new Uint8Array([1, 5, 1, 2, 3, 4, 5]), 1007, 'Invalid message'],
      ['text frame', 'hello', 1003, 'Binary messages only'],
    ]
    for (const [what, frame, code, reason] of frames) {
      const ws = await accepted(url, await dp.mintToken())
      const closed = nextClose(ws)
      ws.send(frame)
      assert.deepEqual(await closed, { code, reason }, what)
      await bystanderStillServed(dp, bystander, what.slice(0, 1))
    }
    // Garbage inside a well-formed update envelope: rejected or ignored, never fatal.
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, 0)
    encoding.writeVarUint(encoder, 2)
    encoding.writeVarUint8Array(encoder, new Uint8Array([7, 200, 13, 255, 0, 1, 99, 42, 17, 3]))
    const inner = await accepted(url, await dp.mintToken())
    inner.send(encoding.toUint8Array(encoder))
    inner.ping()
    await Promise.race([once(inner, 'pong'), once(inner, 'close')])
    await closeQuietly(inner)
    // Unknown top-level types and auth messages are ignored: the socket stays open.
    const tolerant = await accepted(url, await dp.mintToken())
    tolerant.send(new Uint8Array([42, 1, 2]))
    tolerant.send(new Uint8Array([2, 0]))
    await new Promise<void>(resolve => tolerant.once('pong', () => resolve()).ping())
    assert.equal(tolerant.readyState, tolerant.OPEN)
    await closeQuietly(tolerant)
    await bystanderStillServed(dp, bystander, '!')
  } finally {
    await bystander.close()
    await dp.close()
  }
})

test('oversize frames close with 1009; others keep being served', async () => {
  const dp = await startLocalDataplane({ maxMessageBytes: 1024 })
  const url = `${dp.regions[0]!.url}/robust`
  const bystander = new YClient(url, await dp.mintToken())
  try {
    await bystander.until(() => bystander.synced)
    const ws = await accepted(url, await dp.mintToken())
    const closed = nextClose(ws)
    ws.on('error', () => {})
    ws.send(new Uint8Array(4096))
    assert.equal((await closed).code, 1009)
    await bystanderStillServed(dp, bystander, 'ok')
  } finally {
    await bystander.close()
    await dp.close()
  }
})

test('malformed HTTP, huge headers and vanishing handshakes get HTTP errors or nothing, never a crash', async () => {
  const dp = await startLocalDataplane()
  const url = `${dp.regions[0]!.url}/robust`
  const bystander = new YClient(url, await dp.mintToken())
  try {
    await bystander.until(() => bystander.synced)
    const port = portOf(dp)
    assert.match(await rawExchange(port, 'THIS IS NOT HTTP\r\n\r\n'), /^HTTP\/1\.1 400/)
    const huge = `GET /robust HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`
    assert.match(await rawExchange(port, huge), /^HTTP\/1\.1 431/)
    // A token far too large for the headers.
    const hugeToken = `GET /robust HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: access_token, ${'e'.repeat(40_000)}\r\n\r\n`
    assert.match(await rawExchange(port, hugeToken), /^HTTP\/1\.1 431/)
    // An upgrade without the WebSocket headers ws needs: a 400, not a hang.
    assert.match(await rawExchange(port, 'GET /robust HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), /^HTTP\/1\.1 400/)
    // Clients vanishing during the handshake, before and while the token is being verified.
    const token = await dp.mintToken()
    const upgrade = `GET /robust HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: access_token, ${token}\r\n\r\n`
    for (let i = 0; i < 5; i++) {
      await rawExchange(port, upgrade.slice(0, 40), true)
      await rawExchange(port, upgrade, true)
    }
    await eventually(() => dp.handshakes.filter(h => h.outcome !== 'accepted').length >= 5, 'vanished handshakes recorded')
    assert.equal(dp.stats().connections, 1, 'only the bystander is connected')
    await bystanderStillServed(dp, bystander, 'alive')
  } finally {
    await bystander.close()
    await dp.close()
  }
})

test('close() terminates sockets, clears grace and expiry timers and frees the ports', async () => {
  const baseline = process.getActiveResourcesInfo().filter(r => r === 'Timeout').length
  const dp = await startLocalDataplane({ gracePeriod: 60_000 })
  const token = await dp.mintToken({ ttl: 3600 })
  const live = new YClient(`${dp.regions[0]!.url}/robust`, token)
  await live.until(() => live.synced)
  const leaving = await accepted(`${dp.regions[1]!.url}/leaves`, token)
  await closeQuietly(leaving) // leaves a document in its 60 s grace period
  await eventually(() => dp.stats().connections === 1)
  const closed = nextClose(live.ws)
  await dp.close()
  assert.equal((await closed).code, 1006)
  await live.close()
  assert.deepEqual(dp.stats(), { connections: 0, documents: 0 })
  assert.equal(process.getActiveResourcesInfo().filter(r => r === 'Timeout').length, baseline, 'no timer left behind')
  for (const region of dp.regions) {
    const socket = connect(Number(new URL(region.url).port), '127.0.0.1')
    const [error] = await once(socket, 'error') as [NodeJS.ErrnoException]
    assert.equal(error.code, 'ECONNREFUSED')
  }
  await dp.close() // idempotent
})
