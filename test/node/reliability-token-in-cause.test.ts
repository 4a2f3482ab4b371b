// Regression: an error thrown by getToken that quotes the token must not carry it into the token-error
// event (it used to, verbatim, as error.cause).
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import * as Y from 'yjs'
import WebSocket from 'ws'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { WireSocketProvider } from '../../src/index.ts'
import { next } from './support/provider-harness.ts'
import { TOKEN_PATTERN, serialise } from './support/reliability-guards.ts'

let dp: LocalDataplane
before(async () => { dp = await startLocalDataplane() })
after(async () => { await dp.close() })

test('a getToken error that mentions the token does not put the token into the token-error event', async () => {
  const provider = new WireSocketProvider(dp.regions[0]!.url, 'leak', new Y.Doc(), {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    getToken: async () => { throw new Error(`backend rejected refresh of ${await dp.mintToken()}`) },
  })
  try {
    const [event] = await next(provider, 'token-error')
    assert.doesNotMatch(event.error.message, TOKEN_PATTERN)
    assert.doesNotMatch(serialise(event), TOKEN_PATTERN)
    assert.ok(event.error.cause instanceof Error)
    assert.match(event.error.cause.message, /^backend rejected refresh of \[token\]$/, 'the cause is kept, redacted')
  } finally {
    provider.destroy()
  }
})

/** The first token-error event of a provider whose getToken fails, serialised as a log would keep it, and its cause's text and stack. */
const tokenErrors = async (name: string, getToken: () => Promise<string>): Promise<string[]> => {
  const provider = new WireSocketProvider(dp.regions[0]!.url, name, new Y.Doc(), { WebSocketPolyfill: WebSocket, disableBc: true, getToken })
  try {
    const [event] = await next(provider, 'token-error')
    return [serialise(event), String(event.error.cause), String((event.error.cause as Error | undefined)?.stack)]
  } finally {
    provider.destroy()
  }
}

test('a getToken that rejects with a plain object holding the token: no token in the event', async () => {
  const token = await dp.mintToken()
  for (const text of await tokenErrors('leak-object', async () => { throw Object.assign(Object.create(null), { token, message: `no ${token}` }) })) {
    assert.doesNotMatch(text, TOKEN_PATTERN)
  }
})

test('guard: an Error whose cause, stack or extra fields quote the token: none of them reach the event', async () => {
  const token = await dp.mintToken()
  const error = new Error('refresh failed', { cause: new Error(token) })
  error.stack = `Error: ${token}\n    at backend`
  Object.assign(error, { token, response: { body: token } })
  for (const text of await tokenErrors('leak-cause', async () => { throw error })) {
    assert.doesNotMatch(text, TOKEN_PATTERN)
  }
})

test('guard: an error whose getters throw (with the token) is reported without it', async () => {
  const token = await dp.mintToken()
  const hostile = new Error('x')
  Object.defineProperty(hostile, 'message', { get () { throw new Error(token) } })
  Object.defineProperty(hostile, 'name', { get () { throw new Error(token) } })
  const texts = await tokenErrors('leak-getter', async () => { throw hostile })
  for (const text of texts) assert.doesNotMatch(text, TOKEN_PATTERN)
})

test('a background refresh that fails with the token: the token-error (retryIn null) does not carry it', async () => {
  let calls = 0
  const provider = new WireSocketProvider(dp.regions[0]!.url, 'leak-refresh', new Y.Doc(), {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    // the first token lives 2 s, so its refresh is due after 1.6 s; that refresh fails quoting a token
    getToken: async () => {
      const token = await dp.mintToken({ ttl: 2 })
      if (++calls === 1) return token
      // a plain object, as a fetch wrapper might reject with the parsed response body
      // eslint-disable-next-line no-throw-literal -- the case under test
      throw { error: 'refresh failed', token }
    },
  })
  try {
    const [event] = await next(provider, 'token-error', e => e.retryIn === null)
    assert.doesNotMatch(serialise(event), TOKEN_PATTERN)
    assert.equal(calls, 2)
  } finally {
    provider.destroy()
  }
})
