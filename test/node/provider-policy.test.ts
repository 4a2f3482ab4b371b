/**
 * The close-code policy (src/provider/policy.ts) on its own: every close code from 1000 to 4999 against
 * every kind of counter state, checked against the contract's "client action" column restated here.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { afterDrop, afterTokenFailure, namedByContract, noFailures, type Counters, type Decision, type PolicyOptions } from '../../src/provider/policy.ts'
import { afterClose, MAX_REDIRECTS, MAX_REJECTIONS, settle } from '../../src/provider/close-policy.ts'
import { Route } from '../../src/provider/route.ts'
import { CloseCode } from '../../src/contract/close-codes.ts'

const options = (random: number, shouldReconnect = (e: { code: number }) => !(e.code >= 4400 && e.code < 4500)): PolicyOptions =>
  ({ maxBackoffTime: 2500, limitRetryDelay: 30_000, shouldReconnect, random: () => random })

/** Counter states: fresh, mid-way, and each counter at (and one short of) the value that changes the outcome. */
const states: Counters[] = []
for (const failures of [0, 1, 7, 40]) {
  for (const rejections of [0, 1, MAX_REJECTIONS - 1, MAX_REJECTIONS]) {
    for (const redirects of [0, MAX_REDIRECTS - 1, MAX_REDIRECTS]) {
      for (const limitHits of [0, 1, 12]) {
        for (const missingTokenRetried of [false, true]) states.push({ failures, rejections, redirects, limitHits, missingTokenRetried })
      }
    }
  }
}

const jitter = (failures: number, random: number): number => random * Math.min(2500, 500 * 2 ** failures)
const slowWait = (hits: number, random: number): number => Math.min(300_000, 30_000 * 2 ** Math.max(0, hits - 1)) * (1 + random / 2)
const reasons: Record<number, string> = {
  4004: 'Connection limit exceeded: 5',
  4005: 'Document limit exceeded: 3 (active: 3)',
  4006: 'Rate limit exceeded: 100 ops/min',
  4008: 'Document user limit exceeded: 2',
  4009: 'REDIRECT:wss://us-east-1.wiresocket.net/doc',
}

/** The contract's table (§3), restated independently of the module. */
const expected = (code: number, reason: string, c: Counters, random: number): { decision: Decision; counters: Counters } => {
  const failures = c.failures + 1
  const after = { ...c, failures }
  const event = { code, reason }
  const retry = (delay: number, reason = 'retry'): Decision => ({ action: 'retry', delay, reason, wakeOnOnline: true } as Decision)
  switch (code) {
    case 4001: return c.missingTokenRetried
      ? { decision: { action: 'stop', kind: 'unauthorized', event }, counters: after }
      : { decision: retry(0, 'missing'), counters: { ...after, missingTokenRetried: true } }
    case 4002: {
      const rejections = c.rejections + 1
      if (rejections > MAX_REJECTIONS) return { decision: { action: 'stop', kind: 'unauthorized', event }, counters: { ...after, rejections } }
      return { decision: { ...retry(rejections === 1 ? 0 : jitter(failures, random), 'rejected'), forgetToken: true } as Decision, counters: { ...after, rejections } }
    }
    case 4003: return { decision: { action: 'stop', kind: 'forbidden', event }, counters: after }
    case 4007: return { decision: { action: 'stop', kind: 'invalid-name', event }, counters: after }
    case 4006: return { decision: { action: 'limit', code, limit: 'ops-per-minute', value: 100, delay: slowWait(1, random) }, counters: after }
    case 4004: case 4005: case 4008: {
      const limitHits = c.limitHits + 1
      const limit = code === 4004 ? 'connections' : code === 4005 ? 'documents' : 'users-per-document'
      const value = code === 4004 ? 5 : code === 4005 ? 3 : 2
      return { decision: { action: 'limit', code, limit, value, delay: slowWait(limitHits, random) }, counters: { ...after, limitHits } }
    }
    case 4009: {
      const redirects = c.redirects + 1
      if (redirects > MAX_REDIRECTS) return { decision: { ...retry(jitter(failures, random)), home: true } as Decision, counters: { ...after, redirects: 0 } }
      return { decision: { action: 'follow', to: { url: new URL('wss://us-east-1.wiresocket.net/doc') }, event }, counters: { ...after, redirects } }
    }
  }
  if (code >= 4400 && code < 4500) return { decision: { action: 'stop', kind: 'server', event }, counters: after }
  return { decision: retry(jitter(failures, random)), counters: after }
}

test('every close code 1000–4999 × every counter state: the contract\'s client action', () => {
  let checked = 0
  for (let code = 1000; code <= 4999; code++) {
    for (const counters of states) {
      for (const random of [0, 0.5, 1]) {
        const reason = reasons[code] ?? 'whatever'
        const verdict = afterClose({ code, reason }, counters, options(random))
        assert.deepEqual(verdict, expected(code, reason, counters, random), `code ${code}, ${JSON.stringify(counters)}, random ${random}`)
        checked++
      }
    }
  }
  assert.equal(checked, 4000 * states.length * 3)
})

