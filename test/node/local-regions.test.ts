// Region pinning (4009 REDIRECT/REGION), moving documents, the grace period, and the HTTP endpoints of
// each region host: /discovery, /usage, /health, with their per-IP rate limits.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startLocalDataplane } from '../../src/local/index.ts'
import { accepted, closeOf, closeQuietly, eventually, getJson, nextClose, open, serverText, YClient } from '../support/local-client.ts'

test('4009 REDIRECT to the pinned region; REGION: when the URL would not fit 123 bytes', async () => {
  const dp = await startLocalDataplane()
  try {
    const token = await dp.mintToken()
    const [eu, us] = dp.regions
    const first = await accepted(`${eu!.url}/pinned`, token)
    assert.deepEqual(await closeOf(`${us!.url}/pinned`, { protocols: ['access_token', token] }), { code: 4009, reason: `REDIRECT:${eu!.url}/pinned` })
    const long = 'n'.repeat(100)
    const second = await accepted(`${us!.url}/${long}`, token)
    const close = await closeOf(`${eu!.url}/${long}`, { protocols: ['access_token', token] })
    assert.deepEqual(close, { code: 4009, reason: 'REGION:us-east-1' })
    // The longest name whose redirect still fits gets the full URL.
    const fits = 'f'.repeat(123 - `REDIRECT:${us!.url}/`.length)
    const third = await accepted(`${us!.url}/${fits}`, token)
    const fitClose = await closeOf(`${eu!.url}/${fits}`, { protocols: ['access_token', token] })
    assert.equal(fitClose.reason, `REDIRECT:${us!.url}/${fits}`)
    assert.equal(Buffer.byteLength(fitClose.reason), 123)
    await closeQuietly(first, second, third)
  } finally {
    await dp.close()
  }
})

test('moveDocument(): live sockets get 1012, reconnects at the old region get 4009, state moves along', async () => {
  const dp = await startLocalDataplane()
  try {
    const token = await dp.mintToken()
    const [eu, us] = dp.regions
    const a = new YClient(`${eu!.url}/moving`, token)
    await a.until(() => a.synced)
    a.doc.getText('text').insert(0, 'moved')
    await serverText(() => dp.getDocument('moving'), 'moved')
    const closed = nextClose(a.ws)
    dp.moveDocument('moving', 'us-east-1')
    assert.deepEqual(await closed, { code: 1012, reason: 'Service Restart' })
    assert.deepEqual(await closeOf(`${eu!.url}/moving`, { protocols: ['access_token', token] }), { code: 4009, reason: `REDIRECT:${us!.url}/moving` })
    const b = new YClient(`${us!.url}/moving`, token)
    await b.until(() => b.text() === 'moved', 'state at the new region')
    await Promise.all([a.close(), b.close()])
    assert.throws(() => dp.moveDocument('moving', 'mars-1'), /unknown region/)
  } finally {
    await dp.close()
  }
})

test('grace period: a reconnect within it keeps the state; after it the pin and state are dropped', async () => {
  const dp = await startLocalDataplane({ gracePeriod: 250 })
  try {
    const token = await dp.mintToken()
    const [eu, us] = dp.regions
    const a = new YClient(`${eu!.url}/graceful`, token)
    await a.until(() => a.synced)
    a.doc.getText('text').insert(0, 'survives')
    await serverText(() => dp.getDocument('graceful'), 'survives')
    await a.close()
    await eventually(() => dp.stats().connections === 0)
    // Within the grace period: pinned still, state kept.
    assert.equal((await closeOf(`${us!.url}/graceful`, { protocols: ['access_token', token] })).code, 4009)
    const b = new YClient(`${eu!.url}/graceful`, token)
    await b.until(() => b.text() === 'survives', 'state kept within grace')
    await b.close()
    await eventually(() => dp.getDocument('graceful') === undefined, 'document dropped after grace', 3000)
    assert.equal(dp.stats().documents, 0)
    // The pin is gone: the other region now takes it, with empty state.
    const c = new YClient(`${us!.url}/graceful`, token)
    await c.until(() => c.synced)
    assert.equal(c.text(), '')
    await c.close()
  } finally {
    await dp.close()
  }
})

test('/discovery: errors, the asked region for new documents, the pinned one otherwise', async () => {
  const dp = await startLocalDataplane()
  try {
    const token = await dp.mintToken()
    const [eu, us] = dp.regions
    const auth = { authorization: `Bearer ${token}` }
    assert.equal((await getJson(`${us!.httpUrl}/discovery`, auth)).status, 400)
    assert.equal((await getJson(`${us!.httpUrl}/discovery?documentName=a.b`, auth)).status, 400)
    const missing = await getJson(`${us!.httpUrl}/discovery?documentName=doc`)
    assert.equal(missing.status, 401)
    assert.equal(missing.body.error, 'invalid_token')
    assert.equal((await getJson(`${us!.httpUrl}/discovery?documentName=doc`, { authorization: `Bearer ${await dp.mintToken({ signWith: 'foreign' })}` })).status, 401)
    assert.equal((await getJson(`${us!.httpUrl}/discovery?documentName=doc`, { authorization: `Bearer ${await dp.mintToken({ ttl: -5 })}` })).status, 401)
    const fresh = await getJson(`${us!.httpUrl}/discovery?documentName=doc`, auth)
    assert.equal(fresh.status, 200)
    assert.deepEqual(fresh.body, { region: 'us-east-1', url: `${us!.url}/doc`, isNew: true })
    assert.equal(fresh.headers.get('access-control-allow-origin'), '*')
    const ws = await accepted(`${eu!.url}/doc`, token)
    const pinned = await getJson(`${us!.httpUrl}/discovery?documentName=doc&token=${token}`)
    assert.deepEqual(pinned.body, { region: 'eu-central-1', url: `${eu!.url}/doc`, isNew: false })
    const preflight = await fetch(`${us!.httpUrl}/discovery?documentName=doc`, { method: 'OPTIONS' })
    assert.equal(preflight.status, 204)
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/)
    await closeQuietly(ws)
  } finally {
    await dp.close()
  }
})

