/** The markdown table every run prints (and a full run saves as `bench/results/latest.md`). */
import type { Machine } from './machine.ts'
import type { ScenarioResult } from './result.ts'

const ratio = (value: number): string => Number.isFinite(value) ? `${value.toFixed(2)}×` : '—'
const met = (value: boolean | null): string => value === null ? '—' : value ? 'yes' : '**no**'

export const markdownTable = (results: readonly ScenarioResult[]): string => {
  const lines = [
    '| scenario | metric | ours | reference | ratio | goal | met? |',
    '|---|---|---:|---:|---:|---|---|',
  ]
  for (const result of results) {
    if (result.error !== undefined) {
      lines.push(`| ${result.id} ${result.title} | **failed**: ${result.error.replace(/\|/g, '\\|').slice(0, 200)} | | | | | **no** |`)
      continue
    }
    for (const row of result.rows) {
      lines.push(`| ${row.scenario} | ${row.metric} | ${row.ours} | ${row.reference} | ${ratio(row.ratio)} | ${row.goal} | ${met(row.met)} |`)
    }
  }
  return lines.join('\n')
}

export const markdownReport = (results: readonly ScenarioResult[], info: { machine: Machine; startedAt: string; quick: boolean; latency: number; seconds: number }): string => {
  const notes = results.flatMap(r => r.notes.map(n => `- **${r.id} ${r.title}**: ${n}`))
  return [
    `Run ${info.startedAt}${info.quick ? ' (--quick: smaller counts, not for quoting)' : ''}, ${info.seconds.toFixed(0)} s in all.`,
    `Machine: ${info.machine.cpus} CPUs (${info.machine.cpuModel}), ${info.machine.memoryGiB} GiB RAM, Node ${info.machine.node}, ${info.machine.platform}.`,
    `Simulated getToken backend latency: ${info.latency} ms. Ratios are ours ÷ reference; absolute times on a shared machine are noise.`,
    '',
    markdownTable(results),
    '',
    '### Notes',
    '',
    ...notes,
    '',
  ].join('\n')
}
