/**
 * The doctor's view of the Hocuspocus framing (contract §6): the shared codec in src/wire/codec.ts,
 * shaped for the checks (an Auth reply, a CLOSE, or any other message with its body ready to read).
 */
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import {
  authTokenFrame, decodeHocuspocusFrame, encodeHocuspocusFrame, HocuspocusMessage, parseAddress, PONG_FRAME, readAuth,
} from '../../wire/codec.ts'

export const HocuspocusType = HocuspocusMessage
export const PONG = PONG_FRAME

/** Auth frame: `varString(document) varUint(2) varUint(0) varString(token)`. */
export const encodeAuth = (document: string, token: string): Uint8Array => authTokenFrame(document, token)

/** A frame for `document` of `type` whose body `write` appends (y-protocols bodies for 0, 1, 3). */
export const encodeFrame = (document: string, type: number, write: (encoder: encoding.Encoder) => void): Uint8Array => {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, type)
  write(encoder)
  return encodeHocuspocusFrame(document, encoding.toUint8Array(encoder))
}

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
  const frame = decodeHocuspocusFrame(bytes)
  if (frame.kind !== 'message') return frame
  const { address, type, message } = frame
  const body = decoding.createDecoder(message)
  decoding.readVarUint(body)
  if (type === HocuspocusMessage.Auth) {
    const auth = readAuth(message)
    // A server never sends a token; anything but these three is not a reply the doctor understands.
    if (auth.kind === 'token' || auth.kind === 'unknown') throw new Error('unexpected auth message')
    return { kind: 'auth', address, reply: auth }
  }
  if (type === HocuspocusMessage.Close) {
    return { kind: 'close', address, reason: decoding.hasContent(body) ? decoding.readVarString(body) : '' }
  }
  return { kind: 'other', address, type, body }
}

/** `name` or `name + "\0" + sessionId` (contract §6) both address `name`. */
export const addresses = (address: string, document: string): boolean => parseAddress(address).documentName === document
