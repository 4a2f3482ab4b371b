import type * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import * as authProtocol from 'y-protocols/auth'
import * as awarenessProtocol from 'y-protocols/awareness'
import { DEV } from './dev.ts'
import { messageAuth, messageAwareness, messageQueryAwareness, messageSync } from '../contract/messages.ts'

/** What a message handler may touch: the provider's document side, not its connection side. */
export interface SyncPeer {
  readonly doc: Y.Doc
  readonly awareness: awarenessProtocol.Awareness
  synced: boolean
  onPermissionDenied(reason: string): void
}

/**
 * A handler reads one message and may write a reply into `encoder`. `fromServer` is false for messages
 * that come from another tab over BroadcastChannel, which must not mark the document as synced.
 */
export type MessageHandler = (encoder: encoding.Encoder, decoder: decoding.Decoder, peer: SyncPeer, fromServer: boolean) => void

export const messageHandlers: MessageHandler[] = []

messageHandlers[messageSync] = (encoder, decoder, peer, fromServer) => {
  encoding.writeVarUint(encoder, messageSync)
  const type = syncProtocol.readSyncMessage(decoder, encoder, peer.doc, peer)
  if (fromServer && type === syncProtocol.messageYjsSyncStep2) peer.synced = true
}

messageHandlers[messageQueryAwareness] = (encoder, _decoder, peer) => {
  encoding.writeVarUint(encoder, messageAwareness)
  encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(peer.awareness, [...peer.awareness.getStates().keys()]))
}

messageHandlers[messageAwareness] = (_encoder, decoder, peer) => {
  awarenessProtocol.applyAwarenessUpdate(peer.awareness, decoding.readVarUint8Array(decoder), peer)
}

messageHandlers[messageAuth] = (_encoder, decoder, peer) => {
  authProtocol.readAuthMessage(decoder, peer.doc, (_doc, reason) => peer.onPermissionDenied(reason))
}

/**
 * Read one message and return the reply to send, if any. Throws on a garbled frame or an unknown
 * message type; the caller decides what a bad frame costs the connection.
 */
export const readMessage = (handlers: readonly MessageHandler[], peer: SyncPeer, data: Uint8Array, fromServer: boolean): Uint8Array<ArrayBuffer> | null => {
  const decoder = decoding.createDecoder(data)
  const encoder = encoding.createEncoder()
  const type = decoding.readVarUint(decoder)
  const handler = handlers[type]
  if (handler === undefined) throw new Error(DEV ? `unknown message type ${type}` : `type ${type}`)
  handler(encoder, decoder, peer, fromServer)
  return encoding.length(encoder) > 1 ? encoding.toUint8Array(encoder) : null
}

/** Every outgoing message is a type tag followed by its body: one place builds that frame. */
const encodeMessage = (type: number, writeBody?: (encoder: encoding.Encoder) => void): Uint8Array<ArrayBuffer> => {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, type)
  writeBody?.(encoder)
  return encoding.toUint8Array(encoder)
}

export const encodeSyncStep1 = (doc: Y.Doc): Uint8Array<ArrayBuffer> =>
  encodeMessage(messageSync, (encoder) => syncProtocol.writeSyncStep1(encoder, doc))

export const encodeSyncStep2 = (doc: Y.Doc): Uint8Array<ArrayBuffer> =>
  encodeMessage(messageSync, (encoder) => syncProtocol.writeSyncStep2(encoder, doc))

export const encodeUpdate = (update: Uint8Array): Uint8Array<ArrayBuffer> =>
  encodeMessage(messageSync, (encoder) => syncProtocol.writeUpdate(encoder, update))

export const encodeAwareness = (awareness: awarenessProtocol.Awareness, clients: number[], states?: Map<number, { [key: string]: unknown }>): Uint8Array<ArrayBuffer> =>
  // only clients the awareness knows: y-protocols throws for one it has no clock for
  encodeMessage(messageAwareness, (encoder) => encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, clients.filter(c => awareness.meta.has(c)), states)))

export const encodeQueryAwareness = (): Uint8Array<ArrayBuffer> => encodeMessage(messageQueryAwareness)
