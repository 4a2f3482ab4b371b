/**
 * The two sides of every comparison, built the same way: ours (WireSocketProvider) and the reference
 * (y-websocket 3.1 as the WireSocket documentation tells people to use it), plus the simulated backend
 * that both call for tokens.
 */
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { WireSocketProvider, type TokenSource, type WebSocketConstructor } from '../../src/index.ts'
import type { RemoteDataplane } from './remote-dataplane.ts'
import { asDomWebSocket } from './sockets.ts'
import { sleep, within } from './stats.ts'

/** What the scenarios read of either provider. */
export interface SyncEmitter {
  readonly synced: boolean
  on(name: 'sync', listener: (synced: boolean) => void): unknown
  off(name: 'sync', listener: (synced: boolean) => void): unknown
}

/** Watch for the next `sync` true that follows a `sync` false: one full drop-and-recover. */
export const backAgain = (client: SyncEmitter): { done: Promise<void>; stop(): void } => {
  let listener: ((synced: boolean) => void) | undefined
  const done = new Promise<void>(resolve => {
    let dropped = false
    listener = synced => {
      if (!synced) dropped = true
      else if (dropped) resolve()
    }
    client.on('sync', listener)
  })
  return { done, stop: () => { if (listener !== undefined) client.off('sync', listener) } }
}

export const whenSynced = (provider: SyncEmitter, timeout: number, what = 'sync'): Promise<void> => {
  if (provider.synced) return Promise.resolve()
  let listener: ((synced: boolean) => void) | undefined
  const done = new Promise<void>(resolve => {
    listener = synced => {
      if (synced) resolve()
    }
    provider.on('sync', listener)
  })
  return within(done, timeout, what).finally(() => {
    if (listener !== undefined) provider.off('sync', listener)
  })
}

/**
 * The app's token endpoint, simulated: `latency` ms of backend work (a `setTimeout`), then a token
 * minted by the dataplane. Counts calls, and remembers when each started.
 */
export interface Backend {
  getToken(): Promise<string>
  readonly calls: number
  readonly callTimes: readonly number[]
}

export const createBackend = (dp: RemoteDataplane, latency: number, ttl?: number): Backend => {
  const callTimes: number[] = []
  return {
    getToken: async () => {
      callTimes.push(performance.now())
      if (latency > 0) await sleep(latency)
      return await dp.mintToken(ttl)
    },
    get calls () { return callTimes.length },
    callTimes,
  }
}

export interface OursOptions {
  WS: WebSocketConstructor
  getToken?: () => Promise<string>
  tokenSource?: TokenSource
}

export const ours = (url: string, name: string, doc: Y.Doc, options: OursOptions): WireSocketProvider =>
  new WireSocketProvider(url, name, doc, {
    WebSocketPolyfill: options.WS,
    disableBc: true,
    ...(options.tokenSource !== undefined ? { tokenSource: options.tokenSource } : { getToken: options.getToken }),
  })

/** Plain y-websocket with a token passed once, statically, as the WireSocket docs show. */
export const reference = (url: string, name: string, doc: Y.Doc, WS: WebSocketConstructor, token: string): WebsocketProvider =>
  new WebsocketProvider(url, name, doc, {
    protocols: ['access_token', token],
    WebSocketPolyfill: asDomWebSocket(WS),
    disableBc: true,
  })

/**
 * y-websocket with the WireSocket documentation's expiry pattern: when the server closes with 4002,
 * fetch a token, destroy the provider and construct a new one with the new token. `on('sync')` follows
 * whichever provider is current, so scenarios can treat it like one provider.
 */
export class DocPatternClient implements SyncEmitter {
  provider: WebsocketProvider
  /** `performance.now()` of each 4002 close, and how many renewals have been made. */
  readonly expiries: number[] = []
  renewals = 0
  readonly #listeners = new Set<(synced: boolean) => void>()
  #destroyed = false

  constructor (
    readonly url: string,
    readonly name: string,
    readonly doc: Y.Doc,
    readonly WS: WebSocketConstructor,
    readonly getToken: () => Promise<string>,
    token: string
  ) {
    this.provider = this.#build(token)
  }

  static async create (url: string, name: string, doc: Y.Doc, WS: WebSocketConstructor, getToken: () => Promise<string>): Promise<DocPatternClient> {
    return new DocPatternClient(url, name, doc, WS, getToken, await getToken())
  }

  get synced (): boolean {
    return this.provider.synced
  }

  on (_name: 'sync', listener: (synced: boolean) => void): void {
    this.#listeners.add(listener)
  }

  off (_name: 'sync', listener: (synced: boolean) => void): void {
    this.#listeners.delete(listener)
  }

  destroy (): void {
    this.#destroyed = true
    this.provider.destroy()
  }

  #build (token: string): WebsocketProvider {
    const provider = reference(this.url, this.name, this.doc, this.WS, token)
    provider.on('sync', (synced: boolean) => this.#listeners.forEach(l => l(synced)))
    provider.on('connection-close', (event: CloseEvent | null) => {
      if (event?.code !== 4002) return
      this.expiries.push(performance.now())
      void this.#renew(provider)
    })
    return provider
  }

  async #renew (old: WebsocketProvider): Promise<void> {
    let token: string
    try {
      token = await this.getToken()
    } catch {
      return
    }
    if (this.#destroyed || old !== this.provider) return
    old.destroy()
    this.renewals++
    this.provider = this.#build(token)
  }
}

export const newDoc = (): Y.Doc => new Y.Doc()
