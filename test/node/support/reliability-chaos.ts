/**
 * The chaos convergence run, shared by the bounded test (test/node/reliability-chaos.test.ts) and the
 * soak (test/soak/chaos.soak.ts). One seed fixes every random choice the scheduler makes, so a failing
 * run is replayed with `CHAOS_SEED=<seed>`. (Socket timing is not seeded: the replay repeats the same
 * schedule of faults, not the same interleaving of packets.)
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import { startLocalDataplane } from '../../../src/local/index.ts'
import { WireSocketProvider, type TokenResult, type WebSocketConstructor } from '../../../src/index.ts'
import { converge, synced } from './provider-harness.ts'

/** mulberry32: tiny, fast, good enough to pick faults; the whole point is reproducibility from a 32-bit seed. */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Seeds from `CHAOS_SEED` (comma-separated) or the given defaults. */
export const seedsFromEnv = (defaults: number[]): number[] => {
  const raw = process.env.CHAOS_SEED
  if (raw === undefined || raw.trim() === '') return defaults
  return raw.split(',').map(s => Number(s.trim())).filter(n => Number.isInteger(n))
}

export interface ChaosOptions {
  seed: number
  clients?: number
  documents?: number
  /** how long faults are injected, ms */
  durationMs?: number
  /** how long quiescence may take before the run fails, ms */
  settleMs?: number
}

export interface ChaosResult {
  seed: number
  edits: number
  faults: Record<string, number>
  tokenCalls: number
}

/** A `ws` client class that remembers its live sockets so the scheduler can kill one at random. */
const trackingWebSocket = (live: Set<WebSocket>): WebSocketConstructor =>
  class TrackedWebSocket extends WebSocket {
    constructor (url: string | URL, protocols?: string | string[]) {
      super(url, protocols)
      live.add(this)
      this.once('close', () => live.delete(this))
    }
  }

/**
 * Run one seeded chaos round against a fresh local dataplane. Resolves with counts on success;
 * rejects with an Error whose message starts with `CHAOS_SEED=<seed>` so it can be replayed.
 */
