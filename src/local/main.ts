/** The `wiresocket-local` command line: start the dataplane on fixed ports and say how to use it. */
import { parseArgs } from 'node:util'
import { startLocalDataplane } from './dataplane.ts'
import { doctorMain } from './doctor/cli.ts'
import type { LocalDataplaneOptions } from './types.ts'

const USAGE = `Usage: wiresocket-local [options]

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

export async function main (argv: string[]): Promise<void> {
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
  const dp = await startLocalDataplane(options)
  const first = dp.regions[0]!
  const lines = [
    'Local WireSocket dataplane running.',
    '',
    `  client_id      ${dp.app.clientId}`,
    `  client_secret  ${dp.app.clientSecret}`,
    `  tenant / app   ${dp.app.tenantId} / ${dp.app.appId}`,
    `  token URL      ${dp.tokenUrl}`,
    `  JWKS URL       ${dp.jwksUrl()}`,
    ...dp.regions.map(r => `  region         ${r.name.padEnd(14)} ${r.url}  (HTTP ${r.httpUrl})`),
    '',
    'How to connect:',
    `  TOKEN=$(curl -s ${dp.tokenUrl} -d grant_type=client_credentials -d client_id=${dp.app.clientId} -d client_secret=${dp.app.clientSecret} --data-urlencode 'scope=WireSocket.API offline_access' | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
    `  // in the browser, with the token your backend handed out:`,
    `  new WebsocketProvider('${first.url}', 'my-doc', ydoc, { protocols: ['access_token', TOKEN] })`,
    '',
    'Press Ctrl+C to stop.',
  ]
  console.log(lines.join('\n'))
  await new Promise<void>(resolve => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await dp.close()
  console.log('Stopped.')
}
