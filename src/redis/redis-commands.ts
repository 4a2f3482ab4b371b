/**
 * The little of a Redis client the token store needs: "run this command, give me the reply". Accepted
 * structurally, so that `y-wiresocket` depends on no Redis library and works with whichever the app
 * already runs: the official `redis` client (v4, v5, v6: `sendCommand([...])`), `ioredis` (v5, v6:
 * `call(name, ...args)`), or any function that sends one command and resolves with its reply (a
 * Redis Cluster client, a proxy, a test double).
 */

/** node-redis (`createClient()` from `redis` / `@redis/client` v4+). */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>
}

/** ioredis (`new Redis()` from `ioredis` v5+). */
export interface IoredisLike {
  call(command: string, ...args: string[]): Promise<unknown>
}

/** One Redis command as its argument list (`['SET', key, value, 'NX']`), resolving with the reply. */
export type RedisCommand = (args: string[]) => Promise<unknown>

export type RedisClientLike = NodeRedisLike | IoredisLike | RedisCommand

const hasMethod = (value: unknown, name: string): boolean =>
  value !== null && typeof value === 'object' && typeof (value as Record<string, unknown>)[name] === 'function'

/**
 * One way to send a command, whichever client we were given. ioredis is asked first: it also has a
 * `sendCommand`, but that one takes its own `Command` objects, not an argument list.
 */
export const toRedisCommand = (client: RedisClientLike): RedisCommand => {
  if (typeof client === 'function') return async args => await client(args)
  if (hasMethod(client, 'call')) {
    const io = client as IoredisLike
    return async ([name, ...args]) => await io.call(name!, ...args)
  }
  if (hasMethod(client, 'sendCommand')) {
    const node = client as NodeRedisLike
    return async args => await node.sendCommand(args)
  }
  throw new TypeError('createRedisTokenStore: client must be a node-redis client (sendCommand), an ioredis client (call) or a function (args) => reply')
}
