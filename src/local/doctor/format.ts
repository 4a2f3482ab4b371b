/** The human-readable report: one line per step, its findings under it, and a verdict at the end. */
import type { DoctorReport, DoctorStep, StepStatus } from './types.ts'

const LABEL: Record<StepStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' }

export const formatStep = (step: DoctorStep): string => {
  const lines = [`  ${LABEL[step.status]}  ${step.id.padEnd(24)} ${step.summary}  (${step.durationMs} ms)`]
  for (const finding of step.findings) lines.push(`        - ${finding}`)
  return lines.join('\n')
}

export const formatHeader = (report: Pick<DoctorReport, 'target'>): string => {
  const t = report.target
  const lines = [
    'WireSocket doctor',
    `  region    ${t.region ?? '(custom host)'}  ${t.regionUrl}  (HTTP ${t.httpUrl})`,
    `  token     ${t.credentials === 'token' ? 'ready token given' : `client credentials via ${t.tokenUrl ?? '?'}`}`,
    `  document  ${t.documentName}`,
    `  origin    ${t.origin ?? '(none: a server-side client)'}`,
    '',
  ]
  return lines.join('\n')
}

export const formatVerdict = (report: DoctorReport): string => {
  const { pass, warn, fail, skip } = report.counts
  return [
    '',
    `Framing: ${report.framing}`,
    `Result: ${report.ok ? 'OK' : 'BROKEN'} (${pass} pass, ${warn} warn, ${fail} fail, ${skip} skip) in ${report.durationMs} ms`,
    report.ok ? 'A provider can connect and sync with this setup.' : 'Something a provider needs is broken: see the FAIL lines above.',
    'This report contains no token or secret: safe to paste into a bug report.',
  ].join('\n')
}

export const formatReport = (report: DoctorReport): string =>
  [formatHeader(report), ...report.steps.map(formatStep), formatVerdict(report)].join('\n')
