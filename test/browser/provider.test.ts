// WireSocketProvider in Chromium (the browser's own WebSocket) against a local dataplane hosted by the
// test runner: sync, token transports, expiry recovery, redirects, cross-tab BroadcastChannel.
import { expect } from 'chai'
import * as Y from 'yjs'
import { WireSocketProvider, createTokenSource } from '../../src/index.ts'
import { isRedirectAllowed } from '../../src/provider/redirect.ts'
import { next, synced } from '../support/provider-events.ts'
import { startDataplane, type TestDataplane } from './support/dataplane.ts'

/** Resolve when every doc's text is identical and passes `expected` (a string means equal to it). */
const converge = (docs: Y.Doc[], expected: string | ((text: string) => boolean)): Promise<void> => new Promise((resolve, reject) => {
  const accept = typeof expected === 'string' ? (t: string) => t === expected : expected
  const check = (): boolean => {
    const texts = docs.map(d => d.getText('text').toString())
    return texts.every(t => t === texts[0] && accept(t))
  }
  if (check()) return resolve()
  const timer = setTimeout(() => { cleanup(); reject(new Error(`no convergence: ${docs.map(d => d.getText('text').toString()).join(' | ')}`)) }, 15_000)
  const onUpdate = (): void => { if (check()) { cleanup(); resolve() } }
  const cleanup = (): void => { clearTimeout(timer); docs.forEach(d => d.off('update', onUpdate)) }
  docs.forEach(d => d.on('update', onUpdate))
})

