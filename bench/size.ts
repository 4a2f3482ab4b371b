/**
 * `npm run size`: what `import { WireSocketProvider } from 'y-wiresocket'` ships against what
 * `import { HocuspocusProvider } from '@hocuspocus/provider'` ships, measured the same way in the same
 * run: ours is the package's production build (dist/index.production.js, which the `production`
 * export condition selects in Vite and webpack production builds), generated from rollup.config.mjs;
 * each is then bundled by esbuild for the browser with the `production` condition, minified by
 * esbuild and gzipped at level 9. Two measures:
 * - own code: lib0, y-protocols and @hocuspocus/common external (what each package adds to an app that
 *   already has Yjs and its protocols);
 * - with lib0 and y-protocols bundled, yjs external.
 * Code that few sessions need is loaded by dynamic imports: make-before-break (dist/chunks/handover.production.js),
 * the judging of redirects and discovery (dist/chunks/redirect.production.js) and, within it, the public-suffix list (tldts), needed only for a
 * redirect to another host outside wiresocket.net. Neither is in the entry; each is shown as its own row. Exits 1 when ours is larger on
 * either measure. The Hocuspocus framing (y-wiresocket/hocuspocus, issue 13) is a separate entry that the
 * default one does not contain: an app using it ships both, shown beside @hocuspocus/provider for
 * information. y-websocket is shown for reference.
 */
import { build, type Plugin } from 'esbuild'
import { rollup } from 'rollup'
import { gzipSync } from 'node:zlib'
import { posix } from 'node:path'

export interface Measured { name: string; minified: number; gzipped: number }

interface Chunk { fileName: string; code: string; imports: string[]; dynamicImports: string[] }

/**
 * The package's production build, exactly as `npm run build` makes dist/index.production.js (the file
 * the `production` export condition selects) and its chunks (dist/chunks/*.production.js), generated in
 * memory from rollup.config.mjs.
 */
const productionBuild = async (): Promise<{ entry: Chunk; files: Map<string, Chunk> }> => {
  const configs = (await import('../rollup.config.mjs')).default
  const output = configs.flatMap(c => [c.output].flat().map(o => ({ c, o })))
    .find(({ o }) => o.dir === 'dist' && o.format === 'es' && o.entryFileNames === '[name].production.js')
  if (output === undefined) throw new Error('rollup.config.mjs builds no dist/index.production.js')
  const bundle = await rollup(output.c)
  const chunks = (await bundle.generate(output.o)).output.flatMap(o => o.type === 'chunk' ? [o] : [])
  await bundle.close()
  return { entry: chunks.find(o => o.isEntry && o.name === 'index')!, files: new Map(chunks.map(o => [o.fileName, o])) }
}

/**
 * Loads the build's own files from memory: a file and the chunks it imports statically are measured as
 * one (the browser needs them all at once), while a chunk behind a dynamic `import()` stays external:
 * it is measured as its own row, beside what it adds. `loaded`: files already there (the entry's), not counted again.
 */
const builtFiles = (files: Map<string, Chunk>, root: Chunk, loaded = new Set<string>()): Plugin => ({
  name: 'y-wiresocket-production-build',
  setup (b) {
    b.onResolve({ filter: /^y-wiresocket$/ }, () => ({ path: root.fileName, namespace: 'built' }))
    b.onResolve({ filter: /^y-wiresocket\/hocuspocus$/ }, () => ({ path: 'hocuspocus.production.js', namespace: 'built' }))
    b.onResolve({ filter: /^\.\.?\// }, ({ path, importer, kind }) => {
      const fileName = posix.join(posix.dirname(importer === '<stdin>' ? root.fileName : importer), path)
      return kind === 'dynamic-import' || !files.has(fileName) || loaded.has(fileName) ? { path, external: true } : { path: fileName, namespace: 'built' }
    })
    b.onLoad({ filter: /.*/, namespace: 'built' }, ({ path }) => ({ contents: files.get(path)!.code, loader: 'js', resolveDir: process.cwd() }))
  },
})

/** A file and every chunk it imports statically: what the browser has once that file has run. */
const staticClosure = (files: Map<string, Chunk>, from: Chunk, into = new Set<string>()): Set<string> => {
  into.add(from.fileName)
  for (const name of from.imports) if (files.has(name) && !into.has(name)) staticClosure(files, files.get(name)!, into)
  return into
}

/** Every chunk behind a dynamic `import()`, from the entry on. */
const lazyChunks = (files: Map<string, Chunk>, entry: Chunk): Chunk[] => {
  const found = new Set<string>()
  const visit = (chunk: Chunk): void => {
    for (const name of chunk.imports) if (files.has(name)) visit(files.get(name)!)
    for (const name of chunk.dynamicImports) {
      if (!files.has(name) || found.has(name)) continue
      found.add(name)
      visit(files.get(name)!)
    }
  }
  visit(entry)
  return [...found].map(name => files.get(name)!)
}

