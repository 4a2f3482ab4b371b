/**
 * A process that opens Hocuspocus-framed providers, waits for them to sync, destroys them, reports
 * what is left (on stdout, one JSON line per step) and then does nothing: it must exit by itself, which
 * it can only do if no socket and no timer is left behind. The token comes in the environment.
 */
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WireSocketProvider } from '../../../src/index.ts'
import { createSharedConnection, hocuspocusFraming } from '../../../src/hocuspocus/index.ts'
import { synced } from './provider-harness.ts'

const [url, mode] = process.argv.slice(2) as [string, 'one' | 'shared' | 'shared-one-by-one']
const token = process.env.HOCUS_CHILD_TOKEN ?? ''
const getToken = async (): Promise<string> => token
const report = (step: Record<string, unknown>): void => { process.stdout.write(JSON.stringify(step) + '\n') }
/** The parent looks at the server after `synced`, then closes our stdin: destroy only then. */
const goAhead = async (): Promise<void> => {
  process.stdin.resume()
  await new Promise(resolve => process.stdin.once('end', resolve))
}

if (mode === 'one') {
  const doc = new Y.Doc()
  const provider = new WireSocketProvider(url, 'solo', doc, { framing: hocuspocusFraming, WebSocketPolyfill: WebSocket, disableBc: true, getToken })
  await synced(provider)
  report({ step: 'synced' })
  await goAhead()
  provider.destroy()
  doc.destroy()
  report({ step: 'destroyed', state: provider.state })
} else {
  const shared = createSharedConnection(url, { WebSocketPolyfill: WebSocket, getToken })
  const docs = ['a', 'b', 'c'].map(name => {
    const doc = new Y.Doc()
    return { doc, provider: new WireSocketProvider(url, name, doc, { connection: shared, disableBc: true }) }
  })
  await Promise.all(docs.map(async d => await synced(d.provider)))
  report({ step: 'synced', sockets: shared.sockets })
  await goAhead()
  if (mode === 'shared') shared.destroy()
  else for (const d of docs) d.provider.destroy()
  report({ step: 'destroyed', sockets: shared.sockets, states: docs.map(d => d.provider.state) })
}
