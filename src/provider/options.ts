import type { HandoverMode } from './links.ts'
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { isValidDocumentName } from '../contract/document-name.ts'
import { DEV } from './dev.ts'
import type { GetToken } from './token.ts'
import type { TokenSource } from './token-source.ts'
import type { Framing } from './link.ts'

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
  /**
   * How the token travels at the handshake. Default `'subprotocol'` (keeps it out of URLs and logs).
   * `'in-band'`: only in the Hocuspocus framing's Auth message (a stock `@hocuspocus/server` reads it there).
   */
  tokenTransport?: 'subprotocol' | 'query' | 'in-band'
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
  /** How long (ms) the WebSocket handshake may take before the attempt is abandoned and retried. Default 10 000. */
  handshakeTimeout?: number
  /**
   * Replace the socket before its token expires (make-before-break), so that listeners and peers see no
   * disconnect: `'auto'` (default) once the server has closed a socket of this provider at expiry (4002
   * `Token expired`), `'always'` from the first token, `'never'`.
   */
  handover?: HandoverMode
  /** The wire format: `hocuspocusFraming` from `y-wiresocket/hocuspocus`. Default: y-websocket's, on a socket of its own. */
  framing?: Framing
  /**
   * A shared connection (`createSharedConnection` from `y-wiresocket/hocuspocus`): this document travels on
   * its socket with others, and uses its token. Instead of `getToken` and `tokenSource`.
   */
  connection?: Framing
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

type Check = (value: unknown) => boolean

/** How long the WebSocket handshake (and, in the Hocuspocus framing, authentication) may take. */
export const handshakeTimeout = (o: { handshakeTimeout?: number }): number => o.handshakeTimeout ?? 10_000

/** The longest delay timers honour: setTimeout fires at once for anything longer (2^31−1 ms, about 24.8 days). */
export const MAX_DELAY = 2 ** 31 - 1

/** Every option is optional: a check passes `undefined` and tests anything else. */
const optional = (test: Check): Check => v => v === undefined || test(v)
// eslint-disable-next-line valid-typeof -- `type` is one of typeof's answers, named by each rule below
const is = (type: string): Check => optional(v => typeof v === type)
export const delay = (min: number): Check => optional(v => typeof v === 'number' && v >= min && v <= MAX_DELAY)
/** What the error says a delay must be (the range `delay` checks). */
export const MS = (min: number): string => `a number of milliseconds from ${min} to ${MAX_DELAY}`
const strings = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.every(s => typeof s === 'string'))
const has = (method: string): Check => optional(v => typeof (v as Record<string, unknown> | null)?.[method] === 'function')

/**
 * The test each group of options must pass, what the error says they must be, and the options. Made
 * on demand, so that the production build, which leaves these checks out, does not carry the table.
 */
const rules = (milliseconds = delay(0)): Array<[Check, string, string]> => [
  [is('function'), DEV ? 'a function' : '', 'getToken shouldReconnect WebSocketPolyfill'],
  [is('boolean'), DEV ? 'a boolean' : '', 'connect disableBc discovery'],
  [milliseconds, DEV ? MS(0) : '', 'refreshMargin limitRetryDelay maxBackoffTime'],
  // a zero timeout would fail every call
  [delay(1), DEV ? MS(1) : '', 'tokenTimeout handshakeTimeout'],
  [v => v === -1 || milliseconds(v), DEV ? `${MS(0)}, or -1` : '', 'resyncInterval'],
  // RFC 7230 token characters: what a subprotocol name or a query key may safely be
  [optional(v => /^[\w!#$%&'*+.^`|~-]+$/.test(v as string)), DEV ? 'a subprotocol or query parameter name' : '', 'tokenProtocol tokenQueryParam'],
  [optional(v => v === 'subprotocol' || v === 'query' || v === 'in-band'), DEV ? '"subprotocol", "query" or "in-band"' : '', 'tokenTransport'],
  [optional(v => v === 'auto' || v === 'always' || v === 'never'), DEV ? '"auto", "always" or "never"' : '', 'handover'],
  [strings, DEV ? 'an array of strings' : '', 'protocols allowedRedirectHosts'],
  [optional(v => strings(Object.values(v as object))), DEV ? 'an object of strings' : '', 'params'],
  [has('hold'), DEV ? 'made by createTokenSource()' : '', 'tokenSource'],
  [has('dial'), DEV ? 'from y-wiresocket/hocuspocus' : '', 'framing connection'],
  [has('getStates'), DEV ? 'a y-protocols Awareness' : '', 'awareness'],
]

/** Throw naming what is wrong (`subject`) unless `ok`; what it must be is said in the development build only. */
export const check = (ok: boolean, subject: string, expected: string): void => {
  if (!ok) throw new TypeError(`${subject} ${DEV ? `must be ${expected}` : 'is invalid'}`)
}

const checkOption = (ok: boolean, option: string, expected: string): void => check(ok, `WireSocketProvider: option "${option}"`, expected)

/** Check every option `o` has against the rules above (a shared connection's options share them), naming `owner` in errors. */
export const checkRules = (o: Record<string, unknown>, owner: string): void => {
  if (!DEV) return
  for (const [test, expected, names] of rules()) {
    for (const key of names.split(' ')) check(test(o[key]), `${owner}: option "${key}"`, expected)
  }
}

/**
 * Validate everything at construction, so that a mistake fails loudly here and not at 3 a.m. in a
 * reconnect. The production build keeps the checks that data or the platform can fail (the URL, the
 * document name, a WebSocket to use) and leaves out the others, like React's prop checks: those values
 * are written in code, which the development build checked.
 */
export const validate = (serverUrl: unknown, documentName: unknown, doc: unknown, options: unknown): void => {
  let protocol: string | undefined
  try {
    protocol = new URL(serverUrl as string).protocol
  } catch {}
  checkOption(typeof serverUrl === 'string' && (protocol === 'ws:' || protocol === 'wss:'), 'serverUrl', DEV ? 'a ws:// or wss:// URL' : '')
  checkOption(isValidDocumentName(documentName), 'documentName', DEV ? '1 to 255 characters of A-Z, a-z, 0-9, _ and -' : '')
  if (DEV) {
    checkOption(typeof (doc as Y.Doc | null)?.clientID === 'number', 'doc', 'a Y.Doc')
    checkOption(typeof options === 'object' && options !== null, 'options', 'an object with getToken or tokenSource')
    const o = options as Record<string, unknown>
    checkOption([o.getToken, o.tokenSource, o.connection].filter(v => v !== undefined).length === 1, 'getToken', 'given, or tokenSource, or connection: exactly one')
    checkRules(o, 'WireSocketProvider')
    checkOption(o.tokenTransport !== 'in-band' || o.framing !== undefined, 'tokenTransport', '"subprotocol" or "query" (or "in-band", with the Hocuspocus framing)')
  }
  const o = options as Record<string, unknown>
  checkOption(o.WebSocketPolyfill !== undefined || o.connection !== undefined || typeof WebSocket === 'function', 'WebSocketPolyfill', DEV ? 'given where there is no global WebSocket (in Node: the ws package)' : '')
}
