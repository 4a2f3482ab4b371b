/**
 * Server-side documents: one Y.Doc + Awareness per `tenantId::appId::name`, its region pin, the peers
 * connected to it and its grace period. Broadcasting lives here because it is a property of the
 * document (every peer of it), not of one socket.
 */
import * as Y from 'yjs'
import { Awareness } from 'y-protocols/awareness'
import { awarenessMessage, updateMessage } from '../wire/codec.ts'

export interface DocumentPeer {
  send (message: Uint8Array): void
  /** Awareness client ids this peer introduced, removed from the document when it leaves. */
  readonly awarenessIds: Set<number>
}

export const documentKeyOf = (appKey: string, name: string): string => `${appKey}::${name}`

interface AwarenessChange { added: number[]; updated: number[]; removed: number[] }

export class DocumentEntry {
  readonly doc = new Y.Doc({ gc: true })
  readonly awareness = new Awareness(this.doc)
  readonly peers = new Set<DocumentPeer>()
  graceTimer: NodeJS.Timeout | undefined
  /** Structs received while the doc held updates with missing dependencies (see DocumentSession). */
  pendingStructs = 0

  constructor (readonly key: string, readonly appKey: string, readonly name: string, public region: string) {
    // The server is not a participant: it must not show up in anyone's awareness.
    this.awareness.setLocalState(null)
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      const message = updateMessage(update)
      for (const peer of this.peers) if (peer !== origin) peer.send(message)
    })
    this.awareness.on('update', ({ added, updated, removed }: AwarenessChange, origin: unknown) => {
      const changed = [...added, ...updated, ...removed]
      if (this.isPeer(origin)) {
        for (const id of added) origin.awarenessIds.add(id)
        for (const id of removed) origin.awarenessIds.delete(id)
      }
      const message = awarenessMessage(this.awareness, changed)
      // Contract §3: relayed to every peer, the sender included (keeps its receive watchdog quiet).
      for (const peer of this.peers) peer.send(message)
    })
  }

  /** Whether a peer other than `asker` announced this awareness client id (and so owns it). */
  isAnnouncedByOther (clientId: number, asker: DocumentPeer): boolean {
    for (const peer of this.peers) if (peer !== asker && peer.awarenessIds.has(clientId)) return true
    return false
  }

  private isPeer (origin: unknown): origin is DocumentPeer {
    return typeof origin === 'object' && origin !== null && this.peers.has(origin as DocumentPeer)
  }

  destroy (): void {
    clearTimeout(this.graceTimer)
    this.graceTimer = undefined
    this.peers.clear()
    // Awareness owns an interval timer; destroying it is what lets the process exit.
    this.awareness.destroy()
    this.doc.destroy()
  }
}

export class DocumentStore {
  private readonly entries = new Map<string, DocumentEntry>()

  constructor (private readonly gracePeriodMs: number, private readonly log: (line: string) => void) {}

  get (key: string): DocumentEntry | undefined {
    return this.entries.get(key)
  }

  /** Active = has a peer or is in its grace period, i.e. every entry the store still holds. */
  activeCount (appKey: string): number {
    let n = 0
    for (const entry of this.entries.values()) if (entry.appKey === appKey) n++
    return n
  }

  all (): IterableIterator<DocumentEntry> {
    return this.entries.values()
  }

  /** The first connection pins the document to its region. */
  open (key: string, appKey: string, name: string, region: string): DocumentEntry {
    let entry = this.entries.get(key)
    if (!entry) {
      entry = new DocumentEntry(key, appKey, name, region)
      this.entries.set(key, entry)
      this.log(`${region}: document ${name} pinned`)
    }
    return entry
  }

  join (entry: DocumentEntry, peer: DocumentPeer): void {
    clearTimeout(entry.graceTimer)
    entry.graceTimer = undefined
    entry.peers.add(peer)
  }

  leave (entry: DocumentEntry, peer: DocumentPeer): void {
    if (!entry.peers.delete(peer)) return
    if (entry.peers.size === 0) this.startGrace(entry)
  }

  /** Contract §5: after the last peer leaves, keep pin and state for the grace period, then drop both. */
  startGrace (entry: DocumentEntry): void {
    clearTimeout(entry.graceTimer)
    entry.graceTimer = setTimeout(() => {
      if (entry.peers.size > 0 || this.entries.get(entry.key) !== entry) return
      this.entries.delete(entry.key)
      try {
        entry.destroy()
      } catch {
        // A failing observer must not take the process down from a timer.
      }
      this.log(`${entry.region}: document ${entry.name} dropped after grace period`)
    }, this.gracePeriodMs)
  }

  clear (): void {
    for (const entry of this.entries.values()) entry.destroy()
    this.entries.clear()
  }
}
