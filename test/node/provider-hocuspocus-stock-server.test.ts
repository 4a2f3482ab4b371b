/**
 * WireSocketProvider in the Hocuspocus framing against a STOCK `@hocuspocus/server` 4.7 (issue 13,
 * contract §6) whose `onAuthenticate` verifies WireSocket tokens with `createTokenVerifier` (JWKS from the
 * local dataplane's token service, tokens minted by it): sync and presence with a stock
 * HocuspocusProvider, a refused token, Hocuspocus' own close codes (4401/4403/4408/4205), and the
 * server's token request answered through `onTokenSync`.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { Server, type Configuration } from '@hocuspocus/server'
import { WireSocketProvider } from '../../src/index.ts'
import { hocuspocusFraming } from '../../src/hocuspocus/index.ts'
import { createTokenVerifier } from '../../src/server/index.ts'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { converge, next, synced, type Client } from './support/provider-harness.ts'
import { destroyHocus, hocusDoc, hocusSocket, hocusUntil } from './support/hocuspocus-clients.ts'
import { eventually } from '../support/local-client.ts'
import { presenceConverges, sharedClient, tally } from './support/hocuspocus-interop.ts'

interface Stock {
  url: string
  server: Server
  /** Claims' jti of every token onAuthenticate / onTokenSync accepted, in order. */
  authenticated: string[]
  synced: string[]
}

/** A stock server that takes only tokens the dataplane minted; `hooks` add to (or override) its configuration. */
const withStockServer = async (hooks: (stock: Stock) => Partial<Configuration>, run: (dp: LocalDataplane, stock: Stock) => Promise<void>): Promise<void> => {
  // The stock server reports each refusal on console.error: expected here, and noise in the test output.
  const consoleError = console.error
  console.error = () => {}
  const dp = await startLocalDataplane()
  const verifier = createTokenVerifier({ tenantId: dp.app.tenantId, jwksUrl: dp.jwksUrl() })
  const stock = { url: '', server: undefined as unknown as Server, authenticated: [] as string[], synced: [] as string[] }
  const server = new Server({
    port: 0,
    address: '127.0.0.1',
    quiet: true,
    stopOnSignals: false,
    async onAuthenticate ({ token }) {
      // a refusal without a reason: the stock server answers PermissionDenied `permission-denied`
      const claims = await verifier.verify(token).catch(() => { throw new Error('refused') })
      stock.authenticated.push(String(claims.jti))
    },
    async onTokenSync ({ token }) {
      const claims = await verifier.verify(token)
      stock.synced.push(String(claims.jti))
    },
    ...hooks(stock),
  })
  stock.server = server
  await server.listen()
  stock.url = `ws://127.0.0.1:${server.address.port}`
  try {
    await run(dp, stock)
  } finally {
    await server.destroy()
    await dp.close()
    console.error = consoleError
  }
}

/** A provider with its own Hocuspocus socket to the stock server. */
const own = (stock: Stock, name: string, getToken: () => Promise<string>, options: Record<string, unknown> = {}): Client & { calls: () => number } => {
  let calls = 0
  const doc = new Y.Doc()
  const provider = new WireSocketProvider(stock.url, name, doc, {
    framing: hocuspocusFraming,
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    tokenTransport: 'in-band',
    maxBackoffTime: 100,
    ...options,
    getToken: async () => { calls++; return await getToken() },
  })
  return { doc, provider, get tokenCalls () { return calls }, calls: () => calls }
}

