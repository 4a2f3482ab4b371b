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
  options: { sessionAwareness?: boolean } = {},
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
