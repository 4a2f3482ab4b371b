// ESM + CJS bundles and .d.ts/.d.cts for each entry. Dependencies stay external: yjs is a peer and
// must never be bundled (two copies of yjs break documents), the rest are installed by npm.
import esbuild from 'rollup-plugin-esbuild'
import { dts } from 'rollup-plugin-dts'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]
const external = id => id.startsWith('node:') || deps.some(d => id === d || id.startsWith(d + '/'))

const entries = { index: 'src/index.ts', server: 'src/server/index.ts', local: 'src/local/index.ts' }

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
    external,
    plugins: [esbuild({ target: 'es2022' })],
    output: [
      { file: `dist/${name}.js`, format: 'es', sourcemap: true },
      { file: `dist/${name}.cjs`, format: 'cjs', sourcemap: true, exports: 'named' },
    ],
  })),
  {
    input: entries.index,
    external,
    plugins: [production, esbuild({ target: 'es2022' })],
    output: [
      { file: 'dist/index.production.js', format: 'es', sourcemap: true },
      { file: 'dist/index.production.cjs', format: 'cjs', sourcemap: true, exports: 'named' },
    ],
  },
  ...Object.entries(entries).map(([name, input]) => ({
    input,
    external,
    plugins: [dts({ compilerOptions: { allowImportingTsExtensions: true } })],
    output: [
      { file: `dist/${name}.d.ts`, format: 'es' },
      { file: `dist/${name}.d.cts`, format: 'es' },
    ],
  })),
]