test('stock server: sync and presence between hocuspocusFraming (in-band, query), a shared connection and a stock HocuspocusProvider', { timeout: 30_000 }, async () => {
  await withStockServer(() => ({}), async (dp, stock) => {
    const mint = async (): Promise<string> => await dp.mintToken()
    const inBand = own(stock, 'doc', mint)
    const query = own(stock, 'doc', mint, { tokenTransport: 'query' })
    const shared = sharedClient(stock.url, mint, { tokenTransport: 'in-band' })
    const pooled = shared.open('doc')
    const pooledOther = shared.open('other')
    const sharedQuery = sharedClient(stock.url, mint, { tokenTransport: 'query' })
    const pooledQuery = sharedQuery.open('doc')
    const stockSocket = hocusSocket(stock.url)
    const reference = hocusDoc(stockSocket, 'doc', mint)
    const ours = [inBand, query, pooled, pooledQuery]
    try {
      await Promise.all([...ours, pooledOther].map(async c => await synced(c.provider)))
      await hocusUntil(reference, () => reference.provider.isSynced, 'stock provider synced')
      ours.forEach((c, i) => c.doc.getText('text').insert(0, `[ours ${i}]`))
      reference.doc.getText('text').insert(0, '[stock]')
      pooledOther.doc.getText('text').insert(0, 'other')
      await converge([...ours.map(c => c.doc), reference.doc], t => ['[ours 0]', '[ours 1]', '[ours 2]', '[ours 3]', '[stock]'].every(s => t.includes(s)))
      assert.ok(!inBand.doc.getText('text').toString().includes('other'))
      ours.forEach((c, i) => c.provider.awareness.setLocalStateField('user', `ours-${i}`))
      reference.provider.setAwarenessField('user', 'stock')
      await presenceConverges([...ours.map(c => c.provider.awareness), reference.provider.awareness!], ['ours-0', 'ours-1', 'ours-2', 'ours-3', 'stock'])
      assert.equal(shared.shared.sockets, 1)
      // every token the stock server took was one the dataplane minted (verified through its JWKS)
      assert.ok(stock.authenticated.length >= 6, `authenticated: ${stock.authenticated.length}`)
    } finally {
      for (const c of [inBand, query]) c.provider.destroy()
      shared.destroy()
      sharedQuery.destroy()
      destroyHocus(stockSocket, reference)
    }
  })
})

test('stock server: tokenTransport subprotocol fails its handshake (it selects no subprotocol) and is retried, never closed', { timeout: 20_000 }, async t => {
  await withStockServer(() => ({}), async (dp, stock) => {
    const a = own(stock, 'doc', async () => await dp.mintToken(), { tokenTransport: 'subprotocol' })
    const seen = tally(a.provider)
    try {
      for (let i = 0; i < 3; i++) {
        const [event] = await next(a.provider, 'connection-close')
        assert.equal(event?.code, 1006)
      }
      assert.deepEqual(seen.closed, [])
      assert.equal(a.provider.synced, false)
      assert.equal(stock.authenticated.length, 0)
      t.diagnostic(`subprotocol: ${seen.connectionCloses.length} closes 1006, ${a.calls()} token calls, state ${a.provider.state}`)
    } finally {
      a.provider.destroy()
    }
  })
})

test('stock server: a refused token (PermissionDenied permission-denied) is handled as 4002 and ends in closed after bounded token calls', { timeout: 20_000 }, async t => {
  await withStockServer(() => ({}), async (dp, stock) => {
    const refused = async (): Promise<string> => await dp.mintToken({ signWith: 'foreign' })
    const a = own(stock, 'doc', refused)
    const shared = sharedClient(stock.url, refused, { tokenTransport: 'in-band' })
    const pooled = [shared.open('doc', { maxBackoffTime: 100 }), shared.open('doc2', { maxBackoffTime: 100 })]
    const seen = tally(a.provider)
    try {
      const closed = await Promise.all([a, ...pooled].map(async c => (await next(c.provider, 'closed'))[0]))
      for (const e of closed) assert.deepEqual(e, { code: 4002, reason: 'permission-denied', kind: 'unauthorized' })
      assert.ok(seen.connectionCloses.every(e => e?.code === 4002))
      assert.equal(a.calls(), 5)
      assert.ok(shared.tokenCalls <= 10, `shared: ${shared.tokenCalls}`)
      assert.deepEqual(stock.authenticated, [])
      t.diagnostic(`refused: own ${a.calls()} token calls, shared (2 documents) ${shared.tokenCalls}`)
    } finally {
      a.provider.destroy()
      shared.destroy()
    }
  })
})

for (const [code, reason, kind] of [[4401, 'Unauthorized', 'unauthorized'], [4403, 'Forbidden', 'forbidden']] as const) {
  test(`stock server: ${code} ${reason} on the socket, and in-band from a hook: one fresh token, then closed ${kind}`, { timeout: 20_000 }, async t => {
    await withStockServer(() => ({
      // socket-level: the app closes the stock server's socket for this document's connection
      async connected ({ documentName, connection }) {
        if (documentName === 'socket-level') connection.webSocket.close(code, reason)
      },
      // in-band: a hook throws the code, the stock server ends that document with a CLOSE carrying the reason
      async beforeHandleMessage ({ documentName }) {
        if (documentName === 'in-band') throw Object.assign(new Error(reason), { code, reason })
      },
    }), async (dp, stock) => {
      const mint = async (): Promise<string> => await dp.mintToken()
      const socketLevel = own(stock, 'socket-level', mint)
      const inBand = own(stock, 'in-band', mint)
      const shared = sharedClient(stock.url, mint, { tokenTransport: 'in-band' })
      const pooled = shared.open('in-band')
      const bystander = shared.open('bystander')
      try {
        const closed = await Promise.all([socketLevel, inBand, pooled].map(async c => (await next(c.provider, 'closed'))[0]))
        for (const e of closed) assert.deepEqual({ code: e.code, kind: e.kind }, { code, kind })
        assert.equal(socketLevel.calls(), 2, 'one fresh token')
        assert.equal(inBand.calls(), 2, 'one fresh token')
        await synced(bystander.provider)
        assert.equal(bystander.provider.state, 'open', 'the shared socket\'s other document is untouched')
        t.diagnostic(`${code}: token calls own socket-level ${socketLevel.calls()}, own in-band ${inBand.calls()}, shared ${shared.tokenCalls}`)
      } finally {
        for (const c of [socketLevel, inBand]) c.provider.destroy()
        shared.destroy()
      }
    })
  })
}

