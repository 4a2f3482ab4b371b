/** Close reasons as `ws` accepts them. */
import { MAX_CLOSE_REASON_BYTES } from '../contract/close-codes.ts'

/** RFC 6455 caps a reason at 123 bytes and `ws` throws beyond that: cut by bytes, never mid-character. */
export const fitReason = (reason: string): string => {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason
  let out = ''
  for (const ch of reason) {
    if (Buffer.byteLength(out + ch) > MAX_CLOSE_REASON_BYTES) break
    out += ch
  }
  return out
}
