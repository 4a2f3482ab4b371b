// What the shared store saves: token-service calls in one hour for N instances, each with its own
// in-memory family versus all sharing one family through a real redis-server. One simulated hour on a
// clock shared by the instances and the local token service; every instance serves a user every 10 s.
// The numbers printed here are the ones docs/multi-instance.md quotes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startLocalDataplane } from '../../src/local/index.ts'
import { createTokenClient, type TokenStore } from '../../src/server/index.ts'
import { createRedisTokenStore, type RedisCommand } from '../../src/redis/index.ts'
import { startRedisServer } from './support/redis-server.ts'
import { connectRedis } from './support/redis-clients.ts'

const HOUR = 3_600_000
const STEP = 10_000

interface Measured { tokenCalls: number; grants: Record<string, number> }

const simulateHour = async (instances: number, shared: ((now: () => number) => TokenStore) | undefined): Promise<Measured> => {
  let t = Date.UTC(2026, 0, 5, 12)
  const now = (): number => t
  const dp = await startLocalDataplane({ now })
  try {
    const clients = Array.from({ length: instances }, () => createTokenClient({
      clientId: dp.app.clientId,
      clientSecret: dp.app.clientSecret,
      tokenUrl: dp.tokenUrl,
      now,
      store: shared?.(now),
    }))
    for (let elapsed = 0; elapsed < HOUR; elapsed += STEP) {
      await Promise.all(clients.map(async c => await c.getAccessToken()))
      t += STEP
    }
    assert.equal(dp.tokenRequests.some(r => r.status !== 200), false, 'every token call succeeded')
    const grants: Record<string, number> = {}
    for (const r of dp.tokenRequests) grants[r.grantType] = (grants[r.grantType] ?? 0) + 1
    return { tokenCalls: dp.tokenRequests.length, grants }
  } finally {
    await dp.close()
  }
}

test('token-service calls per hour: N instances with their own families vs one family shared through Redis', { timeout: 120_000 }, async () => {
  const redis = await startRedisServer()
  const connection = await connectRedis('redis', redis.url)
  try {
    const rows: string[] = []
    for (const instances of [1, 4, 16]) {
      const alone = await simulateHour(instances, undefined)
      // Every command counted on its way to Redis (the function form of the client works too).
      let commands = 0
      const counted: RedisCommand = async args => { commands++; return await (connection.client as { sendCommand: RedisCommand }).sendCommand(args) }
      await (connection.client as { sendCommand: RedisCommand }).sendCommand(['FLUSHALL'])
      const together = await simulateHour(instances, now => createRedisTokenStore(counted, { clientId: `cost-${instances}`, now }))
      // 900 s tokens renewed 60 s early: a renewal every 840 s, so at 0 (grant), 840, 1680, 2520, 3360 s.
      assert.deepEqual(alone.grants, { client_credentials: instances, refresh_token: 4 * instances })
      assert.deepEqual(together.grants, { client_credentials: 1, refresh_token: 4 })
      rows.push(`| ${instances} | ${alone.tokenCalls} | ${together.tokenCalls} | ${commands} |`)
    }
    console.log(['# | instances | own family each: token calls in the first hour | shared through Redis | Redis commands |', ...rows.map(r => `# ${r}`)].join('\n'))
  } finally {
    await connection.close()
    await redis.stop()
  }
})
