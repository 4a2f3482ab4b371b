import { check, checkRules } from '../provider/options.ts'
import { DEV } from '../provider/dev.ts'
import type { WebSocketConstructor, WireSocketProviderOptions } from '../provider/options.ts'
import type { DialRequest, Framing } from '../provider/link.ts'
import { createTokenSource, type TokenSource } from '../provider/token-source.ts'
import { HocuspocusSocket, socketUrlOf } from './hocuspocus-socket.ts'
import { afterHocuspocusClose } from './policy.ts'

/**
 * The provider's options that concern the socket and the token, with the same meanings: on a shared
 * connection they belong here. `getToken` or `tokenSource`: one token serves every document.
 */
export type SharedConnectionOptions = Pick<WireSocketProviderOptions,
  'getToken' | 'tokenSource' | 'tokenTransport' | 'tokenProtocol' | 'tokenQueryParam' | 'refreshMargin' |
  'tokenTimeout' | 'handshakeTimeout' | 'protocols' | 'WebSocketPolyfill'>

/**
 * Several documents on one Hocuspocus-framed socket (`connection` option of `WireSocketProvider`). One
 * socket per region: a document redirected elsewhere moves to that region's socket.
 */
export interface SharedConnection extends Framing {
  /** The server URL its providers connect to. */
  readonly url: string
  readonly tokenSource: TokenSource
  /** Open sockets (one per region in use). */
  readonly sockets: number
  /** Destroy every provider made with this connection, and close its sockets. Final. */
  destroy(): void
}

/**
 * How long a socket whose last live document the server closed stays open for it to come back: a first 4002
 * is retried at once with a fresh token, so a backend round trip is enough.
 */
const LINGER = 5000

/** Options of the provider that belong to the shared connection when one is given. */
const SOCKET_OPTIONS: ReadonlyArray<keyof SharedConnectionOptions | 'framing'> = ['getToken', 'tokenSource', 'tokenTransport', 'tokenProtocol', 'tokenQueryParam', 'refreshMargin', 'tokenTimeout', 'handshakeTimeout', 'protocols', 'WebSocketPolyfill', 'framing']

const checkOption = (ok: boolean, option: string, expected: string): void => check(ok, `createSharedConnection: option "${option}"`, expected)

/**
 * @example
 * const shared = createSharedConnection('wss://eu-central-1.wiresocket.net', { getToken })
 * const a = new WireSocketProvider('wss://eu-central-1.wiresocket.net', 'doc-a', docA, { connection: shared })
 * const b = new WireSocketProvider('wss://eu-central-1.wiresocket.net', 'doc-b', docB, { connection: shared })
 */
export function createSharedConnection (url: string, options: SharedConnectionOptions): SharedConnection {
  let protocol: string | undefined
  try {
    protocol = new URL(url).protocol
  } catch {}
  check(typeof url === 'string' && (protocol === 'ws:' || protocol === 'wss:'), 'createSharedConnection: url', DEV ? 'a ws:// or wss:// URL' : '')
  checkOption(typeof options === 'object' && options !== null, 'options', DEV ? 'an object with getToken or tokenSource' : '')
  // the provider's rules, for the options the two share (the token's transport, timeouts, protocols, the polyfill)
  checkRules(options as Record<string, unknown>, 'createSharedConnection')
  checkOption((options.getToken === undefined) !== (options.tokenSource === undefined), 'getToken', DEV ? 'given, or tokenSource, but not both' : '')
  checkOption(typeof (options.WebSocketPolyfill ?? globalThis.WebSocket as WebSocketConstructor | undefined) === 'function', 'WebSocketPolyfill', DEV ? 'given where there is no global WebSocket (in Node: the ws package)' : '')
  const tokenSource = options.tokenSource ?? createTokenSource(options.getToken!, { refreshMargin: options.refreshMargin, timeout: options.tokenTimeout })
  const serverUrl = url.replace(/\/+$/, '')
  /** Open sockets by URL (without token): one per region and set of `params`. */
  const sockets = new Map<string, HocuspocusSocket>()
  const providers = new Set<{ destroy(): void }>()
  let destroyed = false

  const socketFor = (request: DialRequest): HocuspocusSocket => {
    const key = socketUrlOf(request).href
    const found = sockets.get(key)
    if (found !== undefined && !found.gone) return found
    const socket = new HocuspocusSocket(request, () => { if (sockets.get(key) === socket) sockets.delete(key) }, LINGER)
    sockets.set(key, socket)
    return socket
  }

  return {
    url: serverUrl,
    tokenSource,
    get sockets () { return sockets.size },
    dial (providerRequest, listener) {
      if (destroyed) throw new Error('createSharedConnection: destroyed')
      // the socket is the connection's: opened with its options, not the provider's
      const request: DialRequest = { ...providerRequest, options, protocols: options.protocols ?? [] }
      return socketFor(request).attach(request, listener)
    },
    afterClose: afterHocuspocusClose,
    validate (providerOptions, providerUrl) {
      const given = providerOptions as Record<string, unknown>
      check(!destroyed, 'WireSocketProvider: option "connection"', DEV ? 'a shared connection that is not destroyed' : '')
      check(providerUrl.replace(/\/+$/, '') === serverUrl, 'WireSocketProvider: option "connection"', DEV ? `a shared connection for ${providerUrl} (this one is for ${serverUrl})` : '')
      for (const name of SOCKET_OPTIONS) {
        check(given[name] === undefined, `WireSocketProvider: option "${name}"`, DEV ? 'left out with a shared connection (give it to createSharedConnection)' : '')
      }
    },
    adopt (provider) {
      providers.add(provider)
      return () => providers.delete(provider)
    },
    destroy () {
      if (destroyed) return
      destroyed = true
      // each provider leaves its socket; the last to leave closes it
      for (const provider of [...providers]) provider.destroy()
      for (const socket of sockets.values()) socket.close()
      sockets.clear()
    },
  }
}
