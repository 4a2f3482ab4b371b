// A real redis-server for tests: Debian's package, on a free loopback port, nothing written to disk,
// ready once it answers PING, and always stopped (also if the test process exits early).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect, createServer, type AddressInfo } from 'node:net'
import { once } from 'node:events'

export const REDIS_SERVER_PATH = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server'

export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** Stop it (SIGTERM, SIGKILL after 2 s); resolves once the process has exited. Idempotent. */
  stop(): Promise<void>
  /** Start it again on the same port, empty (it saves nothing). */
  start(): Promise<void>
  /** Freeze it (SIGSTOP): connections stay open, nothing is answered. `resume()` undoes it. */
  freeze(): void
  resume(): void
}

const running = new Set<ChildProcess>()
process.on('exit', () => { for (const child of running) child.kill('SIGKILL') })

const freePort = async (): Promise<number> => {
  const probe = createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as AddressInfo
  probe.close()
  await once(probe, 'close')
  return port
}

/** One PING over a raw socket: true when the server answered +PONG. */
const ping = async (port: number): Promise<boolean> => await new Promise(resolve => {
  const socket = connect(port, '127.0.0.1')
  let reply = ''
  const finish = (ok: boolean): void => { socket.destroy(); resolve(ok) }
  socket.setTimeout(1_000, () => finish(false))
  socket.on('error', () => finish(false))
  socket.on('data', chunk => {
    reply += chunk.toString('latin1')
    if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'))
  })
  socket.on('connect', () => socket.write('PING\r\n'))
})

const launch = async (port: number): Promise<ChildProcess> => {
  const child = spawn(REDIS_SERVER_PATH, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice'], { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  child.once('exit', () => running.delete(child))
  let output = ''
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8')
      // redis-server says so once it listens; confirmed below with a PING.
      if (output.includes('Ready to accept connections')) resolve()
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', code => reject(new Error(`redis-server exited (${String(code)}) before it was ready: ${output.trim().split('\n').slice(-3).join(' | ')}`)))
    child.once('error', reject)
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  try {
    await ready
  } finally {
    clearTimeout(timer)
  }
  if (!(await ping(port))) {
    child.kill('SIGKILL')
    throw new Error(`redis-server on port ${port} does not answer PING`)
  }
  return child
}

const terminate = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGCONT') // a frozen server cannot act on SIGTERM
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 2_000)
  await exited
  clearTimeout(timer)
}

/** Start a redis-server; fails with a one-line hint when it is not installed. */
export const startRedisServer = async (): Promise<RedisServer> => {
  if (!existsSync(REDIS_SERVER_PATH)) {
    throw new Error(`No redis-server at ${REDIS_SERVER_PATH}: install it (apt-get install -y redis-server) or set REDIS_SERVER_PATH.`)
  }
  let port = 0
  let child: ChildProcess | undefined
  // Another process may take the probed port before redis-server binds it: try a few.
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort()
    try {
      child = await launch(port)
    } catch (error) {
      if (attempt >= 2) throw error
    }
  }
  let current: ChildProcess | undefined = child
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      const stopping = current
      current = undefined
      if (stopping !== undefined) await terminate(stopping)
    },
    start: async () => {
      if (current === undefined) current = await launch(port)
    },
    freeze: () => { current?.kill('SIGSTOP') },
    resume: () => { current?.kill('SIGCONT') },
  }
}
