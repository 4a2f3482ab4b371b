/**
 * The bounded load run, shared by test/node/reliability-load.test.ts and the soak: many providers
 * over a few documents on one local dataplane, each appending numbered entries for a while. Checks
 * that every receiver ends with every entry and that the heap returns to where it started.
 */
import v8 from 'node:v8'
import vm from 'node:vm'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { startLocalDataplane } from '../../../src/local/index.ts'
import { WireSocketProvider, createTokenSource } from '../../../src/index.ts'
import { synced } from './provider-harness.ts'

/**
 * A garbage collector even without `--expose-gc` (node --test does not pass it on): the flag can be set
 * at run time, and a fresh context then sees `gc`. Returns undefined if even that is refused.
 */
export const getGc = (): (() => void) | undefined => {
  const global = globalThis as { gc?: () => void }
  if (typeof global.gc === 'function') return global.gc
  try {
    v8.setFlagsFromString('--expose-gc')
    const gc = vm.runInNewContext('gc') as unknown
    return typeof gc === 'function' ? gc as () => void : undefined
  } catch {
    return undefined
  }
}

/** Heap in use after a collection (or, with no collector, after a few turns of the loop for the young generation). */
export const settledHeap = async (gc: (() => void) | undefined): Promise<number> => {
  for (let i = 0; i < 3; i++) {
    // let closing sockets and timers finish their last callbacks before measuring
    await new Promise<void>(resolve => setImmediate(resolve))
    gc?.()
  }
  return v8.getHeapStatistics().used_heap_size
}

export interface LoadOptions { sockets: number; documents: number; durationMs: number; intervalMs: number; settleMs?: number }
export interface LoadResult { entries: number; received: number; heapBefore: number; heapAfter: number; gc: boolean; connectionsLeft: number }

/** Resolve once `check()` holds, re-checking on every update of `docs`; reject with `describe()` after `timeout`. */
const whenAll = (docs: Y.Doc[], check: () => boolean, describe: () => string, timeout: number): Promise<void> =>
  new Promise((resolve, reject) => {
    if (check()) return resolve()
    const onUpdate = (): void => { if (check()) { cleanup(); resolve() } }
    const timer = setTimeout(() => { cleanup(); reject(new Error(describe())) }, timeout)
    const cleanup = (): void => { clearTimeout(timer); docs.forEach(d => d.off('update', onUpdate)) }
    docs.forEach(d => d.on('update', onUpdate))
  })

export const runLoad = async ({ sockets, documents, durationMs, intervalMs, settleMs = 30_000 }: LoadOptions): Promise<LoadResult> => {
  const gc = getGc()
  const heapBefore = await settledHeap(gc)
  const dp = await startLocalDataplane({ limits: { maxConnections: sockets * 2, maxDocuments: documents * 2, maxUsersPerDoc: sockets, opsPerMinute: 10_000_000 } })
  // One token source for all: a page with many providers makes one getToken call per lifetime.
  const tokenSource = createTokenSource(async () => await dp.mintToken())
  const clients = Array.from({ length: sockets }, (_, i) => {
    const doc = new Y.Doc()
    const provider = new WireSocketProvider(dp.regions[0]!.url, `load-${i % documents}`, doc, { WebSocketPolyfill: WebSocket, disableBc: true, tokenSource })
    return { i, doc, provider, group: i % documents, sent: 0 }
  })
  let connectionsLeft = -1
  try {
    await Promise.all(clients.map(c => synced(c.provider, settleMs)))
    // Sustained writes: every client appends one entry per interval (jittered start so they do not beat in step).
    await new Promise<void>(resolve => {
      const timers = clients.map(c => {
        let interval: ReturnType<typeof setInterval> | undefined
        const start = setTimeout(() => {
          interval = setInterval(() => { c.doc.getArray<string>('log').push([`${c.i}:${c.sent++}`]) }, intervalMs)
        }, Math.random() * intervalMs)
        return () => { clearTimeout(start); if (interval !== undefined) clearInterval(interval) }
      })
      setTimeout(() => { timers.forEach(stop => stop()); resolve() }, durationMs)
    })
    const entries = clients.reduce((n, c) => n + c.sent, 0)
    const expectedPerGroup = Array.from({ length: documents }, (_, g) => clients.filter(c => c.group === g).reduce((n, c) => n + c.sent, 0))
    const complete = (): boolean => clients.every(c => c.doc.getArray('log').length === expectedPerGroup[c.group])
    await whenAll(clients.map(c => c.doc), complete, () => {
      const short = clients.filter(c => c.doc.getArray('log').length !== expectedPerGroup[c.group])
      return `${short.length} receivers are missing updates, e.g. client ${short[0]?.i}: ${short[0]?.doc.getArray('log').length} of ${expectedPerGroup[short[0]?.group ?? 0]}`
    }, settleMs)
    // Same count is not enough: every receiver must hold exactly the set of entries written to its document.
    for (let g = 0; g < documents; g++) {
      const group = clients.filter(c => c.group === g)
      const reference = JSON.stringify(group[0]!.doc.getArray<string>('log').toArray().slice().sort())
      for (const c of group) if (JSON.stringify(c.doc.getArray<string>('log').toArray().slice().sort()) !== reference) throw new Error(`load-${g}: client ${c.i} differs`)
    }
    const received = clients.reduce((n, c) => n + c.doc.getArray('log').length, 0)
    for (const c of clients) { c.provider.destroy(); c.doc.destroy() }
    // The dataplane has no "socket gone" event to await: poll its count briefly while the close handshakes finish.
    const until = Date.now() + 5_000
    while (dp.stats().connections > 0 && Date.now() < until) await new Promise<void>(resolve => setTimeout(resolve, 20))
    connectionsLeft = dp.stats().connections
    await dp.close()
    // drop our own references to the 200 docs, or the measurement would count them as a leak
    clients.splice(0)
    const heapAfter = await settledHeap(gc)
    return { entries, received, heapBefore, heapAfter, gc: gc !== undefined, connectionsLeft }
  } finally {
    for (const c of clients) { c.provider.destroy(); c.doc.destroy() }
    await dp.close()
  }
}
