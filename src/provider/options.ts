import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { isValidDocumentName } from '../contract/document-name.ts'
import type { GetToken } from './token.ts'
import type { TokenSource } from './token-source.ts'

/** The parts of a WebSocket the provider uses; the browser's `WebSocket` and Node's `ws` both fit. */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  send(data: Uint8Array<ArrayBuffer>): void
  close(code?: number, reason?: string): void
  // `never` parameters accept any implementation's event type; the provider narrows what it reads.
  onopen: ((event: never) => void) | null
  onmessage: ((event: never) => void) | null
  onerror: ((event: never) => void) | null
  onclose: ((event: never) => void) | null
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike

/** What the provider reads of a close event (the browser's `CloseEvent` and `ws`'s both fit). */
export interface CloseEventLike {
  readonly code: number
  readonly reason: string
}

export interface WireSocketProviderOptions<P = unknown> {
  /** Fetch a token from your backend. Either this or `tokenSource`. */
  getToken?: GetToken
  /** A source shared by several providers (`createTokenSource`): one token and one call for all. */
  tokenSource?: TokenSource
  /** How the token travels at the handshake. Default `'subprotocol'` (keeps it out of URLs and logs). */
  tokenTransport?: 'subprotocol' | 'query'
  /** Subprotocol name offered before the token. Default `'access_token'`. */
  tokenProtocol?: string
  /** Query parameter name for `tokenTransport: 'query'`. Default `'token'`. */
  tokenQueryParam?: string
  /** How long before expiry (ms) a fresh token is fetched in the background. Default 30 000. */
  refreshMargin?: number
  /** How long (ms) a `getToken` call may take. Default 10 000. */
  tokenTimeout?: number
  /** Ask `/discovery` for the document's region before the first connection. Default false (follow 4009). */
  discovery?: boolean
  /** Hosts a 4009 redirect may lead to: `host`, `host:port` or `*.domain`. Default: see README. */
  allowedRedirectHosts?: readonly string[]
  /** Shortest wait (ms) after a plan-limit close (4004, 4005, 4006, 4008). Default 30 000, as WireSocket asks. */
  limitRetryDelay?: number
  // ---- y-websocket's options, same meaning ----
  connect?: boolean
  awareness?: Awareness
  params?: Record<string, string>
  protocols?: string[]
  WebSocketPolyfill?: WebSocketConstructor
  resyncInterval?: number
  maxBackoffTime?: number
  disableBc?: boolean
  shouldReconnect?: (event: CloseEventLike, provider: P) => boolean
}

const fail = (option: string, expected: string): never => {
  throw new TypeError(`WireSocketProvider: option "${option}" must be ${expected}`)
}
const check = (ok: boolean, option: string, expected: string): void => {
  if (!ok) fail(option, expected)
}
const optional = (value: unknown, type: string): boolean => value === undefined || typeof value === type
const nonNegative = (value: unknown): boolean => value === undefined || (typeof value === 'number' && value >= 0 && Number.isFinite(value))

/** Validate everything at construction, so that a mistake fails loudly here and not at 3 a.m. in a reconnect. */
export const validate = (serverUrl: unknown, documentName: unknown, doc: unknown, options: unknown): URL => {
  let url: URL | undefined
  try {
    url = new URL(String(serverUrl))
  } catch {}
  check(typeof serverUrl === 'string' && (url?.protocol === 'ws:' || url?.protocol === 'wss:'), 'serverUrl', 'a ws:// or wss:// URL')
  check(isValidDocumentName(documentName), 'documentName', '1 to 255 characters of A-Z, a-z, 0-9, _ and -')
  check(typeof (doc as Y.Doc | null)?.on === 'function' && typeof (doc as Y.Doc).clientID === 'number', 'doc', 'a Y.Doc')
  check(typeof options === 'object' && options !== null, 'options', 'an object with getToken or tokenSource')
  const o = options as Record<keyof WireSocketProviderOptions, unknown>
  check((o.getToken === undefined) !== (o.tokenSource === undefined), 'getToken', 'given (a function), or tokenSource, but not both')
  check(optional(o.getToken, 'function'), 'getToken', 'a function returning a promise of a token')
  check(o.tokenSource === undefined || typeof (o.tokenSource as TokenSource).get === 'function', 'tokenSource', 'made by createTokenSource()')
  check(o.tokenTransport === undefined || o.tokenTransport === 'subprotocol' || o.tokenTransport === 'query', 'tokenTransport', '"subprotocol" or "query"')
  for (const name of ['tokenProtocol', 'tokenQueryParam'] as const) {
    check(o[name] === undefined || (typeof o[name] === 'string' && /^[!#$%&'*+.^_`|~\w-]+$/.test(o[name])), name, 'a non-empty token string')
  }
  for (const name of ['refreshMargin', 'tokenTimeout', 'limitRetryDelay', 'maxBackoffTime', 'resyncInterval'] as const) {
    check(nonNegative(o[name]) || (name === 'resyncInterval' && o[name] === -1), name, 'a non-negative number of milliseconds')
  }
  for (const name of ['discovery', 'connect', 'disableBc'] as const) check(optional(o[name], 'boolean'), name, 'a boolean')
  for (const name of ['WebSocketPolyfill', 'shouldReconnect'] as const) check(optional(o[name], 'function'), name, 'a function')
  const isStrings = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.every(s => typeof s === 'string'))
  check(isStrings(o.protocols), 'protocols', 'an array of strings')
  check(isStrings(o.allowedRedirectHosts), 'allowedRedirectHosts', 'an array of host patterns')
  check(o.params === undefined || (typeof o.params === 'object' && o.params !== null && Object.values(o.params).every(v => typeof v === 'string')), 'params', 'an object of strings')
  check(o.awareness === undefined || typeof (o.awareness as Awareness).getStates === 'function', 'awareness', 'a y-protocols Awareness')
  if (o.WebSocketPolyfill === undefined) check(typeof WebSocket === 'function', 'WebSocketPolyfill', 'given where there is no global WebSocket (Node 20: the `ws` package)')
  return url as URL
}