test('stock server: 4408 (its timeout) is retried, and so is 4205 (closeConnections): the provider re-syncs each time', { timeout: 30_000 }, async t => {
  await withStockServer(() => ({ timeout: 400 }), async (dp, stock) => {
    const mint = async (): Promise<string> => await dp.mintToken()
    const a = own(stock, 'quiet', mint)
    const seen = tally(a.provider)
    try {
      for (let i = 0; i < 3; i++) {
        await synced(a.provider)
        const [event] = await next(a.provider, 'connection-close')
        assert.equal(event?.code, 4408, JSON.stringify(event))
      }
      // connections from now on are not timed out (read when the server accepts one)
      stock.server.hocuspocus.configuration.timeout = 60_000
      await synced(a.provider)
      a.doc.getText('text').insert(0, 'after timeouts')
      const serverText = (): string | undefined => stock.server.hocuspocus.documents.get('quiet')?.getText('text').toString()
      await eventually(() => serverText() === 'after timeouts', 'the edit on the stock server')
      // a reset from the server: the document's CLOSE says `Reset Connection`
      const reset = next(a.provider, 'connection-close')
      stock.server.hocuspocus.closeConnections('quiet')
      assert.equal((await reset)[0]?.code, 4205)
      await synced(a.provider)
      // the stock server keeps nothing once the last client left: the provider's re-sync brought it back
      await eventually(() => serverText() === 'after timeouts', 'the state back on the stock server')
      assert.deepEqual(seen.closed, [])
      t.diagnostic(`4408/4205: closes ${seen.connectionCloses.map(e => e?.code).join(',')}, token calls ${a.calls()}`)
    } finally {
      a.provider.destroy()
    }
  })
})

test('stock server: its token requests are answered, verified in onTokenSync, with no reconnect: early with the token in hand, past half its life with a fresher one', { timeout: 20_000 }, async () => {
  const connections: Array<{ requestToken(): void }> = []
  await withStockServer(() => ({
    async connected ({ connection }) { connections.push(connection) },
  }), async (dp, stock) => {
    let minted = 0
    // 4 s tokens, each outliving the one before it (tokens of one second would otherwise expire together)
    const mint = async (): Promise<string> => await dp.mintToken({ ttl: 4 + minted++ })
    const a = own(stock, 'refreshed', mint)
    const shared = sharedClient(stock.url, mint, { tokenTransport: 'in-band' })
    const pooled = shared.open('refreshed-too')
    const seen = [tally(a.provider), tally(pooled.provider)]
    try {
      await Promise.all([synced(a.provider), synced(pooled.provider)])
      assert.equal(connections.length, 2)
      const mintedAtAuth = minted
      // asked at once (a permission check, say): the tokens presented at Auth, no backend call
      for (const c of connections) c.requestToken()
      await eventually(() => stock.synced.length >= 2, 'onTokenSync for both documents', 10_000)
      assert.deepEqual(stock.synced.slice(0, 2).sort(), stock.authenticated.slice(0, 2).sort())
      assert.equal(minted, mintedAtAuth)
      // asked past half the token's life: a fresher token, fetched for it
      const halfLife = Math.max(a.provider.tokenExpiresAt!, pooled.provider.tokenExpiresAt!) - 1900
      await new Promise(resolve => setTimeout(resolve, Math.max(0, halfLife - Date.now())))
      for (const c of connections) c.requestToken()
      await eventually(() => stock.synced.length >= 4, 'onTokenSync again for both documents', 10_000)
      for (const jti of stock.synced.slice(2)) assert.ok(!stock.authenticated.slice(0, 2).includes(jti), 'a fresher token')
      assert.deepEqual(seen.flatMap(s => s.connectionCloses), [])
    } finally {
      a.provider.destroy()
      shared.destroy()
    }
  })
})
