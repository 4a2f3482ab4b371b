/** What a scenario hands back: table rows plus whatever raw figures explain them (kept in the JSON). */
export interface Row {
  scenario: string
  metric: string
  ours: string
  reference: string
  /** ours ÷ reference (or ÷ floor); NaN when there is nothing to divide by. */
  ratio: number
  goal: string
  met: boolean | null
}

export interface ScenarioResult {
  id: number
  title: string
  rows: Row[]
  details: Record<string, unknown>
  notes: string[]
  seconds?: number
  error?: string
}

export interface BenchOptions {
  quick: boolean
  /** Simulated backend latency for getToken, ms. */
  latency: number
}

export const ms = (value: number): string => Number.isNaN(value) ? 'n/a' : `${value.toFixed(value < 10 ? 2 : 1)} ms`
export const bytes = (value: number): string => `${Math.round(value).toLocaleString('en-US')} B`
