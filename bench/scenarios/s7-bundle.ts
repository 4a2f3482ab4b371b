/**
 * 7. Bundle size, measured by `bench/size.ts` (esbuild browser bundle with the `production` condition,
 * esbuild minify, gzip -9) for ours and the peers in the same run: the provider's own code, and its
 * total with lib0/y-protocols. The goal: no larger than @hocuspocus/provider on either measure.
 */
import { measureSizes } from '../size.ts'
import { bytes, type BenchOptions, type Row, type ScenarioResult } from '../lib/result.ts'

export const bundle = async (_options: BenchOptions): Promise<ScenarioResult> => {
  const sizes = await measureSizes()
  const [ownO, ownH] = sizes.own.map(s => s.gzipped) as [number, number]
  const [totalO, totalH] = sizes.bundled.map(s => s.gzipped) as [number, number]
  const row = (metric: string, o: number, r: number, goal: string, met: boolean | null): Row =>
    ({ scenario: '7 Bundle', metric, ours: bytes(o), reference: bytes(r), ratio: o / r, goal, met })
  return {
    id: 7,
    title: 'Bundle',
    rows: [
      row('own code, min+gzip, vs @hocuspocus/provider', ownO, ownH, '≤ @hocuspocus/provider', ownO <= ownH),
      row('with lib0 + y-protocols (yjs external), vs @hocuspocus/provider', totalO, totalH, '≤ @hocuspocus/provider', totalO <= totalH),
    ],
    details: { sizes },
    notes: [
      'Entry: `WireSocketProvider` (ours: dist/index.production.js as the `production` condition selects it) and `HocuspocusProvider`; esbuild browser ESM, esbuild minify, gzip -9. @hocuspocus/common counts as a dependency of the hocuspocus provider, not its own code.',
      `Lazy chunks, not in the entry and not in the comparison (each is its own row of \`npm run size\`): ${sizes.others.filter(s => s.name.startsWith('y-wiresocket: ')).map(s => `${s.name.slice('y-wiresocket: '.length)} ${s.gzipped} B`).join('; ')}.`,
    ],
  }
}
