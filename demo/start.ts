/**
 * `npm start`: the local WireSocket dataplane (two regions, 60 s tokens), the demo's token backend and
 * the demo page, in one process on loopback. Prints the page URL.
 */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { startDevServer } from '@web/dev-server'
import { esbuildPlugin } from '@web/dev-server-esbuild'
import type { Context, Next } from 'koa'
import { startLocalDataplane } from '../src/local/index.ts'
import { createDemoBackend, SESSION_COOKIE } from './token-backend.ts'

export const DOCUMENTS = ['demo-codemirror', 'demo-tiptap', 'demo-lexical'] as const

export interface DemoOptions {
  port?: number
  accessTokenTtl?: number
  log?: (line: string) => void
}

export interface RunningDemo {
  url: string
  close(): Promise<void>
}

const rootDir = fileURLToPath(new URL('..', import.meta.url))

/** The page's TSX imports React (CommonJS only), so the app is bundled by esbuild on request. */
async function bundleApp (): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./src/main.tsx', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    conditions: ['browser', 'development'],
    define: { 'process.env.NODE_ENV': '"development"' },
    jsx: 'automatic',
    sourcemap: 'inline',
    logLevel: 'silent',
  })
  const out = result.outputFiles[0]
  if (out === undefined) throw new Error('esbuild produced no output')
  return out.text
}

export async function startDemo (options: DemoOptions = {}): Promise<RunningDemo> {
  const dp = await startLocalDataplane({ accessTokenTtl: options.accessTokenTtl ?? 60 })
  const backend = createDemoBackend({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl })
  const regionOf = new Map<string, string>()
  const firstRegion = dp.regions[0]
  if (firstRegion === undefined) throw new Error('dataplane has no region')
  let bundle: Promise<string> | null = null

  const json = (ctx: Context, body: unknown, status = 200): void => {
    ctx.status = status
    ctx.type = 'application/json'
    ctx.set('cache-control', 'no-store')
    ctx.body = JSON.stringify(body)
  }
  const documentParam = (ctx: Context): string | null => {
    const name = ctx.query.document
    return typeof name === 'string' && (DOCUMENTS as readonly string[]).includes(name) ? name : null
  }

  const api = async (ctx: Context, next: Next): Promise<void> => {
    const path = ctx.path
    if (path === '/' || path === '/index.html') {
      ctx.redirect('/demo/index.html')
      return
    }
    if (path === '/demo/index.html' && ctx.cookies.get(SESSION_COOKIE) === undefined) {
      ctx.cookies.set(SESSION_COOKIE, backend.newSession(), { httpOnly: true, sameSite: 'strict' })
    }
    if (path === '/demo/app.js') {
      bundle ??= bundleApp()
      ctx.type = 'application/javascript'
      ctx.set('cache-control', 'no-store')
      ctx.body = await bundle
      return
    }
    if (path === '/api/token') {
      ctx.respond = false
      backend.handleToken(ctx.req, ctx.res)
      return
    }
    if (path === '/api/config') {
      json(ctx, {
        regions: dp.regions.map(r => ({ name: r.name, url: r.url })),
        documents: DOCUMENTS.map(name => ({ name, region: regionOf.get(name) ?? firstRegion.name })),
        accessTokenTtl: options.accessTokenTtl ?? 60,
      })
      return
    }
    if (path.startsWith('/api/control/')) {
      if (ctx.method !== 'POST') return json(ctx, { error: 'POST only' }, 405)
      switch (path.slice('/api/control/'.length)) {
        case 'expire-tokens':
          dp.expireTokens()
          backend.dropCachedToken()
          return json(ctx, { ok: true })
        case 'drop-sockets':
          dp.dropConnections()
          return json(ctx, { ok: true })
        case 'trip-rate-limit':
          dp.tripRateLimit()
          return json(ctx, { ok: true })
        case 'redirect': {
          const name = documentParam(ctx)
          if (name === null) return json(ctx, { error: 'unknown document' }, 400)
          const from = regionOf.get(name) ?? firstRegion.name
          const to = dp.regions.find(r => r.name !== from)?.name ?? from
          dp.moveDocument(name, to)
          regionOf.set(name, to)
          return json(ctx, { ok: true, document: name, from, to })
        }
        default:
          return json(ctx, { error: 'unknown control' }, 404)
      }
    }
    await next()
  }

  const server = await startDevServer({
    config: {
      rootDir,
      hostname: '127.0.0.1',
      port: options.port ?? 0,
      nodeResolve: { exportConditions: ['browser', 'development'] },
      plugins: [esbuildPlugin({ ts: true, tsx: true, target: 'es2022' })],
      middleware: [api],
    },
    readCliArgs: false,
    readFileConfig: false,
    logStartMessage: false,
    autoExitProcess: false,
  })
  const address = server.server?.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  const url = `http://127.0.0.1:${port ?? 0}/demo/index.html`
  return {
    url,
    close: async () => {
      await server.stop()
      await dp.close()
    },
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const envPort = process.env.PORT
  const demo = await startDemo({ port: envPort !== undefined && envPort !== '' ? Number(envPort) : undefined })
  console.log(`y-wiresocket demo: ${demo.url}`)
  const stop = (): void => { void demo.close().then(() => process.exit(0)) }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
