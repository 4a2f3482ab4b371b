/**
 * Sliding-window counters. A log of (time, count) buckets rather than fixed windows, so a burst at a
 * window edge cannot double the allowance; no timers are involved, so there is nothing to clear on close.
 */
export type HitResult = { ok: true } | { ok: false; retryAfterSeconds: number }

interface Bucket { t: number; n: number }

export class SlidingWindow {
  private readonly logs = new Map<string, { buckets: Bucket[]; total: number }>()

  constructor (private readonly windowMs: number, private readonly now: () => number) {}

  private prune (key: string): { buckets: Bucket[]; total: number } {
    let log = this.logs.get(key)
    if (!log) {
      log = { buckets: [], total: 0 }
      this.logs.set(key, log)
    }
    const cutoff = this.now() - this.windowMs
    while (log.buckets.length > 0 && log.buckets[0]!.t <= cutoff) log.total -= log.buckets.shift()!.n
    return log
  }

  count (key: string): number {
    return this.prune(key).total
  }

  /** Record `n` hits at the current time, unconditionally. */
  add (key: string, n = 1): void {
    const log = this.prune(key)
    const t = this.now()
    const last = log.buckets[log.buckets.length - 1]
    if (last && last.t === t) last.n += n
    else log.buckets.push({ t, n })
    log.total += n
  }

  /** Record one hit unless `limit` hits already fall in the window. */
  hit (key: string, limit: number): HitResult {
    const log = this.prune(key)
    if (log.total >= limit) {
      const oldest = log.buckets[0]
      const waitMs = oldest ? oldest.t + this.windowMs - this.now() : this.windowMs
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) }
    }
    this.add(key)
    return { ok: true }
  }

  clear (): void {
    this.logs.clear()
  }
}
