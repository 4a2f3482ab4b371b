// ESM + CJS bundles and .d.ts/.d.cts for each entry. yjs is a peer and is never bundled (two copies of
// yjs break documents); the ESM builds keep every dependency external. The CJS builds also bundle
// the dependencies CommonJS cannot `require` on every Node the package supports: jose is ESM-only,
// and Node before 20.19 has no require(esm), so `require('y-wiresocket/server')` would die there.
import esbuild from 'rollup-plugin-esbuild'
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

const entries = { index: 'src/index.ts', server: 'src/server/index.ts', redis: 'src/redis/index.ts', local: 'src/local/index.ts' }

// The browser entry's production build (the `production` export condition): src/provider/dev.ts
// swapped for dev.production.ts, so long messages and dev-only checks are left out (see dev.ts).
const production = {
  name: 'y-wiresocket-production',
  resolveId (source, importer) {
    if (importer?.includes('/src/provider/') && source.endsWith('/dev.ts')) {
      return fileURLToPath(new URL('./src/provider/dev.production.ts', import.meta.url))
    }
    return null
  },
}

export default [
  ...Object.entries(entries).map(([name, input]) => ({
    input,
    external: externalOf([]),
    plugins: [esbuild({ target: 'es2022' })],
    output: { file: `dist/${name}.js`, format: 'es', sourcemap: true },
  })),
  {
    input: entries.index,
    external: externalOf([]),
    plugins: [production, esbuild({ target: 'es2022' })],
    output: [
      { file: 'dist/index.production.js', format: 'es', sourcemap: true },
      { file: 'dist/index.production.cjs', format: 'cjs', sourcemap: true, exports: 'named' },
    ],
  },
  ...Object.entries(entries).map(([name, input]) => ({
    input,
    external: externalOf(ESM_ONLY),
    plugins: [nodeResolve({ exportConditions: ['node', 'import', 'default'], preferBuiltins: true }), esbuild({ target: 'es2022' })],
    output: { file: `dist/${name}.cjs`, format: 'cjs', sourcemap: true, exports: 'named' },
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
