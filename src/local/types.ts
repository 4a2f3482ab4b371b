/**
 * Public types of the local dataplane. They live apart from the implementation so that every module
 * (and the browser-test bridge, which only imports types) can use them without import cycles.
 */
import type * as Y from 'yjs'
import type { WireSocketLimits } from '../contract/claims.ts'

export type { WireSocketLimits }

export interface RateLimitOptions {
  /** WebSocket upgrades per IP per minute (contract: 60; generous by default for local use). */
  connectPerMinute?: number
  /** `/discovery` requests per IP per minute (contract: 60; generous by default for local use). */
  discoveryPerMinute?: number
  /** `/usage` requests per IP per minute (contract: 12). */
  usagePerMinute?: number
  /** JWKS requests per IP per 10 minutes (contract: 20). */
  jwksPer10Minutes?: number
}

export interface LocalDataplaneOptions {
  host?: string
  regions?: Array<{ name: string; port?: number }>
  tokenPort?: number
  issuer?: string
  accessTokenTtl?: number
  refreshTokenTtl?: number
  limits?: WireSocketLimits
  allowedDomains?: string[]
  closeOnExpiry?: boolean
  gracePeriod?: number
  rateLimits?: RateLimitOptions
  authenticate?: boolean
  maxMessageBytes?: number
  /**
   * Bytes one socket may have queued (`ws.bufferedAmount`) before the next frame for it closes it 1013
   * as a slow consumer. The first frame (a document's full state) always goes. Default 8 MiB.
   */
  maxBufferedBytes?: number
  /**
   * Bytes of updates with missing dependencies one document may hold (Yjs re-merges them with every new
   * update). The update that grows it past this closes its sender 1007 and the pending state is dropped.
   * Default 256 KiB.
   */
  maxPendingBytes?: number
  /**
   * Structs (and delete ranges) one document may receive while it holds such pending state; each one
   * makes every later update cost more. Past it, as for `maxPendingBytes`. Default 32.
   */
  maxPendingStructs?: number
  /** Nesting of arrays/objects inside Y.Map/Y.Array values of one update; deeper closes 1007. Default 256. */
  maxContentDepth?: number
  /** Bytes of one client's awareness state (JSON); larger closes 1008. Default 16 KiB. */
  maxAwarenessStateBytes?: number
  /** Nesting of one awareness state; deeper closes 1008. Default 32. */
  maxAwarenessDepth?: number
  /** Awareness client ids one connection may announce on one document; more closes 1008. Default 8. */
  maxAwarenessIds?: number
  /**
   * Milliseconds a socket on `/` (Hocuspocus framing, contract §6) may stay silent before its first
   * frame; then 4001 `Missing token` (no token at the upgrade) or 4007. Default 10 000.
   */
  firstFrameTimeout?: number
  /**
   * Documents one Hocuspocus-framed socket may carry at once; the Auth of one more is answered
   * `PermissionDenied` `1008 More than 256 documents on one socket`. Default 256.
   */
  maxDocumentsPerSocket?: number
  /** Handshake records kept in `handshakes` (newest win). Default 1000. */
  maxHandshakeRecords?: number
  now?: () => number
  log?: (line: string) => void
}

export interface LocalApp {
  clientId: string
  clientSecret: string
  tenantId: string
  appId: string
  allowedDomains: string[]
  limits: WireSocketLimits
}

export type HandshakeTransport = 'subprotocol' | 'query' | 'header' | 'none'

export interface HandshakeRecord {
  region: string
  /**
   * Request path and query as the server saw it, with the values of `token` and `access_token` redacted
   * (a JWT keeps its header segment, which holds no secret: `token=eyJhbGciOi….[redacted]`).
   */
  url: string
  origin: string | null
  transport: HandshakeTransport
  /** Whether the upgrade request carried a `Sec-WebSocket-Protocol` header at all. */
  protocolHeader: boolean
  outcome: 'accepted' | { code: number; reason: string }
}

export interface TokenRequestRecord {
  grantType: string
  clientId?: string
  status: number
  error?: string
}

export type SignWith = 'tenant' | 'foreign' | 'none'

export interface MintTokenOptions {
  ttl?: number
  claims?: Record<string, unknown>
  app?: LocalApp
  signWith?: SignWith
}

export interface LocalRegionInfo {
  name: string
  url: string
  httpUrl: string
}

export interface LocalDataplane {
  regions: LocalRegionInfo[]
  httpUrl(region: string): string
  apiUrl: string
  tokenUrl: string
  jwksUrl(tenantId?: string): string
  app: LocalApp
  addApp(opts?: Partial<LocalApp>): LocalApp
  mintToken(opts?: MintTokenOptions): Promise<string>
  dropConnections(): void
  expireTokens(app?: LocalApp): void
  moveDocument(documentName: string, region: string, app?: LocalApp): void
  tripRateLimit(app?: LocalApp): void
  rotateKeys(tenantId?: string): Promise<void>
  getDocument(documentName: string, app?: LocalApp): Y.Doc | undefined
  readonly handshakes: HandshakeRecord[]
  readonly tokenRequests: TokenRequestRecord[]
  stats(): { connections: number; documents: number }
  close(): Promise<void>
}
