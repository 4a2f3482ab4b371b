// Four backend instances (separate Node processes) share one token family through a real
// redis-server and the local token service, with node-redis and with ioredis: one refresh per renewal
// for 200 concurrent callers, a holder SIGKILLed with the lock, and Redis going away and coming back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startLocalDataplane, type LocalDataplane } from '../../src/local/index.ts'
import { createTokenVerifier } from '../../src/server/index.ts'
import { startRedisServer, type RedisServer } from './support/redis-server.ts'
import { REDIS_LIBRARIES, type RedisLibrary } from './support/redis-clients.ts'
import { startFleet, type Fleet } from './support/redis-fleet.ts'
import type { CallResult, WorkerConfig } from './support/redis-token-worker.ts'

const INSTANCES = 4
const CALLERS = 50
const ACCESS_TTL = 900_000
const LOCK_LEASE = 2_000
const STORE_TIMEOUT = 1_000

const grants = (dp: LocalDataplane): string[] => dp.tokenRequests.map(r => `${r.grantType}:${r.status}${r.error === undefined ? '' : `:${r.error}`}`)

interface Setup { dp: LocalDataplane; redis: RedisServer; fleet: Fleet; verify: (results: CallResult[]) => Promise<Set<string>> }

const withFleet = async (library: RedisLibrary, body: (setup: Setup) => Promise<void>): Promise<void> => {
  const redis = await startRedisServer()
  const dp = await startLocalDataplane()
  let fleet: Fleet | undefined
  try {
    const config: WorkerConfig = {
      library,
      redisUrl: redis.url,
      tokenUrl: dp.tokenUrl,
      clientId: dp.app.clientId,
      clientSecret: dp.app.clientSecret,
      storeTimeout: STORE_TIMEOUT,
      lockLease: LOCK_LEASE,
      commandTimeout: 300,
      failureBackoff: 200,
    }
    fleet = await startFleet(Array.from({ length: INSTANCES }, () => config))
    const verifier = createTokenVerifier({ tenantId: dp.app.tenantId, jwksUrl: dp.jwksUrl() })
    /** Every call succeeded with a token the dataplane accepts; the distinct tokens handed out. */
    const verify = async (results: CallResult[]): Promise<Set<string>> => {
      const failures = results.filter(r => !r.ok)
      assert.equal(failures.length, 0, `failed calls: ${JSON.stringify(failures.slice(0, 3))}`)
      const tokens = new Set(results.flatMap(r => (r.ok ? [r.token] : [])))
      for (const token of tokens) await verifier.verify(token)
      return tokens
    }
    await body({ dp, redis, fleet, verify })
  } finally {
    await fleet?.close()
    await dp.close()
    await redis.stop()
  }
}

const all = (bursts: Array<{ results: CallResult[] }>): CallResult[] => bursts.flatMap(b => b.results)

