/** The `wiresocket-local` command line: start the dataplane on fixed ports and say how to use it. */
import { parseArgs } from 'node:util'
import { startLocalDataplane } from './dataplane.ts'
import { pinnedApp, resolveCredentials, type Credentials } from './cli-credentials.ts'
import { connectHint } from './cli-hint.ts'
import { doctorMain } from './doctor/cli.ts'
import { watchLauncher } from './launcher-watch.ts'
import type { LocalApp, LocalDataplane, LocalDataplaneOptions } from './types.ts'

const USAGE = `Usage: wiresocket-local [options]
       wiresocket-local doctor <region|url> [options]   check a WireSocket deployment end to end (doctor --help)

  --client-id <id>       the app's client id (default $WIRESOCKET_CLIENT_ID, else random at each start)
  --client-secret <s>    the app's client secret (default $WIRESOCKET_CLIENT_SECRET, else random)
                         Given both, the credentials, tenant id and app id stay the same across restarts.
  --host <addr>          listen address (default 127.0.0.1)
  --port <n>             first region's port; further regions take the next ports (default 7001, 0 = any)
  --token-port <n>       token service port (default 7000, 0 = any)
  --regions <a,b>        region names (default eu-central-1,us-east-1)
  --ttl <s>              access token lifetime in seconds (default 900)
  --refresh-ttl <s>      refresh token lifetime in seconds (default 604800)
  --grace <ms>           grace period after the last client leaves (default 10000)
  --allowed-domain <d>   allowed Origin host[:port] for the default app (repeatable, at most 3)
  --keep-expired         do not close live sockets when their token expires
  --no-auth              plain y-websocket server: tokens are ignored
  --verbose              log connections and token requests (never tokens)
  -h, --help             show this help`

const integer = (value: string | undefined, name: string, fallback: number): number => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`)
  return n
}

/** Declared once so that the parsed values are typed from the option table. */
const CLI_OPTIONS = {
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'token-port': { type: 'string' },
  regions: { type: 'string' },
  ttl: { type: 'string' },
  'refresh-ttl': { type: 'string' },
  grace: { type: 'string' },
  'allowed-domain': { type: 'string', multiple: true },
  'keep-expired': { type: 'boolean' },
  'no-auth': { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

const parseCli = (argv: string[]) => parseArgs({ args: argv, strict: true, options: CLI_OPTIONS })

/** `listen` failed because a port is taken: say which and what to do, instead of a bare EADDRINUSE. */
const portInUse = (error: unknown): Error | null => {
  if (!(error instanceof Error) || !('code' in error) || error.code !== 'EADDRINUSE') return null
  const port = 'port' in error && typeof error.port === 'number' ? error.port : undefined
  const address = 'address' in error && typeof error.address === 'string' ? error.address : undefined
  const where = port === undefined ? 'A port' : `Port ${port}${address === undefined ? '' : ` on ${address}`}`
  return new Error(`${where} is already in use: another wiresocket-local (or the demo) is probably running. ` +
    'Stop it, or choose other ports with --port <n> --token-port <n> (0 = any free port).')
}

const describe = (dp: LocalDataplane, app: LocalApp, credentials: Credentials | null): string => {
  const first = dp.regions[0]!
  return [
    `Local WireSocket dataplane running (pid ${process.pid}).`,
    '',
    `  client_id      ${app.clientId}`,
    `  client_secret  ${app.clientSecret}`,
    `  tenant / app   ${app.tenantId} / ${app.appId}`,
    `  token URL      ${dp.tokenUrl}`,
    `  JWKS URL       ${dp.jwksUrl(app.tenantId)}`,
    ...dp.regions.map(r => `  region         ${r.name.padEnd(14)} ${r.url}  (HTTP ${r.httpUrl})`),
    '',
    credentials === null
      ? 'These credentials are new at each start. Keep them across restarts with --client-id and --client-secret\n(or WIRESOCKET_CLIENT_ID and WIRESOCKET_CLIENT_SECRET).'
      : `Credentials ${credentials.source === 'flags' ? 'from --client-id/--client-secret' : credentials.source === 'env' ? 'from WIRESOCKET_CLIENT_ID/WIRESOCKET_CLIENT_SECRET' : 'from flags and environment'}: the same at every start.`,
    '',
    connectHint({ clientId: app.clientId, clientSecret: app.clientSecret, tokenUrl: dp.tokenUrl, regionUrl: first.url }),
    '',
    'Press Ctrl+C to stop.',
  ].join('\n')
}

export async function main (argv: string[], env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  if (argv[0] === 'doctor') return await doctorMain(argv.slice(1))
  let parsed: ReturnType<typeof parseCli>
  try {
    parsed = parseCli(argv)
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)} (see --help)`)
  }
  const { values } = parsed
  if (values.help) {
    console.log(USAGE)
    return
  }
  const credentials = resolveCredentials(values['client-id'], values['client-secret'], env)
  const basePort = integer(values.port, 'port', 7001)
  const names = (values.regions ?? 'eu-central-1,us-east-1').split(',').map(s => s.trim()).filter(Boolean)
  const options: LocalDataplaneOptions = {
    host: values.host ?? '127.0.0.1',
    tokenPort: integer(values['token-port'], 'token-port', 7000),
    regions: names.map((name, i) => ({ name, port: basePort === 0 ? 0 : basePort + i })),
    accessTokenTtl: integer(values.ttl, 'ttl', 900),
    refreshTokenTtl: integer(values['refresh-ttl'], 'refresh-ttl', 7 * 24 * 3600),
    gracePeriod: integer(values.grace, 'grace', 10_000),
    allowedDomains: values['allowed-domain'],
    closeOnExpiry: values['keep-expired'] !== true,
    authenticate: values['no-auth'] !== true,
    log: values.verbose ? line => console.log(`[${new Date().toISOString()}] ${line}`) : undefined,
  }
  // Ctrl+C, SIGTERM, or (started through npm or npx) npm going away: `kill <npm pid>` must not leave this
  // process holding the ports. Watched from before start-up, so that a kill during it is not missed. Not
  // without npm: a deliberately detached instance, e.g. under nohup, keeps running.
  let requestStop = (): void => {}
  const stopRequested = new Promise<void>(resolve => { requestStop = resolve })
  const onSignal = (): void => { requestStop() }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const unwatch = env.npm_command === undefined ? undefined : watchLauncher(onSignal)
  const stopWatching = (): void => {
    unwatch?.()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  let dp: LocalDataplane
  try {
    dp = await startLocalDataplane(options)
  } catch (error) {
    stopWatching()
    throw portInUse(error) ?? error
  }
  try {
    // Pinned credentials get their own app, whose tenant and app ids derive from the client id.
    const app = credentials === null ? dp.app : dp.addApp(pinnedApp(credentials))
    console.log(describe(dp, app, credentials))
    await stopRequested
  } finally {
    stopWatching()
    await dp.close()
  }
  console.log('Stopped.')
}
