// A page of its own (loaded in an iframe by hocuspocus-interop.test.ts) running the stock
// HocuspocusProvider exactly as WireSocket's editor-setup page shows: region URL without a document
// path, the token in `token`. The parent page drives it with postMessage and hears every text change.
import * as Y from 'yjs'
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider'

type Command = { kind: 'connect'; url: string; name: string; token: string } | { kind: 'insert'; text: string }

const doc = new Y.Doc()
const text = doc.getText('text')
let provider: HocuspocusProvider | undefined

const report = (): void => {
  window.parent.postMessage({ from: 'hocuspocus-page', text: text.toString(), synced: provider?.isSynced ?? false, denied }, '*')
}
const denied: string[] = []
doc.on('update', report)

window.addEventListener('message', (event: MessageEvent<Command>) => {
  const command = event.data
  if (command.kind === 'connect') {
    const websocketProvider = new HocuspocusProviderWebsocket({ url: command.url })
    provider = new HocuspocusProvider({ websocketProvider, name: command.name, document: doc, token: command.token })
    provider.on('synced', report)
    provider.on('authenticationFailed', ({ reason }: { reason: string }) => { denied.push(reason); report() })
    provider.attach()
  } else if (command.kind === 'insert') {
    text.insert(text.length, command.text)
  }
})
window.parent.postMessage({ from: 'hocuspocus-page', ready: true }, '*')