for (const library of REDIS_LIBRARIES) {
  test(`${library}: ${INSTANCES} processes × ${CALLERS} concurrent callers, at start and across forced renewals: one token call each time, no invalid_grant`, { timeout: 60_000 }, async () => {
    await withFleet(library, async ({ dp, fleet, verify }) => {
      const cold = all(await fleet.burst(CALLERS))
      assert.equal(cold.length, INSTANCES * CALLERS)
      const [first] = await verify(cold)
      assert.deepEqual(grants(dp), ['client_credentials:200'], 'one client-credentials grant for the whole fleet')
      assert.equal(new Set(cold.map(r => r.ok && r.token)).size, 1)

      let previous = first!
      for (let renewal = 1; renewal <= 3; renewal++) {
        // Move every instance 870 s on: inside the 60 s refresh margin, the token still valid.
        await fleet.advance(ACCESS_TTL - 30_000)
        const bursts = await fleet.burst(CALLERS)
        const tokens = await verify(all(bursts))
        assert.deepEqual(grants(dp), ['client_credentials:200', ...Array<string>(renewal).fill('refresh_token:200')], `renewal ${renewal}: exactly one refresh for ${INSTANCES * CALLERS} callers`)
        const renewed = [...tokens].filter(t => t !== previous)
        assert.equal(renewed.length, 1, 'one new token, shared by every instance that waited for it')
        previous = renewed[0]!
        console.log(`# ${library} renewal ${renewal}: ${INSTANCES}×${CALLERS} callers answered in ${bursts.map(b => Math.round(b.ms)).join('/')} ms; ${tokens.size} distinct valid token(s)`)
      }
      assert.equal(dp.tokenRequests.some(r => r.error !== undefined), false)
    })
  })

  test(`${library}: an instance SIGKILLed while holding the lock; the others renew once its ${LOCK_LEASE} ms lease has run out`, { timeout: 60_000 }, async () => {
    await withFleet(library, async ({ dp, fleet, verify }) => {
      const [first] = await verify(all(await fleet.burst(CALLERS)))
      const [doomed, ...survivors] = fleet.instances
      await doomed!.holdLock(LOCK_LEASE)
      const lockedAt = performance.now()
      await doomed!.kill()
      // Past expiry: nothing cached to serve, so every caller waits for the lock.
      await fleet.advance(ACCESS_TTL + 1_000, survivors)
      const bursts = await fleet.burst(CALLERS, survivors)
      const waited = performance.now() - lockedAt
      const tokens = await verify(all(bursts))
      assert.equal(tokens.size, 1)
      assert.notEqual([...tokens][0], first)
      assert.deepEqual(grants(dp), ['client_credentials:200', 'refresh_token:200'], 'one refresh after the lease, no invalid_grant')
      assert.ok(waited >= LOCK_LEASE - 50, `renewed only after the lease (${Math.round(waited)} ms)`)
      assert.ok(waited < LOCK_LEASE + 3_000, `and soon after it (${Math.round(waited)} ms)`)
      console.log(`# ${library}: dead holder's lock taken over ${Math.round(waited)} ms after it was taken (lease ${LOCK_LEASE} ms)`)
    })
  })

  test(`${library}: Redis stopped mid-run: cached token until it expires, then clear store errors; recovery when Redis is back`, { timeout: 60_000 }, async () => {
    await withFleet(library, async ({ dp, redis, fleet, verify }) => {
      const [first] = await verify(all(await fleet.burst(CALLERS)))
      await redis.stop()

      // Renewal due, Redis gone: every caller still gets the cached token, without hanging.
      await fleet.advance(ACCESS_TTL - 30_000)
      const during = await fleet.burst(CALLERS)
      assert.deepEqual([...await verify(all(during))], [first])
      const slowest = Math.max(...during.map(b => b.ms))
      assert.ok(slowest < STORE_TIMEOUT + 1_000, `answered within the store timeout (${Math.round(slowest)} ms)`)

      // Expired, Redis still gone: errors that say what failed, and nothing secret in them.
      await fleet.advance(60_000)
      const failed = all(await fleet.burst(CALLERS))
      for (const result of failed) {
        assert.equal(result.ok, false)
        if (result.ok) continue
        assert.equal(result.code, 'store_error')
        assert.match(result.message, /^WireSocket token store: (lock|get) (timed out after \d+ ms|failed \(Redis token store: (SET|GET) (timed out after \d+ ms|failed.*)\))$/)
        assert.equal(result.message.includes(dp.app.clientSecret), false)
      }
      console.log(`# ${library}: while Redis was down: ${JSON.stringify([...new Set(failed.map(r => !r.ok && r.message))])}`)
      assert.deepEqual(grants(dp), ['client_credentials:200'], 'no token call at all without the lock')

      // Redis back (empty: it saves nothing): the instances reconnect and one of them starts a new family.
      await redis.start()
      const deadline = performance.now() + 15_000
      let recovered: CallResult[] = []
      while (performance.now() < deadline) {
        recovered = all(await fleet.burst(1))
        if (recovered.every(r => r.ok)) break
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      const tokens = await verify(all(await fleet.burst(CALLERS)))
      assert.equal(tokens.size, 1)
      assert.notEqual([...tokens][0], first)
      assert.deepEqual(grants(dp), ['client_credentials:200', 'client_credentials:200'], 'exactly one new grant for the fleet, no invalid_grant')
    })
  })

  test(`${library}: Redis frozen (slow, connections open, no answers): cached token within the store timeout; one refresh once it answers`, { timeout: 60_000 }, async () => {
    await withFleet(library, async ({ dp, redis, fleet, verify }) => {
      const [first] = await verify(all(await fleet.burst(CALLERS)))
      redis.freeze()
      try {
        await fleet.advance(ACCESS_TTL - 30_000)
        const during = await fleet.burst(CALLERS)
        assert.deepEqual([...await verify(all(during))], [first])
        const slowest = Math.max(...during.map(b => b.ms))
        assert.ok(slowest < STORE_TIMEOUT + 1_000, `answered within the store timeout (${Math.round(slowest)} ms)`)
        assert.deepEqual(grants(dp), ['client_credentials:200'])
      } finally {
        redis.resume()
      }
      // Commands queued while it was frozen now run (the lock attempts and their undoing); the
      // instances retry after failureBackoff and exactly one of them refreshes.
      const deadline = performance.now() + 15_000
      let tokens = new Set<string>([first!])
      while (performance.now() < deadline && tokens.has(first!)) {
        tokens = await verify(all(await fleet.burst(1)))
        if (tokens.has(first!)) await new Promise(resolve => setTimeout(resolve, 100))
      }
      const after = await verify(all(await fleet.burst(CALLERS)))
      assert.equal(after.size, 1)
      assert.notEqual([...after][0], first)
      assert.deepEqual(grants(dp), ['client_credentials:200', 'refresh_token:200'], 'one refresh, no invalid_grant')
    })
  })
}
