/**
 * `LocalDataplaneOptions` checked and completed with their defaults, once, before anything is built:
 * every part of the dataplane reads the resolved values and none of them re-checks an option.
 */
import { WIRESOCKET_ISSUER } from '../contract/identity.ts'
import type { SessionLimits } from './document-session.ts'
import type { LocalDataplaneOptions, WireSocketLimits } from './types.ts'

export const DEFAULT_REGIONS = ['eu-central-1', 'us-east-1'] as const

/** Generous on purpose: local development and test suites should not trip plan limits by accident. */
export const DEFAULT_LIMITS: Required<WireSocketLimits> = {
  maxConnections: 1000,
  maxDocuments: 1000,
  maxUsersPerDoc: 100,
  opsPerMinute: 60_000,
}

export interface ResolvedRateLimits {
  connectPerMinute: number
  discoveryPerMinute: number
  usagePerMinute: number
  jwksPer10Minutes: number
}

const DEFAULT_RATE_LIMITS: ResolvedRateLimits = {
  connectPerMinute: 6000,
  discoveryPerMinute: 6000,
  usagePerMinute: 12,
  jwksPer10Minutes: 20,
}

/** Per-client bounds (issue 10); docs/limits.md says what each one stops. */
export const DEFAULT_BOUNDS = {
  maxBufferedBytes: 8 * 1024 * 1024,
  maxPendingBytes: 256 * 1024,
  maxPendingStructs: 32,
  maxContentDepth: 256,
  maxAwarenessStateBytes: 16 * 1024,
  maxAwarenessDepth: 32,
  maxAwarenessIds: 8,
  maxHandshakeRecords: 1000,
  maxDocumentsPerSocket: 256,
} as const

export interface ResolvedDataplaneOptions {
  host: string
  tokenPort: number
  regions: Array<{ name: string; port?: number }>
  issuer: string
  accessTokenTtl: number
  refreshTokenTtl: number
  limits: WireSocketLimits
  allowedDomains: string[]
  rateLimits: ResolvedRateLimits
  authenticate: boolean
  closeOnExpiry: boolean
  gracePeriod: number
  maxMessageBytes: number
  maxBufferedBytes: number
  firstFrameTimeout: number
  maxDocumentsPerSocket: number
  maxHandshakeRecords: number
  sessionLimits: SessionLimits
  now: () => number
  log: (line: string) => void
}

const nonNegative = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`)
  return value
}

const positiveInteger = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`)
  return value
}

const resolveRegions = (options: LocalDataplaneOptions): Array<{ name: string; port?: number }> => {
  const regions = options.regions ?? DEFAULT_REGIONS.map(name => ({ name }))
  if (regions.length === 0) throw new RangeError('at least one region is required')
  if (new Set(regions.map(r => r.name)).size !== regions.length) throw new RangeError('region names must be unique')
  return regions
}

const resolveRateLimits = (options: LocalDataplaneOptions): ResolvedRateLimits => {
  const rateLimits: ResolvedRateLimits = { ...DEFAULT_RATE_LIMITS }
  for (const [key, value] of Object.entries(options.rateLimits ?? {}) as Array<[keyof ResolvedRateLimits, number | undefined]>) {
    rateLimits[key] = nonNegative(value, DEFAULT_RATE_LIMITS[key], `rateLimits.${key}`)
  }
  return rateLimits
}

/** Throws a `RangeError` naming the first invalid option; the checks run in the order they always have. */
export const resolveDataplaneOptions = (options: LocalDataplaneOptions): ResolvedDataplaneOptions => {
  const accessTokenTtl = nonNegative(options.accessTokenTtl, 900, 'accessTokenTtl')
  const refreshTokenTtl = nonNegative(options.refreshTokenTtl, 7 * 24 * 3600, 'refreshTokenTtl')
  const regions = resolveRegions(options)
  const rateLimits = resolveRateLimits(options)
  const bound = (name: keyof typeof DEFAULT_BOUNDS): number => positiveInteger(options[name], DEFAULT_BOUNDS[name], name)
  const maxHandshakeRecords = bound('maxHandshakeRecords')
  const sessionLimits: SessionLimits = {
    maxPendingBytes: bound('maxPendingBytes'),
    maxPendingStructs: bound('maxPendingStructs'),
    maxContentDepth: bound('maxContentDepth'),
    awareness: {
      maxStateBytes: bound('maxAwarenessStateBytes'),
      maxStateDepth: bound('maxAwarenessDepth'),
      maxIdsPerPeer: bound('maxAwarenessIds'),
    },
  }
  const maxBufferedBytes = bound('maxBufferedBytes')
  return {
    host: options.host ?? '127.0.0.1',
    tokenPort: options.tokenPort ?? 0,
    regions,
    issuer: options.issuer ?? WIRESOCKET_ISSUER,
    accessTokenTtl,
    refreshTokenTtl,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    allowedDomains: options.allowedDomains ?? [],
    rateLimits,
    authenticate: options.authenticate ?? true,
    closeOnExpiry: options.closeOnExpiry ?? true,
    gracePeriod: nonNegative(options.gracePeriod, 10_000, 'gracePeriod'),
    maxMessageBytes: nonNegative(options.maxMessageBytes, 16 * 1024 * 1024, 'maxMessageBytes'),
    maxBufferedBytes,
    firstFrameTimeout: positiveInteger(options.firstFrameTimeout, 10_000, 'firstFrameTimeout'),
    maxDocumentsPerSocket: bound('maxDocumentsPerSocket'),
    maxHandshakeRecords,
    sessionLimits,
    now: options.now ?? Date.now,
    log: options.log ?? ((): void => {}),
  }
}
