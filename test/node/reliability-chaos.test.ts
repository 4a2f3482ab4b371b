/**
 * Chaos convergence (issue 6): several providers edit while tokens expire every 1-3 s, sockets die,
 * the rate limit trips, documents move between regions and the token backend misbehaves. After the
 * chaos stops every copy of a document must be identical and hold every marker any client inserted.
 * Replay a failure: CHAOS_SEED=<seed> node --import tsx --test test/node/reliability-chaos.test.ts
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runChaos, seedsFromEnv } from './support/reliability-chaos.ts'

// A few fixed seeds keep `npm test` bounded (~6 s of chaos each, plus settling); the soak runs many more.
const seeds = seedsFromEnv([1, 20261122, 0xC4A05])

for (const seed of seeds) {
  test(`chaos seed ${seed}: every document converges with every edit`, { timeout: 60_000 }, async () => {
    const result = await runChaos({ seed, clients: 4, documents: 2, durationMs: 6_000 })
    assert.ok(result.edits > 20, `CHAOS_SEED=${seed}: too few edits to mean anything (${result.edits})`)
    assert.ok(Object.keys(result.faults).length >= 3, `CHAOS_SEED=${seed}: too few kinds of fault ${JSON.stringify(result.faults)}`)
  })
}
