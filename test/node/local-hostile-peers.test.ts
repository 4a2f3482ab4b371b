/**
 * Hostile clients of the local dataplane, through real sockets (issue 10.9-10.12): lying updates,
 * poisoned and stolen awareness, edits smuggled in sync step 2 past `opsPerMinute`, an unbounded
 * handshake log with tokens in it, and the token service's answers to malformed input. Memory and
 * event-loop attacks are measured out of process in local-isolation.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import { startLocalDataplane } from '../../src/local/index.ts'
import { accepted, closeOf, closeQuietly, nextClose, postForm, YClient } from '../support/local-client.ts'
import { awarenessFrame, syncFrame } from './support/hostile-peers.ts'
import WebSocket from 'ws'
import { authTokenFrame, closeFrame, decodeHocuspocusFrame, encodeHocuspocusFrame, readAuth } from '../../src/wire/codec.ts'
import { withDataplane } from '../support/with-dataplane.ts'

test('every per-client bound is an option: invalid values throw a RangeError naming it', { timeout: 15_000 }, async () => {
  for (const name of ['maxBufferedBytes', 'maxPendingBytes', 'maxPendingStructs', 'maxContentDepth', 'maxAwarenessStateBytes', 'maxAwarenessDepth', 'maxAwarenessIds', 'maxHandshakeRecords', 'maxDocumentsPerSocket', 'firstFrameTimeout'] as const) {
    for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assert.rejects(startLocalDataplane({ [name]: value }), new RangeError(`${name} must be a positive integer`))
    }
  }
})

// ---- 10.9: updates whose declared sizes do not fit their bytes ------------------------------------

const lyingUpdates: Array<[string, number[], RegExp]> = [
  ['33.5 million structs in 7 bytes', [1, 0xff, 0xff, 0xff, 0x0f, 1, 0], /^Invalid update: struct count 33554431 exceeds the 2 bytes left$/],
  ['a client count beyond the bytes', [0xff, 0xff, 0x03, 0], /^Invalid update: client count 65535 exceeds/],
  ['a string longer than the update', [1, 1, 5, 0, 0x04, 1, 0xff, 0xff, 0x3f, 0x61, 0], /^Invalid update: parent key length 1048575 exceeds/],
  ['an Any array of a million values', [1, 1, 5, 0, 0x08, 1, 1, 0x61, 0xc0, 0x84, 0x3d, 0], /^Invalid update: any value count 1000000 exceeds/],
  ['a delete set of a million ranges', [0, 1, 5, 0xc0, 0x84, 0x3d, 0], /^Invalid update: delete range count 1000000 exceeds/],
  ['an unknown content ref', [1, 1, 5, 0, 0x0b, 0], /^Invalid update: unknown content ref 11$/],
]

for (const [what, bytes, reason] of lyingUpdates) {
  test(`an update with ${what} is refused with 1007 before Yjs sees it; the document is untouched`, { timeout: 15_000 }, async () => {
    await withDataplane({}, async dp => {
      const url = `${dp.regions[0]!.url}/liars`
      const token = await dp.mintToken()
      const bystander = new YClient(url, token)
      await bystander.until(() => bystander.synced)
      const ws = await accepted(url, token)
      const closed = nextClose(ws)
      const started = performance.now()
      ws.send(syncFrame(2, new Uint8Array(bytes)))
      const info = await closed
      assert.equal(info.code, 1007)
      assert.match(info.reason, reason)
      assert.ok(performance.now() - started < 500, 'refused at once')
      bystander.doc.getText('text').insert(0, 'still fine')
      const check = new YClient(url, token)
      await check.until(() => check.text() === 'still fine')
      await Promise.all([bystander.close(), check.close()])
    })
  })
}

test('Y.Map values nested deeper than maxContentDepth are refused with 1007; shallower ones sync', { timeout: 15_000 }, async () => {
  await withDataplane({ maxContentDepth: 8 }, async dp => {
    const url = `${dp.regions[0]!.url}/deep`
    const token = await dp.mintToken()
    const nest = (depth: number): unknown => depth === 0 ? 'leaf' : [nest(depth - 1)]
    const ok = new YClient(url, token)
    await ok.until(() => ok.synced)
    ok.doc.getMap('m').set('fine', nest(7))
    const deep = new YClient(url, token)
    await deep.until(() => deep.synced && deep.doc.getMap('m').has('fine'), 'shallow value relayed')
    const closed = nextClose(deep.ws)
    deep.doc.getMap('m').set('deep', nest(9))
    assert.deepEqual(await closed, { code: 1007, reason: 'Invalid update: content nested deeper than 8' })
    assert.equal(dp.getDocument('deep')?.getMap('m').has('deep'), false)
    await Promise.all([ok.close(), deep.close()])
  })
})

test('pending state past maxPendingStructs closes its sender 1007 and is dropped; the document keeps syncing', { timeout: 15_000 }, async () => {
  await withDataplane({ maxPendingStructs: 4 }, async dp => {
    const url = `${dp.regions[0]!.url}/pending`
    const token = await dp.mintToken()
    // Updates of one client from clock 1 on: clock 0 never arrives, so Yjs keeps them all pending.
    const source = new Y.Doc()
    source.clientID = 777
    const updates: Uint8Array[] = []
    source.on('update', (u: Uint8Array) => updates.push(u))
    for (let i = 0; i < 8; i++) source.getText('text').insert(i, String(i))
    const ws = await accepted(url, token)
    const closed = nextClose(ws)
    for (const u of updates.slice(1)) ws.send(syncFrame(2, u))
    assert.deepEqual(await closed, { code: 1007, reason: 'Pending updates exceed 4 structs' })
    const doc = dp.getDocument('pending')!
    assert.equal(doc.store.pendingStructs, null)
    // The missing first update now arrives from someone else: nothing of the dropped state comes back.
    const other = await accepted(url, token)
    other.send(syncFrame(2, updates[0]!))
    const reader = new YClient(url, token)
    await reader.until(() => reader.text() === '0', 'first update applied, the dropped ones not')
    await Promise.all([reader.close(), closeQuietly(other)])
  })
})

// ---- 10.10: awareness poisoning ----------------------------------------------------------------

test('an awareness state past maxAwarenessStateBytes, or nested past maxAwarenessDepth, closes 1008; joins keep working', { timeout: 15_000 }, async () => {
  await withDataplane({}, async dp => {
    const url = `${dp.regions[0]!.url}/presence`
    const token = await dp.mintToken()
    const victim = new YClient(url, token)
    await victim.until(() => victim.synced)
    victim.setAwareness({ name: 'victim' })
    const big = await accepted(url, token)
    const bigClosed = nextClose(big)
    big.send(awarenessFrame([{ clientId: 11, clock: 1, state: JSON.stringify({ pad: 'x'.repeat(17 * 1024) }) }]))
    assert.deepEqual(await bigClosed, { code: 1008, reason: 'Awareness state exceeds 16384 bytes' })
    // 10 KiB, 6,000 arrays deep, for the victim's client id: the poisoning of issue 10.10.
    const deep = await accepted(url, token)
    const deepClosed = nextClose(deep)
    deep.send(awarenessFrame([{ clientId: victim.doc.clientID, clock: 99, state: '['.repeat(6000) + ']'.repeat(6000) }]))
    assert.deepEqual(await deepClosed, { code: 1008, reason: 'Awareness state nested deeper than 32' })
    const joiner = new YClient(url, token)
    await joiner.until(() => joiner.awareness.getStates().get(victim.doc.clientID)?.name === 'victim', 'the victim\'s presence reaches a new join', 2000)
    await Promise.all([victim.close(), joiner.close()])
  })
})

test('a connection can neither overwrite nor delete another connection\'s awareness client id', { timeout: 15_000 }, async () => {
  await withDataplane({}, async dp => {
    const url = `${dp.regions[0]!.url}/owners`
    const token = await dp.mintToken()
    const victim = new YClient(url, token)
    await victim.until(() => victim.synced)
    victim.setAwareness({ name: 'victim' })
    const id = victim.doc.clientID
    const thief = new YClient(url, token)
    await thief.until(() => thief.awareness.getStates().get(id)?.name === 'victim', 'thief sees the victim')
    const clock = thief.awareness.meta.get(id)!.clock
    thief.sendRaw(awarenessFrame([{ clientId: id, clock: clock + 5, state: JSON.stringify({ name: 'forged' }) }]))
    thief.sendRaw(awarenessFrame([{ clientId: id, clock: clock + 6, state: 'null' }]))
    // The thief's own presence is relayed, proving the forged frames before it were handled.
    thief.setAwareness({ name: 'thief' })
    await victim.until(() => victim.awareness.getStates().get(thief.doc.clientID)?.name === 'thief', 'thief presence relayed')
    assert.deepEqual(await stateOf(url, token, id), ['victim'])
    assert.equal(thief.ws.readyState, thief.ws.OPEN, 'dropping a foreign id is not fatal')
    await Promise.all([victim.close(), thief.close()])
  })
})

/** A fresh joiner's view of one client's presence name. */
const stateOf = async (url: string, token: string, id: number): Promise<string[]> => {
  const c = new YClient(url, token)
  await c.until(() => c.awareness.getStates().has(id), 'presence of the client')
  const name = String(c.awareness.getStates().get(id)?.name)
  await c.close()
  return [name]
}

