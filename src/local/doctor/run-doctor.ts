/**
 * `runDoctor`: every check in order, each one a step in the report. Later steps use what earlier ones
 * found (the token, the transport that worked, the framing spoken) and are skipped, with the reason,
 * when what they need is missing. Every string of the report is scrubbed of secrets before it leaves.
 */
import type { WireSocketClaims } from '../../contract/claims.ts'
import { checkClaims } from './claims-check.ts'
import type { Transport } from './dial.ts'
import { checkExpiry } from './expiry-check.ts'
import { checkFraming } from './framing-check.ts'
import { checkHandshake } from './handshake-check.ts'
import { checkDiscovery, checkHealth, checkUsage } from './http-checks.ts'
import { Redactor } from './redact.ts'
import { checkRejection, rejectionCases, wrongTokenFor } from './rejection-checks.ts'
import { checkRoundTrip, type RoundTripInput } from './round-trip-check.ts'
import { runStep, skipped, type StepOutcome } from './step.ts'
import { resolveTarget } from './target.ts'
import { requestToken } from './token-request.ts'
import { DOCTOR_REPORT_VERSION, type DoctorOptions, type DoctorReport, type DoctorStep, type DoctorTarget, type Framing, type StepId } from './types.ts'

const NO_TOKEN = 'no token to present'

const speaksHocuspocus = (framing: Framing): boolean => framing === 'hocuspocus' || framing === 'both'

export async function runDoctor (options: DoctorOptions): Promise<DoctorReport> {
  const target = resolveTarget(options)
  const redactor = new Redactor()
  redactor.add(options.token)
  redactor.add(options.clientSecret)
  const startedAt = new Date()
  const started = performance.now()
  const steps: DoctorStep[] = []
  const record = (raw: DoctorStep): void => {
    const done = redactor.deep(raw)
    steps.push(done)
    options.onStep?.(done)
  }
  const step = async (id: StepId, title: string, check: () => Promise<StepOutcome> | StepOutcome): Promise<void> => {
    record(await runStep(id, title, check))
  }
  const { timeoutMs, settleMs, origin, regionUrl, httpUrl, documentName } = target
  const publicTarget: DoctorTarget = redactor.deep({
    region: target.region,
    regionUrl,
    httpUrl,
    tokenUrl: target.tokenUrl,
    credentials: target.credentials,
    documentName,
    origin,
  })
  options.onStart?.(publicTarget)

  // Token: requested with the client credentials, or the one given.
  let token = options.token
  await step('token', 'Token request', async () => {
    if (token !== undefined) return skipped('a ready token was given')
    const result = await requestToken(target.tokenUrl!, options.clientId!, options.clientSecret!, timeoutMs, secret => redactor.add(secret))
    token = result.grant?.accessToken
    return result.outcome
  })

  let claims: WireSocketClaims | undefined
  await step('claims', 'Token claims', () => {
    if (token === undefined) return skipped(NO_TOKEN)
    const result = checkClaims(token, new URL(httpUrl).host, Date.now())
    claims = result.claims
    return result.outcome
  })

  await step('health', 'GET /health', async () => await checkHealth(httpUrl, timeoutMs))
  await step('discovery', 'GET /discovery', async () => token === undefined ? skipped(NO_TOKEN) : await checkDiscovery(httpUrl, regionUrl, documentName, token, timeoutMs))
  await step('usage', 'GET /usage', async () => token === undefined ? skipped(NO_TOKEN) : await checkUsage(httpUrl, token, timeoutMs))

  // Both handshakes run before either is reported: a transport that fails while the other works is a
  // configuration choice (a warning), not a broken setup.
  const accepted: Partial<Record<Exclude<Transport, 'none'>, boolean>> = {}
  const handshakes: DoctorStep[] = []
  for (const transport of ['subprotocol', 'query'] as const) {
    handshakes.push(await runStep(`handshake-${transport}`, `WebSocket handshake, token in the ${transport === 'subprotocol' ? 'subprotocol' : 'query string'}`, async () => {
      if (token === undefined) return skipped(NO_TOKEN)
      const result = await checkHandshake(regionUrl, documentName, token, transport, origin, timeoutMs, settleMs)
      accepted[transport] = result.accepted
      return result.outcome
    }))
  }
  if (accepted.subprotocol === false && accepted.query === true) {
    handshakes[0]!.status = 'warn'
    handshakes[0]!.findings.push("The query transport works: configure the provider with tokenTransport: 'query' for this server.")
  }
  for (const done of handshakes) record(done)
  const transport: Exclude<Transport, 'none'> = accepted.subprotocol === false && accepted.query === true ? 'query' : 'subprotocol'

  let framing: Framing = 'unknown'
  let hocuspocusTokenInUrl = false
  await step('framing', 'Wire framing', async () => {
    if (token === undefined) return skipped(NO_TOKEN)
    const result = await checkFraming(regionUrl, documentName, token, transport, origin, timeoutMs)
    framing = result.framing
    hocuspocusTokenInUrl = result.hocuspocusNeedsUpgradeToken
    return result.outcome
  })

  const syncInput = (): RoundTripInput => ({ framing, regionUrl, documentName, token: token!, transport, hocuspocusTokenInUrl, origin, timeoutMs })
  await step('round-trip', 'Update round trip', async () => token === undefined ? skipped(NO_TOKEN) : await checkRoundTrip(syncInput()))

  const wrongToken = token === undefined ? undefined : wrongTokenFor(token)
  redactor.add(wrongToken)
  const cases = token === undefined || wrongToken === undefined
    ? []
    : rejectionCases({
      regionUrl,
      documentName,
      token,
      wrongToken,
      transport,
      allowedDomains: claims?.allowedDomains ?? [],
      ...(speaksHocuspocus(framing) ? { hocuspocus: { tokenInUrl: hocuspocusTokenInUrl } } : {}),
    })
  for (const id of ['reject-wrong-token', 'reject-missing-token', 'reject-bad-document-name', 'reject-foreign-origin'] as const) {
    const c = cases.find(x => x.id === id)
    await step(id, c?.title ?? id, async () => c === undefined ? skipped(NO_TOKEN) : await checkRejection(c, timeoutMs, settleMs))
  }

  if (options.watchExpiry === true) {
    await step('expiry', 'Socket past token expiry', async () => token === undefined ? skipped(NO_TOKEN) : await checkExpiry(syncInput(), claims?.exp, target.expiryMarginMs))
  }

  const counts = { pass: 0, warn: 0, fail: 0, skip: 0 }
  for (const s of steps) counts[s.status]++
  return redactor.deep({
    version: DOCTOR_REPORT_VERSION,
    tool: 'wiresocket-local doctor',
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    target: publicTarget,
    ok: counts.fail === 0,
    framing,
    counts,
    steps,
    findings: steps.flatMap(s => s.findings.map(f => `${s.id}: ${f}`)),
  })
}
