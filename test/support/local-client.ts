/**
 * Test helpers for the local dataplane's Node suite: raw `ws` sockets, awaited close frames, form posts,
 * and a minimal y-websocket client (written on y-protocols) whose every received message can be awaited.
 */
import { once } from 'node:events'
import WebSocket from 'ws'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { readSyncMessage, writeSyncStep1, writeUpdate, messageYjsSyncStep2 } from 'y-protocols/sync'
import { messageAwareness, messageQueryAwareness, messageSync } from '../../src/contract/messages.ts'

export interface CloseInfo { code: number; reason: string }

export interface ConnectOptions {
  protocols?: string[]
  headers?: Record<string, string>
  origin?: string
}

export const open = (url: string, opts: ConnectOptions = {}): WebSocket =>
  new WebSocket(url, opts.protocols ?? [], { headers: opts.headers, origin: opts.origin })

/** Resolves with the close code and reason; rejects if the socket errors at the HTTP level instead. */
export const nextClose = async (ws: WebSocket): Promise<CloseInfo> =>
  await new Promise((resolve, reject) => {
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString('utf8') }))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected HTTP ${res.statusCode ?? '?'}`)))
  })

/**
 * Resolves once the server has *accepted* the socket. An open event is not enough: every rejection is
 * an accepted upgrade followed by a close. Only an admitted session receives the server's sync step 1,
 * so the first message is the proof. Rejects with the close code and reason otherwise.
 */
export const opened = async (ws: WebSocket): Promise<void> =>
  await new Promise((resolve, reject) => {
    const onMessage = (): void => {
      ws.off('close', onClose)
      resolve()
    }
    const onClose = (code: number, reason: Buffer): void => {
      ws.off('message', onMessage)
      reject(new Error(`closed ${code} ${reason.toString('utf8')}`))
    }
    ws.once('message', onMessage)
    ws.once('close', onClose)
  })

/** Connect, and report how the server closed the socket (the rejection path of every close code). */
export const closeOf = async (url: string, opts: ConnectOptions = {}): Promise<CloseInfo> => await nextClose(open(url, opts))

/** Connect with a token in the recommended subprotocol, and wait until the server accepted it. */
export const accepted = async (url: string, token: string, opts: ConnectOptions = {}): Promise<WebSocket> => {
  const ws = open(url, { protocols: ['access_token', token], ...opts })
  await opened(ws)
  return ws
}

export const closeQuietly = async (...sockets: WebSocket[]): Promise<void> => {
  await Promise.all(sockets.map(async ws => {
    if (ws.readyState === WebSocket.CLOSED) return
    const done = once(ws, 'close')
    ws.terminate()
    await done
  }))
}

export interface HttpReply { status: number; body: Record<string, unknown>; headers: Headers }

export const postForm = async (url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpReply> => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  })
  return { status: res.status, body: await res.json() as Record<string, unknown>, headers: res.headers }
}

export const getJson = async (url: string, headers: Record<string, string> = {}): Promise<HttpReply> => {
  const res = await fetch(url, { headers })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) as Record<string, unknown> : {}, headers: res.headers }
}

/**
 * A y-websocket client in a few lines: enough to prove sync and awareness against the dataplane while
 * exposing what the stock provider hides (each awareness message received, raw frames).
 */
export class YClient {
  readonly doc = new Y.Doc()
  readonly awareness = new Awareness(this.doc)
  readonly ws: WebSocket
  awarenessMessages = 0
  synced = false
  private readonly waiters = new Set<() => void>()

  constructor (url: string, token: string | undefined, opts: ConnectOptions = {}) {
    this.ws = open(url, token === undefined ? opts : { protocols: ['access_token', token], ...opts })
    this.ws.binaryType = 'nodebuffer'
    this.ws.on('open', () => {
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, messageSync)
      writeSyncStep1(encoder, this.doc)
      this.ws.send(encoding.toUint8Array(encoder))
    })
    this.ws.on('message', (data: Buffer) => this.receive(new Uint8Array(data)))
    this.ws.on('close', () => this.notify())
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === this) return
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, messageSync)
      writeUpdate(encoder, update)
      this.sendRaw(encoding.toUint8Array(encoder))
    })
    this.awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      if (origin !== 'local') return
      this.sendRaw(this.awarenessFrame([...added, ...updated, ...removed]))
    })
  }

  awarenessFrame (clients: number[]): Uint8Array {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, messageAwareness)
    encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(this.awareness, clients))
    return encoding.toUint8Array(encoder)
  }

  setAwareness (state: Record<string, unknown>): void {
    // The 'local' origin is how y-protocols marks changes made by this client itself.
    this.awareness.setLocalState(state)
  }

  queryAwareness (): void {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, messageQueryAwareness)
    this.sendRaw(encoding.toUint8Array(encoder))
  }

  sendRaw (frame: Uint8Array | string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame)
  }

  private receive (bytes: Uint8Array): void {
    const decoder = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(decoder)
    if (type === messageSync) {
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, messageSync)
      const syncType = readSyncMessage(decoder, encoder, this.doc, this)
      if (syncType === messageYjsSyncStep2) this.synced = true
      if (encoding.length(encoder) > 1) this.sendRaw(encoding.toUint8Array(encoder))
    } else if (type === messageAwareness) {
      this.awarenessMessages++
      applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this)
    }
    this.notify()
  }

  private notify (): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  /** Resolve once `check` holds, re-checked after every received message (no polling, no sleeps). */
  async until (check: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
    if (check()) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error(`timed out waiting for ${what}`))
      }, timeoutMs)
      const waiter = (): void => {
        if (!check()) return
        clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve()
      }
      this.waiters.add(waiter)
    })
  }

  text (field = 'text'): string {
    return this.doc.getText(field).toString()
  }

  async close (): Promise<void> {
    this.awareness.destroy()
    await closeQuietly(this.ws)
    this.doc.destroy()
  }
}

/** A sync update frame for a one-character insertion, built without any client. */
export const updateFrame = (text = 'x'): Uint8Array => {
  const doc = new Y.Doc()
  doc.getText('text').insert(0, text)
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, messageSync)
  writeUpdate(encoder, Y.encodeStateAsUpdate(doc))
  doc.destroy()
  return encoding.toUint8Array(encoder)
}

/**
 * For server-side state that has no event to await (a socket's close being processed on the server):
 * re-check on every turn of the event loop until true, with a deadline. Not a fixed sleep.
 */
export const eventually = async (check: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** Resolve when the server-side document's text equals `expected` (awaits the doc's own updates). */
export const serverText = async (getDoc: () => Y.Doc | undefined, expected: string, field = 'text'): Promise<void> => {
  await eventually(() => getDoc() !== undefined, 'server document')
  const doc = getDoc()!
  if (doc.getText(field).toString() === expected) return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server text never became ${expected}`)), 5000)
    const onUpdate = (): void => {
      if (doc.getText(field).toString() !== expected) return
      clearTimeout(timer)
      doc.off('update', onUpdate)
      resolve()
    }
    doc.on('update', onUpdate)
  })
}
