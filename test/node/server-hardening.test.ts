// Backend hardening (issue 10, points 13–15): secrets in every encoding an upstream might echo never
// reach an error, a token store that never answers cannot hang token requests, and a malformed Host
// is the client's fault. Over real sockets: a scripted token endpoint and a node:http server on 127.0.0.1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { createMemoryTokenStore, createTokenClient, createTokenHandler, toNodeHandler, WireSocketTokenError, type AccessToken, type StoredTokenState, type TokenStore } from '../../src/server/index.ts'
import { redact } from '../../src/contract/redact.ts'
import { manualClock, scriptedEndpoint, tokenReply, type Scripted } from './support/scripted-token-endpoint.ts'

const failure = async (promise: Promise<unknown>): Promise<WireSocketTokenError> => {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  assert.ok(error instanceof WireSocketTokenError, `expected a WireSocketTokenError, got ${String(error)}`)
  return error
}

/** Every text a log line or an error tracker could make of an error. */
const renderings = (error: unknown): string[] =>
  [String(error), error instanceof Error ? String(error.stack) : '', inspect(error, { depth: 5, showHidden: true }), JSON.stringify(error) ?? '']

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** One raw HTTP/1.1 request (so that the Host header is exactly what we write); the status line's code. */
const rawStatus = async (port: number, host: string): Promise<number> => await new Promise((resolve, reject) => {
  const socket = connect(port, '127.0.0.1')
  let reply = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { reply += chunk })
  socket.on('error', reject)
  socket.on('end', () => {
    const match = /^HTTP\/1\.1 (\d{3})/.exec(reply)
    if (match === null) reject(new Error(`no status line in ${JSON.stringify(reply.slice(0, 80))}`))
    else resolve(Number(match[1]))
  })
  socket.write(`GET /api/token HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
})

test('toNodeHandler: a malformed Host header is a 400, not a 500; the handler is not called', async () => {
  let calls = 0
  const handler = createTokenHandler({
    client: { getAccessToken: async () => { calls++; throw new Error('not reached') } },
    authorize: () => { calls++; return false },
  })
  const server = createServer(toNodeHandler(handler))
  const port = await listen(server)
  try {
    for (const host of ['exa mple.com', '[::1', 'a:b:c', 'x%zz', 'user:pw@app.test', 'app.test:99999']) {
      assert.equal(await rawStatus(port, host), 400, `Host: ${host}`)
    }
    assert.equal(calls, 0)
    assert.equal(await rawStatus(port, 'app.test:8080'), 401, 'a good Host still reaches the handler (which refuses: no session)')
    assert.equal(calls, 1)
  } finally {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
})

// ---- 13: secrets in every encoding an upstream might echo ----

const hex = (c: string): string => [...new TextEncoder().encode(c)].map(b => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
const formEncode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2)
/** RFC 3986: only unreserved characters stay as they are. */
const rfc3986 = (value: string): string => [...value].map(c => (/^[A-Za-z0-9._~-]$/.test(c) ? c : hex(c))).join('')

/** The ways an upstream may hand `value` back: what we sent, re-encoded, or packed into HTTP Basic. */
const encodingsOf = (value: string, clientId: string): Record<string, string> => ({
  verbatim: value,
  form: formEncode(value),
  encodeURIComponent: encodeURIComponent(value),
  rfc3986: rfc3986(value),
  'rfc3986 lower-case hex': rfc3986(value).replace(/%[0-9A-F]{2}/g, m => m.toLowerCase()),
  'double percent-encoded': encodeURIComponent(encodeURIComponent(value)),
  json: JSON.stringify(value).slice(1, -1).replace(/\//g, '\\/'),
  'basic base64(id:value)': Buffer.from(`${clientId}:${value}`).toString('base64'),
  'basic base64(form(id):form(value))': Buffer.from(`${formEncode(clientId)}:${formEncode(value)}`).toString('base64'),
  'base64url(id:value)': Buffer.from(`${clientId}:${value}`).toString('base64url'),
  'base64(value)': Buffer.from(value).toString('base64'),
  'base64url(value)': Buffer.from(value).toString('base64url'),
})

const CLIENT_ID = 'app client+1'
const SECRET = 'p@ss.w0rd!~ *(x)/+é=&\\'
const REFRESH = 'rt+Zk/9Q==&x y'

test('13: the client secret, refresh and access tokens never reach an error or onError, in any encoding an upstream echoes', async () => {
  const clock = manualClock()
  const first = await tokenReply(clock.now(), REFRESH)
  const accessToken = (first.body as { access_token: string }).access_token
  const values = { 'client secret': SECRET, 'refresh token': REFRESH, 'access token': accessToken }
  for (const [what, value] of Object.entries(values)) {
    for (const [encoding, echoed] of Object.entries(encodingsOf(value, CLIENT_ID))) {
      const c = manualClock()
      const echo: Scripted = { status: 400, body: { error: 'invalid_request', error_description: `echo «${echoed}» end` } }
      const ep = await scriptedEndpoint([first, echo])
      try {
        const client = createTokenClient({ clientId: CLIENT_ID, clientSecret: SECRET, tokenUrl: ep.url, now: c.now })
        const seen: unknown[] = []
        const handler = createTokenHandler({ client, authorize: () => true, onError: error => { seen.push(error) } })
        assert.equal((await handler(new Request('http://app.test/t', { method: 'POST' }))).status, 200)
        c.advance(900_000)
        const response = await handler(new Request('http://app.test/t', { method: 'POST' }))
        assert.equal(response.status, 502)
        const body = await response.text()
        assert.equal(seen.length, 1)
        const error = seen[0]
        assert.ok(error instanceof WireSocketTokenError)
        assert.match(error.message, /echo «\[redacted\]» end/, `${what} ${encoding}: the echo was kept, with the value cut out`)
        for (const text of [...renderings(error), body]) {
          assert.equal(text.includes(echoed), false, `${what} leaked ${encoding}: ${error.message}`)
        }
      } finally {
        await ep.close()
      }
    }
  }
})

// ---- 14: a store that never answers, or fails, cannot hang or break token requests ----

type StoreMode = 'ok' | 'hang' | 'throw'
/** A memory store whose calls can be made to hang forever or throw, one call kind at a time. */
const faultyStore = (): { store: TokenStore; set: (call: 'get' | 'set' | 'lock', mode: StoreMode) => void; state: () => StoredTokenState | undefined; calls: Record<string, number> } => {
  const inner = createMemoryTokenStore()
  const modes: Record<'get' | 'set' | 'lock', StoreMode> = { get: 'ok', set: 'ok', lock: 'ok' }
  const calls: Record<string, number> = { get: 0, set: 0, lock: 0 }
  let secretLooking = ''
  const behave = async <T>(call: 'get' | 'set' | 'lock', run: () => Promise<T> | T): Promise<T> => {
    calls[call]!++
    if (modes[call] === 'hang') return await new Promise<T>(() => {})
    // A store error that quotes what it holds, as some client libraries' errors do.
    if (modes[call] === 'throw') throw new Error(`ECONNRESET while sending ${secretLooking}`)
    return await run()
  }
  return {
    store: {
      get: async () => await behave('get', () => inner.get()),
      set: async state => { secretLooking = JSON.stringify(state); await behave('set', () => inner.set(state)) },
      lock: async lease => await behave('lock', async () => await inner.lock!(lease)),
    },
    set: (call, mode) => { modes[call] = mode },
    state: () => inner.get() as StoredTokenState | undefined,
    calls,
  }
}

const STORE_TIMEOUT = 200

test('14: a store whose get, lock or set never settles: the still-valid cached token is served within storeTimeout', { timeout: 20_000 }, async () => {
  for (const call of ['get', 'lock', 'set'] as const) {
    const c = manualClock()
    const ep = await scriptedEndpoint([await tokenReply(c.now(), 'refresh-1'), await tokenReply(c.now() + 870_000, 'refresh-2')])
    try {
      const faulty = faultyStore()
      const client = createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url, now: c.now, store: faulty.store, storeTimeout: STORE_TIMEOUT, failureBackoff: 1_000 })
      const first = await client.getAccessToken()
      faulty.set(call, 'hang')
      c.advance(900_000 - 30_000) // inside the refresh margin, 30 s before expiry
      const started = performance.now()
      const during = await Promise.all(Array.from({ length: 20 }, async () => await client.getAccessToken()))
      const waited = performance.now() - started
      assert.ok(waited < STORE_TIMEOUT + 1_000, `${call}: answered in ${Math.round(waited)} ms`)
      if (call === 'set') {
        // The renewal itself worked: the new token is served although it could not be stored.
        assert.ok(during.every(t => t.token !== first.token && t.token === during[0]!.token), 'set hangs: the new token is served')
        assert.equal(ep.seen.length, 2)
      } else {
        assert.ok(during.every(t => t.token === first.token), `${call} hangs: the cached token is served`)
        assert.equal(ep.seen.length, 1, `${call} hangs: no token request without the store`)
      }
      assert.equal(faulty.calls[call], 2, 'one store attempt for 20 callers')
    } finally {
      await ep.close()
    }
  }
})

test('14: with nothing cached, a hanging store gives a clear store_error naming the call and the timeout, in bounded time', { timeout: 20_000 }, async () => {
  for (const call of ['get', 'lock'] as const) {
    const ep = await scriptedEndpoint([await tokenReply(Date.now(), 'refresh-1')])
    try {
      const faulty = faultyStore()
      faulty.set(call, 'hang')
      const lockLease = 300
      const client = createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url, store: faulty.store, storeTimeout: STORE_TIMEOUT, lockLease })
      const started = performance.now()
      const error = await failure(client.getAccessToken())
      const waited = performance.now() - started
      assert.equal(error.code, 'store_error')
      assert.equal(error.transient, true)
      // Waiting for a lock without a token to serve includes the lease another holder may still use.
      const bound = call === 'lock' ? STORE_TIMEOUT + lockLease : STORE_TIMEOUT
      assert.equal(error.message, `WireSocket token store: ${call} timed out after ${bound} ms`)
      assert.ok(waited < bound + 1_000, `${call}: failed in ${Math.round(waited)} ms`)
      assert.equal(ep.seen.length, 0)
      const handler = createTokenHandler({ client, authorize: () => true })
      const response = await handler(new Request('http://app.test/t', { method: 'POST' }))
      assert.equal(response.status, 503, 'a store outage is temporary: 503')
    } finally {
      await ep.close()
    }
  }
})

test('14: a store that throws: the cached token is served, and the error says which call failed without any secret', { timeout: 20_000 }, async () => {
  const c = manualClock()
  const refresh = 'refresh-token-SHOULD-NOT-LEAK'
  const ep = await scriptedEndpoint([await tokenReply(c.now(), refresh)])
  try {
    const faulty = faultyStore()
    const client = createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url, now: c.now, store: faulty.store, storeTimeout: STORE_TIMEOUT, failureBackoff: 1_000 })
    const first = await client.getAccessToken()
    faulty.set('get', 'throw')
    c.advance(900_000 - 30_000)
    assert.equal((await client.getAccessToken()).token, first.token, 'the cached token is served')
    c.advance(60_000) // expired, the store still failing
    const error = await failure(client.getAccessToken())
    assert.equal(error.code, 'store_error')
    assert.match(error.message, /^WireSocket token store: get failed \(ECONNRESET while sending .*\)$/)
    for (const text of renderings(error)) {
      for (const value of [SECRET, refresh, first.token, formEncode(SECRET)]) assert.equal(text.includes(value), false, `leaked: ${error.message}`)
    }
    faulty.set('get', 'ok')
    c.advance(1_000)
    const recovered = await client.getAccessToken()
    assert.ok(recovered.expiresAt > c.now(), 'once the store answers again, a fresh token')
  } finally {
    await ep.close()
  }
})

test('14: a garbage 200 on renewal: the still-valid cached token is served, then a clear bad_response once it expires', async () => {
  const c = manualClock()
  const garbage: Scripted[] = [
    { status: 200, body: '<html>proxy error</html>' },
    { status: 200, body: { access_token: 'not-a-jwt', expires_in: 900 } },
    { status: 200, body: { token_type: 'Bearer' } },
  ]
  for (const reply of garbage) {
    const ep = await scriptedEndpoint([await tokenReply(c.now(), 'refresh-1'), reply])
    try {
      const client = createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url, now: c.now, failureBackoff: 1_000 })
      const first: AccessToken = await client.getAccessToken()
      c.advance(900_000 - 30_000)
      const during = await Promise.all(Array.from({ length: 10 }, async () => await client.getAccessToken()))
      assert.ok(during.every(t => t.token === first.token), `${JSON.stringify(reply.body)}: cached token served`)
      c.advance(30_000)
      const error = await failure(client.getAccessToken())
      assert.equal(error.code, 'bad_response')
      assert.equal(error.status, 200)
    } finally {
      await ep.close()
    }
    c.advance(1_000_000)
  }
})

test('14: invalid store options throw at construction, naming the option', () => {
  for (const [name, value] of [['storeTimeout', -1], ['storeTimeout', Number.NaN], ['lockLease', 0], ['lockLease', Infinity]] as const) {
    assert.throws(() => createTokenClient({ clientId: 'c1', clientSecret: SECRET, [name]: value }), new RegExp(name))
  }
})

test('13: redaction stays fast on hostile text: a secret with a run of backslashes against 16 KiB of backslashes', () => {
  const secret = `${'\\'.repeat(24)}x`
  const started = performance.now()
  assert.equal(redact(`${'\\'.repeat(16_000)}y`, [secret]).length <= 201, true)
  assert.equal(redact(`a ${JSON.stringify(secret)} b`, [secret]), 'a "[redacted]" b')
  assert.ok(performance.now() - started < 500, `took ${Math.round(performance.now() - started)} ms`)
})

test('14: a lock granted after the client stopped waiting is released at once, and the client was told to stop waiting', { timeout: 20_000 }, async () => {
  const c = manualClock()
  const ep = await scriptedEndpoint([await tokenReply(c.now(), 'refresh-1')])
  try {
    const inner = createMemoryTokenStore()
    let slow = false
    let aborted = false
    let lateGrant: (() => void) | undefined
    let released = false
    let onReleased!: () => void
    const releasedNow = new Promise<void>(resolve => { onReleased = resolve })
    const store: TokenStore = {
      get: () => inner.get(),
      set: state => inner.set(state),
      lock: async (lease, options) => {
        const release = await inner.lock!(lease)
        const tracked = async (): Promise<void> => { released = true; onReleased(); await release() }
        if (!slow) return release
        options?.signal?.addEventListener('abort', () => { aborted = true })
        // Granted only when the test says so, long after the client's storeTimeout.
        return await new Promise(resolve => { lateGrant = () => resolve(tracked) })
      },
    }
    const client = createTokenClient({ clientId: 'c1', clientSecret: SECRET, tokenUrl: ep.url, now: c.now, store, storeTimeout: STORE_TIMEOUT })
    const first = await client.getAccessToken()
    slow = true
    c.advance(900_000 - 30_000)
    assert.equal((await client.getAccessToken()).token, first.token, 'served the cached token after storeTimeout')
    assert.equal(aborted, true, 'the store was told the caller stopped waiting')
    assert.equal(released, false)
    lateGrant!()
    await releasedNow
    assert.equal(released, true, 'the late lock was released, not left to its lease')
  } finally {
    await ep.close()
  }
})
