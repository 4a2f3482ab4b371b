/**
 * Type test (checked by `npm run typecheck`, never run): a WireSocketProvider is a Lexical `Provider`
 * with no cast and no @ts-expect-error, and its awareness is what TipTap's caret and
 * y-codemirror.next read.
 */
import * as Y from 'yjs'
import type { Provider } from '@lexical/yjs'
import type { Awareness } from 'y-protocols/awareness'
import { WireSocketProvider } from '../../src/index.ts'

declare const getToken: () => Promise<string>

const doc = new Y.Doc()
const provider = new WireSocketProvider('wss://eu-central-1.wiresocket.net', 'my-doc', doc, { getToken })

export const lexicalProvider: Provider = provider
export const providerFactory = (id: string, yjsDocMap: Map<string, Y.Doc>): Provider => {
  const d = new Y.Doc()
  yjsDocMap.set(id, d)
  return new WireSocketProvider('wss://eu-central-1.wiresocket.net', id, d, { getToken, connect: false })
}
export const awareness: Awareness = provider.awareness
export const syncListener: (isSynced: boolean) => void = isSynced => { lexicalProvider.on('sync', () => isSynced) }
