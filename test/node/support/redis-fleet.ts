// Several backend instances as separate Node processes (redis-token-worker.ts), started together,
// asked together, and always killed when the test ends.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { CallResult, WorkerConfig, WorkerReply, WorkerRequest } from './redis-token-worker.ts'

const WORKER = fileURLToPath(new URL('./redis-token-worker.ts', import.meta.url))

/** A request as the caller writes it; the id is added on sending. */
type Unsent = WorkerRequest extends infer R ? R extends WorkerRequest ? Omit<R, 'id'> : never : never

type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }

export interface Instance {
  readonly process: ChildProcess
  burst(count: number): Promise<{ results: CallResult[]; ms: number }>
  advance(ms: number): Promise<void>
  /** Resolves once this instance holds the store's lock (and will never release it). */
  holdLock(lease: number): Promise<void>
  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<void>
}

const live = new Set<ChildProcess>()
process.on('exit', () => { for (const child of live) child.kill('SIGKILL') })

const startInstance = async (config: WorkerConfig): Promise<Instance> => {
  const child = fork(WORKER, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, WIRESOCKET_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  live.add(child)
  const pending = new Map<number, Pending>()
  let nextId = 1
  let exited = false
  child.once('exit', (code, signal) => {
    exited = true
    live.delete(child)
    for (const { reject } of pending.values()) reject(new Error(`worker exited (${String(code ?? signal)})`))
    pending.clear()
  })
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') resolve()
      else if (reply.type === 'fatal') reject(new Error(`worker failed to start: ${reply.message}`))
      else {
        pending.get(reply.id)?.resolve(reply)
        pending.delete(reply.id)
      }
    })
    child.once('exit', code => reject(new Error(`worker exited (${String(code)}) before it was ready`)))
  })
  const ask = async (request: Unsent): Promise<WorkerReply> => await new Promise((resolve, reject) => {
    if (exited) { reject(new Error('worker has exited')); return }
    const id = nextId++
    pending.set(id, { resolve, reject })
    child.send({ ...request, id } as WorkerRequest)
  })
  await ready
  return {
    process: child,
    burst: async count => {
      const reply = await ask({ type: 'burst', count })
      if (reply.type !== 'burst') throw new Error('unexpected reply')
      return { results: reply.results, ms: reply.ms }
    },
    advance: async ms => { await ask({ type: 'advance', ms }) },
    holdLock: async lease => { await ask({ type: 'hold-lock', lease }) },
    kill: async () => {
      if (exited) return
      const gone = once(child, 'exit')
      child.kill('SIGKILL')
      await gone
    },
  }
}

export interface Fleet {
  readonly instances: Instance[]
  /** `count` concurrent getAccessToken() in every live instance at once. */
  burst(count: number, instances?: Instance[]): Promise<Array<{ results: CallResult[]; ms: number }>>
  advance(ms: number, instances?: Instance[]): Promise<void>
  close(): Promise<void>
}

export const startFleet = async (configs: WorkerConfig[]): Promise<Fleet> => {
  const started = await Promise.allSettled(configs.map(startInstance))
  const instances = started.flatMap(s => (s.status === 'fulfilled' ? [s.value] : []))
  const close = async (): Promise<void> => { await Promise.all(instances.map(async i => { await i.kill() })) }
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed !== undefined) {
    await close()
    throw failed.reason
  }
  return {
    instances,
    burst: async (count, only = instances) => await Promise.all(only.map(async i => await i.burst(count))),
    advance: async (ms, only = instances) => { await Promise.all(only.map(async i => { await i.advance(ms) })) },
    close,
  }
}
