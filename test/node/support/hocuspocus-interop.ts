/**
 * Helpers for the Hocuspocus-framing tests of WireSocketProvider: a shared connection whose getToken is
 * counted, documents on it, and waiting for presence (awareness) without polling.
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import { WireSocketProvider, type WireSocketProviderOptions } from '../../../src/index.ts'
import { createSharedConnection, type SharedConnection, type SharedConnectionOptions } from '../../../src/hocuspocus/index.ts'
import type { LocalDataplane, MintTokenOptions } from '../../../src/local/index.ts'
import type { Client } from './provider-harness.ts'

export interface SharedClient {
  shared: SharedConnection
  /** getToken calls made so far */
  readonly tokenCalls: number
  /** A provider for `name` on this connection (URL = the connection's). */
  open(name: string, options?: Partial<WireSocketProviderOptions<WireSocketProvider>>): Client
  /** Every provider opened so far. */
  readonly clients: Client[]
  destroy(): void
}

/**
 * A shared connection to `url` whose getToken mints from the dataplane with `mint` (or asks `getToken`,
 * standing in for an app's backend), counting calls.
 */
export const sharedClient = (
  url: string,
  getToken: () => Promise<string>,
  options: Omit<SharedConnectionOptions, 'getToken' | 'tokenSource'> = {}
): SharedClient => {
  let calls = 0
  const shared = createSharedConnection(url, {
    WebSocketPolyfill: WebSocket,
    ...options,
    getToken: async () => {
      calls++
      return await getToken()
    },
  })
  const clients: Client[] = []
  return {
    shared,
    get tokenCalls () { return calls },
    clients,
    open (name, providerOptions = {}) {
      const doc = new Y.Doc()
      const provider = new WireSocketProvider(url, name, doc, { connection: shared, disableBc: true, ...providerOptions })
      const c: Client = { doc, provider, get tokenCalls () { return calls } }
      clients.push(c)
      return c
    },
    destroy () {
      shared.destroy()
      for (const c of clients) c.doc.destroy()
    },
  }
}

/** A shared connection to a dataplane region, tokens minted with `mint`. */
export const sharedOnDataplane = (
  dp: LocalDataplane,
  options: Omit<SharedConnectionOptions, 'getToken' | 'tokenSource'> & { region?: number; mint?: MintTokenOptions } = {}
): SharedClient => {
  const { region = 0, mint, ...rest } = options
  return sharedClient(dp.regions[region]!.url, async () => await dp.mintToken(mint), rest)
}

/** Whether `awareness` holds a state whose `user` field is `who`. */
export const seesUser = (awareness: Awareness, who: string): boolean =>
  [...awareness.getStates().values()].some(s => (s as { user?: unknown }).user === who)

/** Resolve once `check` holds, re-checked on each change of any of `awarenesses` (no polling). */
const awarenessesUntil = (awarenesses: Awareness[], check: () => boolean, failure: () => string, timeout: number): Promise<void> =>
  new Promise((resolve, reject) => {
    if (check()) return resolve()
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(failure()))
    }, timeout)
    const onChange = (): void => {
      if (!check()) return
      cleanup()
      resolve()
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      awarenesses.forEach(a => a.off('change', onChange))
    }
    awarenesses.forEach(a => a.on('change', onChange))
  })

/** Resolve once every awareness sees every user named. */
export const presenceConverges = (awarenesses: Awareness[], users: string[], timeout = 10_000): Promise<void> =>
  awarenessesUntil(awarenesses, () => awarenesses.every(a => users.every(u => seesUser(a, u))), () => {
    const seen = awarenesses.map(a => [...a.getStates().values()].map(s => (s as { user?: unknown }).user))
    return `presence did not converge: ${JSON.stringify(seen)}`
  }, timeout)

/** Resolve once every awareness no longer sees `who` (its client left). */
export const presenceGone = (awarenesses: Awareness[], who: string, timeout = 10_000): Promise<void> =>
  awarenessesUntil(awarenesses, () => awarenesses.every(a => !seesUser(a, who)), () => `${who} still present`, timeout)

/** Counts of what a provider went through: socket closes, limits, closes for good, redirects. */
export interface Tally {
  connectionCloses: Array<{ code: number; reason: string } | null>
  limits: Array<{ code: number; limit: string }>
  closed: Array<{ code: number; reason: string; kind: string }>
  redirects: Array<{ from: string; to: string }>
}

export const tally = (provider: WireSocketProvider): Tally => {
  const t: Tally = { connectionCloses: [], limits: [], closed: [], redirects: [] }
  provider.on('connection-close', e => t.connectionCloses.push(e === null ? null : { code: e.code, reason: e.reason }))
  provider.on('limit', e => t.limits.push({ code: e.code, limit: e.limit }))
  provider.on('closed', e => t.closed.push({ code: e.code, reason: e.reason, kind: e.kind }))
  provider.on('redirect', e => t.redirects.push(e))
  return t
}