test('a connection announcing more than maxAwarenessIds client ids is closed 1008', { timeout: 15_000 }, async () => {
  await withDataplane({ maxAwarenessIds: 3 }, async dp => {
    const ws = await accepted(`${dp.regions[0]!.url}/many-ids`, await dp.mintToken())
    const closed = nextClose(ws)
    ws.send(awarenessFrame([1, 2, 3, 4].map(clientId => ({ clientId, clock: 1, state: '{}' }))))
    assert.deepEqual(await closed, { code: 1008, reason: 'More than 3 awareness client ids' })
  })
})

// ---- 10.11: sync step 2 counts against opsPerMinute ------------------------------------------------

test('edits sent as sync step 2 count against opsPerMinute like updates: the sixth of five closes 4006', { timeout: 15_000 }, async () => {
  await withDataplane({}, async dp => {
    const url = `${dp.regions[0]!.url}/step2-ops`
    const token = await dp.mintToken({ claims: { limits: { opsPerMinute: 5 } } })
    const ws = await accepted(url, token)
    const closed = nextClose(ws)
    const source = new Y.Doc()
    const edits: Uint8Array[] = []
    source.on('update', (u: Uint8Array) => edits.push(u))
    for (let i = 0; i < 50; i++) source.getText('text').insert(i, String(i % 10))
    for (const edit of edits) ws.send(syncFrame(1, edit))
    assert.deepEqual(await closed, { code: 4006, reason: 'Rate limit exceeded: 5 ops/min' })
    assert.equal(dp.getDocument('step2-ops')?.getText('text').toString(), '01234')
    // An empty step 2 (a client with nothing new) is the handshake, not an edit: it costs nothing.
    const app = dp.addApp()
    const quietToken = await dp.mintToken({ app, claims: { limits: { opsPerMinute: 1 } } })
    const first = new YClient(url, quietToken)
    const second = new YClient(url, quietToken)
    await first.until(() => first.synced)
    await second.until(() => second.synced)
    first.doc.getText('text').insert(0, 'one')
    await second.until(() => second.text() === 'one', 'the one edit the minute allows')
    assert.equal(first.ws.readyState, first.ws.OPEN)
    await Promise.all([first.close(), second.close()])
  })
})

