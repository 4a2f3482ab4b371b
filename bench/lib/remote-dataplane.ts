/** Start the local dataplane in a child process (see `dataplane-child.ts` for why) and talk to it. */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { LocalDataplaneOptions } from '../../src/local/index.ts'
import type { ChildReply, ChildRequest } from './remote-protocol.ts'

type Op = ChildRequest['op']

export interface RemoteDataplane {
  /** WebSocket URL of the first region. */
  readonly url: string
  mintToken(ttl?: number): Promise<string>
  expireTokens(): Promise<void>
  dropConnections(): Promise<void>
  stats(): Promise<{ connections: number; documents: number }>
  handshakes(): Promise<{ total: number; accepted: number }>
  /** The child's resident set now and at its peak so far, in bytes. */
  memory(): Promise<{ rss: number; peakRss: number }>
  close(): Promise<void>
}

const CHILD = fileURLToPath(new URL('./dataplane-child.ts', import.meta.url))
const START_TIMEOUT = 30_000
const CALL_TIMEOUT = 30_000

export const startRemoteDataplane = async (options: LocalDataplaneOptions = {}): Promise<RemoteDataplane> => {
  // One region is enough: no scenario follows redirects, and a second region only costs a key and a port.
  const child: ChildProcess = fork(CHILD, [JSON.stringify({ regions: [{ name: 'eu-central-1' }], ...options })], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>()
  let nextId = 1
  let exited = false

  const regions = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dataplane child did not start')), START_TIMEOUT)
    child.once('exit', code => {
      clearTimeout(timer)
      reject(new Error(`dataplane child exited with ${String(code)}`))
    })
    child.on('message', (raw: unknown) => {
      const reply = raw as ChildReply
      if (reply.kind === 'ready') {
        clearTimeout(timer)
        resolve(reply.regions)
        return
      }
      const call = pending.get(reply.id)
      if (call === undefined) return
      pending.delete(reply.id)
      clearTimeout(call.timer)
      if (reply.error !== undefined) call.reject(new Error(reply.error))
      else call.resolve(reply.value)
    })
  })
  child.removeAllListeners('exit')
  child.once('exit', () => {
    exited = true
    for (const call of pending.values()) {
      clearTimeout(call.timer)
      call.reject(new Error('dataplane child exited'))
    }
    pending.clear()
  })

  const call = <T>(op: Op, extra: { ttl?: number } = {}): Promise<T> => new Promise<T>((resolve, reject) => {
    if (exited) return reject(new Error('dataplane child has exited'))
    const id = nextId++
    const timer = setTimeout(() => {
      pending.delete(id)
      reject(new Error(`dataplane child did not answer ${op}`))
    }, CALL_TIMEOUT)
    pending.set(id, { resolve: value => resolve(value as T), reject, timer })
    child.send({ id, op, ...extra } as ChildRequest)
  })

  const url = regions[0]
  if (url === undefined) throw new Error('dataplane child reported no region')
  return {
    url,
    mintToken: ttl => call<string>('mint', { ttl }),
    expireTokens: () => call<null>('expire').then(() => undefined),
    dropConnections: () => call<null>('drop').then(() => undefined),
    stats: () => call('stats'),
    handshakes: () => call('handshakes'),
    memory: () => call('memory'),
    close: async () => {
      if (exited) return
      const gone = new Promise<void>(resolve => child.once('exit', () => resolve()))
      await call<null>('close').catch(() => undefined)
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await gone
      clearTimeout(killer)
    },
  }
}
