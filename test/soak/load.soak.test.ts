/**
 * Soak: the load run bigger and longer than in `npm test`.
 *   SOAK_SOCKETS (default 1000), SOAK_DOCUMENTS (default 100), SOAK_LOAD_MS (default 30 000),
 *   SOAK_INTERVAL_MS (default 250)
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runLoad } from '../node/support/reliability-load.ts'

const sockets = Number(process.env.SOAK_SOCKETS ?? 1000)
const documents = Number(process.env.SOAK_DOCUMENTS ?? 100)
const durationMs = Number(process.env.SOAK_LOAD_MS ?? 30_000)
const intervalMs = Number(process.env.SOAK_INTERVAL_MS ?? 250)

test(`soak load: ${sockets} sockets over ${documents} documents for ${durationMs} ms`, { timeout: durationMs + 300_000 }, async t => {
  const result = await runLoad({ sockets, documents, durationMs, intervalMs, settleMs: 120_000 })
  const growth = result.heapAfter - result.heapBefore
  t.diagnostic(`entries ${result.entries}, received ${result.received}, heap growth ${(growth / 1048576).toFixed(2)} MB, gc ${String(result.gc)}`)
  assert.equal(result.received, result.entries * (sockets / documents))
  assert.equal(result.connectionsLeft, 0)
  assert.ok(growth < (result.gc ? 24 : 80) * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MB`)
})
