/** What a destroyed provider may leave behind: heap, live handles (timers, sockets), listeners. */
import type * as Y from 'yjs'
import { fullGc } from './gc.ts'
import { sleep } from './stats.ts'

export type Resources = Record<string, number>

/** Live libuv handles and requests by type ('Timeout', 'TCPSocketWrap', …). */
export const resources = (): Resources => {
  const counts: Resources = {}
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1
  return counts
}

/** Types that grew since `before`, and by how much. */
export const grown = (before: Resources, after: Resources): Resources => {
  const diff: Resources = {}
  for (const [type, n] of Object.entries(after)) {
    const d = n - (before[type] ?? 0)
    if (d > 0) diff[type] = d
  }
  return diff
}

export const total = (counts: Resources): number => Object.values(counts).reduce((a, b) => a + b, 0)

/** Listeners registered on a Y.Doc (lib0 ObservableV2 keeps them in `_observers`). */
export const docListeners = (doc: Y.Doc): number => {
  let n = 0
  for (const set of doc._observers.values()) n += set.size
  return n
}

export const processListeners = (): number =>
  process.eventNames().reduce((n, name) => n + process.listenerCount(name), 0)

/**
 * Wait for closing sockets to finish their close handshake (a destroyed provider closes its socket;
 * the TCP handle lives until the server answers), up to `ms`.
 */
export const drain = async (baseline: Resources, ms = 5000): Promise<void> => {
  const until = performance.now() + ms
  while (performance.now() < until) {
    const now = resources()
    if ((now.TCPSocketWrap ?? 0) <= (baseline.TCPSocketWrap ?? 0) && (now.Timeout ?? 0) <= (baseline.Timeout ?? 0)) return
    await sleep(50)
  }
}

export interface Snapshot { heap: number; resources: Resources; processListeners: number }

export const snapshot = async (): Promise<Snapshot> => {
  const heap = await fullGc()
  return { heap, resources: resources(), processListeners: processListeners() }
}
