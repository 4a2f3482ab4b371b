/**
 * Step `expiry` (opt-in): keep one synced socket open past the token's `exp` and report whether the
 * server closes it, when, and with what (contract §3: 4002 "Token expired", or kept as the hosted
 * service is documented to do). Bounded by `exp + marginMs`; the token is never refreshed.
 */
import { openPeer, preferredFraming, type RoundTripInput } from './round-trip-check.ts'
import { describeEnd } from './probe-socket.ts'
import type { StepOutcome } from './step.ts'
import type { JsonValue } from './types.ts'

export const checkExpiry = async (input: RoundTripInput, expSeconds: number | undefined, marginMs: number, now: () => number = Date.now): Promise<StepOutcome> => {
  const framing = preferredFraming(input.framing)
  if (framing === undefined) return { status: 'skip', summary: 'no framing answered' }
  if (expSeconds === undefined) return { status: 'skip', summary: 'the token has no exp' }
  const expMs = expSeconds * 1000
  const peer = openPeer(input, framing)
  try {
    const synced = await peer.socket.waitFor(() => peer.synced ? true : peer.socket.ended ? false : undefined, input.timeoutMs)
    if (synced !== true) return { status: 'fail', summary: `could not open a synced ${framing} connection to watch (${describeEnd(peer.socket)})` }
    const deadline = expMs + marginMs - now()
    const ended = await peer.socket.waitFor(() => peer.socket.ended || peer.closeFrame !== undefined ? true : undefined, Math.max(0, deadline))
    const atSeconds = Math.round((now() - expMs) / 100) / 10
    const relative = atSeconds >= 0 ? `${atSeconds} s after exp` : `${-atSeconds} s before exp`
    if (ended !== true) {
      return {
        status: 'pass',
        summary: `kept open ${Math.round(marginMs / 1000)} s past exp (the server does not close sessions at expiry)`,
        details: { framing, closedByServer: false, watchedPastExpSeconds: Math.round(marginMs / 1000) },
      }
    }
    const close: { [key: string]: JsonValue } = peer.closeFrame !== undefined
      ? { frame: 'CLOSE', reason: peer.closeFrame }
      : { code: peer.socket.closed?.code ?? null, reason: peer.socket.closed?.reason ?? null }
    const seen = peer.closeFrame !== undefined ? `Hocuspocus CLOSE "${peer.closeFrame}"` : describeEnd(peer.socket)
    const expected = peer.closeFrame !== undefined ? peer.closeFrame === '4002 Token expired' : peer.socket.closed?.code === 4002 && peer.socket.closed.reason === 'Token expired'
    const early = atSeconds < -1
    const findings: string[] = []
    if (!expected) findings.push(`Contract: at exp, close 4002 "Token expired" (or keep the session); seen: ${seen}.`)
    if (early) findings.push(`The server closed the socket ${-atSeconds} s before the token's exp.`)
    return {
      status: findings.length > 0 ? 'warn' : 'pass',
      summary: `${seen}, ${relative}`,
      details: { framing, closedByServer: true, close, secondsAfterExp: atSeconds },
      findings,
    }
  } finally {
    await peer.destroy()
  }
}