// ---- 10.12: handshake log, token service input, log lines ------------------------------------------

test('handshakes[] keeps only the newest maxHandshakeRecords, with ?token= redacted', { timeout: 15_000 }, async () => {
  await withDataplane({ maxHandshakeRecords: 3 }, async dp => {
    const token = await dp.mintToken()
    const held = dp.handshakes
    for (let i = 0; i < 6; i++) {
      const ws = await accepted(`${dp.regions[0]!.url}/h${i}?token=${token}`, token, { protocols: [] })
      await closeQuietly(ws)
    }
    assert.equal(dp.handshakes, held, 'the same array, trimmed in place')
    assert.deepEqual(dp.handshakes.map(h => h.url.split('?')[0]), ['/h3', '/h4', '/h5'])
    for (const h of dp.handshakes) {
      assert.equal(h.url.includes(token.split('.')[1]!), false)
      assert.match(h.url, /\?token=eyJ[\w-]+\.\[redacted\]$/)
    }
  })
})

test('the token service answers malformed percent-encoding with 400 invalid_request, not 500', { timeout: 15_000 }, async () => {
  await withDataplane({}, async dp => {
    const basic = Buffer.from('%E0%A4%A:secret').toString('base64')
    const reply = await postForm(dp.tokenUrl, { grant_type: 'client_credentials', scope: 'WireSocket.API' }, { Authorization: `Basic ${basic}` })
    assert.equal(reply.status, 400)
    assert.equal(reply.body.error, 'invalid_request')
    const jwks = await fetch(`${dp.apiUrl}/%E0%A4%A/.well-known/jwks`)
    assert.equal(jwks.status, 400)
    assert.equal((await jwks.json() as { error: string }).error, 'invalid_request')
  })
})

