/**
 * Issue 10 (1): every public method is safe to call from inside any listener of any event, and the
 * call wins. For each event the provider emits, provoked through real sockets (the local dataplane, or
 * a loopback server that misbehaves on purpose), a listener calls disconnect() or destroy() the first
 * time the event fires; afterwards no socket opens, nothing throws, and later calls are harmless. A
 * listener that calls disconnect() and connect() gets a provider that syncs again.
 */
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as Y from 'yjs'
import type { LocalDataplane } from '../../src/local/index.ts'
import { WireSocketProvider, type WireSocketProviderEvents } from '../../src/index.ts'
import { client, dataplaneForFile, fakeServer, next, recordingWebSocket, synced } from './support/provider-harness.ts'

const file = dataplaneForFile()
let dp: LocalDataplane
before(async () => { dp = await file.ready })

type EventName = keyof WireSocketProviderEvents & string
/** Short waits everywhere, so that a retry the call failed to cancel would show within `SETTLE` ms. */
const fast = { maxBackoffTime: 100, limitRetryDelay: 100, handshakeTimeout: 2000 }
const SETTLE = 600

interface Setup {
  provider: WireSocketProvider
  /** sockets the provider created so far */
  sockets: () => number
  /** start the provider (and provoke the event, if starting alone does not) */
  go: () => Promise<void>
  close?: () => Promise<void>
}

let counter = 0
const docName = (event: string): string => `reentry-${event.replace(/[^\w-]/g, '')}-${++counter}`

/** A provider on the local dataplane that emits `event` once started, or once `provoke` ran after its sync. */
const onDataplane = (event: string, provoke?: (a: WireSocketProvider) => void, options: Parameters<typeof client>[2] = {}): () => Promise<Setup> => async () => {
  const log: Array<{ url: string; protocols: string[] }> = []
  const a = client(dp, docName(event), { connect: false, WebSocketPolyfill: recordingWebSocket(log), ...fast, ...options })
  return {
    provider: a.provider,
    sockets: () => log.length,
    go: async () => {
      a.provider.connect()
      if (provoke === undefined) return
      await synced(a.provider)
      provoke(a.provider)
    },
    close: async () => a.doc.destroy(),
  }
}

/** A provider against a loopback server that greets every socket with `frame` (bytes it cannot use). */
const onFakeServer = (event: string, frame: number[]): () => Promise<Setup> => async () => {
  const server = await fakeServer(socket => socket.send(new Uint8Array(frame)))
  const log: Array<{ url: string; protocols: string[] }> = []
  const provider = new WireSocketProvider(server.url, docName(event), new Y.Doc(), {
    connect: false, disableBc: true, WebSocketPolyfill: recordingWebSocket(log), getToken: async () => await dp.mintToken(), ...fast,
  })
  return { provider, sockets: () => log.length, go: async () => provider.connect(), close: server.close }
}

const scenarios: Array<{ event: EventName; when?: string; accept?: (...args: never[]) => boolean; setup: () => Promise<Setup> }> = [
  { event: 'status', when: 'connecting', accept: (e: { status: string }) => e.status === 'connecting', setup: onDataplane('status') },
  { event: 'status', when: 'connected', accept: (e: { status: string }) => e.status === 'connected', setup: onDataplane('status') },
  { event: 'status', when: 'disconnected', accept: (e: { status: string }) => e.status === 'disconnected', setup: onDataplane('status', () => dp.dropConnections()) },
  { event: 'sync', setup: onDataplane('sync') },
  { event: 'synced', setup: onDataplane('synced') },
  { event: 'connection-close', setup: onDataplane('close', () => dp.dropConnections()) },
  {
    event: 'connection-error',
    setup: async () => {
      // an upgrade answered with 401: the socket errors and closes 1006
      const server = createServer((_req, res) => res.writeHead(401).end())
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
      const log: Array<{ url: string; protocols: string[] }> = []
      const provider = new WireSocketProvider(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, docName('error'), new Y.Doc(), {
        connect: false, disableBc: true, WebSocketPolyfill: recordingWebSocket(log), getToken: async () => await dp.mintToken(), ...fast,
      })
      return {
        provider,
        sockets: () => log.length,
        go: async () => provider.connect(),
        close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }),
      }
    },
  },
  {
    event: 'closed',
    setup: async () => {
      const app = dp.addApp({ allowedDomains: ['app.example.com'] })
      const log: Array<{ url: string; protocols: string[] }> = []
      const a = client(dp, docName('closed'), { app, connect: false, WebSocketPolyfill: recordingWebSocket(log, { origin: 'https://evil.example.net' }), ...fast })
      return { provider: a.provider, sockets: () => log.length, go: async () => a.provider.connect() }
    },
  },
  { event: 'token', setup: onDataplane('token') },
  {
    event: 'token-error',
    setup: async () => {
      const log: Array<{ url: string; protocols: string[] }> = []
      const provider = new WireSocketProvider(dp.regions[0]!.url, docName('token-error'), new Y.Doc(), {
        connect: false, disableBc: true, WebSocketPolyfill: recordingWebSocket(log), getToken: async () => { throw new Error('backend down') }, ...fast,
      })
      return { provider, sockets: () => log.length, go: async () => provider.connect() }
    },
  },
  {
    event: 'limit',
    setup: async () => {
      const app = dp.addApp({ limits: { maxConnections: 100, maxDocuments: 100, maxUsersPerDoc: 100, opsPerMinute: 5 } })
      return await onDataplane('limit', a => {
        dp.tripRateLimit(app)
        a.doc.getText('text').insert(0, 'over the limit')
      }, { app })()
    },
  },
  {
    event: 'redirect',
    setup: async () => {
      const setup = await onDataplane('redirect')()
      dp.moveDocument(setup.provider.roomname, 'us-east-1')
      return setup
    },
  },
  { event: 'message-error', setup: onFakeServer('message-error', [0xff]) },
  // y-protocols auth message: permission denied, reason "no"
  { event: 'permission-denied', setup: onFakeServer('permission-denied', [2, 0, 2, 0x6e, 0x6f]) },
]

