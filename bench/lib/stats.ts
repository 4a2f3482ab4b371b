/** Small statistics helpers. Medians, not means: one GC pause on a shared machine should not move a figure. */
export const median = (values: readonly number[]): number => percentile(values, 50)

/** Nearest-rank percentile; NaN for no samples (printed as "n/a", never as a flattering zero). */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

/** The most timestamps (ms) that fall into any window of `width` ms (sliding, not bucketed). */
export const maxInWindow = (times: readonly number[], width: number): number => {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let start = 0
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= width) start++
    best = Math.max(best, end - start + 1)
  }
  return best
}

export const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Reject after `ms` with `what` in the message, so a stuck scenario fails loudly instead of hanging the run. */
export const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
