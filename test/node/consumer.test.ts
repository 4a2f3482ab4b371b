// The package as a user gets it: `npm pack` (which builds dist/ through prepack), install the tarball
// into a scratch app in a temporary directory, type-check the README's Quickstart code blocks exactly
// as written, type-check `y-wiresocket/server` in a project without @types/node (Workers, Deno), and
// bundle the browser snippet for the browser platform: no Node built-in may end up in it.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const repoTypes = join(root, 'node_modules/@types')

/** The ```ts blocks of the README's `## Quickstart` section (its subsections included), in order. */
const quickstartBlocks = (readme: string): string[] => {
  const start = readme.indexOf('\n## Quickstart\n')
  assert.ok(start >= 0, 'README has a ## Quickstart section')
  const rest = readme.slice(start + 1)
  const end = rest.slice(3).search(/\n## /)
  const section = end < 0 ? rest : rest.slice(0, end + 3)
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]!)
}

/** App functions the Quickstart calls but leaves to the reader, declared once, outside the snippets. */
const PLACEHOLDERS = `// The app's own functions that the README's Quickstart leaves to the reader.
declare function getSessionUser (request: Request): Promise<{ id: string } | null>
`

/** A Workers/Deno-style backend: fetch types only, no process, no @types/node. */
const FETCH_RUNTIME_BACKEND = `import { createTokenClient, createTokenHandler, createTokenVerifier, toNodeHandler } from 'y-wiresocket/server'

export default {
  async fetch (request: Request, env: { WIRESOCKET_CLIENT_ID: string; WIRESOCKET_CLIENT_SECRET: string }): Promise<Response> {
    const client = createTokenClient({ clientId: env.WIRESOCKET_CLIENT_ID, clientSecret: env.WIRESOCKET_CLIENT_SECRET })
    const handler = createTokenHandler({ client, authorize: () => request.headers.has('cookie') })
    void createTokenVerifier({ tenantId: 'tenant' })
    void toNodeHandler
    return await handler(request)
  },
}
`

const tsconfig = (files: string[], compilerOptions: Record<string, unknown>): string => JSON.stringify({
  compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', ...compilerOptions },
  files,
}, null, 2)

let app: string
let tarball: string

before(async () => {
  app = mkdtempSync(join(tmpdir(), 'y-wiresocket-consumer-'))
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', app], { cwd: root, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 })
  const packed = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>
  tarball = join(app, packed[0]!.filename)
  const shipped = packed[0]!.files.map(f => f.path)
  for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/server.d.ts', 'dist/local.js', 'LICENSE', 'README.md', 'CHANGELOG.md']) {
    assert.ok(shipped.includes(file), `the tarball ships ${file}`)
  }
  const yjsVersion = (JSON.parse(readFileSync(join(root, 'node_modules/yjs/package.json'), 'utf8')) as { version: string }).version
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }))
  // Offline-friendly: everything the tarball needs is in the npm cache after `npm ci` of this repository.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball, `yjs@${yjsVersion}`], { cwd: app, timeout: 120_000 })
})

after(() => {
  if (app !== undefined) rmSync(app, { recursive: true, force: true })
})

test('the README Quickstart type-checks as written against the installed tarball', async () => {
  const blocks = quickstartBlocks(readFileSync(join(root, 'README.md'), 'utf8'))
  assert.equal(blocks.length, 2, 'the Quickstart has a browser block and a backend block')
  writeFileSync(join(app, 'browser.ts'), blocks[0]!)
  writeFileSync(join(app, 'backend.ts'), blocks[1]!)
  writeFileSync(join(app, 'placeholders.d.ts'), PLACEHOLDERS)
  // The browser snippet as a bundler project sees it: DOM, no Node types.
  writeFileSync(join(app, 'tsconfig.browser.json'), tsconfig(['browser.ts'], { lib: ['ES2022', 'DOM'], types: [], module: 'ESNext', moduleResolution: 'Bundler' }))
  // The backend snippet as a Node ESM project sees it.
  writeFileSync(join(app, 'tsconfig.node.json'), tsconfig(['backend.ts', 'placeholders.d.ts'], { lib: ['ES2022', 'DOM'], types: ['node'], typeRoots: [repoTypes], module: 'NodeNext', moduleResolution: 'NodeNext' }))
  for (const project of ['tsconfig.browser.json', 'tsconfig.node.json']) {
    await run(process.execPath, [tsc, '-p', project], { cwd: app, timeout: 120_000 }).catch((error: { stdout?: string }) => {
      assert.fail(`${project}: ${error.stdout ?? String(error)}`)
    })
  }
})

test('y-wiresocket/server type-checks without @types/node (a Workers or Deno project)', async () => {
  writeFileSync(join(app, 'worker.ts'), FETCH_RUNTIME_BACKEND)
  writeFileSync(join(app, 'tsconfig.worker.json'), tsconfig(['worker.ts'], { lib: ['ES2022', 'DOM'], types: [], module: 'ESNext', moduleResolution: 'Bundler' }))
  await run(process.execPath, [tsc, '-p', 'tsconfig.worker.json'], { cwd: app, timeout: 120_000 }).catch((error: { stdout?: string }) => {
    assert.fail(error.stdout ?? String(error))
  })
})

test('the installed package loads from CommonJS without require(esm), and its .d.cts types check', async () => {
  writeFileSync(join(app, 'check.cjs'), `
const { WireSocketProvider, decodeClaims } = require('y-wiresocket')
const { createTokenClient } = require('y-wiresocket/server')
const { startLocalDataplane } = require('y-wiresocket/local')
startLocalDataplane().then(async dp => {
  const client = createTokenClient({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl })
  const { token } = await client.getAccessToken()
  console.log(typeof WireSocketProvider, decodeClaims(token).appId === dp.app.appId)
  await dp.close()
})
`)
  const { stdout } = await run(process.execPath, ['--no-experimental-require-module', 'check.cjs'], { cwd: app, timeout: 60_000 })
  assert.equal(stdout.trim(), 'function true')
  writeFileSync(join(app, 'check.cts'), `import wiresocket = require('y-wiresocket/server')
export const client: wiresocket.TokenClient = wiresocket.createTokenClient({ clientId: 'id', clientSecret: 'secret' })
`)
  writeFileSync(join(app, 'tsconfig.cjs.json'), tsconfig(['check.cts'], { lib: ['ES2022', 'DOM'], types: [], module: 'NodeNext', moduleResolution: 'NodeNext' }))
  await run(process.execPath, [tsc, '-p', 'tsconfig.cjs.json'], { cwd: app, timeout: 120_000 }).catch((error: { stdout?: string }) => {
    assert.fail(error.stdout ?? String(error))
  })
})

test('the browser snippet bundles for the browser platform with no Node built-in', async () => {
  writeFileSync(join(app, 'browser.ts'), quickstartBlocks(readFileSync(join(root, 'README.md'), 'utf8'))[0]!)
  const result = await build({
    absWorkingDir: app,
    entryPoints: ['browser.ts'],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    minify: true,
    metafile: true,
    logLevel: 'silent',
  })
  const inputs = Object.keys(result.metafile.inputs)
  assert.ok(inputs.some(i => i.includes('node_modules/y-wiresocket/dist/index.js')), 'bundled the installed package')
  // ws is the Node WebSocket; node: modules do not exist in a browser.
  assert.deepEqual(inputs.filter(i => i.startsWith('node:') || /node_modules\/ws\//.test(i)), [])
  assert.doesNotMatch(result.outputFiles[0]!.text, /\brequire\(["']/)
})
