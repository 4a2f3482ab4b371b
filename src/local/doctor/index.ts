/** `wiresocket-local doctor`: check a WireSocket deployment end to end (issue 17). */
export { runDoctor } from './run-doctor.ts'
export { doctorMain, DOCTOR_USAGE } from './cli.ts'
export { formatReport } from './format.ts'
export { DEFAULT_TOKEN_URL, DoctorOptionError } from './target.ts'
export { DOCTOR_REPORT_VERSION } from './types.ts'
export type { DoctorOptions, DoctorReport, DoctorStep, DoctorTarget, Framing, JsonValue, StepId, StepStatus } from './types.ts'
