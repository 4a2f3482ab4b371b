/** Runs one check: times it, and turns anything it throws into a failed step instead of a crash. */
import type { DoctorStep, JsonValue, StepId, StepStatus } from './types.ts'

export interface StepOutcome {
  status: StepStatus
  summary: string
  details?: { [key: string]: JsonValue }
  findings?: string[]
}

export const skipped = (summary: string): StepOutcome => ({ status: 'skip', summary })

export const runStep = async (id: StepId, title: string, check: () => Promise<StepOutcome> | StepOutcome): Promise<DoctorStep> => {
  const started = performance.now()
  let outcome: StepOutcome
  try {
    outcome = await check()
  } catch (error) {
    outcome = { status: 'fail', summary: `the check itself failed: ${error instanceof Error ? error.message : String(error)}` }
  }
  return {
    id,
    title,
    status: outcome.status,
    summary: outcome.summary,
    durationMs: Math.round(performance.now() - started),
    details: outcome.details ?? {},
    findings: outcome.findings ?? [],
  }
}