test('/usage: contract shape and healthy/warning/critical thresholds', async () => {
  const dp = await startLocalDataplane()
  try {
    const token = await dp.mintToken({ claims: { limits: { maxConnections: 4, maxDocuments: 10 } } })
    const url = `${dp.httpUrl('eu-central-1')}/usage`
    const auth = { authorization: `Bearer ${token}` }
    const empty = await getJson(url, auth)
    assert.equal(empty.status, 200)
    assert.equal(empty.body.tenantId, dp.app.tenantId)
    assert.equal(empty.body.appId, dp.app.appId)
    assert.equal(typeof empty.body.timestamp, 'string')
    assert.deepEqual(empty.body.usage, {
      connections: { current: 0, limit: 4, percent: 0, status: 'healthy' },
      documents: { current: 0, limit: 10, percent: 0, status: 'healthy' },
    })
    const sockets = [await accepted(`${dp.regions[0]!.url}/u1`, token), await accepted(`${dp.regions[1]!.url}/u2`, token), await accepted(`${dp.regions[0]!.url}/u1`, token)]
    const three = (await getJson(url, auth)).body.usage as Record<string, Record<string, unknown>>
    assert.deepEqual(three.connections, { current: 3, limit: 4, percent: 75, status: 'warning' })
    assert.deepEqual(three.documents, { current: 2, limit: 10, percent: 20, status: 'healthy' })
    sockets.push(await accepted(`${dp.regions[0]!.url}/u3`, token))
    const four = (await getJson(url, auth)).body.usage as Record<string, Record<string, unknown>>
    assert.equal(four.connections!.status, 'critical')
    assert.equal((await getJson(url)).status, 401)
    await closeQuietly(...sockets)
  } finally {
    await dp.close()
  }
})

test('/health, /, unknown paths and methods', async () => {
  const dp = await startLocalDataplane()
  try {
    for (const path of ['/health', '/']) {
      const reply = await getJson(`${dp.regions[1]!.httpUrl}${path}`)
      assert.equal(reply.status, 200)
      assert.equal(reply.body.status, 'healthy')
      assert.ok(!Number.isNaN(Date.parse(reply.body.timestamp as string)))
    }
    const unknown = await getJson(`${dp.regions[0]!.httpUrl}/nope/nothing`)
    assert.equal(unknown.status, 404)
    assert.equal(unknown.body.error, 'not_found')
    const post = await fetch(`${dp.regions[0]!.httpUrl}/health`, { method: 'POST' })
    assert.equal(post.status, 405)
    await post.body?.cancel()
    assert.equal((await getJson(`${dp.apiUrl}/nothing-here`)).status, 404)
  } finally {
    await dp.close()
  }
})

test('per-IP rate limits: connect, /discovery and /usage answer 429 with Retry-After: 60', async () => {
  const dp = await startLocalDataplane({ rateLimits: { connectPerMinute: 2, discoveryPerMinute: 2 } })
  try {
    const token = await dp.mintToken()
    const url = `${dp.regions[0]!.url}/limited`
    const sockets = [await accepted(url, token), await accepted(url, token)]
    const third = open(url, { protocols: ['access_token', token] })
    const status = await new Promise<{ code: number; retry: string | undefined }>((resolve, reject) => {
      third.once('unexpected-response', (_req, res) => resolve({ code: res.statusCode ?? 0, retry: res.headers['retry-after'] }))
      third.once('open', () => reject(new Error('third connect was accepted')))
    })
    third.on('error', () => {})
    assert.deepEqual(status, { code: 429, retry: '60' })
    assert.deepEqual(dp.handshakes[2]!.outcome, { code: 429, reason: 'Too Many Requests' })
    await closeQuietly(...sockets)

    const discovery = `${dp.regions[0]!.httpUrl}/discovery?documentName=x&token=${token}`
    assert.equal((await getJson(discovery)).status, 200)
    assert.equal((await getJson(discovery)).status, 200)
    const limited = await getJson(discovery)
    assert.equal(limited.status, 429)
    assert.equal(limited.headers.get('retry-after'), '60')

    // /usage keeps the contract's 12 per minute by default.
    const usage = `${dp.regions[0]!.httpUrl}/usage?token=${token}`
    for (let i = 0; i < 12; i++) assert.equal((await getJson(usage)).status, 200)
    const usageLimited = await getJson(usage)
    assert.equal(usageLimited.status, 429)
    assert.equal(usageLimited.headers.get('retry-after'), '60')
  } finally {
    await dp.close()
  }
})
