/**
 * 5. Leaks: many construct → sync → destroy cycles on one long-lived Y.Doc, and many connect → expire →
 * reconnect cycles of live providers. Heap growth after full GCs (the dataplane is another process, so
 * the heap is the clients'), and what is left once everything is destroyed: live timers and sockets,
 * process listeners, listeners on the doc.
 */
import * as Y from 'yjs'
import { createTokenSource, type WireSocketProvider } from '../../src/index.ts'
import { backAgain, createBackend, DocPatternClient, ours, reference, whenSynced, type SyncEmitter } from '../lib/clients.ts'
import { docListeners, drain, grown, snapshot, total, type Resources } from '../lib/leftovers.ts'
import { startRemoteDataplane, type RemoteDataplane } from '../lib/remote-dataplane.ts'
import { createSocketMeter } from '../lib/sockets.ts'
import { within } from '../lib/stats.ts'
import type { BenchOptions, Row, ScenarioResult } from '../lib/result.ts'

const MB = 1024 * 1024

interface Leak { heapGrowth: number; leftover: Resources; processListeners: number; docListeners: number }

const leftoverCount = (leak: Leak): number => total(leak.leftover) + Math.max(0, leak.processListeners) + Math.max(0, leak.docListeners)

/**
 * Construct, wait for sync, destroy — `cycles` times. On one long-lived doc (`freshDoc` false), or on a
 * new doc each cycle that is destroyed with the provider (`freshDoc` true): the difference between the
 * two is what a destroyed provider leaves attached to a doc that outlives it.
 */
const constructCycles = async (cycles: number, freshDoc: boolean, make: (doc: Y.Doc) => { provider: SyncEmitter; destroy(): void }): Promise<Leak> => {
  const shared = new Y.Doc()
  const once = async (): Promise<void> => {
    const doc = freshDoc ? new Y.Doc() : shared
    const { provider, destroy } = make(doc)
    await whenSynced(provider, 10_000, 'construct cycle')
    destroy()
    if (freshDoc) doc.destroy()
  }
  for (let i = 0; i < 20; i++) await once() // warm-up: JIT, ws internals, first-use caches
  const baseline = await snapshot()
  await drain(baseline.resources)
  const before = await snapshot()
  const listenersBefore = docListeners(shared)
  for (let i = 0; i < cycles; i++) await once()
  await drain(before.resources)
  const after = await snapshot()
  const result = {
    heapGrowth: after.heap - before.heap,
    leftover: grown(before.resources, after.resources),
    processListeners: after.processListeners - before.processListeners,
    docListeners: docListeners(shared) - listenersBefore,
  }
  shared.destroy()
  return result
}

/** Resolve on the next full drop-and-recover, or fail after `timeout`. */
const nextResync = (client: SyncEmitter, timeout: number): Promise<void> => {
  const watch = backAgain(client)
  return within(watch.done, timeout, 'resync after expiry').finally(watch.stop)
}

interface Live { clients: SyncEmitter[]; destroy(): void }

/** `providers` live clients, `rounds` × expire-all-tokens-and-wait-for-everyone-to-resync. */
const expireCycles = async (dp: RemoteDataplane, providers: number, rounds: number, start: () => Promise<Live>): Promise<Leak> => {
  const base = await snapshot()
  const live = await start()
  await Promise.all(live.clients.map(c => whenSynced(c, 30_000, 'expire cycles: first sync')))
  const round = async (): Promise<void> => {
    const all = Promise.all(live.clients.map(c => nextResync(c, 30_000)))
    await dp.expireTokens()
    await all
  }
  await round() // warm-up
  const before = await snapshot()
  for (let i = 0; i < rounds; i++) await round()
  const during = await snapshot()
  live.destroy()
  await drain(base.resources)
  const after = await snapshot()
  return {
    heapGrowth: during.heap - before.heap,
    leftover: grown(base.resources, after.resources),
    processListeners: after.processListeners - base.processListeners,
    docListeners: 0,
  }
}

const row = (metric: string, o: number, r: number, goal: string, met: boolean, unit: 'MB' | 'count'): Row => ({
  scenario: '5 Leaks',
  metric,
  ours: unit === 'MB' ? `${(o / MB).toFixed(2)} MB` : String(o),
  reference: unit === 'MB' ? `${(r / MB).toFixed(2)} MB` : String(r),
  ratio: unit === 'MB' && r > 0 ? o / r : Number.NaN,
  goal,
  met,
})

