/**
 * 9. Visible disruption per token expiry (issue 14): what a user and their peers notice when a token
 * expires and the server closes the socket at `exp`. One subject client edits and shows presence; one
 * peer with a long-lived token watches it. Sampled every 20 ms:
 * - time the subject is not connected; `sync: false` events it emits;
 * - the longest stretch in which the peer does not see the subject's presence;
 * - edits that reach the peer more than 100 ms after they were made (an edit every 50 ms).
 * - sockets opened after the first (reconnects and replacements).
 * Modes, in one run: ours with make-before-break (`handover: 'always'`), ours plain (`'never'`: reconnect
 * at once with the token renewed in advance), ours in the Hocuspocus framing (issue 13: the server asks
 * for a fresh token before `exp` and the same socket carries on), and y-websocket with the WireSocket docs'
 * pattern (on 4002: fetch a token, destroy, construct; the app sets its presence on each new provider).
 */
import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { WireSocketProvider } from '../../src/index.ts'
import { hocuspocusFraming } from '../../src/hocuspocus/index.ts'
import { createBackend, DocPatternClient, ours } from '../lib/clients.ts'
import { startRemoteDataplane, type RemoteDataplane } from '../lib/remote-dataplane.ts'
import { createSocketMeter } from '../lib/sockets.ts'
import { sleep } from '../lib/stats.ts'
import { ms, type BenchOptions, type ScenarioResult } from '../lib/result.ts'

const SAMPLE = 20
const EDIT_EVERY = 50
const LATE = 100

type Mode = 'handover' | 'plain' | 'hocuspocus' | 'reference'

interface Disruption { notConnectedMs: number; syncFalse: number; presenceGapMs: number; editsLate: number; edits: number; reconnects: number }

/** The subject as the scenario sees it, whatever client it is. */
interface Subject { connected(): boolean; awareness(): Awareness; onSyncFalse(count: () => void): void; sockets(): number; destroy(): void }

const subject = async (mode: Mode, dp: RemoteDataplane, doc: Y.Doc, latency: number, ttl: number): Promise<Subject> => {
  const backend = createBackend(dp, latency, ttl)
  const { WS, attempts } = createSocketMeter()
  if (mode === 'reference') {
    const client = await DocPatternClient.create(dp.url, `s9-${mode}`, doc, WS, backend.getToken)
    return {
      connected: () => client.provider.wsconnected,
      // the app sets its presence on whichever provider is current
      awareness: () => {
        const { awareness } = client.provider
        if (awareness.getLocalState()?.name === undefined) awareness.setLocalStateField('name', 'subject')
        return awareness
      },
      onSyncFalse: count => client.on('sync', s => { if (!s) count() }),
      sockets: () => attempts.length,
      destroy: () => {
        client.destroy()
        client.provider.awareness.destroy()
      },
    }
  }
  const provider = new WireSocketProvider(dp.url, `s9-${mode}`, doc, {
    WebSocketPolyfill: WS,
    disableBc: true,
    getToken: backend.getToken,
    ...mode === 'hocuspocus' ? { framing: hocuspocusFraming } : { handover: mode === 'handover' ? 'always' : 'never' },
  })
  provider.awareness.setLocalStateField('name', 'subject')
  return {
    connected: () => provider.wsconnected,
    awareness: () => provider.awareness,
    onSyncFalse: count => provider.on('sync', s => { if (!s) count() }),
    sockets: () => attempts.length,
    destroy: () => provider.destroy(),
  }
}

