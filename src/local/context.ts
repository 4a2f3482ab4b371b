/**
 * The state shared by every region server of one local dataplane (one process = one "cluster"), in the
 * groups its parts ask for. Each module names the groups (or the fields of one) that it really uses;
 * `startLocalDataplane` builds one object holding them all and hands each part that object.
 */
import type { WebSocket } from 'ws'
import type { ResolvedRateLimits } from './dataplane-options.ts'
import type { DocumentStore } from './documents.ts'
import type { SlidingWindow } from './rate-limit.ts'
import type { Registry } from './registry.ts'
import type { DocumentSession, SessionLimits } from './document-session.ts'
import type { TokenIssuer } from './tokens.ts'
import type { HandshakeRecord, LocalApp } from './types.ts'

/** Who is connected to what. */
export interface LiveState {
  /** Accepted sessions (one client on one document), across all regions and framings. */
  sessions: Set<DocumentSession>
  documents: DocumentStore
}

/** Every upgraded socket, accepted or being rejected, so that close()/dropConnections() reach all. */
export interface OpenSockets {
  sockets: Set<WebSocket>
}

/** Whom tokens come from and how they are checked (what verify.ts's `VerifierDeps` asks for). */
export interface TokenAuthority {
  registry: Registry
  issuer: TokenIssuer
  now: () => number
}

/** How strictly clients are held to their tokens. */
export interface AccessPolicy {
  authenticate: boolean
  closeOnExpiry: boolean
  /** The app a client belongs to when it presented no token (authentication off). */
  defaultApp: () => LocalApp
}

export interface RateLimiting {
  /** Client sync updates per app key over a sliding 60 s window (4006). */
  opsWindow: SlidingWindow
  connectLimiter: SlidingWindow
  discoveryLimiter: SlidingWindow
  usageLimiter: SlidingWindow
  rateLimits: ResolvedRateLimits
}

/** Per-socket and per-client bounds. */
export interface SocketBounds {
  maxMessageBytes: number
  /** Bytes one socket may have queued before it is closed as a slow consumer. */
  maxBufferedBytes: number
  /** Milliseconds a socket on `/` may stay silent before its first frame (contract §6: 10 s). */
  firstFrameTimeout: number
  /** Documents one Hocuspocus socket may carry (open or being authenticated). */
  maxDocumentsPerSocket: number
  sessionLimits: SessionLimits
}

export interface Topology {
  regionUrl: (region: string) => string | undefined
}

export interface HandshakeLog {
  /** Keeps the newest `maxHandshakeRecords` handshakes; the record must already be redacted. */
  recordHandshake: (record: HandshakeRecord) => void
}

export interface Clock {
  now: () => number
}

export interface Logger {
  log: (line: string) => void
}

export interface DataplaneContext extends
  LiveState, OpenSockets, TokenAuthority, AccessPolicy, RateLimiting, SocketBounds, Topology, HandshakeLog, Clock, Logger {}
