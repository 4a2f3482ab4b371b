/** Shared helpers for the provider's Node tests: real sockets (`ws`) against a real local dataplane. */
import WebSocket, { WebSocketServer } from 'ws'
import type { AddressInfo } from 'node:net'
import * as Y from 'yjs'
import { WireSocketProvider, type WebSocketConstructor, type WireSocketProviderOptions } from '../../../src/index.ts'
export { next, synced } from '../../support/provider-events.ts'
import { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { startLocalDataplane, type LocalApp, type LocalDataplane } from '../../../src/local/index.ts'

/** Resolve once every doc's text `field` equals `expected`, re-checking on each update (no polling). */
export const converge = (docs: Y.Doc[], expected: (text: string) => boolean, field = 'text', timeout = 15_000): Promise<void> =>
  new Promise((resolve, reject) => {
    const check = (): boolean => docs.every(d => expected(d.getText(field).toString()))
    if (check()) return resolve()
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`docs did not converge: ${JSON.stringify(docs.map(d => d.getText(field).toString().slice(0, 200)))}`))
    }, timeout)
    const onUpdate = (): void => {
      if (!check()) return
      cleanup()
      resolve()
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      docs.forEach(d => d.off('update', onUpdate))
    }
    docs.forEach(d => d.on('update', onUpdate))
  })

/** A `ws` subclass that records every URL and subprotocol list the provider asks for. */
export const recordingWebSocket = (log: Array<{ url: string; protocols: string[] }>, options: WebSocket.ClientOptions = {}): WebSocketConstructor =>
  class RecordingWebSocket extends WebSocket {
    constructor (url: string | URL, protocols?: string | string[]) {
      log.push({ url: String(url), protocols: protocols === undefined ? [] : ([] as string[]).concat(protocols) })
      super(url, protocols, options)
    }
  }

export interface Client {
  doc: Y.Doc
  provider: WireSocketProvider
  /** getToken calls made so far (a getter over the live count) */
  readonly tokenCalls: number
}

/** A provider whose getToken mints a token from the dataplane (standing in for the app's backend). */
export const client = (
  dp: LocalDataplane,
  documentName: string,
  options: Partial<WireSocketProviderOptions<WireSocketProvider>> & { region?: number; ttl?: number; claims?: Record<string, unknown>; app?: LocalApp } = {}
): Client => {
  const { region = 0, ttl, claims, app, ...rest } = options
  const doc = new Y.Doc()
  let calls = 0
  const getToken = async (): Promise<string> => {
    calls++
    return await dp.mintToken({ ttl, claims, app })
  }
  const provider = new WireSocketProvider(dp.regions[region]!.url, documentName, doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    ...(rest.tokenSource === undefined ? { getToken } : {}),
    ...rest,
  })
  return { doc, provider, get tokenCalls () { return calls } }
}

export const destroyAll = (clients: Client[]): void => clients.forEach(c => {
  c.provider.destroy()
  c.doc.destroy()
})

/**
 * A WebSocket server on loopback that behaves the way the real service should not (or not yet):
 * `onConnection` decides what each accepted socket gets. It selects the offered `access_token`
 * subprotocol like WireSocket does.
 */
export const fakeServer = async (onConnection: (socket: WebSocket, path: string) => void): Promise<{ url: string; close(): Promise<void> }> => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: protocols => protocols.has('access_token') ? 'access_token' : false })
  await new Promise<void>(resolve => server.once('listening', resolve))
  server.on('connection', (socket, request) => onConnection(socket, request.url ?? '/'))
  const { port } = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}`,
    close: () => new Promise<void>(resolve => {
      server.clients.forEach(c => c.terminate())
      server.close(() => resolve())
    }),
  }
}

/**
 * One local dataplane for a test file, closed after it, and a guard that fails the file if anything
 * produced an unhandled rejection meanwhile. Await `ready` in the file's own before hook: root hooks
 * are not guaranteed to finish one before the next starts.
 */
export const dataplaneForFile = (): { readonly ready: Promise<LocalDataplane> } => {
  let current: LocalDataplane | undefined
  let started: (dp: LocalDataplane) => void = () => {}
  const ready = new Promise<LocalDataplane>(resolve => { started = resolve })
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  before(async () => {
    process.on('unhandledRejection', onUnhandled)
    current = await startLocalDataplane()
    started(current)
  })
  after(async () => {
    await current?.close()
    process.off('unhandledRejection', onUnhandled)
    assert.deepEqual(unhandled, [], 'no unhandled rejection in this file')
  })
  return { ready }
}
