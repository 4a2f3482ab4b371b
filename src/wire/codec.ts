/**
 * The two framings of the dataplane's wire protocol (contract §3 and §6), for every side that speaks
 * them: the local dataplane now, the provider next. Browser-safe: lib0 and y-protocols only.
 *
 * - y-websocket framing: a frame is one message, `varUint(type) · body` (types 0 sync, 1 awareness,
 *   2 auth, 3 query-awareness); the document is the URL path.
 * - Hocuspocus framing: a frame is `varString(address) · message`, where the address is the document
 *   name or `name + "\0" + sessionId`, and the message uses the same layout with more types (4 sync-reply,
 *   5 stateless, 7 close, 8 sync-status); ping (9) and pong (10) are single unprefixed bytes.
 *
 * Bodies of sync, awareness and query-awareness are y-protocols' in both, so a message moves between
 * framings by adding or removing the address.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import type * as Y from 'yjs'
import { encodeAwarenessUpdate, type Awareness } from 'y-protocols/awareness'
import { writeSyncStep1, writeSyncStep2, writeUpdate } from 'y-protocols/sync'
import { isValidDocumentName } from '../contract/document-name.ts'
import { messageAwareness, messageQueryAwareness, messageSync } from '../contract/messages.ts'

export type Framing = 'y-websocket' | 'hocuspocus'

// ---- messages in y-websocket layout (a whole y-websocket frame; a Hocuspocus frame after its address)

const messageOf = (type: number, write: (encoder: encoding.Encoder) => void): Uint8Array => {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, type)
  write(encoder)
  return encoding.toUint8Array(encoder)
}

/** Sync step 1: our state vector ("send me what I lack"). */
export const syncStep1Message = (doc: Y.Doc): Uint8Array => messageOf(messageSync, e => writeSyncStep1(e, doc))

/** Sync step 2: what `doc` has beyond `stateVector`. */
export const syncStep2Message = (doc: Y.Doc, stateVector?: Uint8Array): Uint8Array => messageOf(messageSync, e => writeSyncStep2(e, doc, stateVector))

export const updateMessage = (update: Uint8Array): Uint8Array => messageOf(messageSync, e => writeUpdate(e, update))

export const awarenessMessage = (awareness: Awareness, clients: number[]): Uint8Array =>
  messageOf(messageAwareness, e => encoding.writeVarUint8Array(e, encodeAwarenessUpdate(awareness, clients)))

export const queryAwarenessMessage = (): Uint8Array => messageOf(messageQueryAwareness, () => {})

export const HocuspocusMessage = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  SyncReply: 4,
  Stateless: 5,
  BroadcastStateless: 6,
  Close: 7,
  SyncStatus: 8,
  Ping: 9,
  Pong: 10,
} as const

/** The second varUint of an Auth message. */
export const AuthMessage = { Token: 0, PermissionDenied: 1, Authenticated: 2 } as const

const ADDRESS_SEPARATOR = '\0'

export interface Address { documentName: string; sessionId: string | undefined }

export const parseAddress = (address: string): Address => {
  const at = address.indexOf(ADDRESS_SEPARATOR)
  return at < 0 ? { documentName: address, sessionId: undefined } : { documentName: address.slice(0, at), sessionId: address.slice(at + 1) }
}

export type HocuspocusFrame =
  | { kind: 'ping' }
  | { kind: 'pong' }
  /** `message` is the frame without its address: `varUint(type) · body`, y-websocket layout. */
  | { kind: 'message'; address: string; type: number; message: Uint8Array }

/** Split a Hocuspocus frame into its address and message. Throws on a frame that is not one. */
export const decodeHocuspocusFrame = (frame: Uint8Array): HocuspocusFrame => {
  if (frame.length === 1 && frame[0] === HocuspocusMessage.Ping) return { kind: 'ping' }
  if (frame.length === 1 && frame[0] === HocuspocusMessage.Pong) return { kind: 'pong' }
  const decoder = decoding.createDecoder(frame)
  const address = decoding.readVarString(decoder)
  const start = decoder.pos
  const type = decoding.readVarUint(decoder)
  return { kind: 'message', address, type, message: frame.subarray(start) }
}

/** Prefix a y-websocket-layout message with its document address. */
export const encodeHocuspocusFrame = (address: string, message: Uint8Array): Uint8Array => {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, address)
  encoding.writeUint8Array(encoder, message)
  return encoding.toUint8Array(encoder)
}

const frameOf = (address: string, write: (encoder: encoding.Encoder) => void): Uint8Array => {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, address)
  write(encoder)
  return encoding.toUint8Array(encoder)
}

/** Client → server: the document's token (and the client's version). */
export const authTokenFrame = (address: string, token: string, version?: string): Uint8Array => frameOf(address, e => {
  encoding.writeVarUint(e, HocuspocusMessage.Auth)
  encoding.writeVarUint(e, AuthMessage.Token)
  encoding.writeVarString(e, token)
  if (version !== undefined) encoding.writeVarString(e, version)
})

