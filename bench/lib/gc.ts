/** A real `gc()` without asking the user for `--expose-gc`: V8 lets a running process turn it on. */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void

/** Collect until the heap stops shrinking (weak maps and finalizers need more than one pass). */
export const fullGc = async (): Promise<number> => {
  let last = Number.POSITIVE_INFINITY
  for (let i = 0; i < 6; i++) {
    collect()
    await new Promise(resolve => setImmediate(resolve))
    const used = process.memoryUsage().heapUsed
    if (used >= last - 1024) return used
    last = used
  }
  return process.memoryUsage().heapUsed
}
