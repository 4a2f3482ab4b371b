/**
 * 6. Reconnect storm: every client dropped at once (`dropConnections()`: TCP reset, no close frame).
 * The figure is the most connection attempts in any 100 ms window afterwards, counted where the
 * attempts start (the WebSocket constructor of each client), ours vs plain y-websocket.
 */
import * as Y from 'yjs'
import { createTokenSource } from '../../src/index.ts'
import { backAgain, createBackend, ours, reference, whenSynced, type SyncEmitter } from '../lib/clients.ts'
import { startRemoteDataplane, type RemoteDataplane } from '../lib/remote-dataplane.ts'
import { createSocketMeter } from '../lib/sockets.ts'
import { maxInWindow, median, sleep, within } from '../lib/stats.ts'
import type { BenchOptions, ScenarioResult } from '../lib/result.ts'

const PER_DOC = 5
const WINDOW = 100

interface Storm { peak: number; attempts: number; allBackMs: number; spreadMs: number }

const storm = async (dp: RemoteDataplane, clients: number, make: (name: string, doc: Y.Doc, WS: ReturnType<typeof createSocketMeter>['WS']) => SyncEmitter & { destroy(): void }): Promise<Storm> => {
  const meter = createSocketMeter()
  const docs = Array.from({ length: clients }, () => new Y.Doc())
  const providers = docs.map((doc, i) => make(`s6-${Math.floor(i / PER_DOC)}`, doc, meter.WS))
  try {
    await Promise.all(providers.map(p => whenSynced(p, 60_000, 'storm: first sync')))
    await sleep(500)
    meter.reset()
    const watches = providers.map(backAgain)
    const t0 = performance.now()
    await dp.dropConnections()
    try {
      await within(Promise.all(watches.map(w => w.done)), 60_000, 'storm: everyone back')
    } finally {
      watches.forEach(w => w.stop())
    }
    const allBackMs = performance.now() - t0
    const attempts = meter.attempts.filter(t => t >= t0)
    return {
      peak: maxInWindow(attempts, WINDOW),
      attempts: attempts.length,
      allBackMs,
      spreadMs: attempts.length === 0 ? 0 : Math.max(...attempts) - Math.min(...attempts),
    }
  } finally {
    providers.forEach(p => p.destroy())
    docs.forEach(d => d.destroy())
    // let the server see every socket go before the next side connects
    await sleep(1000)
  }
}

export const reconnectStorm = async (options: BenchOptions): Promise<ScenarioResult> => {
  const clients = options.quick ? 100 : 500
  const rounds = options.quick ? 1 : 2
  const dp = await startRemoteDataplane({
    rateLimits: { connectPerMinute: 1_000_000 },
    limits: { maxConnections: 100_000, maxDocuments: 100_000 },
  })
  const source = createTokenSource(createBackend(dp, options.latency).getToken)
  await source.get('s6', 'connect')
  const token = await dp.mintToken()
  const runs = { ours: [] as Storm[], reference: [] as Storm[] }
  try {
    for (let round = 0; round < rounds; round++) {
      const sides = round % 2 === 0 ? (['ours', 'reference'] as const) : (['reference', 'ours'] as const)
      for (const side of sides) {
        runs[side].push(await storm(dp, clients, (name, doc, WS) => side === 'ours'
          ? ours(dp.url, name, doc, { WS, tokenSource: source })
          : reference(dp.url, name, doc, WS, token)))
      }
    }
  } finally {
    await dp.close()
  }
  const o = median(runs.ours.map(r => r.peak))
  const r = median(runs.reference.map(r => r.peak))
  const backO = median(runs.ours.map(r => r.allBackMs))
  const backR = median(runs.reference.map(r => r.allBackMs))
  return {
    id: 6,
    title: 'Reconnect storm',
    rows: [
      { scenario: '6 Reconnect storm', metric: `most reconnect attempts in any ${WINDOW} ms, ${clients} clients dropped at once`, ours: `${o} (${((o / clients) * 100).toFixed(0)} %)`, reference: `${r} (${((r / clients) * 100).toFixed(0)} %)`, ratio: o / r, goal: `well under ${clients / 5} (a fifth)`, met: o < clients / 5 },
      { scenario: '6 Reconnect storm', metric: 'drop → every client synced again', ours: `${backO.toFixed(0)} ms`, reference: `${backR.toFixed(0)} ms`, ratio: backO / backR, goal: '—', met: null },
    ],
    details: { clients, perDoc: PER_DOC, rounds, runs },
    notes: [`${clients} clients on ${clients / PER_DOC} documents, ${rounds} round(s) per side alternating; the token stays valid, so this is the jitter alone. Attempts counted at each client's WebSocket constructor (the dataplane's handshake log has no timestamps).`],
  }
}
