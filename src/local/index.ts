/** `y-wiresocket/local`: a faithful local WireSocket token service and dataplane, for Node. */
export { startLocalDataplane, DEFAULT_LIMITS, DEFAULT_REGIONS } from './dataplane.ts'
export { main } from './main.ts'
export { runDoctor, formatReport, DoctorOptionError, DOCTOR_REPORT_VERSION } from './doctor/index.ts'
export type { DoctorOptions, DoctorReport, DoctorStep, DoctorTarget, Framing, StepId, StepStatus } from './doctor/index.ts'
export type {
  HandshakeRecord,
  HandshakeTransport,
  LocalApp,
  LocalDataplane,
  LocalDataplaneOptions,
  LocalRegionInfo,
  MintTokenOptions,
  RateLimitOptions,
  SignWith,
  TokenRequestRecord,
  WireSocketLimits,
} from './types.ts'
