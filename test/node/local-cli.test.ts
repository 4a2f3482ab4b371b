// The `wiresocket-local` CLI (from source, as `npm run local` runs it): prints credentials and URLs,
// the printed credentials work, pinned credentials survive restarts, a busy port gets a clear
// message, and SIGTERM stops it cleanly.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { createTokenClient } from '../../src/server/index.ts'
import { postForm } from '../support/local-client.ts'
import { isRunning } from '../support/process-running.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

test('prints credentials, token/JWKS/region URLs and a connect example; SIGTERM exits 0', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/cli.ts', '--port', '0', '--token-port', '0', '--ttl', '120'], { cwd: root, env: { ...process.env, WIRESOCKET_CLIENT_ID: '', WIRESOCKET_CLIENT_SECRET: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8')
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk
        if (out.includes('Press Ctrl+C')) resolve()
      })
      child.once('exit', code => reject(new Error(`exited early with ${code ?? 'signal'}: ${out}`)))
    })
    const field = (name: string): string => {
      const match = new RegExp(`${name}\\s+(\\S+)`).exec(out)
      assert.ok(match, `${name} printed`)
      return match[1]!
    }
    const tokenUrl = field('token URL')
    assert.match(field('JWKS URL'), /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\/\.well-known\/jwks$/)
    assert.match(out, /eu-central-1\s+ws:\/\/127\.0\.0\.1:\d+/)
    assert.match(out, /us-east-1\s+ws:\/\/127\.0\.0\.1:\d+/)
    // The hint is this package's backend client and provider, with this instance's token and region URLs.
    assert.ok(out.includes(`WIRESOCKET_TOKEN_URL=${tokenUrl}`), 'hint carries the token URL')
    assert.ok(out.includes(`tokenUrl: process.env.WIRESOCKET_TOKEN_URL, // ${tokenUrl}`))
    assert.match(out, /import \{ createTokenClient, createTokenHandler \} from 'y-wiresocket\/server'/)
    assert.match(out, /new WireSocketProvider\('ws:\/\/127\.0\.0\.1:\d+', 'my-doc', ydoc/)
    assert.doesNotMatch(out, /WebsocketProvider|protocols: \[/)
    assert.match(out, /new at each start/)
    const reply = await postForm(tokenUrl, {
      grant_type: 'client_credentials',
      client_id: field('client_id'),
      client_secret: field('client_secret'),
      scope: 'WireSocket.API',
    })
    assert.equal(reply.status, 200)
    assert.equal(reply.body.expires_in, 120)
    const exited = once(child, 'close') // 'close' waits for stdout to drain, unlike 'exit'
    child.kill('SIGTERM')
    const [code] = await exited as [number | null]
    assert.equal(code, 0)
    assert.match(out, /Stopped\./)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
  }
})

test('rejects unknown options with a hint', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/cli.ts', '--nope'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => { err += chunk })
  const [code] = await once(child, 'close') as [number | null]
  assert.equal(code, 1)
  assert.match(err, /Unknown option '--nope' \(see --help\)/)
})

/** Start the CLI and collect its output until it is ready (or it exits). */
const startCli = async (args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcessWithoutNullStreams; out: string }> => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/cli.ts', '--port', '0', '--token-port', '0', ...args], {
    cwd: root,
    env: { ...process.env, WIRESOCKET_CLIENT_ID: '', WIRESOCKET_CLIENT_SECRET: '', ...env },
  })
  let out = ''
  child.stdout.setEncoding('utf8')
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: string) => {
      out += chunk
      if (out.includes('Press Ctrl+C')) resolve()
    })
    child.once('exit', code => reject(new Error(`exited early with ${code ?? 'signal'}: ${out}`)))
  })
  return { child, out }
}

const stopCli = async (child: ChildProcessWithoutNullStreams): Promise<void> => {
  if (child.exitCode !== null) return
  const closed = once(child, 'close')
  child.kill('SIGTERM')
  await closed
}

const fieldOf = (out: string, name: string): string => {
  const match = new RegExp(`${name}\\s+(\\S+)`).exec(out)
  assert.ok(match, `${name} printed`)
  return match[1]!
}