export const leaks = async (options: BenchOptions): Promise<ScenarioResult> => {
  const constructN = options.quick ? 200 : 1000
  const providers = options.quick ? 20 : 50
  const rounds = options.quick ? 5 : 20
  const dp = await startRemoteDataplane({ rateLimits: { connectPerMinute: 1_000_000 }, limits: { maxConnections: 100_000 } })
  const WS = createSocketMeter().WS
  const source = createTokenSource(createBackend(dp, options.latency).getToken)
  await source.get('s5', 'connect')
  const token = await dp.mintToken()
  const result: Record<string, Leak> = {}
  try {
    const makeOurs = (doc: Y.Doc): { provider: SyncEmitter; destroy(): void } => {
      const provider = ours(dp.url, 's5-construct-ours', doc, { WS, tokenSource: source })
      return { provider, destroy: () => provider.destroy() }
    }
    const makeReference = (doc: Y.Doc): { provider: SyncEmitter; destroy(): void } => {
      const provider = reference(dp.url, 's5-construct-ref', doc, WS, token)
      return { provider, destroy: () => provider.destroy() }
    }
    result.constructOurs = await constructCycles(constructN, false, makeOurs)
    result.constructReference = await constructCycles(constructN, false, makeReference)
    result.freshDocOurs = await constructCycles(constructN, true, makeOurs)
    result.freshDocReference = await constructCycles(constructN, true, makeReference)
    result.expireOurs = await expireCycles(dp, providers, rounds, async () => {
      const backend = createBackend(dp, options.latency)
      const docs = Array.from({ length: providers }, () => new Y.Doc())
      const clients: WireSocketProvider[] = docs.map((doc, i) => ours(dp.url, `s5-expire-ours-${i}`, doc, { WS, getToken: backend.getToken }))
      return { clients, destroy: () => { clients.forEach(c => c.destroy()); docs.forEach(d => d.destroy()) } }
    })
    result.expireReference = await expireCycles(dp, providers, rounds, async () => {
      const backend = createBackend(dp, options.latency)
      const docs = Array.from({ length: providers }, () => new Y.Doc())
      const clients = await Promise.all(docs.map((doc, i) => DocPatternClient.create(dp.url, `s5-expire-ref-${i}`, doc, WS, backend.getToken)))
      return { clients, destroy: () => { clients.forEach(c => c.destroy()); docs.forEach(d => d.destroy()) } }
    })
  } finally {
    await dp.close()
  }
  const { constructOurs: co, constructReference: cr, freshDocOurs: fo, freshDocReference: fr, expireOurs: eo, expireReference: er } =
    result as Record<'constructOurs' | 'constructReference' | 'freshDocOurs' | 'freshDocReference' | 'expireOurs' | 'expireReference', Leak>
  const cycles = providers * rounds
  return {
    id: 5,
    title: 'Leaks',
    rows: [
      row(`heap growth, ${constructN.toLocaleString('en-US')} construct → sync → destroy on one doc`, co.heapGrowth, cr.heapGrowth, '< 1 MB', co.heapGrowth < MB, 'MB'),
      row('left over after those: timers + sockets + process and doc listeners', leftoverCount(co), leftoverCount(cr), '0', leftoverCount(co) === 0, 'count'),
      row(`heap growth, ${constructN.toLocaleString('en-US')} construct → sync → destroy, new doc each (destroyed too)`, fo.heapGrowth, fr.heapGrowth, '< 1 MB', fo.heapGrowth < MB, 'MB'),
      row('left over after those: timers + sockets + process listeners', leftoverCount(fo), leftoverCount(fr), '0', leftoverCount(fo) === 0, 'count'),
      row(`heap growth, ${cycles.toLocaleString('en-US')} connect → expire → reconnect (${providers} live × ${rounds})`, eo.heapGrowth, er.heapGrowth, '< 1 MB', eo.heapGrowth < MB, 'MB'),
      row(`left over after destroying those ${providers}: timers + sockets + process listeners`, leftoverCount(eo), leftoverCount(er), '0', leftoverCount(eo) === 0, 'count'),
    ],
    details: result,
    notes: [
      `Heap after repeated full GCs (V8 gc exposed at run time). Construct cycles reuse one Y.Doc, so a listener left on it or an Awareness never destroyed shows up; expire cycles use dataplane expireTokens() (4002 on every socket), ${providers} providers with a getToken each (ours) or the docs pattern (y-websocket).`,
      `Left over, by type — ours construct: ${JSON.stringify(co.leftover)}, doc listeners +${co.docListeners}, process listeners +${co.processListeners}; y-websocket construct: ${JSON.stringify(cr.leftover)}, doc listeners +${cr.docListeners}, process listeners +${cr.processListeners}; ours fresh-doc: ${JSON.stringify(fo.leftover)}; y-websocket fresh-doc: ${JSON.stringify(fr.leftover)}; ours expire: ${JSON.stringify(eo.leftover)}; y-websocket expire: ${JSON.stringify(er.leftover)}.`,
    ],
  }
}
