import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import WebSocket from 'ws'
import type { LocalDataplane } from '../../src/local/index.ts'
import { WireSocketProvider, createTokenSource, TokenError, type TokenResult } from '../../src/index.ts'
import { client, converge, destroyAll, next, synced, type Client, dataplaneForFile } from './support/provider-harness.ts'

const file = dataplaneForFile()
let dp: LocalDataplane
before(async () => { dp = await file.ready })

const isExpiryClose = (e: { code: number; reason: string } | null): boolean => e?.code === 4002

test('an expiry close is recovered with no getToken call on the critical path', async () => {
  const a = client(dp, 'expiry-fast', { ttl: 3, handover: 'never' })
  try {
    await synced(a.provider)
    for (let round = 0; round < 3; round++) {
      const [event] = await next(a.provider, 'connection-close', isExpiryClose, 10_000)
      assert.equal(event?.reason, 'Token expired')
      const callsAtClose = a.tokenCalls
      await synced(a.provider)
      assert.equal(a.tokenCalls, callsAtClose, `round ${round}: reconnected with the token fetched in the background`)
    }
  } finally {
    destroyAll([a])
  }
})

test('three clients editing through twenty token expiries each end identical with every edit', async () => {
  const clients: Client[] = [0, 1, 2].map(i => client(dp, 'expiry-marathon', { ttl: 1, region: 0, maxBackoffTime: 200 }))
  const expiries = clients.map(() => 0)
  const written = clients.map(() => 0)
  const typing: Array<ReturnType<typeof setInterval>> = []
  try {
    await Promise.all(clients.map(c => synced(c.provider)))
    await Promise.all(clients.map((c, i) => new Promise<void>(resolve => {
      c.provider.on('connection-close', event => {
        if (isExpiryClose(event) && ++expiries[i]! === 20) resolve()
      })
      typing.push(setInterval(() => {
        c.doc.getText('text').insert(0, `<${i}:${written[i]!++}>`)
      }, 25))
    })))
    typing.forEach(clearInterval)
    const complete = (text: string): boolean => written.every((n, i) => {
      for (let k = 0; k < n; k++) if (!text.includes(`<${i}:${k}>`)) return false
      return true
    })
    await converge(clients.map(c => c.doc), complete, 'text', 20_000)
    const texts = clients.map(c => c.doc.getText('text').toString())
    assert.equal(texts[0], texts[1])
    assert.equal(texts[1], texts[2])
    assert.ok(expiries.every(n => n >= 20))
    assert.ok(written.every(n => n > 100), `every client kept typing: ${written.join(', ')}`)
  } finally {
    typing.forEach(clearInterval)
    destroyAll(clients)
  }
})

test('a permanently rejected token stops with a bounded number of token calls', async () => {
  let calls = 0
  const doc = new Y.Doc()
  const provider = new WireSocketProvider(dp.regions[0]!.url, 'rejected-forever', doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    maxBackoffTime: 100,
    getToken: async () => {
      calls++
      return await dp.mintToken({ signWith: 'foreign' })
    },
  })
  try {
    const [closed] = await next(provider, 'closed', undefined, 15_000)
    assert.equal(closed.code, 4002)
    assert.equal(closed.kind, 'unauthorized')
    assert.equal(provider.state, 'closed')
    assert.equal(provider.shouldConnect, false)
    assert.ok(calls <= 5, `at most 5 token calls, saw ${calls}`)
  } finally {
    provider.destroy()
  }
})

/** A getToken whose first answer is `bad`; every later call returns a real token. */
const failingOnce = (bad: () => Promise<TokenResult>): { getToken: () => Promise<TokenResult>; calls: () => number } => {
  let calls = 0
  return {
    getToken: async () => (++calls === 1 ? await bad() : await dp.mintToken()),
    calls: () => calls,
  }
}

const badAnswers: Array<[string, TokenError['code'], () => Promise<TokenResult>]> = [
  ['throws', 'callback', async () => { throw new Error('backend down') }],
  ['resolves a number', 'malformed', async () => 42 as unknown as string],
  ['resolves a non-JWT string', 'malformed', async () => 'not-a-jwt'],
  ['resolves an object without token', 'malformed', async () => ({ jwt: 'x' }) as unknown as string],
  ['resolves an expired JWT', 'expired', async () => await dp.mintToken({ ttl: -60 })],
  ['resolves a JWT without exp', 'malformed', async () => await dp.mintToken({ claims: { exp: null } })],
  ['hangs past the timeout', 'timeout', () => new Promise<string>(() => {})],
]

for (const [name, code, bad] of badAnswers) {
  test(`getToken that ${name}: token-error (${code}), a backed-off retry, then sync`, async () => {
    const source = failingOnce(bad)
    const doc = new Y.Doc()
    const provider = new WireSocketProvider(dp.regions[0]!.url, `bad-token-${code}`, doc, {
      WebSocketPolyfill: WebSocket,
      disableBc: true,
      tokenTimeout: 200,
      getToken: source.getToken,
    })
    try {
      const [event] = await next(provider, 'token-error')
      assert.ok(event.error instanceof TokenError)
      assert.equal(event.error.code, code)
      assert.ok(event.retryIn !== null && event.retryIn > 0, 'a retry is scheduled')
      assert.doesNotMatch(event.error.message, /eyJ/, 'no token in the message')
      await synced(provider, 35_000)
      assert.equal(source.calls(), 2)
    } finally {
      provider.destroy()
    }
  })
}

test('a shared token source serves many providers with one getToken call', async () => {
  let calls = 0
  const tokenSource = createTokenSource(async () => {
    calls++
    return { token: await dp.mintToken(), expiresAt: Date.now() + 900_000 }
  })
  const clients = Array.from({ length: 10 }, (_, i) => client(dp, `shared-${i}`, { tokenSource }))
  try {
    await Promise.all(clients.map(c => synced(c.provider)))
    assert.equal(calls, 1)
  } finally {
    destroyAll(clients)
  }
})

test('the token event carries expiry and claims, never the token; properties expose expiry and limits', async () => {
  const a = client(dp, 'token-event', { connect: false })
  try {
    const seen = next(a.provider, 'token')
    a.provider.connect()
    const [event] = await seen
    assert.ok(event.expiresAt > Date.now() + 800_000)
    assert.equal(event.claims.tenantId, dp.app.tenantId)
    assert.doesNotMatch(JSON.stringify(event), /eyJ/)
    assert.equal(a.provider.tokenExpiresAt, event.expiresAt)
    assert.deepEqual(a.provider.limits, event.claims.limits)
    await synced(a.provider)
  } finally {
    destroyAll([a])
  }
})