describe('WireSocketProvider in Chromium', () => {
  let dp: TestDataplane
  const providers: WireSocketProvider[] = []
  const make = (documentName: string, options: { region?: number; ttl?: number; tokenTransport?: 'query'; disableBc?: boolean; calls?: { n: number } } = {}): { doc: Y.Doc; provider: WireSocketProvider } => {
    const doc = new Y.Doc()
    const calls = options.calls ?? { n: 0 }
    const provider = new WireSocketProvider(dp.regions[options.region ?? 0]!.url, documentName, doc, {
      disableBc: options.disableBc ?? true,
      tokenTransport: options.tokenTransport,
      getToken: async () => {
        calls.n++
        return await dp.mintToken({ ttl: options.ttl })
      },
    })
    providers.push(provider)
    return { doc, provider }
  }

  before(async () => { dp = await startDataplane() })
  afterEach(() => { providers.splice(0).forEach(p => p.destroy()) })
  after(async () => { await dp.stop() })

  it('syncs text and awareness between two providers', async () => {
    const a = make('browser-sync')
    const b = make('browser-sync')
    await Promise.all([synced(a.provider), synced(b.provider)])
    a.provider.awareness.setLocalStateField('user', { name: 'Grace' })
    a.doc.getText('text').insert(0, 'from chromium')
    await converge([a.doc, b.doc], 'from chromium')
    await new Promise<void>(resolve => {
      const check = (): void => {
        if (b.provider.awareness.getStates().get(a.doc.clientID)?.user?.name === 'Grace') resolve()
      }
      b.provider.awareness.on('change', check)
      check()
    })
    expect(await dp.documentText('browser-sync', 'text')).to.equal('from chromium')
  })

  it('keeps the token out of every URL in subprotocol mode, and uses ?token= in query mode', async () => {
    const sub = make('browser-transport-sub')
    const query = make('browser-transport-query', { tokenTransport: 'query' })
    await Promise.all([synced(sub.provider), synced(query.provider)])
    const handshakes = await dp.handshakes()
    const subs = handshakes.filter(h => h.url.startsWith('/browser-transport-sub'))
    expect(subs.length).to.be.greaterThan(0)
    for (const h of subs) {
      expect(h.transport).to.equal('subprotocol')
      expect(h.url).not.to.match(/eyJ|token/)
    }
    const queries = handshakes.filter(h => h.url.startsWith('/browser-transport-query'))
    expect(queries[0]?.transport).to.equal('query')
    expect(sub.provider.url).not.to.match(/eyJ/)
    expect(query.provider.url).not.to.match(/eyJ/)
  })

  it('recovers from an expiry close without calling the backend on the critical path', async () => {
    const calls = { n: 0 }
    const a = make('browser-expiry', { ttl: 3, calls })
    await synced(a.provider)
    const [event] = await next(a.provider, 'connection-close', e => e?.code === 4002)
    expect(event?.reason).to.equal('Token expired')
    const atClose = calls.n
    a.doc.getText('text').insert(0, 'typed during the reconnect')
    await synced(a.provider)
    expect(calls.n).to.equal(atClose)
    await new Promise<void>(resolve => {
      const check = async (): Promise<void> => {
        if (await dp.documentText('browser-expiry', 'text') === 'typed during the reconnect') resolve()
        else setTimeout(() => { void check() }, 20)
      }
      void check()
    })
  })

  it('expire-all-tokens: reconnects with fresh tokens and loses no keystroke', async () => {
    const a = make('browser-expire-all')
    const b = make('browser-expire-all')
    await Promise.all([synced(a.provider), synced(b.provider)])
    const closed = Promise.all([a, b].map(c => next(c.provider, 'connection-close', e => e?.code === 4002)))
    await dp.expireTokens()
    await closed
    a.doc.getText('text').insert(0, 'after expiry')
    await converge([a.doc, b.doc], 'after expiry')
  })

  it('follows a region redirect when the document moves', async () => {
    const a = make('browser-move')
    const b = make('browser-move')
    await Promise.all([synced(a.provider), synced(b.provider)])
    const redirected = Promise.all([next(a.provider, 'redirect'), next(b.provider, 'redirect')])
    await dp.moveDocument('browser-move', dp.regions[1]!.name)
    const [[event]] = await redirected
    expect(event.to).to.equal(`${dp.regions[1]!.url}/browser-move`)
    b.doc.getText('text').insert(0, 'in the other region')
    await converge([a.doc, b.doc], 'in the other region')
  })

  it('discovery: asks /discovery (with CORS) and connects straight to the pinned region', async () => {
    const pinned = make('browser-discovery', { region: 1 })
    await synced(pinned.provider)
    const doc = new Y.Doc()
    const provider = new WireSocketProvider(dp.regions[0]!.url, 'browser-discovery', doc, {
      disableBc: true,
      discovery: true,
      getToken: async () => await dp.mintToken(),
    })
    providers.push(provider)
    await synced(provider)
    expect(provider.url).to.equal(`${dp.regions[1]!.url}/browser-discovery`)
    const wrong = (await dp.handshakes()).filter(h => h.url.startsWith('/browser-discovery') && h.region === dp.regions[0]!.name)
    expect(wrong).to.deep.equal([])
  })

  it('reconnects after every socket is dropped, with edits from the outage', async () => {
    const a = make('browser-drop')
    const b = make('browser-drop')
    await Promise.all([synced(a.provider), synced(b.provider)])
    const down = Promise.all([a, b].map(c => next(c.provider, 'status', e => e.status === 'disconnected')))
    await dp.dropConnections()
    await down
    a.doc.getText('text').insert(0, 'A')
    b.doc.getText('text').insert(0, 'B')
    // concurrent inserts at the same place are ordered by client id: either order, but the same everywhere
    await converge([a.doc, b.doc], t => t === 'AB' || t === 'BA')
  })

  it('shares one token call between providers on the page (createTokenSource)', async () => {
    let calls = 0
    const tokenSource = createTokenSource(async () => {
      calls++
      return await dp.mintToken()
    })
    const docs = Array.from({ length: 6 }, () => new Y.Doc())
    docs.forEach((doc, i) => providers.push(new WireSocketProvider(dp.regions[0]!.url, `browser-shared-${i}`, doc, { tokenSource, disableBc: true })))
    await Promise.all(providers.map(p => synced(p)))
    expect(calls).to.equal(1)
  })

  it('syncs two providers in one tab over BroadcastChannel when the server is unreachable', async () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    const url = 'ws://127.0.0.1:9'
    const getToken = async (): Promise<string> => await dp.mintToken()
    providers.push(new WireSocketProvider(url, 'browser-bc', a, { getToken }), new WireSocketProvider(url, 'browser-bc', b, { getToken }))
    a.getText('text').insert(0, 'via broadcastchannel')
    await converge([a, b], 'via broadcastchannel')
  })

  it('judges a cross-host redirect with the public-suffix list, loaded on demand in the browser', async () => {
    // the list arrives by dynamic import (a chunk of its own in an app's bundle): this proves it resolves here
    expect(await isRedirectAllowed(new URL('wss://attacker.github.io/d'), new URL('wss://myapp.github.io/d'))).to.equal(false)
    expect(await isRedirectAllowed(new URL('wss://us-east-1.wiresocket.net/d'), new URL('wss://eu-central-1.wiresocket.net/d'))).to.equal(true)
  })
})
