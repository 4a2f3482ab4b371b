/**
 * `npm start`: the local WireSocket dataplane (two regions, 60 s tokens), the demo's token backend and
 * the demo page, in one process on loopback. Prints the page URL. Runs from a clone only: the
 * published package does not ship demo/.
 */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { startDevServer } from '@web/dev-server'
import { esbuildPlugin } from '@web/dev-server-esbuild'
import type { Context, Next } from 'koa'
import { startLocalDataplane } from '../src/local/index.ts'
import { watchLauncher } from '../src/local/launcher-watch.ts'
import { createDemoBackend, SESSION_COOKIE } from './token-backend.ts'

export const DOCUMENTS = ['demo-codemirror', 'demo-tiptap', 'demo-lexical'] as const

export interface DemoOptions {
  port?: number
  accessTokenTtl?: number
  /** ms the dataplane keeps a document after its last client left (WireSocket: 10 s). */
  gracePeriod?: number
  log?: (line: string) => void
}

export interface RunningDemo {
  url: string
  /** Whether the dataplane currently holds the document (it forgets it after the grace period). */
  serverHas(documentName: string): boolean
  /** Sockets open on the dataplane: what a plan's `maxConnections` counts. */
  connections(): number
  /** Sockets accepted on `/` so far: Hocuspocus-framed ones (a shared socket names no document in its path). */
  rootSocketsAccepted(): number
  close(): Promise<void>
}

const rootDir = fileURLToPath(new URL('..', import.meta.url))

/**
 * The page's app, bundled once before the server listens: a production build (minified, production
 * conditions, React and Lexical in their production form), so the first visit does not wait for a
 * bundler or download a development build of three editors.
 */
async function bundleApp (): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./src/main.tsx', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    conditions: ['browser', 'production'],
    define: { 'process.env.NODE_ENV': '"production"' },
    jsx: 'automatic',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  })
  const out = result.outputFiles[0]
  if (out === undefined) throw new Error('esbuild produced no output')
  return out.text
}

export async function startDemo (options: DemoOptions = {}): Promise<RunningDemo> {
  const bundle = await bundleApp()
  const dp = await startLocalDataplane({ accessTokenTtl: options.accessTokenTtl ?? 60, gracePeriod: options.gracePeriod })
  const backend = createDemoBackend({ clientId: dp.app.clientId, clientSecret: dp.app.clientSecret, tokenUrl: dp.tokenUrl })
  const regionOf = new Map<string, string>()
  const firstRegion = dp.regions[0]
  if (firstRegion === undefined) throw new Error('dataplane has no region')

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
      ctx.type = 'application/javascript'
      ctx.set('cache-control', 'no-store')
      ctx.body = bundle
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
  let closing: Promise<void> | null = null
  return {
    url,
    serverHas: documentName => dp.getDocument(documentName) !== undefined,
    connections: () => dp.stats().connections,
    rootSocketsAccepted: () => dp.handshakes.filter(h => h.outcome === 'accepted' && new URL(h.url, 'http://dataplane').pathname === '/').length,
    close: async () => {
      closing ??= (async () => {
        await server.stop()
        await dp.close()
      })()
      await closing
    },
  }
}

/**
 * Run as `npm start`: stop cleanly on SIGINT/SIGTERM/SIGHUP, and also when the process that started us
 * goes away: a SIGTERM to npm does not reliably reach its script, so `kill <npm pid>` would otherwise
 * leave this process and its ports behind.
 */
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.on('error', () => {}) // the terminal or npm may be gone already: nothing to report to
  // Watched from before start-up: a kill while the app is being bundled must not be missed.
  let stopRequested: string | null = null
  let demo: RunningDemo | null = null
  const stop = (why: string): void => {
    if (stopRequested !== null) return
    stopRequested = why
    console.log(`Stopping (${why}).`)
    // A close that hangs must not keep the process alive: exit regardless after 3 s.
    setTimeout(() => process.exit(0), 3000).unref()
    if (demo === null) process.exit(0)
    void demo.close().then(() => process.exit(0), () => process.exit(1))
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => { stop(signal) })
  watchLauncher(() => { stop('the process that started the demo exited') })
  const envPort = process.env.PORT
  demo = await startDemo({ port: envPort !== undefined && envPort !== '' ? Number(envPort) : undefined })
  if (stopRequested === null) console.log(`y-wiresocket demo: ${demo.url}  (pid ${process.pid})`)
  else void demo.close().then(() => process.exit(0), () => process.exit(1))
}