test('the policy does not change the counters it is given', () => {
  const counters = { ...noFailures }
  afterClose({ code: 4002, reason: '' }, counters, options(1))
  assert.deepEqual(counters, noFailures)
})

test('4009 whose reason is not a redirect (or a bad region name): stop (redirect)', () => {
  for (const reason of ['', 'REDIRECT:::', 'REGION:../evil', 'somewhere else']) {
    assert.deepEqual(afterClose({ code: 4009, reason }, noFailures, options(1)).decision, { action: 'stop', kind: 'redirect', event: { code: 4009, reason } })
  }
  assert.deepEqual(afterClose({ code: 4009, reason: 'REGION:us-east-1' }, noFailures, options(1)).decision, { action: 'follow', to: { region: 'us-east-1' }, event: { code: 4009, reason: 'REGION:us-east-1' } })
})

test('limit value: read from the reason when it carries one, null otherwise', () => {
  assert.equal(afterClose({ code: 4004, reason: 'Connection limit exceeded' }, noFailures, options(0)).decision.action, 'limit')
  const { decision } = afterClose({ code: 4004, reason: 'Connection limit exceeded' }, noFailures, options(0))
  assert.equal(decision.action === 'limit' && decision.value, null)
})

test('shouldReconnect decides codes the contract does not name, and only those', () => {
  const never = options(1, () => false)
  assert.deepEqual(afterClose({ code: 1006, reason: '' }, noFailures, never).decision, { action: 'stop', kind: 'server', event: { code: 1006, reason: '' } })
  assert.equal(afterClose({ code: 4002, reason: '' }, noFailures, never).decision.action, 'retry')
  assert.equal(afterClose({ code: 4006, reason: '' }, noFailures, never).decision.action, 'limit')
})

test('drops and token failures: one more failure, an ordinary (drop) or a longer (token) backoff', () => {
  for (const c of states) {
    for (const random of [0, 0.5, 1]) {
      const failures = c.failures + 1
      assert.deepEqual(afterDrop(c, options(random)), {
        decision: { action: 'retry', delay: jitter(failures, random), reason: 'retry', wakeOnOnline: true }, counters: { ...c, failures },
      })
      assert.deepEqual(afterTokenFailure(c, options(random)), {
        decision: { action: 'retry', delay: Math.max(jitter(failures, random), 1000 * Math.min(30, 2 ** failures) * random), reason: 'retry', wakeOnOnline: true },
        counters: { ...c, failures },
      })
    }
  }
})

test('settle: a followed region or allowed URL becomes an immediate retry whose move is made only when called; a refused URL stops', async () => {
  const moves: Array<{ from: string; to: string }> = []
  const route = new Route(new URL('wss://eu-central-1.wiresocket.net/doc'), 'doc', undefined, move => moves.push(move))
  const event = { code: 4009, reason: 'whatever' }
  const region = await settle({ action: 'follow', to: { region: 'us-east-1' }, event }, route)
  assert.equal(region.action === 'retry' && region.delay, 0)
  assert.equal(route.pendingRegion, null, 'nothing moves before the provider calls move')
  if (region.action === 'retry') region.move?.()
  assert.equal(route.pendingRegion, 'us-east-1')
  const allowed = await settle({ action: 'follow', to: { url: new URL('wss://us-east-1.wiresocket.net/doc') }, event }, route)
  assert.deepEqual(moves, [])
  if (allowed.action === 'retry') allowed.move?.()
  assert.deepEqual(moves, [{ from: 'wss://eu-central-1.wiresocket.net/doc', to: 'wss://us-east-1.wiresocket.net/doc' }])
  assert.deepEqual(await settle({ action: 'follow', to: { url: new URL('wss://evil.example/doc') }, event }, route), { action: 'stop', kind: 'redirect', event })
  const stopped = { action: 'stop', kind: 'forbidden', event } as const
  assert.equal(await settle(stopped, route), stopped, 'retries and stops pass as they are')
})

test('settle: a plan limit is a retry after its delay that the network coming back does not wake, carrying what the limit event reports', async () => {
  const route = new Route(new URL('wss://eu-central-1.wiresocket.net/doc'), 'doc', undefined, () => {})
  assert.deepEqual(await settle({ action: 'limit', code: 4004, limit: 'connections', value: 5, delay: 31_000 }, route), {
    action: 'retry', delay: 31_000, reason: 'retry', wakeOnOnline: false, limit: { code: 4004, limit: 'connections', value: 5 },
  })
})

test('namedByContract: true for exactly the codes the contract names', () => {
  const named = new Set<number>(Object.values(CloseCode))
  for (let code = 1000; code <= 4999; code++) assert.equal(namedByContract(code), named.has(code), `code ${code}`)
})
