// ESM + CJS bundles and .d.ts/.d.cts for each entry. Dependencies stay external: yjs is a peer and
// must never be bundled (two copies of yjs break documents), the rest are installed by npm.
import esbuild from 'rollup-plugin-esbuild'
import { dts } from 'rollup-plugin-dts'
import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]
const external = id => id.startsWith('node:') || deps.some(d => id === d || id.startsWith(d + '/'))

const entries = { index: 'src/index.ts', server: 'src/server/index.ts', redis: 'src/redis/index.ts', local: 'src/local/index.ts' }

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
