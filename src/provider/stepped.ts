import { ObservableV2 } from 'lib0/observable'

import type { WireSocketProviderEvents as E } from './events.ts'

/**
 * An observable whose work comes in steps: a step runs to completion before any listener hears of it.
 * Events emitted during a step (and effects that call out to app code) wait in a queue that is
 * delivered when the outermost step ends. A listener that starts a step of its own (say, calls
 * `disconnect()` from a `connection-close` listener) so finds the machine at rest, not halfway through
 * a transition; that step's events join the end of the queue, in the order things happened.
 */
export class Stepped extends ObservableV2<E> {
  readonly #queue: Array<() => void> = []
  #depth = 0
  #flushing = false

  /**
   * Queued until the current step is complete. One listener's exception cannot break the machine or
   * the other listeners: it is rethrown on its own task, as the DOM does.
   */
  override emit<N extends keyof E & string> (name: N, args: Parameters<E[N]>): void {
    this.later(() => {
      for (const listener of [...(this._observers.get(name) ?? [])]) guarded(() => listener(...args))
    })
  }

  protected step (run: () => void): void {
    this.#depth++
    try {
      run()
    } finally {
      if (--this.#depth === 0) this.#flush()
    }
  }

  /** Run `effect` once the current step is complete (at once outside a step). */
  protected later (effect: () => void): void {
    this.#queue.push(effect)
    if (this.#depth === 0) this.#flush()
  }

  #flush (): void {
    if (this.#flushing) return
    this.#flushing = true
    for (let run = this.#queue.shift(); run !== undefined; run = this.#queue.shift()) guarded(run)
    this.#flushing = false
  }
}

const guarded = (run: () => void): void => {
  try {
    run()
  } catch (error) {
    setTimeout(() => { throw error })
  }
}
