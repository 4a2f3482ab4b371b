/**
 * How one client's three editors reach the dataplane: a socket per document (y-websocket framing, the
 * default entry), or all of them on one Hocuspocus-framed socket (`y-wiresocket/hocuspocus`). A plan's
 * `maxConnections` counts sockets, so the second way serves three times the users on the same plan.
 */
import type * as Y from 'yjs'
import { WireSocketProvider, type TokenSource } from '../../src/index.ts'
import { createSharedConnection } from '../../src/hocuspocus/index.ts'

export interface Transport {
  /**
   * A provider for the document, not connected yet: the editors connect it once their IndexedDB copy
   * is loaded. `regionUrl` is where the document lives now (a shared socket has one URL of its own: a
   * document elsewhere is redirected to that region's shared socket).
   */
  provider(regionUrl: string, documentName: string, doc: Y.Doc): WireSocketProvider
  /** Sockets open now for this client's documents. */
  sockets(): number
  /** Destroy every provider it made; their sockets close. */
  destroy(): void
}

export function socketPerDocument (tokenSource: TokenSource): Transport {
  const providers = new Set<WireSocketProvider>()
  return {
    provider: (regionUrl, documentName, doc) => {
      const provider = new WireSocketProvider(regionUrl, documentName, doc, { tokenSource, disableBc: true, connect: false })
      providers.add(provider)
      return provider
    },
    sockets: () => [...providers].filter(p => p.wsconnected).length,
    destroy: () => {
      for (const provider of providers) provider.destroy()
      providers.clear()
    },
  }
}

/** `url`: the region the socket opens to (the one most of the client's documents live in). */
export function sharedHocuspocusSocket (url: string, tokenSource: TokenSource): Transport {
  // The page's token source: one backend call per token lifetime for every socket of the page.
  const shared = createSharedConnection(url, { tokenSource })
  return {
    provider: (_regionUrl, documentName, doc) => new WireSocketProvider(shared.url, documentName, doc, { connection: shared, disableBc: true, connect: false }),
    sockets: () => shared.sockets,
    // destroys every provider made with it, then closes its sockets
    destroy: () => { shared.destroy() },
  }
}
