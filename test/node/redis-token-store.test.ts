// createRedisTokenStore against a real redis-server, with both node-redis and ioredis: state
// namespaced per client id and expiring with the refresh token, an exclusive lease lock whose release
// and writes are owner-checked, and every command bounded in time when Redis stops answering.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { createRedisTokenStore, type RedisClientLike } from '../../src/redis/index.ts'
import type { StoredTokenState } from '../../src/server/index.ts'
import { startRedisServer, type RedisServer } from './support/redis-server.ts'
import { connectRedis, REDIS_LIBRARIES, type ConnectedClient } from './support/redis-clients.ts'

const HOUR = 3_600_000

const withRedis = async (library: typeof REDIS_LIBRARIES[number], body: (ctx: { server: RedisServer; a: ConnectedClient; b: ConnectedClient; raw: (args: string[]) => Promise<unknown> }) => Promise<void>): Promise<void> => {
  const server = await startRedisServer()
  const a = await connectRedis(library, server.url)
  const b = await connectRedis(library, server.url)
  const rawClient = await connectRedis('redis', server.url)
  const raw = async (args: string[]): Promise<unknown> => await (rawClient.client as { sendCommand: (a: string[]) => Promise<unknown> }).sendCommand(args)
  try {
    await body({ server, a, b, raw })
  } finally {
    await a.close()
    await b.close()
    await rawClient.close()
    await server.stop()
  }
}

for (const library of REDIS_LIBRARIES) {
  test(`${library}: state round-trips, is namespaced per client id and expires with the refresh token`, async () => {
    await withRedis(library, async ({ a, raw }) => {
      const now = Date.now()
      const one = createRedisTokenStore(a.client, { clientId: 'client-one' })
      const two = createRedisTokenStore(a.client, { clientId: 'client-two' })
      assert.equal(await one.get(), undefined)
      const state: StoredTokenState = { refreshToken: 'r1', refreshExpiresAt: now + 2 * HOUR, accessToken: 'a1', accessExpiresAt: now + 900_000 }
      const release = await one.lock!(5_000)
      await one.set(state)
      await release()
      assert.deepEqual(await one.get(), state)
      assert.equal(await two.get(), undefined, 'another client id sees nothing')
      const keys = (await raw(['KEYS', '*'])) as string[]
      assert.deepEqual(keys, ['wiresocket:token:{client-one}:state'])
      const pttl = Number(await raw(['PTTL', keys[0]!]))
      assert.ok(pttl > 2 * HOUR - 5_000 && pttl <= 2 * HOUR, `expires with the refresh token (PTTL ${pttl})`)
      // Without a refresh token, the state lives as long as the access token.
      const r2 = await one.lock!(5_000)
      await one.set({ accessToken: 'a2', accessExpiresAt: Date.now() + 60_000 })
      await r2()
      const accessOnly = Number(await raw(['PTTL', keys[0]!]))
      assert.ok(accessOnly > 55_000 && accessOnly <= 60_000, `PTTL ${accessOnly}`)
      // A client id that would break the Cluster hash tag is encoded.
      const odd = createRedisTokenStore(a.client, { clientId: 'a}b{c', keyPrefix: 'app:' })
      const r3 = await odd.lock!(5_000)
      await odd.set(state)
      await r3()
      assert.ok(((await raw(['KEYS', 'app:*'])) as string[]).includes('app:{a%7Db%7Bc}:state'))
      // A value nobody can read is no state at all (the next renewal overwrites it), not an error forever.
      for (const garbage of ['not json', '[1,2]', 'null', '42']) {
        await raw(['SET', keys[0]!, garbage])
        assert.equal(await one.get(), undefined, garbage)
      }
    })
  })

  test(`${library}: the lease lock is exclusive across connections and released only by its owner`, async () => {
    await withRedis(library, async ({ a, b, raw }) => {
      const first = createRedisTokenStore(a.client, { clientId: 'c1', lockRetryDelay: 10 })
      const second = createRedisTokenStore(b.client, { clientId: 'c1', lockRetryDelay: 10 })
      const releaseFirst = await first.lock!(5_000)
      let secondHasIt = false
      const secondLock = second.lock!(5_000).then(release => { secondHasIt = true; return release })
      // While the first holds it, the second keeps waiting (it polls every ~10 ms).
      await new Promise(resolve => setTimeout(resolve, 150))
      assert.equal(secondHasIt, false)
      await releaseFirst()
      const releaseSecond = await secondLock
      assert.equal(secondHasIt, true)
      await releaseSecond()
      assert.equal(await raw(['EXISTS', 'wiresocket:token:{c1}:lock']), 0)

      // A holder whose lease ran out: the next one takes over; the late release and write change nothing.
      const stale = await first.lock!(200)
      const next = await second.lock!(5_000) // acquired once the 200 ms lease has expired
      await assert.rejects(async () => { await first.set({ accessToken: 'stale', accessExpiresAt: Date.now() + 60_000 }) }, /SET refused: this process no longer holds the lock/)
      await stale()
      assert.equal(await raw(['EXISTS', 'wiresocket:token:{c1}:lock']), 1, 'the stale release left the new holder\'s lock alone')
      // Nor can anyone write without the lock while it is held.
      const bystander = createRedisTokenStore(a.client, { clientId: 'c1' })
      await assert.rejects(async () => { await bystander.set({ accessToken: 'stray', accessExpiresAt: Date.now() + 60_000 }) }, /SET refused/)
      await second.set({ accessToken: 'fresh', accessExpiresAt: Date.now() + 60_000 })
      await next()
      assert.equal((await first.get())?.accessToken, 'fresh')
    })
  })

  test(`${library}: a frozen Redis fails every call within commandTimeout, naming the command; it works again once Redis answers`, async () => {
    await withRedis(library, async ({ server, a }) => {
      const store = createRedisTokenStore(a.client, { clientId: 'c1', commandTimeout: 300 })
      const release = await store.lock!(5_000)
      await store.set({ accessToken: 'a1', accessExpiresAt: Date.now() + 60_000 })
      await release()
      server.freeze()
      try {
        for (const [call, run, name] of [['get', async () => await store.get(), 'GET'], ['lock', async () => await store.lock!(5_000), 'SET'], ['set', async () => await store.set({ accessToken: 'x', accessExpiresAt: Date.now() + 1_000 }), 'EVAL']] as const) {
          const started = performance.now()
          await assert.rejects(run(), new RegExp(`^Error: Redis token store: ${name} timed out after 300 ms$`), call)
          const took = performance.now() - started
          assert.ok(took >= 290 && took < 1_300, `${call} failed after ${Math.round(took)} ms`)
        }
      } finally {
        server.resume()
      }
      // Commands queued while frozen run in order once it answers: the timed-out write lands then.
      assert.equal((await store.get())?.accessToken, 'x')
      // The lock attempt that timed out while frozen was undone behind it, not left for 5 s.
      const started = performance.now()
      const again = await store.lock!(5_000)
      assert.ok(performance.now() - started < 1_000, 'no orphaned lock to wait out')
      await again()
    })
  })
}

