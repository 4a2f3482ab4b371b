/** Stock `@hocuspocus/provider` clients for the Node suite, set up exactly as WireSocket's docs show. */
import WebSocket from 'ws'
import * as Y from 'yjs'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'

export interface HocusDoc {
  doc: Y.Doc
  provider: HocuspocusProvider
  /** Reasons of every PermissionDenied (`authenticationFailed`) this document received. */
  denied: string[]
  /** Reasons of every in-band CLOSE / socket close this document saw. */
  closes: string[]
}

/** One pooled socket; `url` is the region URL, with no document path (WireSocket's editor-setup page). */
export const hocusSocket = (url: string): HocuspocusProviderWebsocket =>
  new HocuspocusProviderWebsocket({ url, WebSocketPolyfill: WebSocket, delay: 50, minDelay: 50, maxDelay: 200 })

export const hocusDoc = (
  socket: HocuspocusProviderWebsocket,
  name: string,
  token: string | (() => Promise<string>) | null,
  options: { sessionAwareness?: boolean } = {}
): HocusDoc => {
  const doc = new Y.Doc()
  const denied: string[] = []
  const closes: string[] = []
  const provider = new HocuspocusProvider({ websocketProvider: socket, name, document: doc, token, ...options })
  provider.on('authenticationFailed', ({ reason }: { reason: string }) => denied.push(reason))
  provider.on('close', ({ event }: { event: { reason: string } }) => closes.push(String(event.reason)))
  // A provider given a websocketProvider must be attached (4.x).
  provider.attach()
  return { doc, provider, denied, closes }
}

/** Resolve when `check` holds, re-checked on the provider's events and doc updates (no fixed sleeps). */
export const hocusUntil = async (h: HocusDoc, check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  if (check()) return
  await new Promise<void>((resolve, reject) => {
    const events = ['synced', 'authenticated', 'authenticationFailed', 'close', 'awarenessUpdate', 'status'] as const
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`timed out waiting for ${what}`))
    }, timeoutMs)
    const onAny = (): void => {
      if (!check()) return
      cleanup()
      resolve()
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      for (const e of events) h.provider.off(e, onAny)
      h.doc.off('update', onAny)
    }
    for (const e of events) h.provider.on(e, onAny)
    h.doc.on('update', onAny)
  })
}

export const destroyHocus = (socket: HocuspocusProviderWebsocket, ...docs: HocusDoc[]): void => {
  for (const d of docs) {
    d.provider.destroy()
    d.doc.destroy()
  }
  socket.destroy()
}

/** What the server answered a raw Hocuspocus Auth: the Auth reply, and document frames sent before it. */
export interface AuthOutcome {
  /** `authenticated`, `permission-denied <reason>`, or `socket-closed <code> <reason>`. */
  answer: string
  /** Frames other than Auth replies that reached this address before the answer. */
  documentFrames: number
}

/**
 * An attacker's Hocuspocus client: a raw socket on the region URL that sends one document's Auth (and
 * its sync step 1, as the stock provider does at once) and reports the server's answer.
 */
export const rawHocusAuth = async (
  url: string,
  name: string,
  token: string,
  options: { origin?: string; protocols?: string[] } = {}
): Promise<AuthOutcome> => {
  const { authTokenFrame, decodeHocuspocusFrame, readAuth, encodeHocuspocusFrame } = await import('../../../src/wire/codec.ts')
  const ws = new WebSocket(url, options.protocols ?? [], options.origin === undefined ? {} : { origin: options.origin })
  let documentFrames = 0
  try {
    return await new Promise<AuthOutcome>((resolve, reject) => {
      ws.on('error', reject)
      ws.on('open', () => {
        ws.send(authTokenFrame(name, token, '4.8.0'))
        ws.send(encodeHocuspocusFrame(name, new Uint8Array([0, 0, 1, 0])))
      })
      ws.on('message', (data: Buffer) => {
        const frame = decodeHocuspocusFrame(new Uint8Array(data))
        if (frame.kind !== 'message' || frame.address !== name) return
        if (frame.type !== 2) {
          documentFrames++
          return
        }
        const auth = readAuth(frame.message)
        if (auth.kind === 'authenticated') resolve({ answer: 'authenticated', documentFrames })
        else if (auth.kind === 'permission-denied') resolve({ answer: `permission-denied ${auth.reason}`, documentFrames })
      })
      ws.on('close', (code: number, reason: Buffer) => resolve({ answer: `socket-closed ${code} ${reason.toString()}`, documentFrames }))
    })
  } finally {
    ws.terminate()
  }
}
