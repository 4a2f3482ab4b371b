/**
 * Steps `health`, `discovery` and `usage`: the region host's HTTP endpoints (contract §4). A provider
 * only needs `/discovery`, and even that has a fallback, so only a refused token there is a failure.
 */
import type { StepOutcome } from './step.ts'
import type { JsonValue } from './types.ts'

interface HttpReply { status: number; body: unknown; headers: Headers }

const get = async (url: string, token: string | undefined, timeoutMs: number): Promise<HttpReply> => {
  const res = await fetch(url, {
    headers: { accept: 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    // Never follow a redirect: the doctor talks only to the hosts it was given.
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // Kept as text; the step reports that it is not JSON.
  }
  return { status: res.status, body, headers: res.headers }
}

const unreachable = (error: unknown): StepOutcome => {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return { status: 'warn', summary: `no answer (${error instanceof Error ? error.message : String(error)}${cause})` }
}

const record = (body: unknown): Record<string, unknown> | undefined =>
  body !== null && typeof body === 'object' && !Array.isArray(body) ? body as Record<string, unknown> : undefined

const short = (body: unknown): string => {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

const rateLimited = (reply: HttpReply): string =>
  `rate limited (429, Retry-After ${reply.headers.get('retry-after') ?? 'missing'}); try again in a minute`

export const checkHealth = async (httpUrl: string, timeoutMs: number): Promise<StepOutcome> => {
  let reply: HttpReply
  try {
    reply = await get(`${httpUrl}/health`, undefined, timeoutMs)
  } catch (error) {
    return unreachable(error)
  }
  const body = record(reply.body)
  const status = typeof body?.status === 'string' ? body.status : null
  const details = { httpStatus: reply.status, status }
  if (reply.status === 200 && status === 'healthy') return { status: 'pass', summary: '200 healthy', details }
  const findings = [`GET /health answered ${reply.status} ${short(reply.body)}; the contract says 200 {"status":"healthy"} or 503 degraded/overloaded.`]
  return { status: 'warn', summary: `${reply.status} ${status ?? short(reply.body)}`, details, findings }
}

export const checkDiscovery = async (httpUrl: string, regionUrl: string, documentName: string, token: string, timeoutMs: number): Promise<StepOutcome> => {
  let reply: HttpReply
  try {
    reply = await get(`${httpUrl}/discovery?documentName=${encodeURIComponent(documentName)}`, token, timeoutMs)
  } catch (error) {
    return unreachable(error)
  }
  if (reply.status === 429) return { status: 'warn', summary: rateLimited(reply), details: { httpStatus: 429 } }
  const body = record(reply.body)
  if (reply.status === 401) {
    return {
      status: 'fail',
      summary: `401 ${short(reply.body)}`,
      details: { httpStatus: 401 },
      findings: ['/discovery refused the token (401): the dataplane does not accept tokens of this app.'],
    }
  }
  if (reply.status !== 200 || body === undefined) {
    return {
      status: 'warn',
      summary: `${reply.status} ${short(reply.body)}`,
      details: { httpStatus: reply.status },
      findings: [`GET /discovery answered ${reply.status}; providers fall back to the configured URL.`],
    }
  }
  const region = typeof body.region === 'string' ? body.region : null
  const url = typeof body.url === 'string' ? body.url : null
  const isNew = typeof body.isNew === 'boolean' ? body.isNew : null
  const findings: string[] = []
  if (region === null) findings.push('The /discovery reply has no region.')
  if (isNew === null) findings.push('The /discovery reply has no boolean isNew.')
  if (url === null) findings.push('The /discovery url is null: no node of the pinned region is alive; providers use the configured URL.')
  else {
    let sameHost = false
    try {
      sameHost = new URL(url).host === new URL(regionUrl).host
    } catch {
      findings.push('The /discovery url is not a URL.')
    }
    if (!url.endsWith(`/${documentName}`)) findings.push('The /discovery url does not end with the document name (contract §4: it already does).')
    else if (!sameHost) findings.push(`The document is pinned to another host (${url}); a provider would connect there. The doctor does not.`)
  }
  const details: { [key: string]: JsonValue } = { httpStatus: 200, region, url, isNew }
  return { status: findings.length > 0 ? 'warn' : 'pass', summary: `region ${region ?? '?'}, url ${url ?? 'null'}, isNew ${String(isNew)}`, details, findings }
}

const gauge = (value: unknown): { [key: string]: JsonValue } | null => {
  const g = record(value)
  if (g === undefined) return null
  const pick = (v: unknown): JsonValue => typeof v === 'number' || typeof v === 'string' ? v : null
  return { current: pick(g.current), limit: pick(g.limit), percent: pick(g.percent), status: pick(g.status) }
}

export const checkUsage = async (httpUrl: string, token: string, timeoutMs: number): Promise<StepOutcome> => {
  let reply: HttpReply
  try {
    reply = await get(`${httpUrl}/usage`, token, timeoutMs)
  } catch (error) {
    return unreachable(error)
  }
  if (reply.status === 429) return { status: 'warn', summary: rateLimited(reply), details: { httpStatus: 429 } }
  const body = record(reply.body)
  const usage = record(body?.usage)
  if (reply.status !== 200 || usage === undefined) {
    return {
      status: 'warn',
      summary: `${reply.status} ${short(reply.body)}`,
      details: { httpStatus: reply.status },
      findings: [`GET /usage answered ${reply.status} without a usage object.`],
    }
  }
  const connections = gauge(usage.connections)
  const documents = gauge(usage.documents)
  const findings: string[] = []
  for (const [name, g] of [['connections', connections], ['documents', documents]] as const) {
    if (g === null) findings.push(`/usage has no ${name} gauge.`)
    else if (g.status === 'warning' || g.status === 'critical') findings.push(`${name} at ${String(g.percent)} % of the plan (${String(g.status)}).`)
  }
  const text = (g: { [key: string]: JsonValue } | null): string => g === null ? '?' : `${String(g.current)}/${String(g.limit)} (${String(g.status)})`
  return {
    status: findings.length > 0 ? 'warn' : 'pass',
    summary: `connections ${text(connections)}, documents ${text(documents)}`,
    details: { httpStatus: 200, tenantId: typeof body?.tenantId === 'string' ? body.tenantId : null, appId: typeof body?.appId === 'string' ? body.appId : null, connections, documents },
    findings,
  }
}
