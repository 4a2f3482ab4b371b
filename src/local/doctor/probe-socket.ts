/**
 * One WebSocket whose every event is recorded and can be awaited: the doctor asks "has X happened
 * yet?" after each event instead of sleeping. Nothing the server sends can make it throw.
 */
import WebSocket from 'ws'

const MAX_FRAME_BYTES = 16 * 1024 * 1024

export interface CloseInfo { code: number; reason: string }

export interface ProbeSocketOptions {
  protocols?: string[]
  origin?: string | null
  timeoutMs: number
}

const toBytes = (data: WebSocket.RawData): Uint8Array => {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

export class ProbeSocket {
  readonly ws: WebSocket
  opened = false
  openedAt = 0
  /** The subprotocol the server selected ('' for none). */
  protocol = ''
  closed: CloseInfo | undefined
  closedAt = 0
  /** Why the handshake itself failed (HTTP status or client error), if it did. */
  failure: string | undefined
  httpStatus: number | undefined
  /** Frames received. Frames themselves are not kept: each goes to `onMessage` once, so memory stays flat. */
  messageCount = 0
  private readonly waiters = new Set<() => void>()
  /** Called for every message as it arrives, before waiters re-check. */
  onMessage: ((bytes: Uint8Array) => void) | undefined

  constructor (url: string, options: ProbeSocketOptions) {
    this.ws = new WebSocket(url, options.protocols ?? [], {
      handshakeTimeout: options.timeoutMs,
      perMessageDeflate: false,
      // The doctor only ever needs small frames; a hostile server must not make it buffer 100 MiB (ws's default).
      maxPayload: MAX_FRAME_BYTES,
      ...(options.origin ? { origin: options.origin } : {}),
    })
    this.ws.binaryType = 'nodebuffer'
    this.ws.on('open', () => {
      this.opened = true
      this.openedAt = performance.now()
      this.protocol = this.ws.protocol
      this.notify()
    })
    this.ws.on('message', (data: WebSocket.RawData) => {
      const bytes = toBytes(data)
      this.messageCount++
      try {
        this.onMessage?.(bytes)
      } catch {
        // A handler choking on a hostile frame must not take the doctor down; the waiter sees no progress.
      }
      this.notify()
    })
    this.ws.on('unexpected-response', (req, res) => {
      this.httpStatus = res.statusCode
      this.failure = `HTTP ${res.statusCode ?? '?'} on the upgrade`
      res.resume()
      req.destroy()
      this.notify()
    })
    this.ws.on('error', (error: Error) => {
      this.failure ??= error.message
      this.notify()
    })
    this.ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString('utf8') }
      this.closedAt = performance.now()
      this.notify()
    })
  }

  /** Closed, or the handshake failed: nothing more will happen on this socket. */
  get ended (): boolean {
    return this.closed !== undefined || (this.failure !== undefined && !this.opened)
  }

  send (bytes: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return
    this.ws.send(bytes, () => { /* a failed send shows up as a close */ })
  }

  /** Resolves with `check()`'s first defined value, or undefined when `timeoutMs` passes first. */
  async waitFor<T> (check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const first = check()
    if (first !== undefined) return first
    return await new Promise<T | undefined>(resolve => {
      const finish = (value: T | undefined): void => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve(value)
      }
      const timer = setTimeout(() => finish(undefined), timeoutMs)
      const waiter = (): void => {
        let value: T | undefined
        try {
          value = check()
        } catch {
          value = undefined
        }
        if (value !== undefined) finish(value)
      }
      this.waiters.add(waiter)
    })
  }

  /** Wait until the socket opened or could not. */
  async settled (timeoutMs: number): Promise<boolean> {
    return (await this.waitFor(() => this.opened || this.ended ? true : undefined, timeoutMs)) === true
  }

  private notify (): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  /** Terminate and wait for the close event, so that no socket outlives its step. */
  async dispose (): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    const done = new Promise<void>(resolve => this.ws.once('close', () => resolve()))
    this.ws.terminate()
    await done
  }
}

/** What happened at the handshake, in words (never the URL: it may carry the token). */
export const describeEnd = (socket: ProbeSocket): string => {
  if (socket.closed && socket.opened) {
    // 1006 has no reason by definition; the client-side error (if any) is the useful part.
    const why = socket.closed.reason ? ` ${socket.closed.reason}` : socket.failure !== undefined ? ` (${socket.failure})` : ''
    return `closed ${socket.closed.code}${why}`
  }
  if (socket.failure !== undefined) return socket.failure
  if (socket.closed) return `closed ${socket.closed.code} before opening`
  return 'no answer'
}
