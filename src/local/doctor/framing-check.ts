/**
 * Step `framing`: which wire framing the server speaks, found by speaking each (contract §3, §6).
 * - y-websocket: on `/{doc}`, send sync step 1; a well-formed sync step 1 or 2 back means yes.
 * - Hocuspocus: on the bare region URL, send `Auth(doc, token)`; `Authenticated` means yes. The probe
 *   presents no token at the upgrade, as `@hocuspocus/provider` does by default; if the server closes
 *   the socket for that, it tries once more with `?token=` (which the same docs allow).
 */
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { messageYjsSyncStep1, messageYjsSyncStep2, writeSyncStep1 } from 'y-protocols/sync'
import { messageSync } from '../../contract/messages.ts'
import { dial, type Dial, type Transport } from './dial.ts'
import { addresses, decodeFrame, encodeAuth, PONG, type AuthReply } from './hocuspocus-frames.ts'
import { describeEnd, ProbeSocket } from './probe-socket.ts'
import type { StepOutcome } from './step.ts'
import type { Framing, JsonValue } from './types.ts'

/** True only for a complete, valid y-websocket sync step 1 or step 2: nothing else looks like one. */
export const isYWebsocketSyncReply = (bytes: Uint8Array): boolean => {
  try {
    const decoder = decoding.createDecoder(bytes)
    if (decoding.readVarUint(decoder) !== messageSync) return false
    const syncType = decoding.readVarUint(decoder)
    if (syncType !== messageYjsSyncStep1 && syncType !== messageYjsSyncStep2) return false
    const payload = decoding.readVarUint8Array(decoder)
    if (decoding.hasContent(decoder)) return false
    if (syncType === messageYjsSyncStep1) Y.decodeStateVector(payload)
    else {
      const scratch = new Y.Doc()
      try {
        Y.applyUpdate(scratch, payload)
      } finally {
        scratch.destroy()
      }
    }
    return true
  } catch {
    return false
  }
}

const syncStep1 = (): Uint8Array => {
  const doc = new Y.Doc()
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, messageSync)
  writeSyncStep1(encoder, doc)
  doc.destroy()
  return encoding.toUint8Array(encoder)
}

export interface ProbeResult { speaks: boolean; seen: string }

export const probeYWebsocket = async (target: Dial, origin: string | null, timeoutMs: number): Promise<ProbeResult> => {
  const socket = new ProbeSocket(target.url, { protocols: target.protocols, origin, timeoutMs })
  let syncReply = false
  socket.onMessage = bytes => {
    if (isYWebsocketSyncReply(bytes)) syncReply = true
  }
  try {
    if (!(await socket.settled(timeoutMs)) || !socket.opened) return { speaks: false, seen: socket.ended ? describeEnd(socket) : `no handshake within ${timeoutMs} ms` }
    socket.send(syncStep1())
    const replied = await socket.waitFor(() => syncReply ? true : socket.ended ? false : undefined, timeoutMs)
    if (replied === true) return { speaks: true, seen: 'sync reply received' }
    if (socket.ended) return { speaks: false, seen: `no sync reply; ${describeEnd(socket)}` }
    return { speaks: false, seen: `no sync reply within ${timeoutMs} ms (${socket.messageCount} other frame(s))` }
  } finally {
    await socket.dispose()
  }
}

export interface HocuspocusProbeResult extends ProbeResult {
  /** Whether the token had to go in the URL for the socket to stay open. */
  upgradeToken: boolean
  reply: AuthReply | null
}

