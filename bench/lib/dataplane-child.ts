/**
 * The local dataplane in its own process, driven over IPC by `remote-dataplane.ts`.
 *
 * Why a child process: the benchmarks measure the clients (CPU time, heap, timer and socket counts,
 * event-loop latency). With the server in the same process, every one of those figures would include
 * the server's work and memory (its handshake log alone grows with every connection), and the server's
 * event loop would delay the clients' timers. Apart, the clients own the bench process and the server
 * gets its own core, as it would in production.
 */
import { startLocalDataplane, type LocalDataplaneOptions } from '../../src/local/index.ts'
import type { ChildReply, ChildRequest } from './remote-protocol.ts'

const send = (reply: ChildReply): void => {
  process.send?.(reply)
}

const options = JSON.parse(process.argv[2] ?? '{}') as LocalDataplaneOptions
const dp = await startLocalDataplane(options)
send({ kind: 'ready', regions: dp.regions.map(r => r.url) })

process.on('message', (raw: unknown) => {
  const request = raw as ChildRequest
  const handle = async (): Promise<unknown> => {
    switch (request.op) {
      case 'mint': return await dp.mintToken({ ttl: request.ttl })
      case 'expire': dp.expireTokens(); return null
      case 'drop': dp.dropConnections(); return null
      case 'stats': return dp.stats()
      case 'handshakes': {
        // Counted here, not shipped: the log holds raw URLs and can be thousands of entries long.
        const accepted = dp.handshakes.filter(h => h.outcome === 'accepted').length
        const total = dp.handshakes.length
        return { total, accepted }
      }
      case 'memory': {
        // maxRSS is the peak since the process started (KiB): growth between two reads is what a burst cost.
        const { maxRSS } = process.resourceUsage()
        return { rss: process.memoryUsage().rss, peakRss: maxRSS * 1024 }
      }
      case 'close':
        await dp.close()
        return null
    }
  }
  handle().then(
    value => {
      send({ kind: 'result', id: request.id, value })
      if (request.op === 'close') process.disconnect()
    },
    (error: unknown) => send({ kind: 'result', id: request.id, error: error instanceof Error ? error.message : String(error) })
  )
})

// The parent died or let go: do not linger as an orphan holding ports.
process.on('disconnect', () => {
  dp.close().finally(() => process.exit(0))
})
