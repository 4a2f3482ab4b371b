// What each backend entry pulls in, read from an esbuild bundle's metafile: y-wiresocket/server stays
// free of Node-only imports and of the Redis store (apps without Redis do not pay for it), and
// y-wiresocket/redis imports no Redis library and nothing from Node (it runs wherever fetch does).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { build } from 'esbuild'

const bundle = async (entry: string): Promise<{ inputs: string[]; externals: string[] }> => {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    // Everything that is not our own source stays external, so it shows up as an import.
    plugins: [{ name: 'externals', setup: b => { b.onResolve({ filter: /^[^./]/ }, args => ({ path: args.path, external: true })) } }],
    logLevel: 'silent',
  })
  const inputs = Object.keys(result.metafile.inputs)
  const externals = Object.values(result.metafile.outputs).flatMap(o => o.imports.filter(i => i.external).map(i => i.path))
  return { inputs, externals: [...new Set(externals)] }
}

test('y-wiresocket/server: no Node-only imports, no Redis store in it', async () => {
  const { inputs, externals } = await bundle('src/server/index.ts')
  assert.deepEqual(externals.filter(e => e.startsWith('node:')), [])
  assert.deepEqual(externals.sort(), ['jose'])
  assert.deepEqual(inputs.filter(i => i.startsWith('src/redis/')), [])
})

test('y-wiresocket/redis: no Redis library and nothing from Node at run time', async () => {
  const { inputs, externals } = await bundle('src/redis/index.ts')
  assert.deepEqual(externals, [])
  assert.ok(inputs.includes('src/redis/redis-token-store.ts'))
  // It shares the server's interfaces by type only: no server code is bundled into it.
  assert.deepEqual(inputs.filter(i => i.startsWith('src/server/')), [])
})

test('y-wiresocket (browser): none of the Hocuspocus framing in it; y-wiresocket/hocuspocus: browser-safe', async () => {
  const main = await bundle('src/index.ts')
  // apps that do not import y-wiresocket/hocuspocus do not ship it (issue 13)
  assert.deepEqual(main.inputs.filter(i => i.startsWith('src/hocuspocus/') || i === 'src/wire/codec.ts'), [])
  const hocuspocus = await bundle('src/hocuspocus/index.ts')
  assert.deepEqual(hocuspocus.externals.filter(e => e.startsWith('node:') || e === 'ws' || e === 'jose'), [])
  assert.ok(hocuspocus.inputs.includes('src/hocuspocus/document-link.ts'))
})
