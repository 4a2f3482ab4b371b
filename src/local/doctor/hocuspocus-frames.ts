/**
 * The Hocuspocus framing (contract §6), only as much as the doctor speaks. Kept in this one module so
 * that it can be swapped for the shared codec in src/contract/ without touching the checks.
 */
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

export const HocuspocusType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  SyncReply: 4,
  Stateless: 5,
  Close: 7,
  SyncStatus: 8,
  Ping: 9,
  Pong: 10,
} as const

const AuthType = { Token: 0, PermissionDenied: 1, Authenticated: 2 } as const

/** Auth frame: `varString(document) varUint(2) varUint(0) varString(token)`. */
export const encodeAuth = (document: string, token: string): Uint8Array => {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, document)
  encoding.writeVarUint(encoder, HocuspocusType.Auth)
  encoding.writeVarUint(encoder, AuthType.Token)
  encoding.writeVarString(encoder, token)
  return encoding.toUint8Array(encoder)
}

/** A frame for `document` of `type` whose body `write` appends (y-protocols bodies for 0, 1, 3). */
export const encodeFrame = (document: string, type: number, write: (encoder: encoding.Encoder) => void): Uint8Array => {
  const encoder = encoding.createEncoder()
  encoding.writeVarString(encoder, document)
  encoding.writeVarUint(encoder, type)
  write(encoder)
  return encoding.toUint8Array(encoder)
}

export const PONG = new Uint8Array([HocuspocusType.Pong])

export type AuthReply =
  | { kind: 'authenticated'; scope: string }
  | { kind: 'permission-denied'; reason: string }
  | { kind: 'token-request' }

export type HocuspocusFrame =
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'auth'; address: string; reply: AuthReply }
  | { kind: 'close'; address: string; reason: string }
  /** Any other type: the decoder is positioned at the body. */
  | { kind: 'other'; address: string; type: number; body: decoding.Decoder }

/** Throws on a frame that does not decode; callers treat that as "not Hocuspocus". */
export const decodeFrame = (bytes: Uint8Array): HocuspocusFrame => {
  // Ping and pong are one unprefixed byte; a longer frame starting with 9 or 10 is a 9/10-byte address.
  if (bytes.length === 1 && bytes[0] === HocuspocusType.Ping) return { kind: 'ping' }
  if (bytes.length === 1 && bytes[0] === HocuspocusType.Pong) return { kind: 'pong' }
  const decoder = decoding.createDecoder(bytes)
  const address = decoding.readVarString(decoder)
  const type = decoding.readVarUint(decoder)
  if (type === HocuspocusType.Auth) {
    const authType = decoding.readVarUint(decoder)
    if (authType === AuthType.Authenticated) return { kind: 'auth', address, reply: { kind: 'authenticated', scope: decoding.readVarString(decoder) } }
    if (authType === AuthType.PermissionDenied) return { kind: 'auth', address, reply: { kind: 'permission-denied', reason: decoding.readVarString(decoder) } }
    if (authType === AuthType.Token) return { kind: 'auth', address, reply: { kind: 'token-request' } }
    throw new Error(`unknown auth type ${authType}`)
  }
  if (type === HocuspocusType.Close) {
    return { kind: 'close', address, reason: decoding.hasContent(decoder) ? decoding.readVarString(decoder) : '' }
  }
  return { kind: 'other', address, type, body: decoder }
}

/** `name` or `name + "\0" + sessionId` (contract §6) both address `name`. */
export const addresses = (address: string, document: string): boolean =>
  address === document || address.startsWith(`${document}\0`)
