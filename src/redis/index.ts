/**
 * `y-wiresocket/redis`: a shared `TokenStore` in Redis for backends that run as several instances.
 * Its own entry, so that `y-wiresocket/server` stays the same size for apps that never use Redis. It
 * imports no Redis library: pass the client the app already has (node-redis or ioredis).
 */
export { createRedisTokenStore } from './redis-token-store.ts'
export type { RedisTokenStoreOptions } from './redis-token-store.ts'
export { toRedisCommand } from './redis-commands.ts'
export type { IoredisLike, NodeRedisLike, RedisClientLike, RedisCommand } from './redis-commands.ts'
