/**
 * Bad input (issue 6): token callbacks, constructor options, server frames, close reasons and
 * document names that a real backend, a real network or a careless caller could produce. Each case
 * asserts its clear outcome; every case also checks that no event (serialised in full) and no thrown
 * error carries a token, and the file fails if any promise rejection goes unhandled.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { WireSocketProvider, TokenError, type TokenResult, type WireSocketProviderOptions } from '../../src/index.ts'
import { fakeServer, next, recordingWebSocket } from './support/provider-harness.ts'
import { TOKEN_PATTERN, recordEvents, serialise, unhandledRejections } from './support/reliability-guards.ts'

let dp: LocalDataplane
const rejections = unhandledRejections()
before(async () => {
  rejections.start()
  dp = await startLocalDataplane()
})
after(async () => {
  await dp.close()
  assert.deepEqual(rejections.stop().map(r => serialise(r)), [], 'no unhandled rejection anywhere in this file')
})

/** A provider with every event recorded; `done()` destroys it and asserts no event carried a token. */
const watched = (url: string, name: string, options: Partial<WireSocketProviderOptions<WireSocketProvider>>): { provider: WireSocketProvider; done(): void } => {
  const provider = new WireSocketProvider(url, name, new Y.Doc(), { WebSocketPolyfill: WebSocket, disableBc: true, maxBackoffTime: 50, ...options })
  const recorded = recordEvents(provider)
  return {
    provider,
    done: () => {
      provider.destroy()
      assert.deepEqual(recorded.leaks(), [], 'no event payload contains a token')
    },
  }
}

// ---- token callbacks -------------------------------------------------------------------------------

