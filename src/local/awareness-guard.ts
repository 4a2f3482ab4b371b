/**
 * Awareness updates from a client, checked before they reach the document's Awareness (issue 10.10):
 * each state's size and JSON nesting are bounded, and a connection may only set client ids it announced
 * first, never another connection's. A poisoned state (10 KiB nested 6,000 arrays deep) used to break
 * every new join to the document, and any connection could overwrite or delete anyone's presence.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

export interface AwarenessLimits {
  /** Bytes of one client's JSON state. */
  maxStateBytes: number
  /** Nesting of arrays/objects in one state. */
  maxStateDepth: number
  /** Client ids one connection may announce on one document. */
  maxIdsPerPeer: number
}

export interface AwarenessEntry { clientId: number; clock: number; state: string }

export type AwarenessVerdict =
  | { ok: true; entries: AwarenessEntry[] }
  | { ok: false; reason: string }

const utf8 = new TextDecoder()

/** Same reason as any other undecodable frame. */
export const INVALID_AWARENESS = 'Invalid message'

/** Depth of a JSON text, counted over brackets outside strings; no parse, no recursion. */
export const jsonDepth = (text: string): number => {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (inString) {
      if (ch === 0x5c) i++ // backslash: skip the escaped character
      else if (ch === 0x22) inString = false
    } else if (ch === 0x22) {
      inString = true
    } else if (ch === 0x5b || ch === 0x7b) {
      depth++
      if (depth > max) max = depth
    } else if (ch === 0x5d || ch === 0x7d) {
      depth--
    }
  }
  return max
}

/** Parse an awareness update (y-protocols layout) and check each state against the limits. */
export const readAwarenessUpdate = (update: Uint8Array, limits: AwarenessLimits): AwarenessVerdict => {
  const decoder = decoding.createDecoder(update)
  const entries: AwarenessEntry[] = []
  try {
    const n = decoding.readVarUint(decoder)
    // Each entry takes at least three bytes (id, clock, state length).
    if (n * 3 > decoder.arr.length - decoder.pos) return { ok: false, reason: INVALID_AWARENESS }
    for (let i = 0; i < n; i++) {
      const clientId = decoding.readVarUint(decoder)
      const clock = decoding.readVarUint(decoder)
      const length = decoding.readVarUint(decoder)
      if (length > limits.maxStateBytes) return { ok: false, reason: `Awareness state exceeds ${limits.maxStateBytes} bytes` }
      const state = utf8.decode(decoding.readUint8Array(decoder, length))
      if (jsonDepth(state) > limits.maxStateDepth) return { ok: false, reason: `Awareness state nested deeper than ${limits.maxStateDepth}` }
      entries.push({ clientId, clock, state })
    }
  } catch {
    return { ok: false, reason: INVALID_AWARENESS }
  }
  return { ok: true, entries }
}

export const writeAwarenessUpdate = (entries: AwarenessEntry[]): Uint8Array => {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientId)
    encoding.writeVarUint(encoder, entry.clock)
    encoding.writeVarString(encoder, entry.state)
  }
  return encoding.toUint8Array(encoder)
}
