import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import type { LocalDataplane } from '../../src/local/index.ts'
import WebSocket from 'ws'
import { client, converge, destroyAll, next, synced, dataplaneForFile, type Client } from './support/provider-harness.ts'

const file = dataplaneForFile()
let dp: LocalDataplane
before(async () => { dp = await file.ready })

const EXPIRIES = 20
const TTL = 2 // seconds: the dataplane closes each socket at its token's `exp`

const others = (c: Client, all: Client[]): number[] => all.filter(o => o !== c).map(o => o.provider.awareness.clientID)

test(`three clients through ${EXPIRIES} token expiries: make-before-break, nobody sees a thing`, async () => {
  const clients = [0, 1, 2].map(() => client(dp, 'handover-three', { ttl: TTL, handover: 'always' }))
  const seen: string[] = []
  const handovers = clients.map(() => 0)
  clients.forEach((c, i) => {
    c.provider.awareness.setLocalStateField('name', `client-${i}`)
    c.provider.on('handover', () => { handovers[i]!++ })
  })
  try {
    await Promise.all(clients.map(async c => await synced(c.provider)))
    await Promise.all(clients.map(c => new Promise<void>(resolve => {
      const check = (): void => { if (others(c, clients).every(id => c.provider.awareness.getStates().has(id))) { c.provider.awareness.off('change', check); resolve() } }
      c.provider.awareness.on('change', check)
      check()
    })))
    // from here on: every status, sync and connection-close is a visible disruption
    clients.forEach((c, i) => {
      c.provider.on('status', ({ status }) => seen.push(`${i}: status ${status}`))
      c.provider.on('sync', s => { if (!s) seen.push(`${i}: sync false`) })
      c.provider.on('connection-close', e => seen.push(`${i}: connection-close ${e?.code ?? ''}`))
      // the dataplane passes a client id on to its replacement socket: peers never hear it removed
      c.provider.awareness.on('update', ({ removed }: { removed: number[] }) => removed.forEach(id => seen.push(`${i}: removed ${id}`)))
    })
    // presence sampled every 20 ms: the longest stretch in which a client missed any of the others
    const gapStart = clients.map(() => 0)
    const longestGap = clients.map(() => 0)
    const sampler = setInterval(() => clients.forEach((c, i) => {
      const now = Date.now()
      const all = others(c, clients).every(id => c.provider.awareness.getStates().has(id))
      if (all) gapStart[i] = 0
      else if (gapStart[i] === 0) gapStart[i] = now
      else longestGap[i] = Math.max(longestGap[i]!, now - gapStart[i]!)
    }), 20)
    // edits all along: each one is sent the moment it is made (none waits for a socket)
    let edits = 0
    const editor = setInterval(() => {
      const c = clients[edits % 3]!
      c.doc.getArray<number>('edits').push([edits++])
    }, 50)
    try {
      await Promise.all(clients.map(async (c, i) => {
        while (handovers[i]! < EXPIRIES) await next(c.provider, 'handover', () => true, TTL * 1000 + 5000)
      }))
    } finally {
      clearInterval(editor)
      clearInterval(sampler)
    }
    const expected = Array.from({ length: edits }, (_, i) => i)
    await converge(clients.map(c => c.doc), () => clients.every(c => c.doc.getArray<number>('edits').length === edits), 'unused')
    for (const c of clients) assert.deepEqual(c.doc.getArray<number>('edits').toArray().sort((x, y) => x - y), expected)
    assert.deepEqual(seen, [], 'no status change, no sync: false, no connection-close, no presence removal')
    assert.ok(longestGap.every(g => g <= 200), `longest presence gaps (ms): ${longestGap.join(', ')}`)
    console.log(`# ${edits} edits; longest presence gaps (ms): ${longestGap.join(', ')}`)
  } finally {
    destroyAll(clients)
  }
})

test("'auto': the first expiry is an ordinary reconnect, the next ones are handovers", async () => {
  const a = client(dp, 'handover-auto', { ttl: TTL })
  try {
    await synced(a.provider)
    const [closed] = await next(a.provider, 'connection-close')
    assert.deepEqual([closed?.code, closed?.reason], [4002, 'Token expired'])
    const statuses: string[] = []
    await synced(a.provider)
    a.provider.on('status', ({ status }) => statuses.push(status))
    await next(a.provider, 'handover', () => true, TTL * 1000 + 5000)
    await next(a.provider, 'handover', () => true, TTL * 1000 + 5000)
    assert.deepEqual(statuses, [])
  } finally {
    destroyAll([a])
  }
})

test("'never' and the default before any 4002: no second socket", async () => {
  const a = client(dp, 'handover-never', { ttl: TTL, handover: 'never' })
  try {
    await synced(a.provider)
    a.provider.on('handover', () => assert.fail('no handover with handover: never'))
    for (let i = 0; i < 2; i++) {
      await next(a.provider, 'connection-close', e => e?.code === 4002)
      await synced(a.provider)
    }
  } finally {
    destroyAll([a])
  }
})

test('the replacement is refused (4004 at maxConnections): quietly back to the ordinary reconnect at exp', async () => {
  const app = dp.addApp({ limits: { maxConnections: 1 } })
  const a = client(dp, 'handover-limit', { ttl: TTL, handover: 'always', app })
  const limits: unknown[] = []
  a.provider.on('limit', e => limits.push(e))
  try {
    await synced(a.provider)
    const before = dp.handshakes.length
    // the old socket still ends at exp (4002), and the provider reconnects at once with the fresh token
    const [closed] = await next(a.provider, 'connection-close', () => true, TTL * 1000 + 5000)
    assert.equal(closed?.code, 4002)
    const outcomes = dp.handshakes.slice(before).filter(h => h.url.startsWith('/handover-limit')).map(h => h.outcome)
    assert.deepEqual(outcomes[0], { code: 4004, reason: 'Connection limit exceeded: 1' }, 'the replacement was refused')
    await synced(a.provider)
    assert.equal(a.provider.state, 'open')
    assert.deepEqual(limits, [], 'the refused replacement is not reported as a limit')
  } finally {
    destroyAll([a])
  }
})

test('destroy() during the overlap closes both sockets and leaves nothing behind', async () => {
  const sockets: InstanceType<typeof WebSocket>[] = []
  class Recording extends WebSocket {
    constructor (url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      sockets.push(this)
    }
  }
  const a = client(dp, 'handover-destroy', { ttl: TTL, handover: 'always', WebSocketPolyfill: Recording })
  try {
    await synced(a.provider)
    // the replacement socket is created when the fresh token arrives
    while (sockets.length < 2) await next(a.provider, 'token', () => true, TTL * 1000 + 5000)
    a.provider.destroy()
    assert.equal(a.provider.state, 'destroyed')
    await Promise.all(sockets.map(async s => s.readyState === WebSocket.CLOSED || await new Promise(resolve => s.once('close', resolve))))
    assert.equal(sockets.length, 2)
  } finally {
    destroyAll([a])
  }
})
