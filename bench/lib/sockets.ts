/**
 * `ws` subclasses that count what the benchmarks need without touching the providers: the bytes each
 * client socket sends, and when each connection attempt starts.
 */
import WebSocket from 'ws'
import type { WebSocketConstructor } from '../../src/index.ts'

export interface SocketMeter {
  /** Bytes handed to `send` by client sockets (payloads; frame headers are ~2–8 B more each). */
  bytesSent: number
  framesSent: number
  /** `performance.now()` of every socket constructed: one per connection attempt. */
  readonly attempts: number[]
  /** The class to pass as `WebSocketPolyfill`. */
  readonly WS: WebSocketConstructor
  reset(): void
}

type SendData = Parameters<WebSocket['send']>[0]

const byteLength = (data: SendData): number =>
  typeof data === 'string'
    ? Buffer.byteLength(data)
    : ArrayBuffer.isView(data)
      ? data.byteLength
      : data instanceof ArrayBuffer
        ? data.byteLength
        : 0

export const createSocketMeter = (): SocketMeter => {
  const meter: SocketMeter = {
    bytesSent: 0,
    framesSent: 0,
    attempts: [],
    WS: class MeteredWebSocket extends WebSocket {
      constructor (url: string | URL, protocols?: string | string[]) {
        meter.attempts.push(performance.now())
        super(url, protocols)
        // Wrapped on the instance rather than overridden: ws declares send() with overloads that a
        // subclass method cannot restate without widening them.
        const send = this.send.bind(this) as (data: SendData, ...rest: unknown[]) => void
        this.send = ((data: SendData, ...rest: unknown[]) => {
          meter.bytesSent += byteLength(data)
          meter.framesSent++
          send(data, ...rest)
        }) as WebSocket['send']
      }
    },
    reset () {
      meter.bytesSent = 0
      meter.framesSent = 0
      meter.attempts.length = 0
    },
  }
  return meter
}

/** y-websocket types its polyfill as the DOM `WebSocket` class; `ws` is API-compatible for what it uses. */
export const asDomWebSocket = (WS: WebSocketConstructor): typeof globalThis.WebSocket =>
  WS as unknown as typeof globalThis.WebSocket
