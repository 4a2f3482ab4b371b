// The WireSocket documentation's own example, unchanged: two stock y-websocket providers in Chromium
// with `protocols: ['access_token', jwt]`, syncing a document and awareness through the local dataplane.
// Both providers live in one page, so the BroadcastChannel shortcut is disabled: all traffic takes the server.
import { expect } from 'chai'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { startDataplane, type TestDataplane } from './support/dataplane.ts'

/** Resolve when `check` holds, re-checked on every change of the given observables. */
const until = async (check: () => boolean, subscribe: (fire: () => void) => () => void, what: string, timeoutMs = 10_000): Promise<void> => {
  if (check()) return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { unsubscribe(); reject(new Error(`timed out waiting for ${what}`)) }, timeoutMs)
    const unsubscribe = subscribe(() => {
      if (!check()) return
      clearTimeout(timer)
      unsubscribe()
      resolve()
    })
  })
}

const synced = async (provider: WebsocketProvider): Promise<void> => {
  await until(() => provider.synced, fire => {
    provider.on('sync', fire)
    return () => provider.off('sync', fire)
  }, 'sync')
}

describe('stock y-websocket WebsocketProvider against the local dataplane', () => {
  let dp: TestDataplane
  const providers: WebsocketProvider[] = []

  before(async () => {
    dp = await startDataplane()
  })

  afterEach(() => {
    for (const provider of providers.splice(0)) {
      provider.destroy()
      provider.doc.destroy()
    }
  })

  after(async () => {
    await dp.stop()
  })

  const connect = async (room: string): Promise<WebsocketProvider> => {
    const jwt = await dp.mintToken()
    // disableBc: same-page providers would otherwise sync through a BroadcastChannel and prove nothing
    // about the server. Everything else is the documentation's example.
    const provider = new WebsocketProvider(dp.regions[0]!.url, room, new Y.Doc(), { protocols: ['access_token', jwt], disableBc: true })
    providers.push(provider)
    return provider
  }

  it('syncs text both ways and the server holds it', async () => {
    const a = await connect('browser-text')
    const b = await connect('browser-text')
    await Promise.all([synced(a), synced(b)])
    const textA = a.doc.getText('text')
    const textB = b.doc.getText('text')
    const observe = (text: Y.Text) => (fire: () => void) => {
      text.observe(fire)
      return () => text.unobserve(fire)
    }
    textA.insert(0, 'hello from a')
    await until(() => textB.toString() === 'hello from a', observe(textB), 'b sees a')
    textB.insert(textB.length, ', and b')
    await until(() => textA.toString() === 'hello from a, and b', observe(textA), 'a sees b')
    expect(await dp.documentText('browser-text', 'text')).to.equal('hello from a, and b')
    // The server selected `access_token`, so Chromium kept the socket; the JWT never sat in the URL.
    const handshakes = await dp.handshakes()
    expect(handshakes.filter(h => h.url === '/browser-text' && h.transport === 'subprotocol' && h.outcome === 'accepted')).to.have.length(2)
    expect(handshakes.every(h => h.origin !== null)).to.equal(true)
  })

  it('relays awareness between the two providers', async () => {
    const a = await connect('browser-awareness')
    const b = await connect('browser-awareness')
    await Promise.all([synced(a), synced(b)])
    const onChange = (provider: WebsocketProvider) => (fire: () => void) => {
      provider.awareness.on('change', fire)
      return () => provider.awareness.off('change', fire)
    }
    a.awareness.setLocalStateField('user', { name: 'Ada', color: '#f00' })
    b.awareness.setLocalStateField('user', { name: 'Bob', color: '#00f' })
    await until(() => (b.awareness.getStates().get(a.awareness.clientID) as { user?: { name: string } } | undefined)?.user?.name === 'Ada',
      onChange(b), 'b sees Ada')
    await until(() => (a.awareness.getStates().get(b.awareness.clientID) as { user?: { name: string } } | undefined)?.user?.name === 'Bob',
      onChange(a), 'a sees Bob')
    // When b leaves, a sees its cursor go.
    b.destroy()
    await until(() => !a.awareness.getStates().has(b.awareness.clientID), onChange(a), 'b removed at a')
  })
})
