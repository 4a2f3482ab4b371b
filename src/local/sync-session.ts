/**
 * The y-websocket transport: one accepted WebSocket carrying one document, named by the URL path. The
 * document work (and every per-client bound) is the `DocumentSession`'s; this file owns the socket:
 * framing (none: y-websocket messages are the frames), the queue bound, and close codes. Any frame that
 * fails to decode closes this socket only.
 */
import type { RawData, WebSocket } from 'ws'
import { fitReason } from '../contract/close-codes.ts'
import { DocumentSession, InvalidPayload, type CloseRequest, type SessionHooks, type SessionLimits, type SessionMeta } from './document-session.ts'
import type { DocumentEntry } from './documents.ts'
import { SocketWriter } from './socket-writer.ts'

export { fitReason }
export type { CloseRequest }

export const toBytes = (data: RawData): Uint8Array => {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

export interface TransportOptions {
  limits: SessionLimits
  maxBufferedBytes: number
  /**
   * Offered the client's first frame; returning true means another transport took the socket over
   * (a Hocuspocus client on a document path): this session then leaves quietly.
   */
  handOver?: (first: Uint8Array) => boolean
}

export class SyncSession {
  readonly session: DocumentSession
  private readonly writer: SocketWriter
  private firstFrame = true
  private readonly onMessageBound = (data: RawData, isBinary: boolean): void => this.onMessage(data, isBinary)
  private readonly onGoneBound = (): void => this.session.end()

  constructor (
    readonly ws: WebSocket,
    entry: DocumentEntry,
    meta: Omit<SessionMeta, 'connection'>,
    hooks: SessionHooks,
    options: TransportOptions
  ) {
    this.writer = new SocketWriter(ws, options.maxBufferedBytes, () => this.session.end())
    this.session = new DocumentSession(entry, { ...meta, connection: ws }, {
      send: (message, onFlushed) => this.writer.send(message, onFlushed),
      close: request => {
        if (ws.readyState === ws.OPEN) ws.close(request.code, fitReason(request.reason))
      },
      terminate: () => ws.terminate(),
    }, hooks, options.limits)
    this.handOver = options.handOver
    ws.on('message', this.onMessageBound)
    ws.on('close', this.onGoneBound)
    ws.on('error', this.onGoneBound)
  }

  private readonly handOver: ((first: Uint8Array) => boolean) | undefined

  /** Greet like y-websocket servers do: our state vector, then everyone's awareness. */
  start (): void {
    this.session.send(this.session.syncStep1Message())
    const awareness = this.session.awarenessMessage()
    if (awareness) this.session.send(awareness)
  }

  /** Handle a frame that arrived before this transport existed (the one that chose the framing). */
  receive (bytes: Uint8Array): void {
    if (this.session.isEnded) return
    try {
      this.session.receive(bytes)
    } catch {
      // Garbage or truncated frame: close this socket cleanly, everyone else keeps being served.
      this.session.close({ code: InvalidPayload, reason: 'Invalid message' })
    }
  }

  private onMessage (data: RawData, isBinary: boolean): void {
    if (this.session.isEnded) return
    if (!isBinary) {
      this.session.close({ code: 1003, reason: 'Binary messages only' })
      return
    }
    const bytes = toBytes(data)
    if (this.firstFrame) {
      this.firstFrame = false
      if (this.handOver?.(bytes) === true) {
        this.ws.off('message', this.onMessageBound)
        this.ws.off('close', this.onGoneBound)
        this.ws.off('error', this.onGoneBound)
        this.session.end()
        return
      }
    }
    this.receive(bytes)
  }
}
