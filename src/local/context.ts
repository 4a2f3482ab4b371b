/** The state shared by every region server of one local dataplane (one process = one "cluster"). */
import type { WebSocket } from 'ws'
import type { DocumentStore } from './documents.ts'
import type { SlidingWindow } from './rate-limit.ts'
import type { Registry } from './registry.ts'
import type { DocumentSession, SessionLimits } from './document-session.ts'
import type { TokenIssuer } from './tokens.ts'
import type { HandshakeRecord, LocalApp } from './types.ts'

export interface ResolvedRateLimits {
  connectPerMinute: number
  discoveryPerMinute: number
  usagePerMinute: number
  jwksPer10Minutes: number
}

export interface DataplaneContext {
  registry: Registry
  issuer: TokenIssuer
  documents: DocumentStore
  /** Accepted sessions (one client on one document), across all regions and framings. */
  sessions: Set<DocumentSession>
  /** Every upgraded socket, accepted or being rejected, so that close()/dropConnections() reach all. */
  sockets: Set<WebSocket>
  /** Client sync updates per app key over a sliding 60 s window (4006). */
  opsWindow: SlidingWindow
  connectLimiter: SlidingWindow
  discoveryLimiter: SlidingWindow
  usageLimiter: SlidingWindow
  rateLimits: ResolvedRateLimits
  authenticate: boolean
  closeOnExpiry: boolean
  maxMessageBytes: number
  /** Bytes one socket may have queued before it is closed as a slow consumer. */
  maxBufferedBytes: number
  /** Milliseconds a socket on `/` may stay silent before its first frame (contract §6: 10 s). */
  firstFrameTimeout: number
  /** Documents one Hocuspocus socket may carry (open or being authenticated). */
  maxDocumentsPerSocket: number
  sessionLimits: SessionLimits
  defaultApp: () => LocalApp
  regionUrl: (region: string) => string | undefined
  /** Newest `maxHandshakeRecords` handshakes, tokens redacted: use `recordHandshake` to add. */
  handshakes: HandshakeRecord[]
  recordHandshake: (record: HandshakeRecord) => void
  now: () => number
  log: (line: string) => void
}