const measureEntry = async (name: string, contents: string, external: string[], plugins: Plugin[] = []): Promise<Measured> => {
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    external,
    conditions: ['production'],
    plugins,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.text ?? ''
  return { name, minified: Buffer.byteLength(code), gzipped: gzipSync(code, { level: 9 }).length }
}

const protocols = ['yjs', 'y-protocols', 'y-protocols/*', 'lib0', 'lib0/*']
const theirs = "export { HocuspocusProvider } from '@hocuspocus/provider'"

export const measureSizes = async (): Promise<{ own: [Measured, Measured]; bundled: [Measured, Measured]; hocuspocus: Measured[]; others: Measured[] }> => {
  // what `import { WireSocketProvider } from 'y-wiresocket'` resolves to in a production build
  const { entry, files } = await productionBuild()
  const built = builtFiles(files, entry)
  const ours = "export { WireSocketProvider } from 'y-wiresocket'"
  const withHocuspocus = `${ours}; export { createSharedConnection, hocuspocusFraming } from 'y-wiresocket/hocuspocus'`
  // each lazy chunk is its own row: an app downloads it only when the provider needs it (see `chunkLoads`)
  const lazy: Measured[] = []
  for (const chunk of lazyChunks(files, entry)) {
    lazy.push(await measureEntry(`y-wiresocket: ${chunk.fileName} (loaded ${chunkLoads(chunk.fileName)})`,
      "export * from 'y-wiresocket'", ['tldts', 'lib0', 'lib0/*', 'y-protocols/*'], [builtFiles(files, chunk, staticClosure(files, entry))]))
  }
  return {
    own: [
      await measureEntry('y-wiresocket (own code)', ours, [...protocols, 'tldts'], [built]),
      await measureEntry('@hocuspocus/provider (own code)', theirs, [...protocols, '@hocuspocus/common']),
    ],
    bundled: [
      await measureEntry('y-wiresocket + lib0/y-protocols', ours, ['yjs', 'tldts'], [built]),
      await measureEntry('@hocuspocus/provider + lib0/y-protocols/common', theirs, ['yjs']),
    ],
    // An app on the Hocuspocus framing imports both entries: beside @hocuspocus/provider, for information (no limit).
    hocuspocus: [
      await measureEntry('y-wiresocket + y-wiresocket/hocuspocus (own code)', withHocuspocus, [...protocols, 'tldts'], [built]),
      await measureEntry('y-wiresocket + y-wiresocket/hocuspocus + lib0/y-protocols', withHocuspocus, ['yjs', 'tldts'], [built]),
    ],
    others: [
      ...lazy,
      await measureEntry('y-wiresocket: tldts chunk (loaded when a redirect to another host outside wiresocket.net is judged)', "export { getDomain } from 'tldts'", []),
      await measureEntry('y-websocket (own code)', "export { WebsocketProvider } from 'y-websocket'", protocols),
      await measureEntry('y-websocket + lib0/y-protocols', "export { WebsocketProvider } from 'y-websocket'", ['yjs']),
    ],
  }
}

/** When each lazy chunk of the browser entry is loaded (the docs say the same). */
const chunkLoads = (fileName: string): string => {
  if (fileName.startsWith('chunks/redirect.')) return 'on the first 4009 redirect, REGION: redirect or discovery'
  if (fileName.startsWith('chunks/app-error.')) return 'on the first getToken that fails with an error of its own'
  if (fileName.startsWith('chunks/close-policy.')) return 'on the first close with a code the contract names (4001–4009)'
  if (fileName.startsWith('chunks/handover.')) return "once a server closed a socket at exp (4002 Token expired), or at construction with handover: 'always'"
  throw new Error(`bench/size.ts: say when ${fileName} is loaded`)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { own, bundled, hocuspocus, others } = await measureSizes()
  console.log('| bundle (esbuild --minify, gzip -9) | min | min+gzip |\n|---|---:|---:|')
  for (const r of [...own, ...bundled, ...hocuspocus, ...others]) console.log(`| ${r.name} | ${r.minified} B | ${r.gzipped} B |`)
  console.log('')
  for (const [label, [a, b]] of [['own code', own], ['with lib0/y-protocols', bundled]] as const) {
    const ok = a.gzipped <= b.gzipped
    console.log(`${label}: y-wiresocket ${a.gzipped} B vs @hocuspocus/provider ${b.gzipped} B: ${ok ? 'OK' : 'LARGER'} (${a.gzipped - b.gzipped >= 0 ? '+' : ''}${a.gzipped - b.gzipped} B)`)
    if (!ok) process.exitCode = 1
  }
}
