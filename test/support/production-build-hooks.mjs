// Module hooks for production-build.mjs (they run on the loader's own thread).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = new URL('../../', import.meta.url)
const builds = new Map([
  [new URL('src/index.ts', root).href, new URL('dist/index.production.js', root)],
  [new URL('src/hocuspocus/index.ts', root).href, new URL('dist/hocuspocus.production.js', root)],
])
for (const file of builds.values()) {
  if (!existsSync(file)) throw new Error(`${fileURLToPath(file)} is missing: run npm run build first`)
}

export async function resolve (specifier, context, next) {
  const resolved = await next(specifier, context)
  if (process.env.DEBUG_HOOK) console.error(resolved.url)
  const build = builds.get(resolved.url)
  return build === undefined ? resolved : { url: build.href, format: 'module', shortCircuit: true }
}