const run = async (mode: Mode, dp: RemoteDataplane, latency: number, ttl: number, expiries: number): Promise<Disruption> => {
  const doc = new Y.Doc()
  const peerDoc = new Y.Doc()
  // a document per mode: the peer must not count another mode's edits, synced on join, as late
  const peer = ours(dp.url, `s9-${mode}`, peerDoc, { WS: createSocketMeter().WS, getToken: createBackend(dp, latency, 3600).getToken })
  const s = await subject(mode, dp, doc, latency, ttl)
  const result: Disruption = { notConnectedMs: 0, syncFalse: 0, presenceGapMs: 0, editsLate: 0, edits: 0, reconnects: 0 }
  s.onSyncFalse(() => result.syncFalse++)
  peerDoc.getArray<number>('edits').observe(event => {
    const now = performance.now()
    for (const delta of event.changes.delta) {
      for (const made of (delta.insert ?? []) as number[]) if (now - made > LATE) result.editsLate++
    }
  })
  try {
    // settle: both synced and the peer sees the subject
    const visible = (): boolean => peer.awareness.getStates().has(doc.clientID)
    const settleBy = performance.now() + 10_000
    while (!(s.connected() && peer.synced && visible()) && performance.now() < settleBy) {
      s.awareness()
      await sleep(SAMPLE)
    }
    let gapFrom: number | null = null
    const socketsBefore = s.sockets()
    const editor = setInterval(() => {
      result.edits++
      doc.getArray<number>('edits').push([performance.now()])
    }, EDIT_EVERY)
    const end = performance.now() + expiries * ttl * 1000 + 500
    while (performance.now() < end) {
      await sleep(SAMPLE)
      const now = performance.now()
      s.awareness()
      if (!s.connected()) result.notConnectedMs += SAMPLE
      if (visible()) gapFrom = null
      else result.presenceGapMs = Math.max(result.presenceGapMs, now - (gapFrom ??= now))
    }
    clearInterval(editor)
    result.reconnects = s.sockets() - socketsBefore
    await sleep(500) // let the last edits land before counting
  } finally {
    s.destroy()
    peer.destroy()
    doc.destroy()
    peerDoc.destroy()
  }
  return result
}

export const disruption = async (options: BenchOptions): Promise<ScenarioResult> => {
  const ttl = 3
  const expiries = options.quick ? 2 : 4
  const dp = await startRemoteDataplane({ closeOnExpiry: true, rateLimits: { connectPerMinute: 1_000_000 } })
  const results: Partial<Record<Mode, Disruption>> = {}
  try {
    for (const mode of ['handover', 'plain', 'hocuspocus', 'reference'] as const) results[mode] = await run(mode, dp, options.latency, ttl, expiries)
  } finally {
    await dp.close()
  }
  const { handover, plain, hocuspocus, reference } = results as Record<Mode, Disruption>
  const per = (n: number): number => n / expiries
  const row = (metric: string, pick: (d: Disruption) => number, show: (n: number) => string, goal: string, met: (n: number) => boolean) => [
    { scenario: '9 Disruption per expiry', metric: `${metric}: make-before-break vs y-websocket + docs pattern`, ours: show(pick(handover)), reference: show(pick(reference)), ratio: pick(handover) / pick(reference), goal, met: met(pick(handover)) },
    { scenario: '9 Disruption per expiry', metric: `${metric}: ours plain (handover: 'never') vs y-websocket + docs pattern`, ours: show(pick(plain)), reference: show(pick(reference)), ratio: pick(plain) / pick(reference), goal: '—', met: null },
    { scenario: '9 Disruption per expiry', metric: `${metric}: Hocuspocus framing (in-band refresh) vs y-websocket + docs pattern`, ours: show(pick(hocuspocus)), reference: show(pick(reference)), ratio: pick(hocuspocus) / pick(reference), goal, met: met(pick(hocuspocus)) },
  ]
  return {
    id: 9,
    title: 'Visible disruption per token expiry',
    rows: [
      ...row('time not connected per expiry', d => per(d.notConnectedMs), ms, '0 ms', n => n === 0),
      ...row('sync: false events per expiry', d => per(d.syncFalse), n => n.toFixed(2), '0', n => n === 0),
      ...row('longest presence gap seen by the peer', d => d.presenceGapMs, ms, '< 200 ms', n => n < 200),
      ...row(`edits later than ${LATE} ms per expiry`, d => per(d.editsLate), n => n.toFixed(2), '0', n => n === 0),
      { scenario: '9 Disruption per expiry', metric: 'sockets opened per expiry: Hocuspocus framing (in-band refresh) vs y-websocket + docs pattern', ours: per(hocuspocus.reconnects).toFixed(2), reference: per(reference.reconnects).toFixed(2), ratio: hocuspocus.reconnects / Math.max(1, reference.reconnects), goal: '0', met: hocuspocus.reconnects === 0 },
      { scenario: '9 Disruption per expiry', metric: 'sockets opened per expiry: make-before-break / plain vs y-websocket + docs pattern', ours: `${per(handover.reconnects).toFixed(2)} / ${per(plain.reconnects).toFixed(2)}`, reference: per(reference.reconnects).toFixed(2), ratio: handover.reconnects / Math.max(1, reference.reconnects), goal: '—', met: null },
    ],
    details: { ttlSeconds: ttl, expiries, latencyMs: options.latency, sampleMs: SAMPLE, results },
    notes: [`${expiries} expiries of ${ttl} s tokens per mode (closeOnExpiry), sampled every ${SAMPLE} ms, an edit every ${EDIT_EVERY} ms; the peer holds a 1 h token.`],
  }
}
