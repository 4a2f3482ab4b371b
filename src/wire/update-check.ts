/**
 * A structural check of a Yjs update (v1 encoding) that runs before Yjs sees it.
 *
 * Why: Yjs trusts the counts an update declares. `01 ff ff ff 0f 01 00` (7 bytes) declares 33.5 million
 * structs (33.5 million) and Yjs allocates an array for all of them before it notices the bytes run out (270 MB and
 * over a second of a blocked event loop). Every declared count here is held against the bytes that are
 * left (each struct, string, entry or value takes at least one byte), so an update that lies about its
 * size is refused after reading at most its own length, in time linear in that length, allocating
 * nothing. Browser-safe: lib0 only.
 *
 * The walk mirrors yjs' `readClientsStructRefs`, `readItemContent` and `readDeleteSet` (v1 decoders).
 */
import * as decoding from 'lib0/decoding'

export interface UpdateShape {
  /** Structs declared (GC, skip and items). */
  structs: number
  /** Delete-set ranges declared. */
  deletes: number
}

export type UpdateCheck = ({ ok: true } & UpdateShape) | { ok: false; reason: string }

export interface UpdateCheckOptions {
  /** Deepest nesting of arrays/objects allowed in `any` content (Y.Map/Y.Array values). Default 256. */
  maxContentDepth?: number
}

export const DEFAULT_MAX_CONTENT_DEPTH = 256

class Malformed extends Error {}

/** Bits of a struct's info byte (yjs' binary.BITS5/BIT6/BIT7/BIT8). */
const CONTENT_BITS = 0b11111
const HAS_PARENT_SUB = 0b100000
const HAS_RIGHT_ORIGIN = 0b1000000
const HAS_ORIGIN = 0b10000000

const CONTENT_GC = 0
const CONTENT_DELETED = 1
const CONTENT_JSON = 2
const CONTENT_BINARY = 3
const CONTENT_STRING = 4
const CONTENT_EMBED = 5
const CONTENT_FORMAT = 6
const CONTENT_TYPE = 7
const CONTENT_ANY = 8
const CONTENT_DOC = 9
const CONTENT_SKIP = 10

/** Type refs whose content carries a node name (YXmlElement, YXmlHook); refs above 6 do not exist. */
const TYPE_REF_WITH_KEY = new Set([3, 5])
const MAX_TYPE_REF = 6

const left = (decoder: decoding.Decoder): number => decoder.arr.length - decoder.pos

/** A count of things that each take at least `minBytes` must fit in what is left. */
const readCount = (decoder: decoding.Decoder, minBytes: number, what: string): number => {
  const n = readUint(decoder)
  if (n * minBytes > left(decoder)) throw new Malformed(`${what} count ${n} exceeds the ${left(decoder)} bytes left`)
  return n
}

const readUint = (decoder: decoding.Decoder): number => {
  try {
    return decoding.readVarUint(decoder)
  } catch {
    throw new Malformed('truncated or oversized integer')
  }
}

const skipBytes = (decoder: decoding.Decoder, what: string): void => {
  const n = readUint(decoder)
  if (n > left(decoder)) throw new Malformed(`${what} length ${n} exceeds the ${left(decoder)} bytes left`)
  decoder.pos += n
}

const readByte = (decoder: decoding.Decoder): number => {
  if (left(decoder) < 1) throw new Malformed('unexpected end of update')
  return decoding.readUint8(decoder)
}

const skipFixed = (decoder: decoding.Decoder, n: number): void => {
  if (n > left(decoder)) throw new Malformed('unexpected end of update')
  decoder.pos += n
}

const skipVarInt = (decoder: decoding.Decoder): void => {
  try {
    decoding.readVarInt(decoder)
  } catch {
    throw new Malformed('truncated or oversized integer')
  }
}

