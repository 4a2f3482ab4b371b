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
    WebSocketPolyfill: WebSocket, disableBc: true,
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
