/**
 * 8. Local dataplane capacity: many providers over many documents, held while every document takes a
 * steady stream of updates. Each update carries its send time; every other client of the document
 * records how long it took to arrive (all clients live in the bench process, so one clock). The
 * dataplane runs in its own process: on a 2-core machine, one core for it, one for a thousand clients.
 */
import * as Y from 'yjs'
import { createTokenSource, type WireSocketProvider } from '../../src/index.ts'
import { createBackend, ours, whenSynced } from '../lib/clients.ts'
import { startRemoteDataplane } from '../lib/remote-dataplane.ts'
import { createSocketMeter } from '../lib/sockets.ts'
import { percentile, sleep } from '../lib/stats.ts'
import { ms, type BenchOptions, type ScenarioResult } from '../lib/result.ts'

interface Stamp { t: number }

export const capacity = async (options: BenchOptions): Promise<ScenarioResult> => {
  const sockets = options.quick ? 200 : 1000
  const documents = sockets / 10
  const perDoc = sockets / documents
  const durationMs = options.quick ? 3000 : 10_000
  const intervalMs = 200 // per document: 5 updates/s each, so 5 × documents updates/s in, × (perDoc − 1) out
  const dp = await startRemoteDataplane({
    rateLimits: { connectPerMinute: 1_000_000 },
    limits: { maxConnections: 100_000, maxDocuments: 100_000, maxUsersPerDoc: 1000, opsPerMinute: 1_000_000_000 },
  })
  const source = createTokenSource(createBackend(dp, options.latency).getToken)
  await source.get('s8', 'connect')
  const WS = createSocketMeter().WS
  const docs: Y.Doc[] = []
  const providers: WireSocketProvider[] = []
  const latencies: number[] = []
  let sent = 0
  let received = 0
  let measuring = false
  const connectStart = performance.now()
  let connectMs = 0
  let held = 0
  let syncedAfter = 0
  try {
    // in batches, so what is measured is holding the load, not surviving a thousand simultaneous handshakes
    for (let i = 0; i < sockets; i += 100) {
      const batch: WireSocketProvider[] = []
      for (let j = i; j < Math.min(sockets, i + 100); j++) {
        const doc = new Y.Doc()
        const provider = ours(dp.url, `s8-${j % documents}`, doc, { WS, tokenSource: source })
        doc.getMap('stamps').observe(event => {
          if (!measuring || event.transaction.origin !== provider) return
          const now = performance.now()
          for (const key of event.keysChanged) {
            const stamp = event.target.get(key) as Stamp | undefined
            if (stamp === undefined) continue
            latencies.push(now - stamp.t)
            received++
          }
        })
        docs.push(doc)
        batch.push(provider)
        providers.push(provider)
      }
      await Promise.all(batch.map(p => whenSynced(p, 60_000, 'capacity: connect')))
    }
    connectMs = performance.now() - connectStart
    held = (await dp.stats()).connections
    measuring = true
    const until = performance.now() + durationMs
    let tick = 0
    while (performance.now() < until) {
      // one writer per document per tick, rotating through its clients; each writes its own key
      for (let d = 0; d < documents; d++) {
        const doc = docs[d + documents * (tick % perDoc)] as Y.Doc
        doc.getMap('stamps').set(String(doc.clientID), { t: performance.now() } satisfies Stamp)
        sent++
      }
      tick++
      await sleep(intervalMs)
    }
    await sleep(2000) // drain what is in flight
    measuring = false
    syncedAfter = providers.filter(p => p.synced).length
    held = Math.min(held, (await dp.stats()).connections)
  } finally {
    providers.forEach(p => p.destroy())
    docs.forEach(d => d.destroy())
    await dp.close()
  }
  const expected = sent * (perDoc - 1)
  const p50 = percentile(latencies, 50)
  const p99 = percentile(latencies, 99)
  return {
    id: 8,
    title: 'Local dataplane capacity',
    rows: [
      { scenario: '8 Dataplane capacity', metric: `connections held, ${sockets} sockets over ${documents} documents`, ours: `${held}`, reference: '—', ratio: Number.NaN, goal: `${sockets} held`, met: held === sockets && syncedAfter === sockets },
      { scenario: '8 Dataplane capacity', metric: `updates delivered (${sent} sent × ${perDoc - 1} receivers)`, ours: `${received} / ${expected}`, reference: '—', ratio: Number.NaN, goal: 'none lost', met: received === expected },
      { scenario: '8 Dataplane capacity', metric: 'fan-out latency p50', ours: ms(p50), reference: '—', ratio: Number.NaN, goal: '—', met: null },
      { scenario: '8 Dataplane capacity', metric: 'fan-out latency p99', ours: ms(p99), reference: '—', ratio: Number.NaN, goal: '—', met: null },
    ],
    details: { sockets, documents, durationMs, intervalMs, sent, received, expected, held, syncedAfter, connectMs, p50, p90: percentile(latencies, 90), p99, max: percentile(latencies, 100) },
    notes: [`${sockets} WireSocketProviders (one shared token source) connected in batches of 100 in ${(connectMs / 1000).toFixed(1)} s; ${durationMs / 1000} s of load at ${(documents * 1000) / intervalMs} updates/s in and ${((documents * 1000) / intervalMs) * (perDoc - 1)} deliveries/s out; ${syncedAfter}/${sockets} still synced at the end. Latency is writer's set() → receiver's observe(), both in the bench process. No peer ships a dataplane, so there is no reference column.`],
  }
}
