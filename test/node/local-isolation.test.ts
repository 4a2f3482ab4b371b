/**
 * One client must not take more than its share of the dataplane's memory or event loop (issue 10.8,
 * 10.9). The dataplane runs in a child process (bench/lib/remote-dataplane.ts) so that its memory and
 * its event loop are measured apart from the attacking test: RSS growth is read from the child's own
 * peak RSS, and a bystander's round trip on another document is timed while the attack runs.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { startRemoteDataplane, type RemoteDataplane } from '../../bench/lib/remote-dataplane.ts'
import { closeQuietly, nextClose, updateFrame, YClient } from '../support/local-client.ts'
import { authTokenFrame, decodeHocuspocusFrame, PING_FRAME, readAuth } from '../../src/wire/codec.ts'
import { awarenessFrame, bystanderProcess, HUGE_STRUCT_COUNT, orphanUpdate, pausableSocket, STEP1_EMPTY, syncFrame } from './support/hostile-peers.ts'

const MiB = 1024 * 1024

const withChild = async (fn: (dp: RemoteDataplane) => Promise<void>): Promise<void> => {
  const dp = await startRemoteDataplane()
  try {
    await fn(dp)
  } finally {
    await dp.close()
  }
}

/** The child has no event to await for a socket it let go: ask its count until it drops to `n`. */
const serverDropped = async (dp: RemoteDataplane, n: number, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while ((await dp.stats()).connections > n) {
    if (Date.now() > deadline) throw new Error(`the dataplane still holds more than ${n} connections`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** Seed `name` with a document of about `bytes` bytes through a real socket, and wait until applied. */
const seed = async (dp: RemoteDataplane, name: string, bytes: number): Promise<YClient> => {
  const writer = new YClient(`${dp.url}/${name}`, await dp.mintToken())
  await writer.until(() => writer.synced)
  writer.doc.getText('text').insert(0, 'x'.repeat(bytes))
  // A second reader proves the server holds it.
  const reader = new YClient(`${dp.url}/${name}`, await dp.mintToken())
  await reader.until(() => reader.text().length === bytes, 'seeded document', 20_000)
  await reader.close()
  return writer
}

test('a client that stops reading and repeats sync step 1 against a 2 MiB document: server RSS stays bounded (10.8)', { timeout: 120_000 }, async () => {
  await withChild(async dp => {
    const observer = await seed(dp, 'big', 2 * MiB)
    const attacker = await pausableSocket(`${dp.url}/big`, await dp.mintToken())
    attacker.stopReading()
    const before = await dp.memory()
    for (let i = 0; i < 150; i++) attacker.ws.send(STEP1_EMPTY)
    // Frames of one socket are handled in order: once the marker edit reaches the observer, every
    // step 1 before it has been handled (and, before the fix, answered with 2 MiB each).
    attacker.ws.send(updateFrame('marker'))
    await observer.until(() => observer.text().includes('marker'), 'marker edit', 30_000)
    const after = await dp.memory()
    const growth = after.peakRss - before.peakRss
    // Before the fix: +300 MB and more (one 2 MiB answer per step 1). Bound: 8 MiB queue + one answer + kernel buffers.
    assert.ok(growth < 48 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB`)
    await Promise.all([observer.close(), closeQuietly(attacker.ws)])
  })
})

test('a client that stops reading while its awareness is echoed back: closed 1013 as a slow consumer, RSS bounded (10.8)', { timeout: 120_000 }, async () => {
  await withChild(async dp => {
    const observer = new YClient(`${dp.url}/echo`, await dp.mintToken())
    await observer.until(() => observer.synced)
    const attacker = await pausableSocket(`${dp.url}/echo`, await dp.mintToken())
    attacker.stopReading()
    const before = await dp.memory()
    const clientId = 4242
    const state = JSON.stringify({ user: { name: 'a'.repeat(12 * 1024) } })
    const rounds = 8000
    for (let clock = 1; clock <= rounds; clock++) attacker.ws.send(awarenessFrame([{ clientId, clock, state }]))
    const lastSeen = (): boolean => observer.awareness.meta.get(clientId)?.clock === rounds
    // Either the server let the attacker go (fixed), or it relayed every echo (before the fix).
    // Neither has an event this process can await (the attacker does not read), so both are re-checked.
    let outcome: 'dropped' | 'all echoed' | undefined
    const deadline = Date.now() + 60_000
    while (outcome === undefined) {
      if (lastSeen()) outcome = 'all echoed'
      else if ((await dp.stats()).connections <= 1) outcome = 'dropped'
      else if (Date.now() > deadline) throw new Error('neither dropped nor all echoed within 60 s')
      else await new Promise(resolve => setTimeout(resolve, 20))
    }
    const after = await dp.memory()
    const growth = after.peakRss - before.peakRss
    assert.ok(growth < 64 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB (${outcome})`)
    assert.equal(outcome, 'dropped')
    attacker.resumeReading()
    const info = await attacker.closed
    // The close frame waits behind the unread queue; past a 1 s grace the socket is cut (1006).
    assert.ok(info.code === 1013 || info.code === 1006, `closed ${info.code}`)
    // The document still serves everyone else. (Not necessarily the observer: it shares this busy test
    // process with the attacker's 96 MB of writes, so it may itself fall 8 MiB behind and be let go.)
    const writer = new YClient(`${dp.url}/echo`, await dp.mintToken())
    await writer.until(() => writer.synced)
    writer.doc.getText('text').insert(0, 'alive')
    const check = new YClient(`${dp.url}/echo`, await dp.mintToken())
    await check.until(() => check.text() === 'alive', 'the document still served')
    await Promise.all([observer.close(), writer.close(), check.close(), closeQuietly(attacker.ws)])
  })
})

test('the slow-consumer close carries 1013 and its reason to a client that reads again (10.8)', { timeout: 120_000 }, async () => {
  await withChild(async dp => {
    const observer = await seed(dp, 'slow', 2 * MiB)
    const attacker = await pausableSocket(`${dp.url}/slow`, await dp.mintToken())
    attacker.stopReading()
    // Each edit of the observer is relayed to the attacker: 1 MiB each, never read.
    for (let i = 0; i < 24; i++) observer.doc.getText('text').insert(0, String(i % 10).repeat(MiB))
    await serverDropped(dp, 1)
    attacker.resumeReading()
    const info = await attacker.closed
    // Cut after the 1 s grace (1006), or closed with the frame if it got through: never left open.
    assert.ok(info.code === 1013 || info.code === 1006, `closed ${info.code}`)
    if (info.code === 1013) assert.match(info.reason, /^Slow consumer: more than 8388608 bytes queued$/)
    await observer.close()
  })
})

test('tiny frames that declare huge counts, and a flood of updates with missing dependencies: a bystander round trip stays under 100 ms (10.9)', { timeout: 120_000 }, async () => {
  await withChild(async dp => {
    const token = await dp.mintToken()
    const bystander = await bystanderProcess(`${dp.url}/bystander`, token)
    // 20 frames of 10 bytes, each declaring 33.5 million structs, on 20 sockets.
    const liars = await Promise.all(Array.from({ length: 20 }, async () => {
      const ws = new WebSocket(`${dp.url}/victim`, ['access_token', token])
      await new Promise(resolve => ws.once('message', resolve))
      const closed = nextClose(ws)
      ws.send(HUGE_STRUCT_COUNT)
      return await closed
    }))
    for (const info of liars) {
      assert.equal(info.code, 1007)
      assert.match(info.reason, /^Invalid update: struct count 33554431 exceeds the \d+ bytes left$/)
    }
    // 2,500 updates of 34 bytes whose dependency never arrives.
    const flooder = new WebSocket(`${dp.url}/victim`, ['access_token', token])
    await new Promise(resolve => flooder.once('message', resolve))
    const flooded = nextClose(flooder)
    for (let i = 0; i < 2500; i++) flooder.send(syncFrame(2, orphanUpdate(100_000 + i)))
    const info = await flooded
    const samples = await bystander.stop()
    assert.deepEqual(info, { code: 1007, reason: 'Pending updates exceed 32 structs' })
    assert.ok(samples.length >= 3, `only ${samples.length} round trips measured`)
    const worst = Math.max(...samples)
    assert.ok(worst < 100, `worst bystander round trip ${worst.toFixed(1)} ms over ${samples.length} samples`)
    // The victim document still works, and holds none of the attacker's pending state.
    const fresh = new YClient(`${dp.url}/victim`, token)
    await fresh.until(() => fresh.synced)
    fresh.doc.getText('text').insert(0, 'ok')
    const other = new YClient(`${dp.url}/victim`, token)
    await other.until(() => other.text() === 'ok', 'victim document still syncs')
    assert.equal(Y.encodeStateVector(other.doc).length > 1, true)
    await Promise.all([fresh.close(), other.close()])
  })
})

test('Hocuspocus: 20,000 refresh Auths on one open document run at most one token check at a time; a bystander round trip stays under 100 ms and RSS bounded', { timeout: 120_000 }, async () => {
  await withChild(async dp => {
    const token = await dp.mintToken()
    const attacker = new WebSocket(`${dp.url}/`)
    const frames: Array<{ address: string; kind: string }> = []
    let onFrame = (): void => {}
    attacker.on('message', (data: Buffer) => {
      const frame = decodeHocuspocusFrame(new Uint8Array(data))
      frames.push({ address: frame.kind === 'message' ? frame.address : '', kind: frame.kind === 'message' && frame.type === 2 ? readAuth(frame.message).kind : frame.kind })
      onFrame()
    })
    const heard = async (check: () => boolean, what: string): Promise<void> => await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 30_000)
      onFrame = () => { if (check()) { clearTimeout(timer); resolve() } }
      onFrame()
    })
    await new Promise(resolve => attacker.once('open', resolve))
    attacker.send(authTokenFrame('open-doc', token, '4.8.0'))
    await heard(() => frames.some(f => f.kind === 'authenticated'), 'the first Authenticated')
    const bystander = await bystanderProcess(`${dp.url}/bystander`, token)
    const before = await dp.memory()
    for (let i = 0; i < 20_000; i++) attacker.send(authTokenFrame('open-doc', token, '4.8.0'))
    // Frames of one socket are handled in order: the pong means every Auth above has been read.
    attacker.send(PING_FRAME)
    await heard(() => frames.some(f => f.kind === 'pong'), 'the pong after the flood')
    const samples = await bystander.stop()
    const after = await dp.memory()
    const growth = after.peakRss - before.peakRss
    assert.ok(samples.length >= 3, `only ${samples.length} round trips measured`)
    const worst = Math.max(...samples)
    // Before the fix: one RS256 verify per Auth, 20,000 of them (probe: +86 MB, a handshake 392 ms).
    assert.ok(worst < 100, `worst bystander round trip ${worst.toFixed(1)} ms over ${samples.length} samples`)
    assert.ok(growth < 32 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB`)
    assert.equal(attacker.readyState, attacker.OPEN)
    await closeQuietly(attacker)
  })
})
