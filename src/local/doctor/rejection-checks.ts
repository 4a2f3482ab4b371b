/**
 * Steps `reject-*`: what the server does with a wrong token, no token, a bad document name and a
 * foreign origin, compared with contract §3's table. Differences are findings, not failures: they tell
 * us what the service does, and a provider that connects fine is not broken by them.
 */
import { randomBytes } from 'node:crypto'
import { dial, type Dial, type Transport } from './dial.ts'
import { authOnce, describeAuth } from './framing-check.ts'
import { probeHandshake, type SocketVerdict } from './handshake-check.ts'
import type { StepOutcome } from './step.ts'
import type { StepId } from './types.ts'

export interface Expectation {
  /** undefined: the contract says the socket is accepted. */
  code?: number
  reasons?: string[]
}

export interface RejectionCase {
  id: Extract<StepId, `reject-${string}`>
  title: string
  expectation: Expectation
  url: string
  protocols: string[]
  origin: string | null
  /** The same defect in Hocuspocus framing (contract §6), when the server speaks it. */
  hocuspocus?: { upgrade: Dial; documentName: string; authToken: string; origin: string | null }
}

/** Hostnames under `.invalid` never resolve (RFC 2606): the doctor only sends it as a header. */
const FOREIGN_ORIGIN = 'https://wiresocket-doctor.invalid'
const BAD_NAME = 'doctor!bad.name'

/** Same header and claims, a signature that no key made. */
export const wrongTokenFor = (token: string): string => {
  const parts = token.split('.')
  const length = parts.length === 3 ? Math.max(parts[2]!.length, 16) : 342
  const signature = randomBytes(length).toString('base64url').slice(0, length)
  return parts.length === 3 ? `${parts[0]!}.${parts[1]!}.${signature}` : `e30.e30.${signature}`
}

export const rejectionCases = (input: {
  regionUrl: string
  documentName: string
  token: string
  wrongToken: string
  transport: Exclude<Transport, 'none'>
  allowedDomains: string[]
  /** Set when the server speaks Hocuspocus framing: whether it needs the token in the URL too. */
  hocuspocus?: { tokenInUrl: boolean }
}): RejectionCase[] => {
  const at = (path: string, token: string | undefined): { url: string; protocols: string[] } => dial(input.regionUrl, path, token, token === undefined ? 'none' : input.transport)
  const doc = `/${input.documentName}`
  const h = input.hocuspocus
  const auth = (documentName: string, authToken: string, origin: string | null): RejectionCase['hocuspocus'] => h === undefined
    ? undefined
    : { upgrade: dial(input.regionUrl, '', h.tokenInUrl && authToken !== '' ? input.token : undefined, h.tokenInUrl && authToken !== '' ? 'query' : 'none'), documentName, authToken, origin }
  return [
    // No Origin (a server-side client, always allowed) so that each probe isolates its own defect.
    { id: 'reject-wrong-token', title: 'Wrong token', expectation: { code: 4002, reasons: ['Invalid token'] }, ...at(doc, input.wrongToken), origin: null, hocuspocus: auth(input.documentName, input.wrongToken, null) },
    { id: 'reject-missing-token', title: 'Missing token', expectation: { code: 4001, reasons: ['Missing token'] }, ...at(doc, undefined), origin: null, hocuspocus: auth(input.documentName, '', null) },
    { id: 'reject-bad-document-name', title: 'Bad document name', expectation: { code: 4007, reasons: ['Invalid document name'] }, ...at(`/${BAD_NAME}`, input.token), origin: null, hocuspocus: auth(BAD_NAME, input.token, null) },
    {
      id: 'reject-foreign-origin',
      title: 'Foreign origin',
      // Contract §3 (ours): a token without allowed-domain claims allows any origin.
      expectation: input.allowedDomains.length > 0 ? { code: 4003, reasons: ['Origin not allowed', 'Forbidden'] } : {},
      ...at(doc, input.token),
      origin: FOREIGN_ORIGIN,
      hocuspocus: auth(input.documentName, input.token, FOREIGN_ORIGIN),
    },
  ]
}

const describeExpectation = (e: Expectation): string =>
  e.code === undefined ? 'accepted' : `${e.code} ${e.reasons?.map(r => `"${r}"`).join(' or ') ?? ''}`.trim()

const compare = (expectation: Expectation, verdict: SocketVerdict): string[] => {
  const expected = describeExpectation(expectation)
  if (expectation.code === undefined) return verdict.accepted ? [] : [`Contract: ${expected}; seen: ${verdict.seen}.`]
  if (verdict.accepted) return [`Contract: ${expected}; seen: ${verdict.seen}. The server let this connection in.`]
  if (verdict.close === null) return [`Contract: close ${expected} after accepting the upgrade; seen: ${verdict.seen} (a browser sees only an anonymous 1006).`]
  if (verdict.close.code !== expectation.code) return [`Contract: ${expected}; seen: close ${verdict.close.code} "${verdict.close.reason}".`]
  if (expectation.reasons !== undefined && !expectation.reasons.includes(verdict.close.reason)) {
    return [`Contract reason: ${expectation.reasons.map(r => `"${r}"`).join(' or ')}; seen: "${verdict.close.reason}" (same code ${verdict.close.code}).`]
  }
  return []
}

/**
 * Contract §6: a per-document refusal is a `PermissionDenied` whose reason starts with the §3 code and
 * text (`4002 Invalid token`); a socket-level one closes the socket with the code. Either is accepted.
 */
const compareHocuspocus = async (c: RejectionCase, timeoutMs: number): Promise<{ seen: string; findings: string[] }> => {
  const h = c.hocuspocus!
  const { reply, socket } = await authOnce(h.upgrade, h.documentName, h.authToken, h.origin, timeoutMs)
  const seen = describeAuth(reply, socket, timeoutMs)
  const e = c.expectation
  const expected = e.code === undefined ? 'Authenticated' : `PermissionDenied ${e.reasons?.map(r => `"${e.code!} ${r}"`).join(' or ') ?? ''} or close ${e.code}`
  let matches: boolean
  if (e.code === undefined) matches = reply?.kind === 'authenticated'
  else if (reply?.kind === 'permission-denied') matches = (e.reasons ?? []).some(r => reply.reason === `${e.code!} ${r}`)
  else matches = reply === undefined && socket.closed?.code === e.code && (e.reasons ?? []).includes(socket.closed.reason)
  return { seen, findings: matches ? [] : [`Hocuspocus framing: contract ${expected}; seen: ${seen}.`] }
}

export const checkRejection = async (c: RejectionCase, timeoutMs: number, settleMs: number): Promise<StepOutcome> => {
  const verdict = await probeHandshake(c.url, c.protocols, c.origin, timeoutMs, settleMs)
  const findings = compare(c.expectation, verdict)
  const hocuspocus = c.hocuspocus === undefined ? undefined : await compareHocuspocus(c, timeoutMs)
  if (hocuspocus !== undefined) findings.push(...hocuspocus.findings)
  return {
    status: findings.length > 0 ? 'warn' : 'pass',
    summary: `${verdict.seen}${hocuspocus === undefined ? '' : `; hocuspocus: ${hocuspocus.seen}`} (contract: ${describeExpectation(c.expectation)})`,
    details: {
      expected: c.expectation.code === undefined ? 'accepted' : { code: c.expectation.code, reasons: c.expectation.reasons ?? [] },
      accepted: verdict.accepted,
      close: verdict.close,
      httpStatus: verdict.httpStatus,
      hocuspocus: hocuspocus === undefined ? null : hocuspocus.seen,
    },
    findings,
  }
}
