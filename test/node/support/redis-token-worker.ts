// One backend instance for the multi-instance tests, run as its own Node process: a token client
// sharing its token family through createRedisTokenStore, driven by the parent over IPC. Its clock can
// be moved forward (to reach a renewal without waiting 14 minutes); the token service keeps real time.
import { createTokenClient } from '../../../src/server/index.ts'
import { createRedisTokenStore } from '../../../src/redis/index.ts'
import { connectRedis, type RedisLibrary } from './redis-clients.ts'

export interface WorkerConfig {
  library: RedisLibrary
  redisUrl: string
  tokenUrl: string
  clientId: string
  clientSecret: string
  storeTimeout: number
  lockLease: number
  commandTimeout: number
  failureBackoff: number
}

export type WorkerRequest =
  | { id: number; type: 'burst'; count: number }
  | { id: number; type: 'advance'; ms: number }
  | { id: number; type: 'hold-lock'; lease: number }

export type CallResult = { ok: true; token: string; expiresAt: number } | { ok: false; code: string; message: string }

export type WorkerReply =
  | { id: number; type: 'burst'; results: CallResult[]; ms: number }
  | { id: number; type: 'done' }
  | { type: 'ready' }
  | { type: 'fatal'; message: string }

const send = (reply: WorkerReply): void => { process.send!(reply) }

const main = async (): Promise<void> => {
  const config = JSON.parse(process.env.WIRESOCKET_WORKER ?? '{}') as WorkerConfig
  let offset = 0
  const now = (): number => Date.now() + offset
  const redis = await connectRedis(config.library, config.redisUrl)
  const store = createRedisTokenStore(redis.client, { clientId: config.clientId, commandTimeout: config.commandTimeout, now })
  const client = createTokenClient({
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    tokenUrl: config.tokenUrl,
    store,
    now,
    storeTimeout: config.storeTimeout,
    lockLease: config.lockLease,
    failureBackoff: config.failureBackoff,
    timeout: 2_000,
  })
  process.on('message', (message: WorkerRequest) => {
    if (message.type === 'advance') {
      offset += message.ms
      send({ id: message.id, type: 'done' })
    } else if (message.type === 'hold-lock') {
      // Take the lock as a renewal would, then never let go: the parent kills this process now.
      void store.lock!(message.lease).then(() => { send({ id: message.id, type: 'done' }) })
    } else {
      const started = performance.now()
      void Promise.all(Array.from({ length: message.count }, async (): Promise<CallResult> => {
        try {
          const { token, expiresAt } = await client.getAccessToken()
          return { ok: true, token, expiresAt }
        } catch (error) {
          const { code, message: text } = error as { code?: string; message?: string }
          return { ok: false, code: String(code), message: String(text) }
        }
      })).then(results => { send({ id: message.id, type: 'burst', results, ms: performance.now() - started }) })
    }
  })
  process.on('disconnect', () => { void redis.close().finally(() => process.exit(0)) })
  send({ type: 'ready' })
}

main().catch((error: unknown) => {
  send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) })
  process.exit(1)
})
