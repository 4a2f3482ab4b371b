/**
 * The doctor's public types. The report is meant to be pasted into bug reports and compared across
 * runs, so its shape is versioned: fields are only ever added, and `version` changes when one is
 * renamed or removed.
 */

export const DOCTOR_REPORT_VERSION = 1

export type StepStatus = 'pass' | 'warn' | 'fail' | 'skip'

export type StepId =
  | 'token'
  | 'claims'
  | 'health'
  | 'discovery'
  | 'usage'
  | 'handshake-subprotocol'
  | 'handshake-query'
  | 'framing'
  | 'round-trip'
  | 'reject-wrong-token'
  | 'reject-missing-token'
  | 'reject-bad-document-name'
  | 'reject-foreign-origin'
  | 'expiry'

/** JSON values only, so that `JSON.stringify(report)` is lossless and the shape stays plain. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

export interface DoctorStep {
  id: StepId
  title: string
  status: StepStatus
  /** One line: what was seen. */
  summary: string
  durationMs: number
  /** Observed values (never a token or secret). */
  details: { [key: string]: JsonValue }
  /** Differences from the contract or from what a provider needs, one sentence each. */
  findings: string[]
}

export type Framing = 'y-websocket' | 'hocuspocus' | 'both' | 'neither' | 'unknown'

export interface DoctorTarget {
  region: string | null
  regionUrl: string
  httpUrl: string
  tokenUrl: string | null
  credentials: 'client-credentials' | 'token'
  documentName: string
  origin: string | null
}

export interface DoctorReport {
  version: typeof DOCTOR_REPORT_VERSION
  tool: 'wiresocket-local doctor'
  startedAt: string
  durationMs: number
  target: DoctorTarget
  /** False when something a provider needs is broken (some step failed). */
  ok: boolean
  framing: Framing
  counts: { [status in StepStatus]: number }
  steps: DoctorStep[]
  /** Every step's findings, prefixed with the step id: the short list to read first. */
  findings: string[]
}

export interface DoctorOptions {
  /** Region name (`eu-central-1` → `wss://eu-central-1.wiresocket.net`) or a ws(s)/http(s) URL. */
  region: string
  /** A ready access token. Exclusive with `clientId`/`clientSecret`. */
  token?: string
  clientId?: string
  clientSecret?: string
  /** Default: the contract's `https://api.wiresocket.com/connect/token`. */
  tokenUrl?: string
  /** Default: a random `doctor-…` name, so that the run never touches a real document. */
  documentName?: string
  /** `Origin` presented on every regular connection, as a browser on your site would. */
  origin?: string
  /** Keep one socket open past the token's `exp` and report what the server does. */
  watchExpiry?: boolean
  /** How long past `exp` to wait for the server's close (default 15 000 ms). */
  expiryMarginMs?: number
  /** Per network operation (default 5000 ms). */
  timeoutMs?: number
  /**
   * How long an open socket must stay silent and open to count as accepted (default 750 ms). Servers
   * that reject after the upgrade do so at once; Hocuspocus servers say nothing until spoken to.
   */
  settleMs?: number
  /** Called once before the first step, with what will be checked. */
  onStart?: (target: DoctorTarget) => void
  /** Called as each step ends, for live progress output. */
  onStep?: (step: DoctorStep) => void
}
