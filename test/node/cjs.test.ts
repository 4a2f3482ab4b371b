// `engines` says Node >= 20, and Node 20.0–20.18 cannot require() an ES module. Every CommonJS entry
// point must load there and work: build dist/, then run a CJS consumer with require(esm) disabled.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const CJS_ENTRIES = ['dist/index.cjs', 'dist/server.cjs', 'dist/local.cjs']

before(async () => {
  await run('npm', ['run', 'build'], { cwd: root, timeout: 120_000 })
})

test('no CJS build requires an ESM-only package (jose is bundled), and the ESM builds keep it external', () => {
  for (const file of CJS_ENTRIES) {
    const code = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')
    assert.doesNotMatch(code, /require\(['"]jose['"]\)/, `${file} requires jose`)
  }
  // yjs is a peer: bundling it would give the app two copies of yjs, which breaks documents.
  assert.match(readFileSync(new URL('../../dist/local.cjs', import.meta.url), 'utf8'), /require\('yjs'\)/)
  for (const file of ['dist/server.js', 'dist/local.js']) {
    assert.match(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'), /from 'jose'/, `${file} imports jose`)
  }
})

test('every CJS entry point loads and works under node --no-experimental-require-module', async () => {
  const { stdout } = await run(process.execPath, ['--no-experimental-require-module', 'test/fixtures/cjs-consumer.cjs'], { cwd: root, timeout: 60_000 })
  assert.deepEqual(JSON.parse(stdout.trim()), { verifiedApp: true, decodedTenant: true, synced: true, invalidTokenCode: 4002 })
})

test('the CJS entry points resolve through the package exports map, each to its .cjs file', async () => {
  const script = "for (const id of ['y-wiresocket', 'y-wiresocket/server', 'y-wiresocket/local']) console.log(require.resolve(id))"
  const { stdout } = await run(process.execPath, ['--no-experimental-require-module', '-e', script], { cwd: root, timeout: 30_000 })
  assert.deepEqual(stdout.trim().split('\n').map(p => p.slice(root.length)), CJS_ENTRIES)
})