/** One socket, one Auth frame, the answer (or how the socket ended); the socket is closed again. */
export const authOnce = async (target: Dial, documentName: string, token: string, origin: string | null, timeoutMs: number): Promise<{ reply: AuthReply | undefined; socket: ProbeSocket }> => {
  const socket = new ProbeSocket(target.url, { protocols: target.protocols, origin, timeoutMs })
  let reply: AuthReply | undefined
  socket.onMessage = bytes => {
    const frame = decodeFrame(bytes)
    if (frame.kind === 'ping') socket.send(PONG)
    else if (frame.kind === 'auth' && addresses(frame.address, documentName) && frame.reply.kind !== 'token-request') reply = frame.reply
  }
  try {
    if ((await socket.settled(timeoutMs)) && socket.opened) {
      socket.send(encodeAuth(documentName, token))
      await socket.waitFor(() => reply !== undefined || socket.ended ? true : undefined, timeoutMs)
    }
    return { reply, socket }
  } finally {
    await socket.dispose()
  }
}

export const describeAuth = (reply: AuthReply | undefined, socket: ProbeSocket, timeoutMs: number): string => {
  if (reply?.kind === 'authenticated') return `Authenticated (scope ${reply.scope})`
  if (reply?.kind === 'permission-denied') return `PermissionDenied "${reply.reason}"`
  if (socket.ended) return `no Auth answer; ${describeEnd(socket)}`
  return `no Auth answer within ${timeoutMs} ms`
}

export const probeHocuspocus = async (regionUrl: string, documentName: string, token: string, origin: string | null, timeoutMs: number): Promise<HocuspocusProbeResult> => {
  const bare = await authOnce(dial(regionUrl, '', undefined, 'none'), documentName, token, origin, timeoutMs)
  const first = describeAuth(bare.reply, bare.socket, timeoutMs)
  if (bare.reply !== undefined || !bare.socket.ended) {
    return { speaks: bare.reply?.kind === 'authenticated', seen: first, upgradeToken: false, reply: bare.reply ?? null }
  }
  const withQuery = await authOnce(dial(regionUrl, '', token, 'query'), documentName, token, origin, timeoutMs)
  const second = describeAuth(withQuery.reply, withQuery.socket, timeoutMs)
  return {
    speaks: withQuery.reply?.kind === 'authenticated',
    seen: `without a token at the upgrade: ${first}; with ?token=: ${second}`,
    upgradeToken: true,
    reply: withQuery.reply ?? null,
  }
}

const framingOf = (yWebsocket: boolean, hocuspocus: boolean): Framing =>
  yWebsocket && hocuspocus ? 'both' : yWebsocket ? 'y-websocket' : hocuspocus ? 'hocuspocus' : 'neither'

export const checkFraming = async (
  regionUrl: string,
  documentName: string,
  token: string,
  transport: Exclude<Transport, 'none'>,
  origin: string | null,
  timeoutMs: number
): Promise<{ outcome: StepOutcome; framing: Framing; hocuspocusNeedsUpgradeToken: boolean }> => {
  const y = await probeYWebsocket(dial(regionUrl, `/${documentName}`, token, transport), origin, timeoutMs)
  const h = await probeHocuspocus(regionUrl, documentName, token, origin, timeoutMs)
  const framing = framingOf(y.speaks, h.speaks)
  const findings: string[] = []
  if (h.speaks && h.upgradeToken) findings.push('Hocuspocus framing works only with ?token= in the URL: a stock HocuspocusProviderWebsocket without it is refused.')
  if (h.reply?.kind === 'permission-denied') findings.push(`The server speaks Hocuspocus framing but refused the Auth: "${h.reply.reason}".`)
  if (framing === 'neither') findings.push('No framing answered: a provider cannot sync with this server and token.')
  const details: { [key: string]: JsonValue } = {
    detected: framing,
    yWebsocket: { speaks: y.speaks, seen: y.seen, transport },
    hocuspocus: { speaks: h.speaks, seen: h.seen, tokenInUrl: h.upgradeToken },
  }
  return {
    outcome: {
      // One framing is enough for a provider configured for it; which one is the observation itself.
      status: framing === 'neither' ? 'fail' : findings.length > 0 ? 'warn' : 'pass',
      summary: `${framing} (y-websocket: ${y.seen}; hocuspocus: ${h.seen})`,
      details,
      findings,
    },
    framing,
    hocuspocusNeedsUpgradeToken: h.upgradeToken,
  }
}