export const runChaos = async (options: ChaosOptions): Promise<ChaosResult> => {
  const { seed, clients: clientCount = 4, documents: docCount = 2, durationMs = 8_000, settleMs = 30_000 } = options
  const rand = mulberry32(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!
  // The dataplane's clock can be jumped: a tripped rate limit fills a sliding 60 s window, so the
  // scheduler "heals" it by moving time forward instead of waiting a real minute.
  let clockOffset = 0
  const dp = await startLocalDataplane({ now: () => Date.now() + clockOffset, gracePeriod: 2_000 })
  const app = dp.addApp({ limits: { maxConnections: 1000, maxDocuments: 1000, maxUsersPerDoc: 100, opsPerMinute: 100_000 } })
  const live = new Set<WebSocket>()
  const faults: Record<string, number> = {}
  const count = (name: string): void => { faults[name] = (faults[name] ?? 0) + 1 }
  let backendHealthy = false
  let tokenCalls = 0

  // The app's backend: mints 1-3 s tokens, and while chaos runs fails now and then in every way a backend can.
  const getToken = async ({ signal }: { signal: AbortSignal }): Promise<TokenResult> => {
    tokenCalls++
    if (backendHealthy || rand() > 0.2) return await dp.mintToken({ ttl: 1 + Math.floor(rand() * 3), app })
    const failure = pick(['throw', 'hang', 'garbage', 'number'] as const)
    count(`token-${failure}`)
    if (failure === 'throw') throw new Error('backend 503')
    if (failure === 'garbage') return 'this is not a jwt'
    if (failure === 'number') return 42 as unknown as string
    // hang until the provider's tokenTimeout aborts us
    return await new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }))
  }

  const docNames = Array.from({ length: docCount }, (_, i) => `chaos-${seed}-${i}`)
  const regionOf = new Map<string, number>(docNames.map(n => [n, 0]))
  const WS = trackingWebSocket(live)
  const clients = Array.from({ length: clientCount }, (_, i) => {
    const doc = new Y.Doc()
    const documentName = docNames[i % docCount]!
    const provider = new WireSocketProvider(dp.regions[0]!.url, documentName, doc, {
      WebSocketPolyfill: WS,
      disableBc: true,
      getToken,
      tokenTimeout: 300,
      limitRetryDelay: 200,
      maxBackoffTime: 800,
    })
    return { id: i, doc, provider, documentName, markers: [] as string[] }
  })
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)

  const timers = new Set<ReturnType<typeof setTimeout>>()
  let running = true
  // Each actor reschedules itself with a seeded delay; chaos needs timers by nature.
  const every = (minMs: number, maxMs: number, act: () => void): void => {
    const schedule = (): void => {
      const t = setTimeout(() => {
        timers.delete(t)
        if (!running) return
        act()
        schedule()
      }, minMs + rand() * (maxMs - minMs))
      timers.add(t)
    }
    schedule()
  }
  try {
    backendHealthy = false
    let edits = 0
    every(20, 120, () => {
      const c = pick(clients)
      const marker = `[${c.id}:${c.markers.length}]`
      const text = c.doc.getText('text')
      // Insert only between markers (a marker split by another would no longer be found), at a random one
      // of those boundaries so concurrent inserts interleave.
      const current = text.toString()
      const boundaries = [0, ...[...current.matchAll(/\]/g)].map(m => m.index + 1)]
      text.insert(pick(boundaries), marker)
      c.markers.push(marker)
      edits++
    })
    every(600, 1_800, () => {
      const fault = pick(['drop-all', 'kill-one', 'kill-one', 'rate-limit', 'move', 'expire'] as const)
      count(fault)
      if (fault === 'drop-all') dp.dropConnections()
      else if (fault === 'kill-one') { const sockets = [...live]; if (sockets.length > 0) pick(sockets).terminate() } else if (fault === 'rate-limit') {
        dp.tripRateLimit(app)
        const heal = setTimeout(() => { timers.delete(heal); clockOffset += 61_000 }, 300 + rand() * 700)
        timers.add(heal)
      } else if (fault === 'move') {
        const name = pick(docNames)
        const region = 1 - regionOf.get(name)!
        regionOf.set(name, region)
        dp.moveDocument(name, dp.regions[region]!.name, app)
      } else dp.expireTokens(app)
    })
    await new Promise<void>(resolve => { const t = setTimeout(resolve, durationMs); timers.add(t) })

    // Quiescence: no more faults, a healthy backend, and a clock that no longer holds a tripped window.
    running = false
    backendHealthy = true
    for (const t of timers) clearTimeout(t)
    timers.clear()
    clockOffset += 61_000
    const deadline = Date.now() + settleMs
    await Promise.all(clients.map(c => synced(c.provider, settleMs)))
    for (const name of docNames) {
      const group = clients.filter(c => c.documentName === name)
      const expected = group.flatMap(c => c.markers)
      await converge(group.map(c => c.doc), t => expected.every(m => t.includes(m)) && group.every(c => c.doc.getText('text').toString() === t), 'text', Math.max(1_000, deadline - Date.now()))
      const texts = new Set(group.map(c => c.doc.getText('text').toString()))
      if (texts.size !== 1) throw new Error(`${name}: documents differ`)
    }
    if (unhandled.length > 0) throw new Error(`unhandled rejection: ${String(unhandled[0])}`)
    return { seed, edits, faults, tokenCalls }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new Error(`CHAOS_SEED=${seed} failed (faults ${JSON.stringify(faults)}): ${message}`, { cause: error })
  } finally {
    running = false
    for (const t of timers) clearTimeout(t)
    process.off('unhandledRejection', onUnhandled)
    for (const c of clients) { c.provider.destroy(); c.doc.destroy() }
    await dp.close()
  }
}