test('client-chosen text cannot forge lines in the verbose log', { timeout: 15_000 }, async () => {
  const lines: string[] = []
  await withDataplane({ log: line => lines.push(line) }, async dp => {
    await postForm(dp.tokenUrl, { grant_type: 'client_credentials\n[2026-01-01T00:00:00.000Z] token: forged', client_id: 'x\r\nforged\u2028line\u0085', client_secret: 's', scope: 'WireSocket.API' })
    const line = lines.find(l => l.startsWith('token:'))
    assert.ok(line)
    assert.doesNotMatch(line, /[\n\r\u2028\u0085]/)
    assert.match(line, /client_credentials\\n\[2026/)
  })
})

test('an nbf in milliseconds is read with the contract\'s ms→s rule: now is accepted, an hour ahead is refused', { timeout: 15_000 }, async () => {
  await withDataplane({}, async dp => {
    const url = `${dp.regions[0]!.url}/nbf-ms`
    const now = await accepted(url, await dp.mintToken({ claims: { nbf: Date.now() } }))
    const ahead = await closeOf(url, { protocols: ['access_token', await dp.mintToken({ claims: { nbf: Date.now() + 3_600_000 } })] })
    assert.deepEqual(ahead, { code: 4002, reason: 'Invalid token' })
    await closeQuietly(now)
  })
})

// ---- the same bounds in the Hocuspocus framing: one document closed in-band, the socket lives on ----

test('Hocuspocus: a lying update and a poisoned awareness state close only their document, in-band (1007, 1008)', { timeout: 15_000 }, async () => {
  await withDataplane({}, async dp => {
    const token = await dp.mintToken()
    const ws = new WebSocket(dp.regions[0]!.url)
    const frames: Array<{ address: string; type: number; message: Uint8Array }> = []
    const waiters = new Set<() => void>()
    ws.on('message', (data: Buffer) => {
      const frame = decodeHocuspocusFrame(new Uint8Array(data))
      if (frame.kind === 'message') frames.push(frame)
      for (const w of [...waiters]) w()
    })
    const seen = async (check: () => boolean, what: string): Promise<void> => {
      if (check()) return
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5000)
        const w = (): void => { if (check()) { clearTimeout(timer); waiters.delete(w); resolve() } }
        waiters.add(w)
      })
    }
    const closeReason = (address: string): string | undefined => {
      const frame = frames.find(f => f.address === address && f.type === 7)
      return frame === undefined ? undefined : new TextDecoder().decode(frame.message.subarray(2))
    }
    await new Promise(resolve => ws.once('open', resolve))
    for (const name of ['liar', 'poison', 'fine']) ws.send(authTokenFrame(name, token, '4.8.0'))
    await seen(() => ['liar', 'poison', 'fine'].every(a => frames.some(f => f.address === a && f.type === 2)), 'three Authenticated')
    ws.send(encodeHocuspocusFrame('liar', syncFrame(2, new Uint8Array([1, 0xff, 0xff, 0xff, 0x0f, 1, 0]))))
    ws.send(encodeHocuspocusFrame('poison', awarenessFrame([{ clientId: 5, clock: 1, state: '['.repeat(6000) + ']'.repeat(6000) }])))
    await seen(() => closeReason('liar') !== undefined && closeReason('poison') !== undefined, 'two in-band CLOSEs')
    assert.equal(closeReason('liar'), '1007 Invalid update: struct count 33554431 exceeds the 2 bytes left')
    assert.equal(closeReason('poison'), '1008 Awareness state nested deeper than 32')
    const edit = new Y.Doc()
    edit.getText('text').insert(0, 'fine')
    ws.send(encodeHocuspocusFrame('fine', syncFrame(2, Y.encodeStateAsUpdate(edit))))
    await seen(() => frames.some(f => f.address === 'fine' && f.type === 8), 'sync-status for the healthy document')
    assert.equal(dp.getDocument('fine')?.getText('text').toString(), 'fine')
    assert.equal(ws.readyState, ws.OPEN)
    ws.close()
  })
})

