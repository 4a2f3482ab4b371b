/**
 * One accepted WebSocket speaking the y-websocket protocol on one document. It translates frames into
 * document operations; policy (rate limits) is asked through `beforeUpdate`, so this file knows nothing
 * about apps or tokens. Any frame that fails to decode closes this socket only.
 */
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import { messageYjsSyncStep1, messageYjsSyncStep2, messageYjsUpdate, readSyncStep1, writeSyncStep1 } from 'y-protocols/sync'
import type { RawData, WebSocket } from 'ws'
import { messageAuth, messageAwareness, messageQueryAwareness, messageSync } from '../contract/messages.ts'
import type { DocumentEntry, DocumentPeer } from './documents.ts'
import { fitReason } from '../contract/close-codes.ts'

export { fitReason }

export interface CloseRequest { code: number; reason: string }

export interface SessionHooks {
  /** Called before a client's sync update is applied; a CloseRequest closes the socket instead. */
  beforeUpdate (session: SyncSession): CloseRequest | undefined
  /** Called once when the session ends, however it ends. */
  onEnd (session: SyncSession): void
}

const toBytes = (data: RawData): Uint8Array => {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

export class SyncSession implements DocumentPeer {
  readonly awarenessIds = new Set<number>()
  private ended = false
  private expiryTimer: NodeJS.Timeout | undefined

  constructor (
    readonly ws: WebSocket,
    readonly entry: DocumentEntry,
    readonly meta: { appKey: string; jti?: string; opsPerMinute?: number },
    private readonly hooks: SessionHooks,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary))
    ws.on('close', () => this.end())
    ws.on('error', () => this.end())
  }

  /** Greet like y-websocket servers do: our state vector, then everyone's awareness. */
  start (): void {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, messageSync)
    writeSyncStep1(encoder, this.entry.doc)
    this.send(encoding.toUint8Array(encoder))
    const states = this.entry.awareness.getStates()
    if (states.size > 0) this.send(this.awarenessMessage([...states.keys()]))
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

  send (message: Uint8Array): void {
    if (this.ended || this.ws.readyState !== this.ws.OPEN) return
    this.ws.send(message, () => { /* a failed send surfaces as a close event */ })
  }

  close (request: CloseRequest): void {
    this.end()
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(request.code, fitReason(request.reason))
  }

  terminate (): void {
    this.end()
    this.ws.terminate()
  }

  get isEnded (): boolean {
    return this.ended
  }

  private end (): void {
    if (this.ended) return
    this.ended = true
    clearTimeout(this.expiryTimer)
    this.expiryTimer = undefined
    // end() runs from ws event handlers and timers: nothing may throw out of it into the process.
    try {
      // Leave first so the awareness removal below is not echoed back to a dead socket.
      this.hooks.onEnd(this)
      if (this.awarenessIds.size > 0) removeAwarenessStates(this.entry.awareness, [...this.awarenessIds], null)
    } catch {
      // The document may already be destroyed (dataplane closing); nothing is left to tell.
    }
  }

  private awarenessMessage (clients: number[]): Uint8Array {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, messageAwareness)
    encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(this.entry.awareness, clients))
    return encoding.toUint8Array(encoder)
  }

  private onMessage (data: RawData, isBinary: boolean): void {
    if (this.ended) return
    try {
      if (!isBinary) {
        this.close({ code: 1003, reason: 'Binary messages only' })
        return
      }
      this.handle(toBytes(data))
    } catch {
      // Garbage or truncated frame: close this socket cleanly, everyone else keeps being served.
      this.close({ code: 1007, reason: 'Invalid message' })
    }
  }

  private handle (bytes: Uint8Array): void {
    const decoder = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(decoder)
    switch (type) {
      case messageSync: {
        const syncType = decoding.readVarUint(decoder)
        if (syncType === messageYjsSyncStep1) {
          const encoder = encoding.createEncoder()
          encoding.writeVarUint(encoder, messageSync)
          readSyncStep1(decoder, encoder, this.entry.doc)
          this.send(encoding.toUint8Array(encoder))
        } else if (syncType === messageYjsSyncStep2 || syncType === messageYjsUpdate) {
          const update = decoding.readVarUint8Array(decoder)
          if (syncType === messageYjsUpdate) {
            const verdict = this.hooks.beforeUpdate(this)
            if (verdict) {
              this.close(verdict)
              return
            }
          }
          // Applied here rather than through readSyncMessage, which swallows and console.logs errors.
          Y.applyUpdate(this.entry.doc, update, this)
        } else {
          throw new Error('unknown sync message')
        }
        break
      }
      case messageAwareness:
        applyAwarenessUpdate(this.entry.awareness, decoding.readVarUint8Array(decoder), this)
        break
      case messageQueryAwareness:
        this.send(this.awarenessMessage([...this.entry.awareness.getStates().keys()]))
        break
      case messageAuth:
        // Clients never send auth messages that mean anything to us; ignore like y-websocket servers.
        break
      default:
        // Unknown top-level types are ignored so that protocol extensions do not kill sessions.
        break
    }
  }
}