test('pinned credentials (flags, then the environment) keep the client id, secret, tenant and app ids across restarts', async () => {
  const runs: Array<{ out: string; tenantApp: string }> = []
  for (const how of ['flags', 'env'] as const) {
    const { child, out } = how === 'flags'
      ? await startCli(['--client-id', 'local-dev', '--client-secret', 'dev-secret-1'])
      : await startCli([], { WIRESOCKET_CLIENT_ID: 'local-dev', WIRESOCKET_CLIENT_SECRET: 'dev-secret-1' })
    try {
      assert.equal(fieldOf(out, 'client_id'), 'local-dev')
      assert.equal(fieldOf(out, 'client_secret'), 'dev-secret-1')
      assert.match(out, /the same at every start/)
      // The pinned credentials work through this package's own backend client, at the printed token URL.
      const client = createTokenClient({ clientId: 'local-dev', clientSecret: 'dev-secret-1', tokenUrl: fieldOf(out, 'token URL') })
      const { claims } = await client.getAccessToken()
      const tenantApp = /tenant \/ app\s+(\S+) \/ (\S+)/.exec(out)
      assert.ok(tenantApp)
      assert.equal(claims.tenantId, tenantApp[1])
      assert.equal(claims.appId, tenantApp[2])
      runs.push({ out, tenantApp: tenantApp[0] })
    } finally {
      await stopCli(child)
    }
  }
  assert.equal(runs[0]!.tenantApp, runs[1]!.tenantApp, 'same tenant and app ids across restarts')
})

test('a flag wins over its environment variable; half a pair is refused without echoing the secret', async () => {
  const { child, out } = await startCli(['--client-secret', 'from-flag'], { WIRESOCKET_CLIENT_ID: 'env-id', WIRESOCKET_CLIENT_SECRET: 'from-env' })
  try {
    assert.equal(fieldOf(out, 'client_id'), 'env-id')
    assert.equal(fieldOf(out, 'client_secret'), 'from-flag')
  } finally {
    await stopCli(child)
  }
  const half = spawn(process.execPath, ['--import', 'tsx', 'src/local/cli.ts', '--client-secret', 'lonely-secret'], {
    cwd: root, env: { ...process.env, WIRESOCKET_CLIENT_ID: '', WIRESOCKET_CLIENT_SECRET: '' },
  })
  let err = ''
  half.stderr.setEncoding('utf8')
  half.stderr.on('data', (chunk: string) => { err += chunk })
  const [code] = await once(half, 'close') as [number | null]
  assert.equal(code, 1)
  assert.match(err, /--client-id \(or WIRESOCKET_CLIENT_ID\) is missing/)
  assert.doesNotMatch(err, /lonely-secret/)
})

test('a port already in use gets a message naming it and the way out, not a bare EADDRINUSE', async () => {
  const blocker = createServer()
  await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
  const address = blocker.address()
  assert.ok(address !== null && typeof address === 'object')
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/cli.ts', '--port', '0', '--token-port', String(address.port)], { cwd: root })
    let err = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => { err += chunk })
    const [code] = await once(child, 'close') as [number | null]
    assert.equal(code, 1)
    assert.match(err, new RegExp(`Port ${address.port} on 127\\.0\\.0\\.1 is already in use: another wiresocket-local`))
    assert.match(err, /--port <n> --token-port <n>/)
    assert.doesNotMatch(err, /^Error: listen EADDRINUSE/m)
  } finally {
    await new Promise<void>(resolve => blocker.close(() => resolve()))
  }
})

test('started through npm, it stops when npm is killed instead of keeping the ports as an orphan', async () => {
  const npm = spawn('npm', ['run', 'local', '--', '--port', '0', '--token-port', '0'], {
    cwd: root, env: { ...process.env, WIRESOCKET_CLIENT_ID: '', WIRESOCKET_CLIENT_SECRET: '' }, stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  npm.stdout.setEncoding('utf8')
  await new Promise<void>((resolve, reject) => {
    npm.stdout.on('data', (chunk: string) => {
      out += chunk
      if (out.includes('Press Ctrl+C')) resolve()
    })
    npm.once('exit', code => reject(new Error(`npm run local exited early (${code ?? 'signal'}): ${out}`)))
  })
  // npm runs the script through `sh -c`, so the CLI is npm's grandchild: it prints its own pid.
  const cliPid = Number(/dataplane running \(pid (\d+)\)/.exec(out)?.[1])
  assert.ok(Number.isInteger(cliPid) && cliPid !== npm.pid, `the CLI prints its pid: ${out}`)
  try {
    npm.kill('SIGTERM')
    // Not our child, so no exit event reaches us: watch its pid, bounded.
    const deadline = Date.now() + 10_000
    while (isRunning(cliPid)) {
      assert.ok(Date.now() < deadline, `wiresocket-local ${cliPid} still running 10 s after npm was killed`)
      await delay(100)
    }
  } finally {
    if (isRunning(cliPid)) process.kill(cliPid, 'SIGKILL')
  }
})
