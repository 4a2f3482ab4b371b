/**
 * Load (issue 6): 200 providers over 20 documents on one local dataplane, each appending an entry every
 * 100 ms for 5 s. Every receiver must end with every entry of its document, no connection may be left
 * after the providers are destroyed, and the heap must come back near where it started.
 * The soak (npm run soak) runs the same code bigger and longer.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runLoad } from './support/reliability-load.ts'

test('200 sockets over 20 documents, 5 s of sustained updates: nothing lost, nothing left, heap flat', { timeout: 120_000 }, async t => {
  const result = await runLoad({ sockets: 200, documents: 20, durationMs: 5_000, intervalMs: 100 })
  assert.ok(result.entries > 200 * 20, `enough updates to be a load (${result.entries})`)
  // each entry reaches the 10 copies of its document (its writer's included)
  assert.equal(result.received, result.entries * 10)
  assert.equal(result.connectionsLeft, 0)
  const growth = result.heapAfter - result.heapBefore
  // With a collector the heap must come back within 12 MB (JIT and module caches warmed by the run stay);
  // without one, young garbage may still be around: allow 40 MB, still far below a leak of 200 docs × 10k entries.
  t.diagnostic(`entries ${result.entries}, heap growth ${(growth / 1048576).toFixed(2)} MB, gc ${String(result.gc)}`)
  const bound = result.gc ? 12 * 1024 * 1024 : 40 * 1024 * 1024
  assert.ok(growth < bound, `heap grew ${(growth / 1048576).toFixed(1)} MB (bound ${bound / 1048576} MB, gc ${String(result.gc)})`)
})
