// The `wiresocket-local` CLI (from source, as `npm run local` runs it): prints credentials and URLs,
// the printed credentials work, and SIGTERM stops it cleanly.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { postForm } from '../support/local-client.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

test('prints credentials, token/JWKS/region URLs and a connect example; SIGTERM exits 0', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/local/cli.ts', '--port', '0', '--token-port', '0', '--ttl', '120'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
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
    assert.match(out, /protocols: \['access_token', TOKEN\]/)
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
