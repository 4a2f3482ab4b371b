/**
 * 1. Expiry recovery: from the server's 4002 close to `sync` true again.
 * - ours: the token source renewed the token in the background before `exp`, so the reconnect needs no
 *   backend call;
 * - reference: y-websocket with the WireSocket docs' pattern (on 4002: fetch a token, destroy, construct);
 * - floor: a raw socket's handshake plus one sync round, token already in hand.
 * Tokens really expire (short ttl, the dataplane's `closeOnExpiry`): `expireTokens()` would also kill
 * the token ours renewed in advance, which is not what happens in production.
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import { createBackend, DocPatternClient, ours, type SyncEmitter } from '../lib/clients.ts'
import { startRemoteDataplane, type RemoteDataplane } from '../lib/remote-dataplane.ts'
import { seedDocument } from '../lib/seed.ts'
import { createSocketMeter } from '../lib/sockets.ts'
import { median, within } from '../lib/stats.ts'
import { ms, type BenchOptions, type ScenarioResult } from '../lib/result.ts'

const DOC = 's1-expiry'

interface Recovery { ms: number; criticalCalls: number }

/** Resolve with the time from the recorded close to the next `sync` true, and the token calls made in between. */
const recovery = (client: SyncEmitter, closedAt: () => number | undefined, callTimes: readonly number[], timeout: number): Promise<Recovery> => {
  let listener: ((synced: boolean) => void) | undefined
  const done = new Promise<Recovery>(resolve => {
    listener = synced => {
      const t0 = closedAt()
      if (!synced || t0 === undefined) return
      const t1 = performance.now()
      resolve({ ms: t1 - t0, criticalCalls: callTimes.filter(t => t >= t0 && t <= t1).length })
    }
    client.on('sync', listener)
  })
  return within(done, timeout, 'expiry recovery').finally(() => {
    if (listener !== undefined) client.off('sync', listener)
  })
}

const oursRound = async (dp: RemoteDataplane, latency: number, ttl: number): Promise<Recovery> => {
  const backend = createBackend(dp, latency, ttl)
  const doc = new Y.Doc()
  const provider = ours(dp.url, DOC, doc, { WS: createSocketMeter().WS, getToken: backend.getToken })
  let closedAt: number | undefined
  provider.on('connection-close', event => {
    if (event?.code === 4002 && closedAt === undefined) closedAt = performance.now()
  })
  try {
    return await recovery(provider, () => closedAt, backend.callTimes, ttl * 1000 + 15_000)
  } finally {
    provider.destroy()
    doc.destroy()
  }
}

const referenceRound = async (dp: RemoteDataplane, latency: number, ttl: number): Promise<Recovery> => {
  const backend = createBackend(dp, latency, ttl)
  const doc = new Y.Doc()
  const client = await DocPatternClient.create(dp.url, DOC, doc, createSocketMeter().WS, backend.getToken)
  try {
    return await recovery(client, () => client.expiries[0], backend.callTimes, ttl * 1000 + 15_000)
  } finally {
    client.destroy()
    client.provider.awareness.destroy()
    doc.destroy()
  }
}

/** Handshake + sync step 1 → step 2 on a bare `ws` socket: the least any client can do. */
const floorRound = async (dp: RemoteDataplane): Promise<Recovery> => {
  const token = await dp.mintToken(3600)
  const doc = new Y.Doc()
  const t0 = performance.now()
  const ws = new WebSocket(`${dp.url}/${DOC}`, ['access_token', token])
  ws.binaryType = 'arraybuffer'
  const done = new Promise<number>((resolve, reject) => {
    ws.on('open', () => {
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, 0)
      syncProtocol.writeSyncStep1(encoder, doc)
      ws.send(encoding.toUint8Array(encoder))
    })
    ws.on('message', (data: ArrayBuffer) => {
      const decoder = decoding.createDecoder(new Uint8Array(data))
      if (decoding.readVarUint(decoder) !== 0) return
      const reply = encoding.createEncoder()
      const type = syncProtocol.readSyncMessage(decoder, reply, doc, null)
      if (type === syncProtocol.messageYjsSyncStep2) resolve(performance.now() - t0)
    })
    ws.on('error', reject)
    ws.on('close', code => reject(new Error(`floor socket closed ${code}`)))
  })
  try {
    return { ms: await within(done, 10_000, 'floor sync'), criticalCalls: 0 }
  } finally {
    ws.removeAllListeners('close')
    ws.on('error', () => {})
    ws.close()
    doc.destroy()
  }
}

export const expiryRecovery = async (options: BenchOptions): Promise<ScenarioResult> => {
  const rounds = options.quick ? 2 : 5
  const ttl = options.quick ? 2 : 3
  const dp = await startRemoteDataplane({ closeOnExpiry: true, rateLimits: { connectPerMinute: 1_000_000 } })
  const seed = await seedDocument(dp, DOC)
  const results = { ours: [] as Recovery[], reference: [] as Recovery[], floor: [] as Recovery[] }
  try {
    const modes = ['ours', 'reference', 'floor'] as const
    for (let round = 0; round < rounds; round++) {
      // rotate the order each round so no side always runs first (warm caches, GC debt)
      for (let i = 0; i < modes.length; i++) {
        const mode = modes[(round + i) % modes.length] as (typeof modes)[number]
        if (mode === 'ours') results.ours.push(await oursRound(dp, options.latency, ttl))
        else if (mode === 'reference') results.reference.push(await referenceRound(dp, options.latency, ttl))
        else results.floor.push(await floorRound(dp))
      }
    }
  } finally {
    seed.close()
    await dp.close()
  }
  const o = median(results.ours.map(r => r.ms))
  const r = median(results.reference.map(x => x.ms))
  const f = median(results.floor.map(x => x.ms))
  const oCalls = median(results.ours.map(x => x.criticalCalls))
  const rCalls = median(results.reference.map(x => x.criticalCalls))
  return {
    id: 1,
    title: 'Expiry recovery',
    rows: [
      { scenario: '1 Expiry recovery', metric: '4002 → sync, vs floor (raw ws handshake + 1 sync round)', ours: ms(o), reference: ms(f), ratio: o / f, goal: '≤ 1.3× floor', met: o / f <= 1.3 },
      { scenario: '1 Expiry recovery', metric: '4002 → sync, vs y-websocket + docs pattern', ours: ms(o), reference: ms(r), ratio: o / r, goal: '—', met: null },
      { scenario: '1 Expiry recovery', metric: 'getToken calls on the critical path', ours: String(oCalls), reference: String(rCalls), ratio: rCalls === 0 ? Number.NaN : oCalls / rCalls, goal: '0', met: results.ours.every(x => x.criticalCalls === 0) },
    ],
    details: { rounds, ttlSeconds: ttl, latencyMs: options.latency, samples: results },
    notes: [`${rounds} rounds, token ttl ${ttl} s with closeOnExpiry, getToken latency ${options.latency} ms; order rotated each round.`],
  }
}