test('Hocuspocus: one socket carries at most maxDocumentsPerSocket documents; one more is refused in-band', { timeout: 15_000 }, async () => {
  await withDataplane({ maxDocumentsPerSocket: 2 }, async dp => {
    const token = await dp.mintToken()
    const ws = new WebSocket(dp.regions[0]!.url)
    const answers = new Map<string, string>()
    const all = new Promise<void>(resolve => ws.on('message', (data: Buffer) => {
      const frame = decodeHocuspocusFrame(new Uint8Array(data))
      if (frame.kind !== 'message' || frame.type !== 2) return
      const auth = readAuth(frame.message)
      answers.set(frame.address, auth.kind === 'permission-denied' ? auth.reason : auth.kind)
      if (answers.size === 3) resolve()
    }))
    await new Promise(resolve => ws.once('open', resolve))
    for (const name of ['a1', 'a2', 'a3']) ws.send(authTokenFrame(name, token, '4.8.0'))
    await all
    assert.deepEqual(Object.fromEntries(answers), { a1: 'authenticated', a2: 'authenticated', a3: '1008 More than 2 documents on one socket' })
    ws.close()
  })
})

// ---- issue 14: one client id on two sockets (make-before-break) ------------------------------------

test('a claim on a live connection\'s client id is held, and passes on when the owner leaves: no removal', { timeout: 15_000 }, async () => {
  await withDataplane({}, async dp => {
    const url = `${dp.regions[0]!.url}/handover-claim`
    const token = await dp.mintToken()
    const owner = new YClient(url, token)
    await owner.until(() => owner.synced)
    owner.setAwareness({ name: 'old socket' })
    const id = owner.doc.clientID
    const watcher = new YClient(url, token)
    await watcher.until(() => watcher.awareness.getStates().get(id)?.name === 'old socket', 'watcher sees the owner')
    const removals: number[] = []
    watcher.awareness.on('update', ({ removed }: { removed: number[] }) => removals.push(...removed))
    const replacement = new YClient(url, token)
    await replacement.until(() => replacement.synced)
    const clock = replacement.awareness.meta.get(id)!.clock
    replacement.sendRaw(awarenessFrame([{ clientId: id, clock: clock + 1, state: JSON.stringify({ name: 'new socket' }) }]))
    // held while the owner lives: a fresh joiner still sees the owner's state
    assert.deepEqual(await stateOf(url, token, id), ['old socket'])
    // the old socket goes away without saying goodbye, as the provider's does after a swap
    await closeQuietly(owner.ws)
    await watcher.until(() => watcher.awareness.getStates().get(id)?.name === 'new socket', 'the claim took over')
    assert.deepEqual(removals, [], 'the id was passed on, never removed')
    await Promise.all([owner.close(), watcher.close(), replacement.close()])
  })
})

