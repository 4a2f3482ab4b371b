/**
 * Destroy leaves nothing behind (issue 13): after `provider.destroy()` (own Hocuspocus socket), after
 * `shared.destroy()`, and after each provider of a shared connection leaves by itself, the server holds no
 * session of it, `shared.sockets` is 0, and the client process exits by itself (no socket, no timer left).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startLocalDataplane } from '../../src/local/index.ts'
import { eventually } from '../support/local-client.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const EXIT_WITHIN_MS = 5000

for (const mode of ['one', 'shared', 'shared-one-by-one'] as const) {
  test(`destroy (${mode}): no session left on the server, no socket or timer left in the client process`, { timeout: 30_000 }, async t => {
    const dp = await startLocalDataplane()
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/node/support/hocuspocus-destroy-child.ts', dp.regions[0]!.url, mode], {
      cwd: root,
      env: { ...process.env, HOCUS_CHILD_TOKEN: await dp.mintToken() },
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
    try {
      const steps: Array<Record<string, unknown>> = []
      let destroyedAt = 0
      for await (const line of createInterface({ input: child.stdout })) {
        const step = JSON.parse(line) as Record<string, unknown>
        steps.push(step)
        if (step.step === 'synced') {
          assert.equal(dp.stats().connections, 1)
          if (mode !== 'one') assert.equal(step.sockets, 1)
          child.stdin.end()
        }
        if (step.step === 'destroyed') {
          destroyedAt = Date.now()
          break
        }
      }
      const destroyed = steps.at(-1)!
      assert.equal(destroyed.step, 'destroyed')
      if (mode === 'one') assert.equal(destroyed.state, 'destroyed')
      else {
        assert.equal(destroyed.sockets, 0)
        assert.deepEqual(destroyed.states, ['destroyed', 'destroyed', 'destroyed'])
      }
      await eventually(() => dp.stats().connections === 0, 'no session left on the server')
      const timeout = setTimeout(() => child.kill(), EXIT_WITHIN_MS)
      const code = await exited
      clearTimeout(timeout)
      const exitMs = Date.now() - destroyedAt
      t.diagnostic(`${mode}: exited ${exitMs} ms after destroy, code ${code}`)
      assert.equal(code, 0, `the client process did not exit by itself within ${EXIT_WITHIN_MS} ms of destroy`)
    } finally {
      child.kill()
      await dp.close()
    }
  })
}