const tokenCases: Array<[string, TokenError['code'], () => Promise<TokenResult>]> = [
  ['throws an Error', 'callback', async () => { throw new Error('backend exploded') }],
  // eslint-disable-next-line no-throw-literal -- the case under test: an app that throws a string
  ['throws a non-Error (a string)', 'callback', async () => { throw 'nope' as unknown as Error }],
  // eslint-disable-next-line prefer-promise-reject-errors -- the case under test: a rejection without a reason
  ['rejects with undefined', 'callback', () => Promise.reject(undefined)],
  ['hangs forever', 'timeout', () => new Promise<string>(() => {})],
  ['resolves undefined', 'malformed', async () => undefined as unknown as string],
  ['resolves null', 'malformed', async () => null as unknown as string],
  ['resolves a number', 'malformed', async () => 12345 as unknown as string],
  ['resolves { token: 42 }', 'malformed', async () => ({ token: 42 }) as unknown as string],
  ['resolves an empty string', 'malformed', async () => ''],
  ['resolves a non-JWT string', 'malformed', async () => 'Bearer hello'],
  ['resolves three dots of garbage', 'malformed', async () => 'a.b.c'],
  ['resolves a JWT whose payload is not JSON', 'malformed', async () => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('not json').toString('base64url')}.sig`],
  ['resolves an expired JWT', 'expired', async () => await dp.mintToken({ ttl: -120 })],
  ['resolves { token: expired JWT }', 'expired', async () => ({ token: await dp.mintToken({ ttl: -120 }) })],
  ['resolves a JWT without exp', 'malformed', async () => await dp.mintToken({ claims: { exp: null } })],
]

for (const [what, code, getToken] of tokenCases) {
  test(`getToken ${what}: token-error "${code}" with a retry, no token in the error`, async () => {
    const { provider, done } = watched(dp.regions[0]!.url, 'bad-token', { getToken, tokenTimeout: 100 })
    try {
      const [event] = await next(provider, 'token-error')
      assert.ok(event.error instanceof TokenError, 'a TokenError')
      assert.equal(event.error.code, code)
      assert.ok(event.retryIn !== null && event.retryIn > 0, 'the provider will try again')
      assert.doesNotMatch(serialise(event.error), TOKEN_PATTERN)
      assert.equal(provider.wsconnected, false, 'nothing was sent to the server without a token')
    } finally {
      done()
    }
  })
}

// ---- constructor options and document names ---------------------------------------------------------

const url = 'ws://127.0.0.1:9'
const getToken = async (): Promise<string> => 'unused'
// Checks both builds make: what data or the platform can get wrong (the server URL, the document name;
// every other option is checked by the development build only: provider-option-types.test.ts).
const optionCases: Array<[string, RegExp, () => unknown]> = [
  ['serverUrl http://', /option "serverUrl"/, () => new WireSocketProvider('http://127.0.0.1:9', 'd', new Y.Doc(), { getToken, WebSocketPolyfill: WebSocket })],
  ['serverUrl not a URL', /option "serverUrl"/, () => new WireSocketProvider('not a url', 'd', new Y.Doc(), { getToken, WebSocketPolyfill: WebSocket })],
]

const badNames: Array<[string, string]> = [
  ['empty', ''],
  ['256 characters', 'a'.repeat(256)],
  ['a slash', 'team/doc'],
  ['a leading slash', '/doc'],
  ['dots', '..'],
  ['a space', 'my doc'],
  ['unicode', 'dokümänt'],
  ['an emoji', 'doc-📄'],
  ['a query string', 'doc?token=x'],
]
for (const [what, documentName] of badNames) {
  optionCases.push([`document name with ${what}`, /option "documentName"/, () => new WireSocketProvider(url, documentName, new Y.Doc(), { getToken, WebSocketPolyfill: WebSocket })])
}

for (const [what, message, construct] of optionCases) {
  test(`constructor with ${what}: a TypeError naming the option, nothing started`, () => {
    assert.throws(construct, (error: unknown) => error instanceof TypeError && message.test(error.message) && !TOKEN_PATTERN.test(error.message))
  })
}

test('document name of exactly 255 allowed characters is accepted', () => {
  const p = new WireSocketProvider(url, `${'a'.repeat(253)}_-`, new Y.Doc(), { getToken, WebSocketPolyfill: WebSocket, connect: false })
  p.destroy()
})

// ---- frames from a hostile server ------------------------------------------------------------------

const frames: Array<[string, (socket: WebSocket) => void]> = [
  ['random bytes', socket => socket.send(Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff))],
  ['a sync step 1 with its state vector cut off', socket => socket.send(new Uint8Array([0, 0]))],
  ['an awareness message truncated', socket => socket.send(new Uint8Array([1, 40, 1]))],
  ['an unknown top-level message type', socket => socket.send(new Uint8Array([99, 0]))],
  ['an oversize frame of 4 MiB of 0xff', socket => socket.send(new Uint8Array(4 * 1024 * 1024).fill(0xff))],
  ['a varint that never ends', socket => socket.send(new Uint8Array(1024).fill(0x80))],
]

for (const [what, send] of frames) {
  test(`server sends ${what}: message-error, the socket is replaced, the process survives`, async () => {
    let connections = 0
    const server = await fakeServer(socket => { if (++connections === 1) send(socket) })
    const { provider, done } = watched(server.url, 'doc-frames', { getToken: async () => await dp.mintToken() })
    try {
      const [event] = await next(provider, 'message-error')
      assert.ok(event.error instanceof Error)
      assert.doesNotMatch(serialise(event), TOKEN_PATTERN)
      await next(provider, 'status', e => e.status === 'connected')
      assert.equal(connections, 2, 'reconnected once')
    } finally {
      done()
      await server.close()
    }
  })
}

// ---- close reasons ---------------------------------------------------------------------------------

const closes: Array<[string, number, string, 'closed' | 'reconnect', string?]> = [
  ['4009 with an empty reason', 4009, '', 'closed', 'redirect'],
  ['4009 to a javascript: URL', 4009, 'REDIRECT:javascript:alert(1)', 'closed', 'redirect'],
  ['4009 to a look-alike host', 4009, 'REDIRECT:ws://127.0.0.1.evil.example/doc-close', 'closed', 'redirect'],
  ['4009 to a host hidden behind userinfo', 4009, 'REDIRECT:ws://127.0.0.1@evil.example/doc-close', 'closed', 'redirect'],
  ['4009 to https://', 4009, 'REDIRECT:https://127.0.0.1/doc-close', 'closed', 'redirect'],
  ['4009 REGION: with a path in it', 4009, 'REGION:../../evil', 'closed', 'redirect'],
  ['4009 with lower-case redirect:', 4009, 'redirect:ws://127.0.0.1:1/doc-close', 'closed', 'redirect'],
  ['4003 with an empty reason', 4003, '', 'closed', 'forbidden'],
  ['4007 with a malformed reason', 4007, '\u0000\uFFFD', 'closed', 'invalid-name'],
  ['1000 with an empty reason', 1000, '', 'reconnect'],
  ['4002 with an empty reason', 4002, '', 'reconnect'],
  ['4000 with a 123-byte reason', 4000, 'x'.repeat(123), 'reconnect'],
]

for (const [what, code, reason, outcome, kind] of closes) {
  test(`server closes ${what}: ${outcome === 'closed' ? `closed (${kind ?? ''}), no other host contacted` : 'reconnects to the same URL'}`, async () => {
    let connections = 0
    const server = await fakeServer(socket => { if (++connections === 1) socket.close(code, reason) })
    const log: Array<{ url: string; protocols: string[] }> = []
    const { provider, done } = watched(server.url, 'doc-close', { getToken: async () => await dp.mintToken(), WebSocketPolyfill: recordingWebSocket(log) })
    try {
      if (outcome === 'closed') {
        const [closed] = await next(provider, 'closed')
        assert.deepEqual({ code: closed.code, kind: closed.kind }, { code, kind })
        assert.equal(provider.state, 'closed')
      } else {
        // the first socket opens and is closed by the server; a second one opening is the reconnect
        let opened = 0
        await next(provider, 'status', e => e.status === 'connected' && ++opened === 2, 10_000)
        assert.equal(connections, 2)
      }
      assert.ok(log.every(l => l.url === `${server.url}/doc-close`), `only the configured URL was contacted: ${JSON.stringify(log.map(l => l.url))}`)
    } finally {
      done()
      await server.close()
    }
  })
}
