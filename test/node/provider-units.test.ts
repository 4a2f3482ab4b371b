/** Unit tests of the provider's pure timing and policy logic (no sockets; integration tests cover behaviour). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { localExpiry } from '../../src/provider/token.ts'
import { AttemptWindow, jittered, RetryTimer } from '../../src/provider/backoff.ts'
import { slow } from '../../src/provider/close-policy.ts'
import { isRedirectAllowed } from '../../src/provider/redirect.ts'
import { parseRedirect } from '../../src/contract/close-codes.ts'
import { decodeJwt } from 'jose'
import { normalizeClaims } from '../../src/contract/claims.ts'
import { readClaims } from '../../src/provider/read-claims.ts'

const NOW = 1_800_000_000_000 // local clock, ms
const claims = (exp: number, iat: number) => normalizeClaims({ exp, iat })

test('localExpiry: a fresh token on a correct clock expires at exp', () => {
  const iat = NOW / 1000
  assert.equal(localExpiry(claims(iat + 900, iat), NOW), NOW + 900_000)
})

test('localExpiry: a client clock 20 minutes fast still gets the full 900 s lifetime', () => {
  const serverNow = NOW / 1000 - 1200
  assert.equal(localExpiry(claims(serverNow + 900, serverNow), NOW), NOW + 900_000)
})

test('localExpiry: a client clock 10 minutes slow does not believe the token lives longer than 900 s', () => {
  const serverNow = NOW / 1000 + 600
  assert.equal(localExpiry(claims(serverNow + 900, serverNow), NOW), NOW + 900_000)
})

test('localExpiry: a token the backend cached for 10 minutes has 5 minutes left on a correct clock', () => {
  const iat = NOW / 1000 - 600
  assert.equal(localExpiry(claims(iat + 900, iat), NOW), NOW + 300_000)
})

test('localExpiry: millisecond exp/iat are read as seconds', () => {
  const iat = NOW
  assert.equal(localExpiry(normalizeClaims({ exp: iat + 900_000, iat }), NOW), NOW + 900_000)
})

test('localExpiry: without exp the backend hint is used, and without either nothing is known', () => {
  assert.equal(localExpiry(normalizeClaims({}), NOW, NOW + 5000), NOW + 5000)
  assert.equal(localExpiry(normalizeClaims({}), NOW), undefined)
})

test('Backoff: full jitter grows with failures and stays under maxBackoffTime', () => {
  assert.equal(jittered(0, 2500, () => 1), 500)
  assert.equal(jittered(1, 2500, () => 1), 1000)
  assert.equal(jittered(10, 2500, () => 1), 2500)
  assert.equal(jittered(0, 2500, () => 0), 0)
})

test('Backoff: plan limits wait at least the minimum, doubling per hit, capped at ten times', () => {
  assert.equal(slow(30_000, 1, () => 0), 30_000)
  assert.equal(slow(30_000, 2, () => 0), 60_000)
  assert.equal(slow(30_000, 20, () => 0), 300_000)
  assert.equal(slow(30_000, 1, () => 1), 45_000)
})

test('Backoff: never more than 60 attempts in any minute', () => {
  const backoff = new AttemptWindow()
  let now = NOW
  const starts: number[] = []
  for (let i = 0; i < 200; i++) {
    const wait = backoff.admit(0, now)
    now += wait
    starts.push(now)
  }
  for (let i = 60; i < starts.length; i++) {
    assert.ok(starts[i]! - starts[i - 60]! >= 60_000, `attempt ${i} came ${starts[i]! - starts[i - 60]!} ms after attempt ${i - 60}`)
  }
})

test('RetryTimer: a wait of 0 arms nothing; an armed wait runs once, early on `online` only when allowed; cancel and re-arm forget the old run', t => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const timer = new RetryTimer()
  const runs: string[] = []
  assert.equal(timer.arm(0, true, () => runs.push('now')), 0)
  timer.online()
  t.mock.timers.tick(10_000)
  assert.equal(runs.length, 0, 'a zero wait is the caller\'s to run')
  assert.equal(timer.arm(5000, false, () => runs.push('limit')), 5000)
  timer.online()
  assert.equal(runs.length, 0, 'a plan-limit wait is not cut short by the network')
  t.mock.timers.tick(5000)
  assert.deepEqual(runs, ['limit'])
  timer.online()
  assert.deepEqual(runs, ['limit'], 'nothing armed: online runs nothing')
  timer.arm(3000, true, () => runs.push('drop'))
  timer.online()
  t.mock.timers.tick(3000)
  assert.deepEqual(runs, ['limit', 'drop'], 'woken early, and only once')
  timer.arm(3000, true, () => runs.push('stale'))
  timer.arm(1000, true, () => runs.push('latest'))
  t.mock.timers.tick(3000)
  timer.arm(2000, true, () => runs.push('cancelled'))
  timer.cancel()
  t.mock.timers.tick(2000)
  assert.deepEqual(runs, ['limit', 'drop', 'latest'])
})

test('RetryTimer: waits are clamped to what setTimeout honours (2^31-1 ms)', t => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const timer = new RetryTimer()
  assert.equal(timer.arm(60 * 24 * 3600 * 1000, false, () => {}), 2 ** 31 - 1)
  timer.cancel()
})

test('parseRedirect reads REDIRECT: URLs and REGION: names, nothing else', () => {
  assert.deepEqual(parseRedirect('REDIRECT:wss://us-east-1.wiresocket.net/doc'), { url: new URL('wss://us-east-1.wiresocket.net/doc') })
  assert.deepEqual(parseRedirect('REGION:us-east-1'), { region: 'us-east-1' })
  assert.equal(parseRedirect('REGION:../../evil'), null)
  assert.equal(parseRedirect('REDIRECT:::'), null)
  assert.equal(parseRedirect('Invalid token'), null)
})

const configured = new URL('wss://eu-central-1.wiresocket.net/doc')
const allowed = async (href: string, patterns?: string[], base = configured): Promise<boolean> => await isRedirectAllowed(new URL(href), base, patterns)

test('redirects: siblings under the same parent domain are allowed by default', async () => {
  assert.equal(await allowed('wss://us-east-1.wiresocket.net/doc'), true)
  assert.equal(await allowed('wss://wiresocket.net.evil.com/doc'), false)
  assert.equal(await allowed('wss://evilwiresocket.net/doc'), false)
  assert.equal(await allowed('wss://a.b.wiresocket.net/doc'), false)
  assert.equal(await allowed('ws://us-east-1.wiresocket.net/doc'), false, 'no downgrade to ws')
  assert.equal(await allowed('https://us-east-1.wiresocket.net/doc'), false, 'WebSocket schemes only')
  assert.equal(await allowed('wss://user:pw@us-east-1.wiresocket.net/doc'), false)
})

test('redirects: moves between the service\'s own regions (*.wiresocket.net) are judged without loading the public-suffix list', async () => {
  // a boolean at once, not a promise: no tldts lookup for eu-central-1 → us-east-1
  assert.equal(isRedirectAllowed(new URL('wss://us-east-1.wiresocket.net/doc'), configured), true)
  assert.equal(isRedirectAllowed(new URL('wss://a.b.wiresocket.net/doc'), configured), false)
  assert.equal(isRedirectAllowed(new URL('ws://us-east-1.wiresocket.net/doc'), configured), false, 'no downgrade to ws')
  // any other domain still asks the list
  const other = isRedirectAllowed(new URL('wss://eu.myapp.co.uk/doc'), new URL('wss://us.myapp.co.uk/doc'))
  assert.ok(other instanceof Promise)
  assert.equal(await other, true)
})

test('redirects: on loopback the same hostname on any port', async () => {
  const local = new URL('ws://127.0.0.1:4000/doc')
  assert.equal(await allowed('ws://127.0.0.1:4001/doc', undefined, local), true)
  assert.equal(await allowed('ws://localhost:4001/doc', undefined, local), false)
  assert.equal(await allowed('ws://10.0.0.1:4001/doc', undefined, local), false)
})

test('redirects: explicit patterns replace the default', async () => {
  assert.equal(await allowed('wss://sync.example.com/doc', ['sync.example.com']), true)
  assert.equal(await allowed('wss://us-east-1.wiresocket.net/doc', ['sync.example.com']), false)
  assert.equal(await allowed('wss://eu.sync.example.com/doc', ['*.sync.example.com']), true)
  assert.equal(await allowed('wss://sync.example.com/doc', ['*.sync.example.com']), false)
  assert.equal(await allowed('wss://sync.example.com:8443/doc', ['sync.example.com:8443']), true)
})

test('readClaims accepts and refuses exactly what jose\'s decodeJwt does, and never quotes the token', () => {
  const part = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
  const header = part({ alg: 'RS256', typ: 'JWT' })
  const payload = part({ sub: 'u', exp: 1_900_000_000, iat: 1_899_999_100, limits: '{"maxConnections":5}', note: 'ünïcødé' })
  const inputs = [
    `${header}.${payload}.sig`,
    `${header}.${payload}.`,
    `${header}.${payload}`,
    `${header}.${payload}.sig.extra.more`,
    `${header}..sig`,
    `${header}.${part('[1,2]')}.sig`,
    `${header}.${part('null')}.sig`,
    `${header}.${part('"text"')}.sig`,
    `${header}.${part('{not json')}.sig`,
    `${header}.${payload.replace(/.$/, '+')}.sig`,
    `${header}.${payload}==.sig`,
    `${header}.${Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64url')}.sig`,
    'not-a-jwt',
    '',
  ]
  for (const input of inputs) {
    let expected: unknown
    try {
      expected = decodeJwt(input)
    } catch {
      expected = 'refused'
    }
    let actual: unknown
    try {
      actual = readClaims(input)
    } catch (error) {
      assert.ok(error instanceof TypeError)
      assert.ok(!input || !error.message.includes(input), 'the error does not quote the token')
      actual = 'refused'
    }
    if (expected === 'refused') assert.equal(actual, 'refused', `refused by jose: #${inputs.indexOf(input)}`)
    else assert.deepEqual(actual, normalizeClaims(expected as Record<string, unknown>), `decoded alike: #${inputs.indexOf(input)}`)
  }
})

test('redirects: the public-suffix list decides what a sibling is (github.io children are different sites)', async () => {
  const mine = new URL('wss://myapp.github.io/doc')
  assert.equal(await allowed('wss://attacker.github.io/doc', undefined, mine), false)
  assert.equal(await allowed('wss://myapp.github.io:8443/doc', undefined, mine), true, 'the same host on another port')
  assert.equal(await allowed('wss://attacker.co.uk/doc', undefined, new URL('wss://myapp.co.uk/doc')), false)
  assert.equal(await allowed('wss://eu.myapp.co.uk/doc', undefined, new URL('wss://us.myapp.co.uk/doc')), true)
  assert.equal(await allowed('wss://us-east-1.wiresocket.net/doc'), true)
})
