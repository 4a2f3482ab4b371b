// Connect to a test redis-server with either client library, the way an app would, and hand the
// client to createRedisTokenStore. Errors are listened to: an unlistened 'error' would kill the process.
import { createClient } from 'redis'
import { Redis } from 'ioredis'
import type { RedisClientLike } from '../../../src/redis/index.ts'

export type RedisLibrary = 'redis' | 'ioredis'
export const REDIS_LIBRARIES: readonly RedisLibrary[] = ['redis', 'ioredis']

export interface ConnectedClient {
  client: RedisClientLike
  close: () => Promise<void>
}

export const connectRedis = async (library: RedisLibrary, url: string): Promise<ConnectedClient> => {
  if (library === 'redis') {
    // Reconnect quickly in tests (the default backs off to seconds); commands queue meanwhile.
    const client = createClient({ url, socket: { reconnectStrategy: retries => Math.min(50 * (retries + 1), 200) } })
    client.on('error', () => {})
    await client.connect()
    return { client, close: async () => { client.destroy() } }
  }
  const client = new Redis(url, { lazyConnect: true, retryStrategy: times => Math.min(50 * times, 200) })
  client.on('error', () => {})
  await client.connect()
  return { client, close: async () => { client.disconnect() } }
}
