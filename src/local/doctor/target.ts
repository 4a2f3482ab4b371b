/** Turns the doctor's options into the hosts it may contact, validating each option by name. */
import { isValidDocumentName } from '../../contract/document-name.ts'
import type { DoctorOptions, DoctorTarget } from './types.ts'

/** Contract §1. */
export const DEFAULT_TOKEN_URL = 'https://api.wiresocket.com/connect/token'
/** Contract §3: `wss://{region}.wiresocket.net`. */
const REGION_HOST_SUFFIX = '.wiresocket.net'

const REGION_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

export interface ResolvedTarget extends DoctorTarget {
  /** ws(s)://host[:port], no trailing slash. */
  regionUrl: string
  /** http(s)://host[:port], no trailing slash. */
  httpUrl: string
  timeoutMs: number
  settleMs: number
  expiryMarginMs: number
}

export class DoctorOptionError extends Error {
  override name = 'DoctorOptionError'
}

const randomDocumentName = (): string => `doctor-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`

const parseRegion = (region: string): { name: string | null; ws: string; http: string } => {
  if (REGION_NAME.test(region)) {
    const host = `${region}${REGION_HOST_SUFFIX}`
    return { name: region, ws: `wss://${host}`, http: `https://${host}` }
  }
  let url: URL
  try {
    url = new URL(region)
  } catch {
    throw new DoctorOptionError('region must be a region name such as eu-central-1 or a ws(s):// or http(s):// URL')
  }
  const secure = url.protocol === 'wss:' || url.protocol === 'https:'
  if (!secure && url.protocol !== 'ws:' && url.protocol !== 'http:') throw new DoctorOptionError('region URL must use ws:, wss:, http: or https:')
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new DoctorOptionError('region URL must be the bare host, e.g. wss://eu-central-1.wiresocket.net (the document name goes in documentName)')
  }
  const name = url.hostname.endsWith(REGION_HOST_SUFFIX) ? url.hostname.slice(0, -REGION_HOST_SUFFIX.length) : null
  return { name, ws: `${secure ? 'wss' : 'ws'}://${url.host}`, http: `${secure ? 'https' : 'http'}://${url.host}` }
}

const positiveMs = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0) throw new DoctorOptionError(`${name} must be a positive number of milliseconds`)
  return value
}

export const resolveTarget = (options: DoctorOptions): ResolvedTarget => {
  if (typeof options.region !== 'string' || options.region === '') throw new DoctorOptionError('region is required')
  const region = parseRegion(options.region)
  const hasToken = options.token !== undefined
  const hasCredentials = options.clientId !== undefined || options.clientSecret !== undefined
  if (hasToken && hasCredentials) throw new DoctorOptionError('token and clientId/clientSecret are exclusive: give one')
  if (!hasToken && !hasCredentials) throw new DoctorOptionError('token or clientId and clientSecret are required')
  if (hasToken && options.token === '') throw new DoctorOptionError('token is empty')
  if (hasCredentials && (!options.clientId || !options.clientSecret)) throw new DoctorOptionError('clientId and clientSecret are both required')
  let tokenUrl: string | null = null
  if (!hasToken) {
    tokenUrl = options.tokenUrl ?? DEFAULT_TOKEN_URL
    let parsed: URL
    try {
      parsed = new URL(tokenUrl)
    } catch {
      throw new DoctorOptionError('tokenUrl must be an http(s) URL')
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new DoctorOptionError('tokenUrl must be an http(s) URL')
  } else if (options.tokenUrl !== undefined) {
    throw new DoctorOptionError('tokenUrl is only used with clientId/clientSecret')
  }
  const documentName = options.documentName ?? randomDocumentName()
  if (!isValidDocumentName(documentName)) throw new DoctorOptionError('documentName must be 1-255 characters of A-Z a-z 0-9 _ -')
  if (options.origin !== undefined) {
    let origin: URL
    try {
      origin = new URL(options.origin)
    } catch {
      throw new DoctorOptionError('origin must be a URL origin such as https://app.example.com')
    }
    if (origin.origin !== options.origin.replace(/\/$/, '')) throw new DoctorOptionError('origin must be scheme://host[:port] with no path')
  }
  return {
    region: region.name,
    regionUrl: region.ws,
    httpUrl: region.http,
    tokenUrl,
    credentials: hasToken ? 'token' : 'client-credentials',
    documentName,
    origin: options.origin?.replace(/\/$/, '') ?? null,
    timeoutMs: positiveMs(options.timeoutMs, 5000, 'timeoutMs'),
    settleMs: positiveMs(options.settleMs, 750, 'settleMs'),
    expiryMarginMs: positiveMs(options.expiryMarginMs, 15_000, 'expiryMarginMs'),
  }
}

/** Contract §3: `localhost` among allowed domains is a development setting. */
export const isLoopbackHost = (host: string): boolean => {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare.endsWith('.localhost') || bare === '::1' || /^127\./.test(bare)
}
