/**
 * `wiresocket-local doctor …`: arguments to `runDoctor` options, progress and report to stdout, an exit
 * code a script can test. Tokens and secrets may come from the environment so that they stay out of
 * shell history.
 */
import { parseArgs } from 'node:util'
import { formatHeader, formatStep, formatVerdict } from './format.ts'
import { runDoctor } from './run-doctor.ts'
import { DEFAULT_TOKEN_URL, DoctorOptionError, resolveTarget } from './target.ts'
import type { DoctorOptions } from './types.ts'

export const DOCTOR_USAGE = `Usage: wiresocket-local doctor <region> [options]

Checks a WireSocket deployment end to end and reports what it saw. Never prints a token or secret.

  <region>                 region name (eu-central-1 → wss://eu-central-1.wiresocket.net) or a
                           ws://, wss://, http:// or https:// host URL (also --region)
  --client-id <id>         client credentials (or env WIRESOCKET_CLIENT_ID)
  --client-secret <s>      (or env WIRESOCKET_CLIENT_SECRET, which keeps it out of shell history)
  --token-url <url>        token endpoint (default ${DEFAULT_TOKEN_URL})
  --token <jwt>            a ready access token instead of credentials (or env WIRESOCKET_TOKEN)
  --document <name>        document to use (default a random doctor-… name)
  --origin <origin>        Origin header to present, e.g. https://app.example.com (default none)
  --timeout <ms>           per network operation (default 5000)
  --watch-expiry           keep a socket open past the token's exp and report what the server does
  --expiry-margin <ms>     how long past exp to watch (default 15000)
  --json                   print the report as JSON (stable shape, versioned)
  -h, --help               show this help

Exit status: 0 when a provider can connect and sync, 1 when something it needs is broken,
2 for bad arguments.`

const OPTIONS = {
  region: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'token-url': { type: 'string' },
  token: { type: 'string' },
  document: { type: 'string' },
  origin: { type: 'string' },
  timeout: { type: 'string' },
  'watch-expiry': { type: 'boolean' },
  'expiry-margin': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

const milliseconds = (value: string | undefined, name: string): number | undefined => {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new DoctorOptionError(`--${name} must be a positive integer (milliseconds)`)
  return n
}

/** The options a command line means, with the environment as a fallback. */
const doctorOptionsFrom = (argv: string[], env: NodeJS.ProcessEnv): { options: DoctorOptions; json: boolean; help: boolean } => {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw new DoctorOptionError(`${error instanceof Error ? error.message : String(error)} (see doctor --help)`)
  }
  const { values, positionals } = parsed
  if (values.help === true) return { options: { region: '' }, json: false, help: true }
  if (positionals.length > 1 || (positionals.length === 1 && values.region !== undefined)) throw new DoctorOptionError('give one region (see doctor --help)')
  const region = values.region ?? positionals[0]
  if (region === undefined) throw new DoctorOptionError('a region name or URL is required (see doctor --help)')
  // Flags win over the environment; a token flag and credential flags are never mixed with the other's env.
  const flagToken = values.token
  const flagCredentials = values['client-id'] !== undefined || values['client-secret'] !== undefined
  const token = flagToken ?? (flagCredentials ? undefined : env.WIRESOCKET_TOKEN || undefined)
  const useCredentials = token === undefined
  const options: DoctorOptions = {
    region,
    ...(token !== undefined ? { token } : {}),
    ...(useCredentials
      ? {
          clientId: values['client-id'] ?? (env.WIRESOCKET_CLIENT_ID || undefined),
          clientSecret: values['client-secret'] ?? (env.WIRESOCKET_CLIENT_SECRET || undefined),
        }
      : {}),
    ...(values['token-url'] !== undefined ? { tokenUrl: values['token-url'] } : {}),
    ...(values.document !== undefined ? { documentName: values.document } : {}),
    ...(values.origin !== undefined ? { origin: values.origin } : {}),
    ...(values['watch-expiry'] === true ? { watchExpiry: true } : {}),
  }
  const timeoutMs = milliseconds(values.timeout, 'timeout')
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs
  const margin = milliseconds(values['expiry-margin'], 'expiry-margin')
  if (margin !== undefined) options.expiryMarginMs = margin
  // Validate every option now, so that a typo is reported before any network traffic.
  resolveTarget(options)
  return { options, json: values.json === true, help: false }
}

export async function doctorMain (argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let parsed: ReturnType<typeof doctorOptionsFrom>
  try {
    parsed = doctorOptionsFrom(argv, env)
  } catch (error) {
    if (!(error instanceof DoctorOptionError)) throw error
    console.error(`doctor: ${error.message}`)
    process.exitCode = 2
    return
  }
  if (parsed.help) {
    console.log(DOCTOR_USAGE)
    return
  }
  const { options, json } = parsed
  if (options.watchExpiry === true) {
    // On stderr, so that --json output stays one parseable document.
    console.error(`doctor: --watch-expiry holds the last step until the token's exp + ${Math.round((options.expiryMarginMs ?? 15_000) / 1000)} s (about 15 minutes with a fresh token).`)
  }
  if (json) {
    const report = await runDoctor(options)
    console.log(JSON.stringify(report, null, 2))
    process.exitCode = report.ok ? 0 : 1
    return
  }
  // Human output streams each step as it ends: the run takes seconds (minutes with --watch-expiry).
  const report = await runDoctor({
    ...options,
    onStart: target => console.log(formatHeader({ target })),
    onStep: step => console.log(formatStep(step)),
  })
  console.log(formatVerdict(report))
  process.exitCode = report.ok ? 0 : 1
}
