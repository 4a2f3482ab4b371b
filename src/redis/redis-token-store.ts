/**
 * A `TokenStore` in Redis, so that every instance of a backend shares one token family: one
 * client-credentials grant for all of them, and a refresh token that is presented exactly once however
 * many instances see it expire together.
 *
 * - State: one JSON value per client id, expiring with the refresh token (nothing in it is worth
 *   anything after that).
 * - Lock: `SET lock owner NX PX lease`, polled; released with a compare-and-delete script, so a holder
 *   whose lease ran out cannot delete the next holder's lock. Writing the state checks the owner the
 *   same way: a holder that lost its lease cannot overwrite what the next holder stored.
 * - Every command has a timeout: a client that queues commands during an outage makes calls fail
 *   quickly (the token client then serves its cached token) instead of hanging.
 */
import { redact } from '../contract/redact.ts'
import type { LockOptions, ReleaseLock, StoredTokenState, TokenStore } from '../server/token-store.ts'
import { toRedisCommand, type RedisClientLike } from './redis-commands.ts'

export interface RedisTokenStoreOptions {
  /** The WireSocket client id this state belongs to: keys are namespaced by it. Required. */
  clientId: string
  /** Prepended to every key. Default `wiresocket:token:`. */
  keyPrefix?: string
  /** Longest wait for one Redis command, in milliseconds. Default 1 000. */
  commandTimeout?: number
  /** Milliseconds between two attempts to take a held lock (jittered ±50 %). Default 50. */
  lockRetryDelay?: number
  /** Epoch-milliseconds clock used for expiry. Default `Date.now`. */
  now?: () => number
}

/** Releases the lock only if `owner` still holds it. KEYS: lock. ARGV: owner. */
const RELEASE_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

/**
 * Stores the state only while `owner` holds the lock ('' when writing without a lock: then only while
 * nobody holds it). KEYS: lock, state. ARGV: owner, json, time to live in ms (≤ 0: delete).
 */
const FENCED_SET_SCRIPT = [
  "if ARGV[1] == '' then if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end",
  "elseif redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end",
  "if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) else redis.call('DEL', KEYS[2]) end",
  'return 1',
].join(' ')

const positive = (value: number | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`createRedisTokenStore: ${name} must be a positive number of milliseconds`)
  return value
}

const sleep = async (ms: number, signal: AbortSignal | undefined): Promise<void> => await new Promise(resolve => {
  const timer = setTimeout(done, ms)
  function done (): void {
    clearTimeout(timer)
    signal?.removeEventListener('abort', done)
    resolve()
  }
  signal?.addEventListener('abort', done, { once: true })
})

const asText = (reply: unknown): string | undefined => {
  if (typeof reply === 'string') return reply
  if (reply instanceof Uint8Array) return new TextDecoder().decode(reply)
  return undefined
}

export const createRedisTokenStore = (client: RedisClientLike, options: RedisTokenStoreOptions): TokenStore => {
  const send = toRedisCommand(client)
  if (options === null || typeof options !== 'object') throw new TypeError('createRedisTokenStore: options with a clientId are required')
  const { clientId } = options
  if (typeof clientId !== 'string' || clientId.length === 0) throw new TypeError('createRedisTokenStore: clientId is required (keys are namespaced by it)')
  const keyPrefix = options.keyPrefix ?? 'wiresocket:token:'
  if (typeof keyPrefix !== 'string') throw new TypeError('createRedisTokenStore: keyPrefix must be a string')
  const commandTimeout = positive(options.commandTimeout, 1_000, 'commandTimeout')
  const lockRetryDelay = positive(options.lockRetryDelay, 50, 'lockRetryDelay')
  const now = options.now ?? Date.now
  // The hash tag keeps both keys in one Redis Cluster slot, which the scripts need; encoding the id
  // keeps a '}' in it from ending the tag early.
  const base = `${keyPrefix}{${encodeURIComponent(clientId)}}`
  const stateKey = `${base}:state`
  const lockKey = `${base}:lock`
  // The lock this store instance holds right now (one at a time: it is a lock).
  let heldBy: string | undefined

  /** One command, bounded by `commandTimeout`; failures name the command, never its arguments. */
  const command = async (args: string[]): Promise<unknown> => {
    const name = args[0]!
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis token store: ${name} timed out after ${commandTimeout} ms`)), commandTimeout)
    })
    const reply = send(args)
    reply.catch(() => {}) // a reply that fails after the timeout is nobody's business
    try {
      return await Promise.race([reply, deadline])
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('Redis token store:')) throw error
      const detail = error instanceof Error ? ` (${redact(error.message, [], 120)})` : ''
      throw new Error(`Redis token store: ${name} failed${detail}`)
    } finally {
      clearTimeout(timer)
    }
  }

  const releaseScript = async (owner: string): Promise<void> => {
    await command(['EVAL', RELEASE_SCRIPT, '1', lockKey, owner])
  }

  const get = async (): Promise<StoredTokenState | undefined> => {
    const reply = await command(['GET', stateKey])
    if (reply === null || reply === undefined) return undefined
    const text = asText(reply)
    if (text === undefined) throw new Error('Redis token store: GET returned a reply that is not a string')
    // A value we cannot read is as good as none: the next renewal starts a new family and overwrites it,
    // instead of every renewal failing on it until it expires.
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return undefined
    }
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as StoredTokenState : undefined
  }

  const set = async (state: StoredTokenState): Promise<void> => {
    // Nothing in the state outlives the refresh token; without one, the access token.
    const until = state.refreshToken !== undefined && state.refreshExpiresAt !== undefined ? state.refreshExpiresAt : state.accessExpiresAt
    const ttl = until === undefined ? 0 : Math.ceil(until - now())
    const stored = await command(['EVAL', FENCED_SET_SCRIPT, '2', lockKey, stateKey, heldBy ?? '', JSON.stringify(state), String(ttl)])
    if (Number(stored) !== 1) {
      throw new Error(heldBy === undefined
        ? 'Redis token store: SET refused: another process holds the lock'
        : 'Redis token store: SET refused: this process no longer holds the lock (its lease ran out)')
    }
  }

  const lock = async (leaseMs: number, lockOptions: LockOptions = {}): Promise<ReleaseLock> => {
    const { signal } = lockOptions
    const lease = Math.max(1, Math.ceil(leaseMs))
    const owner = crypto.randomUUID()
    // Without a signal, stop after the longest a live holder may keep it, plus a few attempts.
    const giveUpAt = now() + lease + 4 * commandTimeout
    for (;;) {
      if (signal?.aborted === true) throw new Error('Redis token store: lock abandoned by the caller')
      if (now() > giveUpAt) throw new Error(`Redis token store: lock still held by another process after ${lease} ms`)
      let reply: unknown
      try {
        reply = await command(['SET', lockKey, owner, 'NX', 'PX', String(lease)])
      } catch (error) {
        // A SET that timed out may still run when Redis answers again: the compare-and-delete queued
        // behind it on the same connection undoes it, instead of leaving a lock nobody holds.
        releaseScript(owner).catch(() => {})
        throw error
      }
      if (reply === 'OK') {
        heldBy = owner
        let released = false
        return async () => {
          if (released) return
          released = true
          if (heldBy === owner) heldBy = undefined
          await releaseScript(owner)
        }
      }
      await sleep(lockRetryDelay * (0.5 + Math.random()), signal)
    }
  }

  return { get, set, lock }
}