const settle = (): Promise<void> => new Promise(resolve => setTimeout(resolve, SETTLE))

for (const { event, when, accept, setup } of scenarios) {
  for (const method of ['disconnect', 'destroy'] as const) {
    test(`${method}() from a "${event}"${when === undefined ? '' : ` (${when})`} listener wins`, async () => {
      const s = await setup()
      const { provider } = s
      let socketsAtCall = -1
      const called = new Promise<void>(resolve => {
        const listener = (...args: never[]): void => {
          if (socketsAtCall >= 0 || (accept !== undefined && !accept(...args))) return
          socketsAtCall = s.sockets()
          provider[method]()
          resolve()
        }
        provider.on(event, listener as WireSocketProviderEvents[typeof event])
      })
      try {
        await s.go()
        await called
        assert.equal(provider.state, method === 'disconnect' ? 'idle' : 'destroyed')
        assert.equal(provider.ws, null)
        // a retry the call failed to cancel fires within maxBackoffTime / limitRetryDelay (100 ms)
        await settle()
        assert.equal(s.sockets(), socketsAtCall, 'no socket opened after the call')
        assert.equal(provider.state, method === 'disconnect' ? 'idle' : 'destroyed')
        provider.disconnect()
        provider.destroy()
        provider.connect()
        assert.equal(provider.state, 'destroyed')
      } finally {
        provider.destroy()
        await s.close?.()
      }
    })
  }
}

for (const { event, when, accept, setup } of scenarios.filter(s => ['status', 'sync', 'synced', 'connection-close', 'token', 'redirect'].includes(s.event))) {
  test(`disconnect() then connect() from a "${event}"${when === undefined ? '' : ` (${when})`} listener: the provider syncs again`, async () => {
    const s = await setup()
    const { provider } = s
    let done = false
    provider.on(event, ((...args: never[]) => {
      if (done || (accept !== undefined && !accept(...args))) return
      done = true
      provider.disconnect()
      provider.connect()
    }) as WireSocketProviderEvents[typeof event])
    try {
      await s.go()
      // a sync of the old connection may be delivered after the call: only one on an open socket counts
      await next(provider, 'sync', (synced: boolean) => synced && done && provider.state === 'open')
      assert.equal(provider.state, 'open')
    } finally {
      provider.destroy()
      await s.close?.()
    }
  })
}

// Not our events, but listeners all the same: the document's and the awareness' own, which the
// provider triggers in the middle of reading a frame or ending a socket.

test('disconnect() from a doc update listener while the provider applies a server frame', async () => {
  const log: Array<{ url: string; protocols: string[] }> = []
  const a = client(dp, 'reentry-doc-update', { WebSocketPolyfill: recordingWebSocket(log), ...fast })
  const b = client(dp, 'reentry-doc-update', fast)
  try {
    await synced(a.provider)
    await synced(b.provider)
    const heard = new Promise<void>(resolve => a.doc.on('update', (_update: Uint8Array, origin: unknown) => {
      if (origin !== a.provider) return
      a.provider.disconnect()
      resolve()
    }))
    b.doc.getText('text').insert(0, 'from b')
    await heard
    const sockets = log.length
    await settle()
    assert.equal(a.provider.state, 'idle')
    assert.equal(log.length, sockets, 'no socket opened after the call')
  } finally {
    a.provider.destroy()
    b.provider.destroy()
  }
})

test('destroy() from an awareness change listener when a drop forgets the peers', async () => {
  const log: Array<{ url: string; protocols: string[] }> = []
  const a = client(dp, 'reentry-awareness', { WebSocketPolyfill: recordingWebSocket(log), ...fast })
  const b = client(dp, 'reentry-awareness', fast)
  try {
    b.provider.awareness.setLocalStateField('user', 'b')
    await synced(a.provider)
    await new Promise<void>(resolve => {
      const check = (): void => { if (a.provider.awareness.getStates().has(b.provider.awareness.clientID)) resolve() }
      a.provider.awareness.on('change', check)
      check()
    })
    const called = new Promise<void>(resolve => a.provider.awareness.on('change', ({ removed }: { removed: number[] }) => {
      if (removed.length === 0 || a.provider.state === 'destroyed') return
      a.provider.destroy()
      resolve()
    }))
    dp.dropConnections()
    await called
    const sockets = log.length
    await settle()
    assert.equal(a.provider.state, 'destroyed')
    assert.equal(log.length, sockets, 'no socket opened after the call')
  } finally {
    a.provider.destroy()
    b.provider.destroy()
  }
})
