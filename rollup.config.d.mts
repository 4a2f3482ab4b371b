// Types for bench/size.ts, which builds the production entry from this config in memory.
import type { OutputOptions, RollupOptions } from 'rollup'
declare const config: Array<RollupOptions & { output: OutputOptions[] }>
export default config