test('createRedisTokenStore: a client id is required, and the client must be one it knows how to drive', () => {
  const fn: RedisClientLike = async () => null
  assert.throws(() => createRedisTokenStore(fn, { clientId: '' }), /clientId is required/)
  assert.throws(() => createRedisTokenStore(fn, undefined as unknown as { clientId: string }), /clientId/)
  assert.throws(() => createRedisTokenStore({} as unknown as RedisClientLike, { clientId: 'c1' }), /node-redis client \(sendCommand\), an ioredis client \(call\)/)
  assert.throws(() => createRedisTokenStore(fn, { clientId: 'c1', commandTimeout: 0 }), /commandTimeout/)
  assert.throws(() => createRedisTokenStore(fn, { clientId: 'c1', lockRetryDelay: -1 }), /lockRetryDelay/)
})

test('ioredis with its own keyPrefix: the scripts see the same prefixed keys as SET and GET', async () => {
  const server = await startRedisServer()
  const prefixed = new Redis(server.url, { keyPrefix: 'app1:' })
  prefixed.on('error', () => {})
  const raw = await connectRedis('redis', server.url)
  const keys = async (): Promise<unknown> => await (raw.client as { sendCommand: (a: string[]) => Promise<unknown> }).sendCommand(['KEYS', '*'])
  try {
    const store = createRedisTokenStore(prefixed, { clientId: 'c1' })
    const release = await store.lock!(5_000)
    assert.deepEqual(await keys(), ['app1:wiresocket:token:{c1}:lock'])
    await store.set({ accessToken: 'a1', accessExpiresAt: Date.now() + 60_000 })
    await release()
    assert.deepEqual(await keys(), ['app1:wiresocket:token:{c1}:state'], 'the owner-checked release found the prefixed lock')
    assert.equal((await store.get())?.accessToken, 'a1')
  } finally {
    prefixed.disconnect()
    await raw.close()
    await server.stop()
  }
})