/** lib0 `readAny`, walked without building values; iterative so that nesting cannot exhaust the stack. */
const skipAny = (decoder: decoding.Decoder, maxDepth: number): void => {
  // Each frame: how many values are still to be read at that depth, and whether they are object entries.
  const stack: Array<{ remaining: number; keyed: boolean }> = [{ remaining: 1, keyed: false }]
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!
    if (top.remaining === 0) {
      stack.pop()
      continue
    }
    top.remaining--
    if (top.keyed) skipBytes(decoder, 'object key')
    const tag = readByte(decoder)
    switch (tag) {
      case 127: case 126: case 121: case 120: break // undefined, null, false, true
      case 125: skipVarInt(decoder); break
      case 124: skipFixed(decoder, 4); break
      case 123: case 122: skipFixed(decoder, 8); break
      case 119: case 116: skipBytes(decoder, 'string'); break // string, Uint8Array
      case 118: case 117: { // object, array
        if (stack.length >= maxDepth) throw new Malformed(`content nested deeper than ${maxDepth}`)
        // An object entry takes at least a key length and a tag; an array value at least a tag.
        const n = readCount(decoder, tag === 118 ? 2 : 1, tag === 118 ? 'object entry' : 'array value')
        stack.push({ remaining: n, keyed: tag === 118 })
        break
      }
      default: throw new Malformed(`unknown value tag ${tag}`)
    }
  }
}

const skipContent = (decoder: decoding.Decoder, content: number, maxDepth: number): void => {
  switch (content) {
    case CONTENT_DELETED: readUint(decoder); return
    case CONTENT_JSON: {
      const n = readCount(decoder, 1, 'JSON value')
      for (let i = 0; i < n; i++) skipBytes(decoder, 'JSON string')
      return
    }
    case CONTENT_BINARY: skipBytes(decoder, 'binary'); return
    case CONTENT_STRING: skipBytes(decoder, 'string'); return
    case CONTENT_EMBED: skipBytes(decoder, 'embed'); return
    case CONTENT_FORMAT: skipBytes(decoder, 'format key'); skipBytes(decoder, 'format value'); return
    case CONTENT_TYPE: {
      const ref = readUint(decoder)
      if (ref > MAX_TYPE_REF) throw new Malformed(`unknown type ref ${ref}`)
      if (TYPE_REF_WITH_KEY.has(ref)) skipBytes(decoder, 'node name')
      return
    }
    case CONTENT_ANY: {
      const n = readCount(decoder, 1, 'any value')
      for (let i = 0; i < n; i++) skipAny(decoder, maxDepth)
      return
    }
    case CONTENT_DOC: skipBytes(decoder, 'guid'); skipAny(decoder, maxDepth); return
    default: throw new Malformed(`unknown content ref ${content}`)
  }
}

const skipStruct = (decoder: decoding.Decoder, maxDepth: number): void => {
  const info = readByte(decoder)
  const content = info & CONTENT_BITS
  if (content > CONTENT_SKIP) throw new Malformed(`unknown content ref ${content}`)
  if (content === CONTENT_GC || content === CONTENT_SKIP) {
    readUint(decoder) // length in clock units: allocates nothing in Yjs
    return
  }
  if (info & HAS_ORIGIN) { readUint(decoder); readUint(decoder) }
  if (info & HAS_RIGHT_ORIGIN) { readUint(decoder); readUint(decoder) }
  if ((info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN)) === 0) {
    const parentIsKey = readUint(decoder) === 1
    if (parentIsKey) skipBytes(decoder, 'parent key')
    else { readUint(decoder); readUint(decoder) }
    if (info & HAS_PARENT_SUB) skipBytes(decoder, 'parent sub')
  }
  skipContent(decoder, content, maxDepth)
}

/** Walk an update (v1) and report its shape, or why it cannot be a well-formed update. */
export const checkUpdateV1 = (update: Uint8Array, options: UpdateCheckOptions = {}): UpdateCheck => {
  const maxDepth = options.maxContentDepth ?? DEFAULT_MAX_CONTENT_DEPTH
  const decoder = decoding.createDecoder(update)
  let structs = 0
  let deletes = 0
  try {
    // Per client: struct count, client id and first clock, so at least three bytes.
    const clients = readCount(decoder, 3, 'client')
    for (let c = 0; c < clients; c++) {
      const n = readCount(decoder, 1, 'struct')
      readUint(decoder) // client
      readUint(decoder) // clock
      for (let i = 0; i < n; i++) skipStruct(decoder, maxDepth)
      structs += n
    }
    // Delete set: per client id and range count; per range clock and length.
    const dsClients = readCount(decoder, 2, 'delete-set client')
    for (let c = 0; c < dsClients; c++) {
      readUint(decoder)
      const n = readCount(decoder, 2, 'delete range')
      for (let i = 0; i < n; i++) { readUint(decoder); readUint(decoder) }
      deletes += n
    }
  } catch (error) {
    if (error instanceof Malformed) return { ok: false, reason: error.message }
    throw error
  }
  return { ok: true, structs, deletes }
}