/** Server → client: "send me a (fresh) token" (an Auth Token message with no token). */
export const tokenRequestFrame = (address: string): Uint8Array => frameOf(address, e => {
  encoding.writeVarUint(e, HocuspocusMessage.Auth)
  encoding.writeVarUint(e, AuthMessage.Token)
})

export const authenticatedFrame = (address: string, scope: 'read-write' | 'readonly' = 'read-write'): Uint8Array => frameOf(address, e => {
  encoding.writeVarUint(e, HocuspocusMessage.Auth)
  encoding.writeVarUint(e, AuthMessage.Authenticated)
  encoding.writeVarString(e, scope)
})

/** Per-document refusal; the dataplane's reasons start with the WireSocket close code (`4008 …`). */
export const permissionDeniedFrame = (address: string, reason: string): Uint8Array => frameOf(address, e => {
  encoding.writeVarUint(e, HocuspocusMessage.Auth)
  encoding.writeVarUint(e, AuthMessage.PermissionDenied)
  encoding.writeVarString(e, reason)
})

/** Server → client: this one document is closed (`4006 Rate limit exceeded: …`); client → server: leave it. */
export const closeFrame = (address: string, reason?: string): Uint8Array => frameOf(address, e => {
  encoding.writeVarUint(e, HocuspocusMessage.Close)
  if (reason !== undefined) encoding.writeVarString(e, reason)
})

/** Server → client: an update was applied (1) or refused (0). */
export const syncStatusFrame = (address: string, applied: boolean): Uint8Array => frameOf(address, e => {
  encoding.writeVarUint(e, HocuspocusMessage.SyncStatus)
  encoding.writeVarUint(e, applied ? 1 : 0)
})

export const PONG_FRAME = new Uint8Array([HocuspocusMessage.Pong])
export const PING_FRAME = new Uint8Array([HocuspocusMessage.Ping])

export type AuthBody =
  | { kind: 'token'; token: string; version: string | undefined }
  | { kind: 'token-request' }
  | { kind: 'permission-denied'; reason: string }
  | { kind: 'authenticated'; scope: string }
  | { kind: 'unknown' }

/** Read an Auth message (`message` as returned by `decodeHocuspocusFrame`, type included). */
export const readAuth = (message: Uint8Array): AuthBody => {
  const decoder = decoding.createDecoder(message)
  if (decoding.readVarUint(decoder) !== HocuspocusMessage.Auth) return { kind: 'unknown' }
  switch (decoding.readVarUint(decoder)) {
    case AuthMessage.Token: {
      if (!decoding.hasContent(decoder)) return { kind: 'token-request' }
      const token = decoding.readVarString(decoder)
      const version = decoding.hasContent(decoder) ? decoding.readVarString(decoder) : undefined
      return { kind: 'token', token, version }
    }
    case AuthMessage.PermissionDenied: return { kind: 'permission-denied', reason: decoding.readVarString(decoder) }
    case AuthMessage.Authenticated: return { kind: 'authenticated', scope: decoding.readVarString(decoder) }
    default: return { kind: 'unknown' }
  }
}

/** Three base64url segments, the first two non-empty: the shape of a compact JWS. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

export const isJwtShaped = (token: string): boolean => JWT_SHAPE.test(token)

/**
 * Which framing a client speaks, from its first frame (contract §6). A Hocuspocus client opens with an
 * Auth frame: `varString(address) 02 00 varString(token) [varString(version)]`, nothing after. Its first
 * byte is the address length, never 0; y-websocket clients open with sync step 1 (`00`). Addresses of
 * 1–3 characters start with 01–03, which are also y-websocket message types: there the token must
 * be JWT-shaped too. Anything that is not a complete Auth frame is y-websocket: a client this cannot
 * tell gets today's path, never a worse one.
 */
export const classifyFirstFrame = (frame: Uint8Array): Framing => {
  if (frame.length === 0 || frame[0] === 0) return 'y-websocket'
  try {
    const decoder = decoding.createDecoder(frame)
    const address = decoding.readVarString(decoder)
    const { documentName } = parseAddress(address)
    if (!isValidDocumentName(documentName)) return 'y-websocket'
    if (decoding.readUint8(decoder) !== HocuspocusMessage.Auth) return 'y-websocket'
    if (decoding.readUint8(decoder) !== AuthMessage.Token) return 'y-websocket'
    const token = decoding.readVarString(decoder)
    if (decoding.hasContent(decoder)) decoding.readVarString(decoder) // version
    if (decoding.hasContent(decoder)) return 'y-websocket'
    const shortAddress = (frame[0] ?? 0) <= 3
    if (shortAddress && !isJwtShaped(token)) return 'y-websocket'
    return 'hocuspocus'
  } catch {
    return 'y-websocket'
  }
}
