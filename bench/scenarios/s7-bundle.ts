/**
 * 7. Bundle size, measured by `bench/size.ts` (esbuild, yjs external, terser, gzip -9) for ours and the
 * peers in the same run: the provider's own code, and its total with lib0/y-protocols.
 */
import { BUDGET, measureSizes } from '../size.ts'
import { bytes, type BenchOptions, type Row, type ScenarioResult } from '../lib/result.ts'

export const bundle = async (_options: BenchOptions): Promise<ScenarioResult> => {
  const sizes = await measureSizes()
  const gz = (prefix: string): number => {
    const found = sizes.find(s => s.name.startsWith(prefix))
    if (found === undefined) throw new Error(`size.ts measured no "${prefix}"`)
    return found.gzipped
  }
  const ownO = gz('y-wiresocket (own code)')
  const totalO = gz('y-wiresocket + lib0')
  const ownW = gz('y-websocket 3.1 (own code)')
  const totalW = gz('y-websocket 3.1 + lib0')
  const ownH = gz('@hocuspocus/provider 4.8 (own code)')
  const totalH = gz('@hocuspocus/provider 4.8 + deps')
  const row = (metric: string, o: number, r: number, goal: string, met: boolean | null): Row =>
    ({ scenario: '7 Bundle', metric, ours: bytes(o), reference: bytes(r), ratio: o / r, goal, met })
  return {
    id: 7,
    title: 'Bundle',
    rows: [
      row('own code, min+gzip, vs y-websocket 3.1', ownO, ownW, `≤ ${BUDGET.toLocaleString('en-US')} B (size.ts budget)`, ownO <= BUDGET),
      row('own code, min+gzip, vs @hocuspocus/provider 4.8', ownO, ownH, '—', null),
      row('with lib0 + y-protocols (yjs external), vs y-websocket 3.1', totalO, totalW, '—', null),
      row('with dependencies (yjs external), vs @hocuspocus/provider 4.8', totalO, totalH, '—', null),
    ],
    details: { sizes, budget: BUDGET },
    notes: ['Entry: `WireSocketProvider` + `createTokenSource` (ours), `WebsocketProvider`, `HocuspocusProvider`; esbuild browser ESM, terser (module, passes 2, mangle), gzip -9. @hocuspocus/common counts as a dependency of the hocuspocus provider, not its own code. The numbers are of the source on disk when the run happened (the provider bundle is being shrunk in parallel).'],
  }
}
