/**
 * Two tiny sync clients, one per framing, on a real Y.Doc: enough to prove that an update made on one
 * connection reaches another. Everything the server sends is decoded defensively; a frame that does
 * not decode marks the peer `garbled` instead of throwing.
 */
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { messageYjsSyncStep2, readSyncMessage, writeSyncStep1, writeUpdate } from 'y-protocols/sync'
import { messageSync } from '../../contract/messages.ts'
import type { Dial } from './dial.ts'
import { addresses, decodeFrame, encodeAuth, encodeFrame, HocuspocusType, PONG, type AuthReply } from './hocuspocus-frames.ts'
import { ProbeSocket } from './probe-socket.ts'

export interface SyncPeer {
  readonly doc: Y.Doc
  readonly socket: ProbeSocket
  /** The server's step 2 arrived: this peer holds the server's state. */
  synced: boolean
  garbled: boolean
  /** Hocuspocus only: the answer to the Auth frame. */
  auth: AuthReply | undefined
  /** Hocuspocus only: a CLOSE frame's reason for this document. */
  closeFrame: string | undefined
  destroy (): Promise<void>
}

const wrap = (write: (encoder: encoding.Encoder) => void): Uint8Array => {
  const encoder = encoding.createEncoder()
  write(encoder)
  return encoding.toUint8Array(encoder)
}

/** Applies one sync body; returns the reply body (if any) and whether it was a step 2. */
const readSync = (decoder: decoding.Decoder, doc: Y.Doc, origin: unknown): { reply: Uint8Array | undefined; step2: boolean } => {
  const encoder = encoding.createEncoder()
  const type = readSyncMessage(decoder, encoder, doc, origin)
  return { reply: encoding.length(encoder) > 0 ? encoding.toUint8Array(encoder) : undefined, step2: type === messageYjsSyncStep2 }
}

export class YWebsocketPeer implements SyncPeer {
  readonly doc = new Y.Doc()
  readonly socket: ProbeSocket
  synced = false
  garbled = false
  auth = undefined
  closeFrame = undefined

  constructor (target: Dial, origin: string | null, timeoutMs: number) {
    this.socket = new ProbeSocket(target.url, { protocols: target.protocols, origin, timeoutMs })
    this.socket.ws.on('open', () => this.socket.send(wrap(e => {
      encoding.writeVarUint(e, messageSync)
      writeSyncStep1(e, this.doc)
    })))
    this.socket.onMessage = bytes => this.receive(bytes)
    this.doc.on('update', this.onUpdate)
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this) return
    this.socket.send(wrap(e => {
      encoding.writeVarUint(e, messageSync)
      writeUpdate(e, update)
    }))
  }

  private receive (bytes: Uint8Array): void {
    try {
      const decoder = decoding.createDecoder(bytes)
      if (decoding.readVarUint(decoder) !== messageSync) return
      const { reply, step2 } = readSync(decoder, this.doc, this)
      if (step2) this.synced = true
      if (reply) {
        this.socket.send(wrap(e => {
          encoding.writeVarUint(e, messageSync)
          encoding.writeUint8Array(e, reply)
        }))
      }
    } catch {
      this.garbled = true
    }
  }

  async destroy (): Promise<void> {
    this.doc.off('update', this.onUpdate)
    await this.socket.dispose()
    this.doc.destroy()
  }
}

export class HocuspocusPeer implements SyncPeer {
  readonly doc = new Y.Doc()
  readonly socket: ProbeSocket
  synced = false
  garbled = false
  auth: AuthReply | undefined
  closeFrame: string | undefined

  constructor (target: Dial, private readonly documentName: string, token: string, origin: string | null, timeoutMs: number) {
    this.socket = new ProbeSocket(target.url, { protocols: target.protocols, origin, timeoutMs })
    this.socket.ws.on('open', () => this.socket.send(encodeAuth(documentName, token)))
    this.socket.onMessage = bytes => this.receive(bytes)
    this.doc.on('update', this.onUpdate)
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this || this.auth?.kind !== 'authenticated') return
    this.socket.send(encodeFrame(this.documentName, HocuspocusType.Sync, e => writeUpdate(e, update)))
  }

  private receive (bytes: Uint8Array): void {
    try {
      const frame = decodeFrame(bytes)
      if (frame.kind === 'ping') {
        this.socket.send(PONG)
        return
      }
      if (frame.kind === 'pong' || !addresses(frame.address, this.documentName)) return
      if (frame.kind === 'close') {
        this.closeFrame = frame.reason
        return
      }
      if (frame.kind === 'auth') {
        // A token request is not answered on purpose: the doctor holds one token and reports what follows.
        if (frame.reply.kind === 'token-request') return
        this.auth = frame.reply
        if (frame.reply.kind === 'authenticated') {
          this.socket.send(encodeFrame(this.documentName, HocuspocusType.Sync, e => writeSyncStep1(e, this.doc)))
        }
        return
      }
      if (frame.type !== HocuspocusType.Sync && frame.type !== HocuspocusType.SyncReply) return
      const { reply, step2 } = readSync(frame.body, this.doc, this)
      if (step2) this.synced = true
      if (reply) this.socket.send(encodeFrame(this.documentName, HocuspocusType.Sync, e => encoding.writeUint8Array(e, reply)))
    } catch {
      this.garbled = true
    }
  }

  async destroy (): Promise<void> {
    this.doc.off('update', this.onUpdate)
    await this.socket.dispose()
    this.doc.destroy()
  }
}
