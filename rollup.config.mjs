// ESM + CJS bundles and .d.ts/.d.cts for each entry. yjs is a peer and is never bundled (two copies of
// yjs break documents); the ESM builds keep every dependency external. The CJS builds also bundle
// the dependencies CommonJS cannot `require` on every Node the package supports: jose is ESM-only,
// and Node before 20.19 has no require(esm), so `require('y-wiresocket/server')` would die there.
import esbuild from 'rollup-plugin-esbuild'
import { transform } from 'esbuild'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import { dts } from 'rollup-plugin-dts'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]
/** ESM-only dependencies: bundled into the CJS outputs. */
const ESM_ONLY = ['jose']

const externalOf = bundled => id =>
  id.startsWith('node:') || deps.some(d => !bundled.includes(d) && (id === d || id.startsWith(d + '/')))

const entries = { index: 'src/index.ts', hocuspocus: 'src/hocuspocus/index.ts', server: 'src/server/index.ts', redis: 'src/redis/index.ts', local: 'src/local/index.ts' }
/**
 * The browser entries are built together, so that what y-wiresocket/hocuspocus shares with the main
 * entry (the token source, the socket) is one chunk that an app importing both loads once.
 */
const browser = { index: entries.index, hocuspocus: entries.hocuspocus }
const nodeEntries = Object.fromEntries(Object.entries(entries).filter(([name]) => !(name in browser)))

/**
 * Where an entry's JavaScript goes. The browser entries have shared and lazy chunks (src/provider/redirect.ts,
 * loaded on the first redirect or discovery), so their outputs name a directory: each entry file keeps
 * the name package.json `exports` points to, each chunk goes to dist/chunks/ under a fixed name per
 * build (no hash: the package is re-bundled by the app, and a fixed name leaves no stale files).
 */
const jsOutput = (name, format, suffix = '') => {
  const ext = format === 'cjs' ? 'cjs' : 'js'
  const where = name === 'browser'
    // shared chunks: the provider, which both entries use, and what the lazy chunks share with it; lazy chunks keep their module's name
    ? { dir: 'dist', entryFileNames: `[name]${suffix}.${ext}`, chunkFileNames: ({ isDynamicEntry, moduleIds }) => `chunks/${isDynamicEntry ? '[name]' : moduleIds.some(id => id.endsWith('/src/provider/provider.ts')) ? 'provider' : 'shared'}${suffix}.${ext}` }
    : { file: `dist/${name}${suffix}.${ext}` }
  // no bare imports of a chunk's dependencies hoisted into the entry: a bundler keeps each (a module
  // outside the package may have side effects), and they only repeat what the chunk imports
  return { ...where, format, sourcemap: true, hoistTransitiveImports: false, ...format === 'cjs' ? { exports: 'named' } : {} }
}

// The browser entry's production build (the `production` export condition): src/provider/dev.ts
// swapped for dev.production.ts, so long messages and dev-only checks are left out (see dev.ts).
const production = {
  name: 'y-wiresocket-production',
  resolveId (source, importer) {
    if ((importer?.includes('/src/provider/') || importer?.includes('/src/hocuspocus/')) && source.endsWith('/dev.ts')) {
      return fileURLToPath(new URL('./src/provider/dev.production.ts', import.meta.url))
    }
    return null
  },
}

/**
 * Members that the browser modules share among themselves but never show an app: the production build
 * renames them to single letters, which bundlers keep, since no minifier renames
 * properties on its own. The mapping is fixed, so every chunk of a build agrees. Every use of a listed name
 * is renamed, whatever the object: so never a name the code also reads from something else (a
 * built-in's method such as `replace`, `Math.random`, an export read from a lazily imported module such
 * as `allows` or `settle`) or that an app sees. `npm run test:production` runs the integration tests against this
 * build. Private `#members` need no entry here: minifiers shorten them already.
 */
export const INTERNAL_MEMBERS = [
  // route.ts, redirect.ts
  'configured', 'target', 'pendingRegion', 'discovered', 'allowedHosts', 'moved', 'move',
  // links.ts, handover.ts
  'live', 'enableHandover', 'abandon', 'replacement', 'owner', 'news', 'swapped', 'peer',
  // token-hold.ts, token-source.ts
  'newest', 'release', 'waiters', 'controller', 'promise',
  // cross-tab.ts, backoff.ts, stepped.ts
  'connected', 'publish', 'arm', 'online', 'cancel', 'admit', 'step', 'later',
  // policy.ts: counters, decisions and options
  'failures', 'rejections', 'redirects', 'limitHits', 'missingTokenRetried',
  'action', 'wakeOnOnline', 'forgetToken', 'home', 'decision', 'counters',
]
// single letters: no property of the browser code (nor of what it reads from yjs, y-protocols, lib0 or the DOM) is one
const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
const shortNames = Object.fromEntries(INTERNAL_MEMBERS.map((name, i) => [name, LETTERS[i]]))
/** What the platform's own objects answer to: a listed name among them would be renamed where the code calls them. */
const BUILT_IN = [String, Array, Promise, URL, URLSearchParams, Map, Set, Error, Date, AbortController, AbortSignal, Uint8Array, Object, EventTarget]
  .flatMap(c => [c, c.prototype]).concat([Math, JSON, globalThis])
const mangleInternalMembers = {
  name: 'y-wiresocket-internal-members',
  buildStart () {
    const clash = INTERNAL_MEMBERS.filter(name => BUILT_IN.some(o => name in o))
    if (clash.length > 0) this.error(`INTERNAL_MEMBERS names what built-ins have too: ${clash.join(', ')}`)
  },
  async renderChunk (code, chunk) {
    // a lazily imported chunk's exports are read by name from its module object
    const exported = chunk.exports.filter(name => INTERNAL_MEMBERS.includes(name))
    if (exported.length > 0) this.error(`INTERNAL_MEMBERS names what ${chunk.fileName} exports: ${exported.join(', ')}`)
    const { code: out, map } = await transform(code, {
      mangleProps: new RegExp(`^(${INTERNAL_MEMBERS.join('|')})$`),
      mangleCache: { ...shortNames },
      sourcemap: true,
    })
    return { code: out, map }
  },
}

export default [
  {
    input: browser,
    external: externalOf([]),
    plugins: [esbuild({ target: 'es2022' })],
    output: [jsOutput('browser', 'es'), jsOutput('browser', 'cjs')],
  },
  ...Object.entries(nodeEntries).map(([name, input]) => ({
    input,
    external: externalOf([]),
    plugins: [esbuild({ target: 'es2022' })],
    output: jsOutput(name, 'es'),
  })),
  {
    input: browser,
    external: externalOf([]),
    plugins: [production, esbuild({ target: 'es2022' }), mangleInternalMembers],
    output: [jsOutput('browser', 'es', '.production'), jsOutput('browser', 'cjs', '.production')],
  },
  ...Object.entries(nodeEntries).map(([name, input]) => ({
    input,
    external: externalOf(ESM_ONLY),
    plugins: [nodeResolve({ exportConditions: ['node', 'import', 'default'], preferBuiltins: true }), esbuild({ target: 'es2022' })],
    output: jsOutput(name, 'cjs'),
  })),
  ...Object.entries(entries).map(([name, input]) => ({
    input,
    external: externalOf([]),
    plugins: [dts({ compilerOptions: { allowImportingTsExtensions: true } })],
    output: [
      { file: `dist/${name}.d.ts`, format: 'es' },
      { file: `dist/${name}.d.cts`, format: 'es' },
    ],
  })),
]
