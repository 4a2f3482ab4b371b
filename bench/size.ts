/**
 * `npm run size`: the provider's own code, bundled with yjs, y-protocols and lib0 external (as
 * shared/toolchain.md measures the peers), minified with terser and gzipped at level 9; beside it the
 * same measure of y-websocket's client and @hocuspocus/provider, taken in the same run.
 */
import { build } from 'esbuild'
import { minify } from 'terser'
import { gzipSync } from 'node:zlib'

export const BUDGET = 4500

interface Measured { name: string; minified: number; gzipped: number }

const measureEntry = async (name: string, contents: string, external: string[]): Promise<Measured> => {
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    external,
    conditions: ['browser', 'production'],
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.text ?? ''
  const min = await minify(code, { module: true, compress: { passes: 2 }, mangle: true })
  const minified = min.code ?? ''
  return { name, minified: Buffer.byteLength(minified), gzipped: gzipSync(minified, { level: 9 }).length }
}

const own = ['yjs', 'y-protocols', 'y-protocols/*', 'lib0', 'lib0/*']

export const measureSizes = async (): Promise<Measured[]> => [
  await measureEntry('y-wiresocket (own code)', "export { WireSocketProvider, createTokenSource } from './src/index.ts'", own),
  await measureEntry('y-wiresocket + lib0/y-protocols', "export { WireSocketProvider, createTokenSource } from './src/index.ts'", ['yjs']),
  await measureEntry('y-websocket 3.1 (own code)', "export { WebsocketProvider } from 'y-websocket'", own),
  await measureEntry('y-websocket 3.1 + lib0/y-protocols', "export { WebsocketProvider } from 'y-websocket'", ['yjs']),
  await measureEntry('@hocuspocus/provider 4.8 (own code)', "export { HocuspocusProvider } from '@hocuspocus/provider'", [...own, '@hocuspocus/common']),
  await measureEntry('@hocuspocus/provider 4.8 + deps', "export { HocuspocusProvider } from '@hocuspocus/provider'", ['yjs']),
]

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await measureSizes()
  console.log('| bundle | min | min+gzip |\n|---|---:|---:|')
  for (const r of rows) console.log(`| ${r.name} | ${r.minified} B | ${r.gzipped} B |`)
  const ours = rows[0]?.gzipped ?? Infinity
  console.log(`\nprovider budget: ${ours} / ${BUDGET} B ${ours <= BUDGET ? 'OK' : 'OVER'}`)
  if (ours > BUDGET) process.exitCode = 1
}
