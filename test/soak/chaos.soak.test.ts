/**
 * Soak: the chaos convergence run with many seeds and longer fault windows.
 *   SOAK_SEEDS      how many seeds (default 20), starting at SOAK_FIRST_SEED (default 1000)
 *   SOAK_CHAOS_MS   fault window per seed (default 30 000)
 *   CHAOS_SEED      run exactly these seeds instead (comma-separated), to replay a failure
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runChaos, seedsFromEnv } from '../node/support/reliability-chaos.ts'

const count = Number(process.env.SOAK_SEEDS ?? 20)
const first = Number(process.env.SOAK_FIRST_SEED ?? 1000)
const durationMs = Number(process.env.SOAK_CHAOS_MS ?? 30_000)
const seeds = seedsFromEnv(Array.from({ length: count }, (_, i) => first + i))

for (const seed of seeds) {
  test(`soak chaos seed ${seed}: 6 clients, 3 documents, ${durationMs} ms of faults`, { timeout: durationMs + 120_000 }, async t => {
    const result = await runChaos({ seed, clients: 6, documents: 3, durationMs, settleMs: 60_000 })
    t.diagnostic(`seed ${seed}: ${result.edits} edits, ${result.tokenCalls} token calls, faults ${JSON.stringify(result.faults)}`)
    assert.ok(result.edits > 0)
  })
}
