/**
 * 2. First sync: `new` to `sync` true with a token already in hand — ours through a shared token source
 * that holds one, y-websocket with the token passed statically. What this isolates is the provider's
 * own set-up cost and connection path; both open the socket synchronously in the constructor.
 */
import * as Y from 'yjs'
import { createTokenSource } from '../../src/index.ts'
import { createBackend, ours, reference, whenSynced } from '../lib/clients.ts'
import { startRemoteDataplane } from '../lib/remote-dataplane.ts'
import { seedDocument } from '../lib/seed.ts'
import { createSocketMeter } from '../lib/sockets.ts'
import { median, sleep } from '../lib/stats.ts'
import { ms, type BenchOptions, type ScenarioResult } from '../lib/result.ts'

const DOC = 's2-first-sync'

export const firstSync = async (options: BenchOptions): Promise<ScenarioResult> => {
  const warmup = 5
  const rounds = options.quick ? 10 : 100
  const dp = await startRemoteDataplane({ rateLimits: { connectPerMinute: 1_000_000 } })
  const seed = await seedDocument(dp, DOC)
  const WS = createSocketMeter().WS
  const source = createTokenSource(createBackend(dp, options.latency).getToken)
  await source.get(DOC, 'connect')
  const token = await dp.mintToken()
  const samples = { ours: [] as number[], reference: [] as number[] }

  const oursOnce = async (): Promise<number> => {
    const doc = new Y.Doc()
    const t0 = performance.now()
    const provider = ours(dp.url, DOC, doc, { WS, tokenSource: source })
    await whenSynced(provider, 10_000, 'ours first sync')
    const t = performance.now() - t0
    provider.destroy()
    doc.destroy()
    return t
  }
  const referenceOnce = async (): Promise<number> => {
    const doc = new Y.Doc()
    const t0 = performance.now()
    const provider = reference(dp.url, DOC, doc, WS, token)
    await whenSynced(provider, 10_000, 'y-websocket first sync')
    const t = performance.now() - t0
    provider.destroy()
    doc.destroy()
    return t
  }

  try {
    for (let i = 0; i < warmup + rounds; i++) {
      // alternate which side goes first, so neither always follows the other's socket teardown
      const pair = i % 2 === 0 ? [oursOnce, referenceOnce] : [referenceOnce, oursOnce]
      for (const once of pair) {
        const t = await once()
        if (i >= warmup) (once === oursOnce ? samples.ours : samples.reference).push(t)
        await sleep(10)
      }
    }
  } finally {
    seed.close()
    await dp.close()
  }
  const o = median(samples.ours)
  const r = median(samples.reference)
  return {
    id: 2,
    title: 'First sync',
    rows: [{ scenario: '2 First sync', metric: 'new → sync, cached token (median)', ours: ms(o), reference: ms(r), ratio: o / r, goal: '≤ 1.05', met: o / r <= 1.05 }],
    details: { warmup, rounds, samples },
    notes: [`${rounds} alternating pairs after ${warmup} warm-up pairs, against a 2,000-character document held open by a third client.`],
  }
}