test('held claims count against maxAwarenessIds', { timeout: 15_000 }, async () => {
  await withDataplane({ maxAwarenessIds: 3 }, async dp => {
    const url = `${dp.regions[0]!.url}/many-claims`
    const token = await dp.mintToken()
    const owner = await accepted(url, token)
    owner.send(awarenessFrame([1, 2, 3].map(clientId => ({ clientId, clock: 1, state: '{}' }))))
    const watcher = new YClient(url, token)
    await watcher.until(() => [1, 2, 3].every(id => watcher.awareness.getStates().has(id)), 'the owner\'s three ids')
    const claimant = await accepted(url, token)
    const closed = nextClose(claimant)
    claimant.send(awarenessFrame([1, 2, 3, 4].map(clientId => ({ clientId, clock: 2, state: '{}' }))))
    assert.deepEqual(await closed, { code: 1008, reason: 'More than 3 awareness client ids' })
    closeQuietly(owner)
    await watcher.close()
  })
})

test('a peer echoing a client\'s state (as y-websocket clients do) does not keep it alive once that client drops', { timeout: 15_000 }, async () => {
  await withDataplane({}, async dp => {
    const url = `${dp.regions[0]!.url}/handover-echo`
    const token = await dp.mintToken()
    const owner = new YClient(url, token)
    await owner.until(() => owner.synced)
    owner.setAwareness({ name: 'owner' })
    const id = owner.doc.clientID
    const echoer = new YClient(url, token)
    await echoer.until(() => echoer.awareness.getStates().get(id)?.name === 'owner', 'echoer sees the owner')
    echoer.sendRaw(echoer.awarenessFrame([id]))
    const watcher = new YClient(url, token)
    await watcher.until(() => watcher.awareness.getStates().has(id), 'watcher sees the owner')
    await closeQuietly(owner.ws)
    await watcher.until(() => !watcher.awareness.getStates().has(id), 'the dropped owner is removed')
    await Promise.all([owner.close(), echoer.close(), watcher.close()])
  })
})

