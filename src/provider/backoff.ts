import { MAX_DELAY } from './options.ts'

/** Ordinary drops: the first retry waits up to a second, so a fleet dropped at once spreads out. */
const BASE_DELAY = 500
/** Never more than this many connection attempts in any minute, whatever the close codes say. */
const MAX_ATTEMPTS_PER_MINUTE = 60
const MINUTE = 60_000

/** Full jitter: uniformly random in [0, min(max, base · 2^failures)]. */
export const jittered = (failures: number, maxDelay: number, random: () => number): number =>
  random() * Math.min(maxDelay, BASE_DELAY * 2 ** failures)

/**
 * A sliding one-minute window that caps the attempt rate, so that no sequence of close codes (an
 * endless run of immediate 4002 reconnects, say) can hammer the service.
 */
export class AttemptWindow {
  #attempts: number[] = []

  /** Record an attempt starting after `delay`, and say how long it must really wait to respect the ceiling. */
  admit (delay: number, now = Date.now()): number {
    const at = now + delay
    this.#attempts = this.#attempts.filter(t => t > at - MINUTE)
    // attempts are not sorted (delays differ), hence the minimum rather than the first
    const wait = this.#attempts.length >= MAX_ATTEMPTS_PER_MINUTE ? Math.min(...this.#attempts) + MINUTE - at : 0
    this.#attempts.push(at + wait)
    return delay + wait
  }
}

/**
 * The wait before the next connection attempt: admitted by the attempts-per-minute ceiling, clamped to
 * what timers honour, and woken early by the network coming back when the wait allows it.
 */
export class RetryTimer {
  readonly #attempts = new AttemptWindow()
  #timer: ReturnType<typeof setTimeout> | undefined
  #run: (() => void) | null = null
  #wakeOnOnline = false

  /** Arm `run` after `delay` ms (or later, per the ceiling); returns the real wait. A wait of 0 arms nothing: the caller runs at once. */
  arm (delay: number, wakeOnOnline: boolean, run: () => void): number {
    this.cancel()
    // setTimeout fires at once for anything past 2^31−1 ms: never ask it to wait longer
    const wait = Math.min(MAX_DELAY, this.#attempts.admit(delay))
    if (wait > 0) {
      this.#run = run
      this.#wakeOnOnline = wakeOnOnline
      this.#timer = setTimeout(() => this.#fire(), wait)
    }
    return wait
  }

  /** The network came back: run now if a wait is armed and allows it. */
  online (): void {
    if (this.#wakeOnOnline) this.#fire()
  }

  cancel (): void {
    clearTimeout(this.#timer)
    this.#run = null
  }

  #fire (): void {
    const run = this.#run
    this.cancel()
    run?.()
  }
}
