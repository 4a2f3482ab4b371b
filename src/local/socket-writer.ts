/**
 * Sends on one accepted socket with a bound on what may wait in its queue (issue 10.8). A client that
 * stops reading used to make the server hold every answer and echo for it (389 MB for 150 step 1s
 * against a 2 MiB document). Past `maxBufferedBytes` queued, the socket is closed 1013 (Try Again
 * Later): a standard code every client already treats as "reconnect later", which is what a reader
 * that fell behind should do; WireSocket's 4xxx codes are left to the contract's meanings.
 */
import type { WebSocket } from 'ws'
import { fitReason } from '../contract/close-codes.ts'

export const SlowConsumerCode = 1013

/** How long a slow consumer's close frame may wait behind its unread queue before the socket is cut. */
const SLOW_CLOSE_GRACE_MS = 1000

export class SocketWriter {
  private overflowed = false

  constructor (readonly ws: WebSocket, private readonly maxBufferedBytes: number, private readonly onOverflow: () => void) {}

  get isOpen (): boolean {
    return !this.overflowed && this.ws.readyState === this.ws.OPEN
  }

  /** Queue a frame; `onFlushed` runs once it has been handed to the kernel. */
  send (frame: Uint8Array, onFlushed?: () => void): void {
    if (!this.isOpen) return
    // The first frame always goes (a large document's full state may alone exceed the bound); after
    // that, a queue already past the bound means the client is not keeping up.
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.slowConsumer()
      return
    }
    this.ws.send(frame, () => {
      // A failed send surfaces as a close event; success releases whoever waits for this frame.
      onFlushed?.()
    })
  }

  private slowConsumer (): void {
    this.overflowed = true
    this.onOverflow()
    this.ws.close(SlowConsumerCode, fitReason(`Slow consumer: more than ${this.maxBufferedBytes} bytes queued`))
    // The close frame sits behind the unread queue: a client that never reads would keep it (and the
    // queue) for ws' 30 s close timeout. Cut it short.
    const timer = setTimeout(() => this.ws.terminate(), SLOW_CLOSE_GRACE_MS)
    timer.unref()
    this.ws.once('close', () => clearTimeout(timer))
  }
}