/** A raw Hocuspocus socket on `/` that records every frame as `address kind [reason]`, and its close. */
const rawHocus = async (url: string, protocols: string[] = []): Promise<{ ws: WebSocket; frames: string[]; seen: (check: () => boolean, what: string) => Promise<void>; closed: Promise<{ code: number; reason: string }> }> => {
  const ws = new WebSocket(url, protocols)
  const frames: string[] = []
  const waiters = new Set<() => void>()
  ws.on('message', (data: Buffer) => {
    const frame = decodeHocuspocusFrame(new Uint8Array(data))
    if (frame.kind !== 'message') return
    if (frame.type === 2) {
      const auth = readAuth(frame.message)
      frames.push(`${frame.address} ${auth.kind}${auth.kind === 'permission-denied' ? ` ${auth.reason}` : ''}`)
    } else if (frame.type === 7) {
      frames.push(`${frame.address} close`)
    }
    for (const w of waiters) w()
  })
  const closed = nextClose(ws)
  const seen = async (check: () => boolean, what: string): Promise<void> => await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${frames.join(', ')}`)), 5000)
    const w = (): void => {
      if (!check()) return
      clearTimeout(timer)
      waiters.delete(w)
      resolve()
    }
    waiters.add(w)
    w()
  })
  await new Promise(resolve => ws.once('open', resolve))
  return { ws, frames, seen, closed }
}

test('Hocuspocus: a socket on / that authenticates no document is closed 4001 Missing token after firstFrameTimeout, also after its last document closes', { timeout: 15_000 }, async () => {
  await withDataplane({ firstFrameTimeout: 300 }, async dp => {
    // Its only Auth is denied: before the fix the socket stayed open forever, counted nowhere.
    const denied = await rawHocus(dp.regions[0]!.url)
    denied.ws.send(authTokenFrame('doc', 'eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.sig', '4.8.0'))
    await denied.seen(() => denied.frames.length > 0, 'the denial')
    assert.deepEqual(denied.frames, ['doc permission-denied 4002 Invalid token'])
    assert.deepEqual(await denied.closed, { code: 4001, reason: 'Missing token' })

    // While a document is open the socket stays, however long; once the last one closes the timer runs again.
    const token = await dp.mintToken()
    const user = await rawHocus(dp.regions[0]!.url)
    user.ws.send(authTokenFrame('doc', token, '4.8.0'))
    await user.seen(() => user.frames.includes('doc authenticated'), 'Authenticated')
    // Absence of a close can only be shown by waiting: three timeouts' worth.
    await new Promise(resolve => setTimeout(resolve, 900))
    assert.equal(user.ws.readyState, user.ws.OPEN)
    user.ws.send(closeFrame('doc'))
    assert.deepEqual(await user.closed, { code: 4001, reason: 'Missing token' })
  })
})

test('Hocuspocus: an empty-token Auth reuses the upgrade token only while it is valid: 4002 Token expired past exp and after expireTokens()', { timeout: 15_000 }, async () => {
  let clock = Date.now()
  await withDataplane({ now: () => clock }, async dp => {
    const token = await dp.mintToken({ ttl: 60 })
    const socket = await rawHocus(dp.regions[0]!.url, ['access_token', token])
    socket.ws.send(authTokenFrame('first', '', '4.8.0'))
    await socket.seen(() => socket.frames.includes('first authenticated'), 'first Authenticated')
    clock += 61_000
    socket.ws.send(authTokenFrame('late', '', '4.8.0'))
    await socket.seen(() => socket.frames.some(f => f.startsWith('late ')), 'an answer for late')
    // Before the fix: `late close` (the expiry closed it at once) and then `late authenticated`.
    assert.deepEqual(socket.frames.filter(f => f.startsWith('late ')), ['late permission-denied 4002 Token expired'])
    socket.ws.close()

    clock -= 61_000
    const fresh = await dp.mintToken({ ttl: 60 })
    const forced = await rawHocus(dp.regions[0]!.url, ['access_token', fresh])
    dp.expireTokens()
    forced.ws.send(authTokenFrame('forced', '', '4.8.0'))
    await forced.seen(() => forced.frames.length > 0, 'an answer for forced')
    assert.deepEqual(forced.frames, ['forced permission-denied 4002 Token expired'])
    forced.ws.close()
  })
})

test('handshakes[] redacts a token whose parameter name is percent-encoded (?%74oken=)', { timeout: 15_000 }, async () => {
  await withDataplane({}, async dp => {
    const token = await dp.mintToken()
    const ws = await accepted(`${dp.regions[0]!.url}/encoded?%74oken=${token}&x=1`, token, { protocols: [] })
    await closeQuietly(ws)
    const url = dp.handshakes.at(-1)!.url
    assert.equal(url.includes(token.split('.')[1]!), false, url)
    assert.equal(url, `/encoded?token=${token.split('.')[0]!}.[redacted]&x=1`)
  })
})

test('a token at the upgrade on / and no first frame within firstFrameTimeout: 4001 Missing token (contract §6)', { timeout: 15_000 }, async () => {
  await withDataplane({ firstFrameTimeout: 200 }, async dp => {
    const token = await dp.mintToken()
    assert.deepEqual(await closeOf(`${dp.regions[0]!.url}/`, { protocols: ['access_token', token] }), { code: 4001, reason: 'Missing token' })
    assert.deepEqual(await closeOf(`${dp.regions[0]!.url}/`), { code: 4001, reason: 'Missing token' })
  })
})
