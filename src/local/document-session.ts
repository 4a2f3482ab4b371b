/**
 * One client on one document, whatever framing carries it: applies its sync and awareness messages,
 * answers them, and holds it to the per-client bounds (issue 10: validated updates, bounded pending
 * state, bounded awareness it may only set for its own client ids, step 2 counted like updates).
 *
 * Messages in and out are in y-websocket layout (`varUint type · body`); the transport that owns the
 * socket adds its own framing (nothing for y-websocket, the document address for Hocuspocus) and decides
 * what closing this one session means (closing the socket, or an in-band CLOSE for this document).
 */
import * as Y from 'yjs'
import * as decoding from 'lib0/decoding'
import { applyAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { messageYjsSyncStep1, messageYjsSyncStep2, messageYjsUpdate } from 'y-protocols/sync'
import { awarenessMessage, syncStep1Message, syncStep2Message } from '../wire/codec.ts'
import { messageAuth, messageAwareness, messageQueryAwareness, messageSync } from '../contract/messages.ts'
import { checkUpdateV1 } from '../wire/update-check.ts'
import { INVALID_AWARENESS, readAwarenessUpdate, writeAwarenessUpdate, type AwarenessEntry, type AwarenessLimits } from './awareness-guard.ts'
import type { DocumentEntry, DocumentPeer } from './documents.ts'

export interface CloseRequest { code: number; reason: string }

/** Bounds that hold per client, resolved from `LocalDataplaneOptions`. */
export interface SessionLimits {
  awareness: AwarenessLimits
  /** Bytes of not-yet-integrable update (missing dependencies) one document may hold. */
  maxPendingBytes: number
  /** Structs and delete ranges that arrived while the document held pending state. */
  maxPendingStructs: number
  /** Nesting of Y.Map/Y.Array values inside an update. */
  maxContentDepth: number
}

/** The socket side of a session, supplied by the transport. */
export interface SessionLink {
  /** Send one message (y-websocket layout); `onFlushed` runs once it has left the process. */
  send (message: Uint8Array, onFlushed?: () => void): void
  /** End this session the transport's way (close code, or in-band CLOSE). */
  close (request: CloseRequest): void
  /** Drop the connection without ceremony (dataplane closing, dropConnections). */
  terminate (): void
}

export interface SessionHooks {
  /** Called before a client's document change is applied; a CloseRequest closes the session instead. */
  beforeUpdate (session: DocumentSession): CloseRequest | undefined
  /** Called once when the session ends, however it ends. */
  onEnd (session: DocumentSession): void
}

export interface SessionMeta {
  appKey: string
  /** Mutable: an in-band token refresh (Hocuspocus) replaces the token a session runs on. */
  jti?: string
  opsPerMinute?: number
  /** The socket carrying this session: one socket may carry several (Hocuspocus), counted once. */
  connection: object
}

/** Close codes of the per-client bounds (documented in docs/limits.md). */
export const InvalidPayload = 1007
export const PolicyViolation = 1008

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Yjs' holding area for updates whose dependencies have not arrived, in bytes. */
export const pendingBytes = (doc: Y.Doc): number =>
  (doc.store.pendingStructs?.update.byteLength ?? 0) + (doc.store.pendingDs?.byteLength ?? 0)

export class DocumentSession implements DocumentPeer {
  readonly awarenessIds = new Set<number>()
  /**
   * States this connection sent for client ids another live connection owns: held, neither applied nor
   * relayed, until that owner leaves (then this one takes over, see takeOver) or this one does.
   */
  private readonly claims = new Map<number, AwarenessEntry>()
  private ended = false
  private expiryTimer: ReturnType<typeof setTimeout> | undefined
  /** The state vector of the step 1 whose answer is still queued on the socket, if any. */
  private answering: Uint8Array | undefined

  constructor (
    readonly entry: DocumentEntry,
    readonly meta: SessionMeta,
    private readonly link: SessionLink,
    private readonly hooks: SessionHooks,
    private readonly limits: SessionLimits
  ) {}

  get isEnded (): boolean {
    return this.ended
  }

  send (message: Uint8Array, onFlushed?: () => void): void {
    if (this.ended) return
    this.link.send(message, onFlushed)
  }

  /** Our state vector as a sync step 1 message. */
  syncStep1Message (): Uint8Array {
    return syncStep1Message(this.entry.doc)
  }

  awarenessMessage (clients: number[] = [...this.entry.awareness.getStates().keys()]): Uint8Array | undefined {
    return clients.length === 0 ? undefined : awarenessMessage(this.entry.awareness, clients)
  }

  /** Arm the expiry close (contract §3, ours). Long delays are re-armed because timers cap at ~24.8 days. */
  closeAt (deadlineMs: number, now: () => number, request: CloseRequest): void {
    clearTimeout(this.expiryTimer)
    const delay = deadlineMs - now()
    if (delay <= 0) {
      this.close(request)
      return
    }
    const step = Math.min(delay, 2 ** 31 - 1)
    this.expiryTimer = setTimeout(() => {
      if (step === delay) this.close(request)
      else this.closeAt(deadlineMs, now, request)
    }, step)
  }

  close (request: CloseRequest): void {
    if (this.ended) return
    this.end()
    this.link.close(request)
  }

  terminate (): void {
    this.end()
    this.link.terminate()
  }

  /** Leave the document; the transport calls this when its socket goes away. */
  end (): void {
    if (this.ended) return
    this.ended = true
    clearTimeout(this.expiryTimer)
    this.expiryTimer = undefined
    // end() runs from ws event handlers and timers: nothing may throw out of it into the process.
    try {
      // Leave first so the awareness removal below is not echoed back to a dead socket.
      this.hooks.onEnd(this)
      this.claims.clear()
      const gone = [...this.awarenessIds].filter(id => !this.entry.passOn(id))
      if (gone.length > 0) removeAwarenessStates(this.entry.awareness, gone, null)
    } catch {
      // The document may already be destroyed (dataplane closing); nothing is left to tell.
    }
  }

  /**
   * Handle one message (y-websocket layout). Returns the step 1 answer kind so a transport can follow
   * its own protocol (Hocuspocus acknowledges updates). Throws on undecodable input: the transport
   * turns that into a 1007 close.
   */
  receive (bytes: Uint8Array): 'update' | undefined {
    if (this.ended) return undefined
    const decoder = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(decoder)
    switch (type) {
      case messageSync: return this.receiveSync(decoder)
      case messageAwareness:
        this.receiveAwareness(decoding.readVarUint8Array(decoder))
        return undefined
      case messageQueryAwareness: {
        const message = this.awarenessMessage()
        if (message) this.send(message)
        return undefined
      }
      case messageAuth:
        // Clients never send y-websocket auth messages that mean anything to us; ignore like y-websocket servers.
        return undefined
      default:
        // Unknown top-level types are ignored so that protocol extensions do not kill sessions.
        return undefined
    }
  }

  private receiveSync (decoder: decoding.Decoder): 'update' | undefined {
    const syncType = decoding.readVarUint(decoder)
    if (syncType === messageYjsSyncStep1) {
      this.answerStep1(decoding.readVarUint8Array(decoder))
      return undefined
    }
    if (syncType !== messageYjsSyncStep2 && syncType !== messageYjsUpdate) throw new Error('unknown sync message')
    const update = decoding.readVarUint8Array(decoder)
    const shape = checkUpdateV1(update, { maxContentDepth: this.limits.maxContentDepth })
    if (!shape.ok) {
      this.close({ code: InvalidPayload, reason: `Invalid update: ${shape.reason}` })
      return undefined
    }
    // Issue 10.11: step 2 content is an edit like any update, so it counts against opsPerMinute too;
    // an empty step 2 (a client with nothing new) is the handshake, not an edit.
    if (syncType === messageYjsUpdate || shape.structs + shape.deletes > 0) {
      const verdict = this.hooks.beforeUpdate(this)
      if (verdict) {
        this.close(verdict)
        return undefined
      }
    }
    // Applied here rather than through readSyncMessage, which swallows and console.logs errors.
    Y.applyUpdate(this.entry.doc, update, this)
    return this.boundPending(shape.structs + shape.deletes) ? 'update' : undefined
  }

  /**
   * Yjs keeps updates with missing dependencies and re-merges all of them with every new update: left
   * to grow, that is quadratic CPU (2,500 updates of 34 bytes: 11 s). Past the bound, the sender of the
   * update that crossed it is closed and the document's pending state is dropped.
   */
  private boundPending (structs: number): boolean {
    const { doc } = this.entry
    const bytes = pendingBytes(doc)
    if (bytes === 0) {
      this.entry.pendingStructs = 0
      return true
    }
    // Counted per arriving update rather than read back from Yjs' merged form (which would cost a decode).
    this.entry.pendingStructs += structs
    if (bytes <= this.limits.maxPendingBytes && this.entry.pendingStructs <= this.limits.maxPendingStructs) return true
    doc.store.pendingStructs = null
    doc.store.pendingDs = null
    this.entry.pendingStructs = 0
    const reason = bytes > this.limits.maxPendingBytes
      ? `Pending updates exceed ${this.limits.maxPendingBytes} bytes`
      : `Pending updates exceed ${this.limits.maxPendingStructs} structs`
    this.close({ code: InvalidPayload, reason })
    return false
  }

  /** Step 2 for the client's state vector; the same step 1 again while that answer is queued is ignored. */
  private answerStep1 (stateVector: Uint8Array): void {
    if (this.answering !== undefined && bytesEqual(this.answering, stateVector)) return
    const answer = syncStep2Message(this.entry.doc, stateVector)
    const mine = stateVector.slice()
    this.answering = mine
    this.send(answer, () => {
      if (this.answering === mine) this.answering = undefined
    })
  }

  /** The owner of `clientId` is leaving: if this connection claimed it, it becomes the owner, its state applied. */
  takeOver (clientId: number): boolean {
    const claim = this.claims.get(clientId)
    if (claim === undefined || this.ended) return false
    this.claims.delete(clientId)
    this.awarenessIds.add(clientId)
    applyAwarenessUpdate(this.entry.awareness, writeAwarenessUpdate([claim]), this)
    return true
  }

  private receiveAwareness (update: Uint8Array): void {
    const verdict = readAwarenessUpdate(update, this.limits.awareness)
    if (!verdict.ok) {
      this.close({ code: verdict.reason === INVALID_AWARENESS ? InvalidPayload : PolicyViolation, reason: verdict.reason })
      return
    }
    // A connection sets only client ids it announced first: another connection's ids are left alone,
    // their states held as claims in case that connection leaves first (contract §3, ours).
    const own: AwarenessEntry[] = []
    for (const e of verdict.entries) {
      if (this.awarenessIds.has(e.clientId)) {
        own.push(e)
      } else if (e.state !== 'null' && this.entry.isAnnouncedByOther(e.clientId, this)) {
        // Only a newer clock is a claim: y-websocket clients echo every state the server relays to them,
        // and an echo held as a claim would keep a client that dropped alive as a ghost.
        if (e.clock > (this.entry.awareness.meta.get(e.clientId)?.clock ?? 0)) this.claims.set(e.clientId, e)
      } else {
        this.claims.delete(e.clientId)
        if (e.state !== 'null') own.push(e)
      }
    }
    const newIds = new Set(own.map(e => e.clientId).filter(id => !this.awarenessIds.has(id)))
    if (this.awarenessIds.size + this.claims.size + newIds.size > this.limits.awareness.maxIdsPerPeer) {
      this.close({ code: PolicyViolation, reason: `More than ${this.limits.awareness.maxIdsPerPeer} awareness client ids` })
      return
    }
    if (own.length === 0) return
    // Announced ids are claimed before applying, so a state that is unchanged (no 'added' event) still counts.
    for (const id of newIds) this.awarenessIds.add(id)
    applyAwarenessUpdate(this.entry.awareness, own.length === verdict.entries.length ? update : writeAwarenessUpdate(own), this)
  }
}
