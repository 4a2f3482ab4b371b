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
  /** Raw request path and query as the server saw it (kept in memory only, never logged). */
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
