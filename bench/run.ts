/**
 * `npm run bench` — every scenario of issue 6, ours beside the reference in one process run.
 *
 *   npm run bench                 full run (~5 min), writes bench/results/<timestamp>.json and latest.md
 *   npm run bench -- --quick      smoke run with smaller counts (JSON only)
 *   npm run bench -- --only 3,6   just those scenarios (JSON only)
 *   npm run bench -- --latency 80 simulated getToken backend latency in ms (default 50)
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { machine } from './lib/machine.ts'
import { markdownReport, markdownTable } from './lib/report.ts'
import type { BenchOptions, ScenarioResult } from './lib/result.ts'
import { expiryRecovery } from './scenarios/s1-expiry.ts'
import { firstSync } from './scenarios/s2-first-sync.ts'
import { updatePath } from './scenarios/s3-update-path.ts'
import { tokenCalls } from './scenarios/s4-token-calls.ts'
import { leaks } from './scenarios/s5-leaks.ts'
import { reconnectStorm } from './scenarios/s6-storm.ts'
import { bundle } from './scenarios/s7-bundle.ts'
import { capacity } from './scenarios/s8-capacity.ts'
import { disruption } from './scenarios/s9-disruption.ts'

type Scenario = (options: BenchOptions) => Promise<ScenarioResult>

const scenarios: Array<{ id: number; title: string; run: Scenario }> = [
  { id: 1, title: 'Expiry recovery', run: expiryRecovery },
  { id: 2, title: 'First sync', run: firstSync },
  { id: 3, title: 'Update path', run: updatePath },
  { id: 4, title: 'Token calls', run: tokenCalls },
  { id: 5, title: 'Leaks', run: leaks },
  { id: 6, title: 'Reconnect storm', run: reconnectStorm },
  { id: 7, title: 'Bundle', run: bundle },
  { id: 8, title: 'Local dataplane capacity', run: capacity },
  { id: 9, title: 'Visible disruption per token expiry', run: disruption },
]

/** The whole run must end by itself even if a scenario wedges: this is the last line of defence. */
const HARD_LIMIT_MS = 12 * 60_000

const parseArgs = (argv: readonly string[]): BenchOptions & { only: Set<number> | null } => {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const only = value('--only')
  const latency = Number(value('--latency') ?? 50)
  if (!Number.isFinite(latency) || latency < 0) throw new RangeError('--latency must be a non-negative number of ms')
  return {
    quick: argv.includes('--quick'),
    latency,
    only: only === undefined ? null : new Set(only.split(',').map(Number)),
  }
}

const main = async (): Promise<void> => {
  const options = parseArgs(process.argv.slice(2))
  const hardStop = setTimeout(() => {
    console.error(`bench: still running after ${HARD_LIMIT_MS / 60_000} min, giving up`)
    process.exit(2)
  }, HARD_LIMIT_MS)
  hardStop.unref()
  const startedAt = new Date().toISOString()
  const started = performance.now()
  const results: ScenarioResult[] = []
  for (const scenario of scenarios) {
    if (options.only !== null && !options.only.has(scenario.id)) continue
    console.error(`bench: ${scenario.id} ${scenario.title}${options.quick ? ' (quick)' : ''}…`)
    const t0 = performance.now()
    try {
      const result = await scenario.run(options)
      result.seconds = (performance.now() - t0) / 1000
      results.push(result)
    } catch (error) {
      console.error(error)
      results.push({ id: scenario.id, title: scenario.title, rows: [], details: {}, notes: [], seconds: (performance.now() - t0) / 1000, error: error instanceof Error ? error.message : String(error) })
    }
    console.error(`bench: ${scenario.id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
  const seconds = (performance.now() - started) / 1000
  const info = { machine: machine(), startedAt, quick: options.quick, latency: options.latency, seconds }
  console.log(markdownTable(results))
  const dir = fileURLToPath(new URL('./results/', import.meta.url))
  await mkdir(dir, { recursive: true })
  const file = `${dir}${startedAt.replace(/[:.]/g, '-')}.json`
  await writeFile(file, JSON.stringify({ ...info, only: options.only === null ? null : [...options.only], results }, null, 2))
  console.error(`bench: ${seconds.toFixed(0)} s; wrote ${file}`)
  // Only a full run is representative enough to replace the committed table.
  if (!options.quick && options.only === null) {
    await writeFile(`${dir}latest.md`, markdownReport(results, info))
    console.error(`bench: wrote ${dir}latest.md`)
  }
  clearTimeout(hardStop)
  if (results.some(r => r.error !== undefined)) process.exitCode = 1
}

await main()
