/** Step `round-trip`: one Yjs update made on one connection arrives on a second one, timed. */
import { dial, type Transport } from './dial.ts'
import { HocuspocusPeer, YWebsocketPeer, type SyncPeer } from './peers.ts'
import { describeEnd } from './probe-socket.ts'
import type { StepOutcome } from './step.ts'
import type { Framing } from './types.ts'

export interface RoundTripInput {
  framing: Framing
  regionUrl: string
  documentName: string
  token: string
  transport: Exclude<Transport, 'none'>
  hocuspocusTokenInUrl: boolean
  origin: string | null
  timeoutMs: number
}

/**
 * A map keyed by a per-run marker: a document the doctor (or anyone) wrote to before must not make the
 * check fail, and the user's own shared types are never touched.
 */
const FIELD = 'wiresocket-doctor'

export const openPeer = (input: RoundTripInput, framing: 'y-websocket' | 'hocuspocus'): SyncPeer =>
  framing === 'y-websocket'
    ? new YWebsocketPeer(dial(input.regionUrl, `/${input.documentName}`, input.token, input.transport), input.origin, input.timeoutMs)
    : new HocuspocusPeer(dial(input.regionUrl, '', input.token, input.hocuspocusTokenInUrl ? 'query' : 'none'), input.documentName, input.token, input.origin, input.timeoutMs)

export const preferredFraming = (framing: Framing): 'y-websocket' | 'hocuspocus' | undefined =>
  framing === 'both' || framing === 'y-websocket' ? 'y-websocket' : framing === 'hocuspocus' ? 'hocuspocus' : undefined

const whyNotSynced = (peer: SyncPeer): string => {
  if (peer.auth?.kind === 'permission-denied') return `PermissionDenied "${peer.auth.reason}"`
  if (peer.garbled) return 'a frame that did not decode'
  if (peer.socket.ended) return describeEnd(peer.socket)
  return 'no sync step 2'
}

export const checkRoundTrip = async (input: RoundTripInput): Promise<StepOutcome> => {
  const framing = preferredFraming(input.framing)
  if (framing === undefined) return { status: 'skip', summary: 'no framing answered' }
  const a = openPeer(input, framing)
  const b = openPeer(input, framing)
  try {
    for (const [name, peer] of [['first', a], ['second', b]] as const) {
      const synced = await peer.socket.waitFor(() => peer.synced ? true : peer.socket.ended ? false : undefined, input.timeoutMs)
      if (synced !== true) {
        return { status: 'fail', summary: `${framing}: the ${name} connection did not sync (${synced === undefined ? `timeout ${input.timeoutMs} ms` : whyNotSynced(peer)})`, details: { framing } }
      }
    }
    const marker = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
    const sentAt = performance.now()
    a.doc.getMap<string>(FIELD).set(marker, 'round trip')
    const arrived = await b.socket.waitFor(() => b.doc.getMap<string>(FIELD).get(marker) === 'round trip' ? true : b.socket.ended ? false : undefined, input.timeoutMs)
    if (arrived !== true) {
      return {
        status: 'fail',
        summary: `${framing}: the update did not reach the second connection (${arrived === undefined ? `timeout ${input.timeoutMs} ms` : describeEnd(b.socket)})`,
        details: { framing, delivered: false },
        findings: ['Two connections to one document did not see each other\'s edit: collaboration would not work.'],
      }
    }
    const latencyMs = Math.round((performance.now() - sentAt) * 10) / 10
    return { status: 'pass', summary: `${framing}: update delivered to the second connection in ${latencyMs} ms`, details: { framing, delivered: true, latencyMs } }
  } finally {
    await Promise.all([a.destroy(), b.destroy()])
  }
}
