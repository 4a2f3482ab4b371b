/**
 * Steps `handshake-subprotocol` and `handshake-query`: does the server accept the token at the upgrade,
 * and which subprotocol does it select? WireSocket rejects by accepting and then closing (contract §3),
 * so "accepted" means: open, and then either the server spoke or the socket stayed open `settleMs`.
 */
import { dial, type Transport } from './dial.ts'
import { describeEnd, ProbeSocket } from './probe-socket.ts'
import type { StepOutcome } from './step.ts'

export interface SocketVerdict {
  accepted: boolean
  /** What happened, in words. */
  seen: string
  protocol: string
  close: { code: number; reason: string } | null
  httpStatus: number | null
}

/** Open, wait for the verdict, and always close the socket again. */
export const probeHandshake = async (
  url: string,
  protocols: string[],
  origin: string | null,
  timeoutMs: number,
  settleMs: number
): Promise<SocketVerdict> => {
  const socket = new ProbeSocket(url, { protocols, origin, timeoutMs })
  try {
    if (!(await socket.settled(timeoutMs))) {
      return { accepted: false, seen: `no handshake within ${timeoutMs} ms`, protocol: '', close: null, httpStatus: null }
    }
    if (socket.opened) {
      const spoke = await socket.waitFor(() => socket.ended ? false : socket.messageCount > 0 ? true : undefined, settleMs)
      if (!socket.ended) {
        const seen = spoke === true ? 'accepted (the server sent the first frame)' : `accepted (open and quiet for ${settleMs} ms)`
        return { accepted: true, seen, protocol: socket.protocol, close: null, httpStatus: null }
      }
    }
    return { accepted: false, seen: describeEnd(socket), protocol: socket.protocol, close: socket.opened ? socket.closed ?? null : null, httpStatus: socket.httpStatus ?? null }
  } finally {
    await socket.dispose()
  }
}

/** ws's wording when a server selects no subprotocol although the client offered some. */
const NO_SUBPROTOCOL = 'Server sent no subprotocol'

export const checkHandshake = async (
  regionUrl: string,
  documentName: string,
  token: string,
  transport: Exclude<Transport, 'none'>,
  origin: string | null,
  timeoutMs: number,
  settleMs: number
): Promise<{ outcome: StepOutcome; accepted: boolean }> => {
  const target = dial(regionUrl, `/${documentName}`, token, transport)
  const verdict = await probeHandshake(target.url, target.protocols, origin, timeoutMs, settleMs)
  // Never print a selected protocol that is the token itself.
  const protocol = verdict.protocol === token ? '(the token)' : verdict.protocol
  const details = {
    transport,
    accepted: verdict.accepted,
    selectedProtocol: protocol === '' ? null : protocol,
    close: verdict.close,
    httpStatus: verdict.httpStatus,
  }
  const findings: string[] = []
  if (transport === 'subprotocol') {
    if (verdict.seen === NO_SUBPROTOCOL) {
      findings.push("The server selected no subprotocol although the client offered ['access_token', <JWT>]. Browsers fail such a handshake with 1006 (contract §3: the server must select access_token).")
    } else if (verdict.protocol === token) {
      findings.push('The server echoed the JWT as the selected subprotocol; it must select access_token and never echo the token.')
    } else if (verdict.protocol !== '' && verdict.protocol !== 'access_token') {
      findings.push(`The server selected "${verdict.protocol}"; the contract says access_token.`)
    }
  } else if (verdict.protocol !== '') {
    findings.push(`The server selected subprotocol "${protocol}" although none was offered.`)
  }
  if (verdict.close?.code === 4003) findings.push('The origin was refused (4003): add the origin host to the app\'s allowed domains, or pass the --origin your site really sends.')
  if (verdict.close?.code === 4002) findings.push('The token was refused (4002): it is expired or not signed by the tenant key this region trusts.')
  const status = !verdict.accepted ? 'fail' : findings.length > 0 ? 'warn' : 'pass'
  const selected = transport === 'subprotocol' ? `, selected subprotocol ${protocol === '' ? '(none)' : protocol}` : ''
  return { outcome: { status, summary: `${verdict.seen}${selected}`, details, findings }, accepted: verdict.accepted }
}
