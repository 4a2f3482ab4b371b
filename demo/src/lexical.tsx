/** Lexical: `CollaborationPlugin` with a `providerFactory` that returns a WireSocketProvider, no casts. */
import * as Y from 'yjs'
import type { Provider } from '@lexical/yjs'
import { LexicalComposer } from '@lexical/react/LexicalComposer'
import { ContentEditable } from '@lexical/react/LexicalContentEditable'
import { RichTextPlugin } from '@lexical/react/LexicalRichTextPlugin'
import { LexicalErrorBoundary } from '@lexical/react/LexicalErrorBoundary'
import { CollaborationPlugin } from '@lexical/react/LexicalCollaborationPlugin'
import { LexicalCollaboration } from '@lexical/react/LexicalCollaborationContext'
import { useRef } from 'react'
import { createRoot } from 'react-dom/client'
import { IndexeddbPersistence } from 'y-indexeddb'
import { WireSocketProvider, type TokenSource } from '../../src/index.ts'
import type { User } from './panel.ts'

interface LexicalClientProps {
  serverUrl: string
  documentName: string
  /** IndexedDB database of this client's copy (WireSocket stores nothing). */
  storeName: string
  tokenSource: TokenSource
  user: User
  shouldBootstrap: boolean
  onProvider: (provider: WireSocketProvider) => void
}

/**
 * Lexical renders only what changes in the Y.Doc after it binds, and connects the provider itself at
 * once. So the client's IndexedDB copy is loaded into the bound doc first, and the provider connects
 * after that: the persisted content renders, and the server's empty document is seeded from it
 * (bootstrapping an empty one only when there is no copy either).
 */
const loadThenConnect = (provider: WireSocketProvider, load: () => Promise<unknown>): void => {
  const connectNow = provider.connect.bind(provider)
  const disconnectNow = provider.disconnect.bind(provider)
  let loaded: Promise<unknown> | null = null
  let wanted = false
  provider.connect = () => {
    wanted = true
    // Lexical calls connect() from the effect that runs after the one binding the doc: load now.
    loaded ??= load()
    void loaded.then(() => { if (wanted) connectNow() })
  }
  provider.disconnect = () => {
    wanted = false
    disconnectNow()
  }
}

function LexicalClient ({ serverUrl, documentName, storeName, tokenSource, user, shouldBootstrap, onProvider }: LexicalClientProps): React.JSX.Element {
  const cursors = useRef<HTMLDivElement>(null)
  const providerFactory = (id: string, yjsDocMap: Map<string, Y.Doc>): Provider => {
    const doc = new Y.Doc()
    yjsDocMap.set(id, doc)
    const provider = new WireSocketProvider(serverUrl, id, doc, { connect: false, tokenSource, disableBc: true })
    loadThenConnect(provider, async () => await new IndexeddbPersistence(storeName, doc).whenSynced)
    onProvider(provider)
    return provider
  }
  return (
    // Each client gets its own collaboration context: two editors of one document in one tab must not share a Y.Doc.
    <LexicalCollaboration>
      <LexicalComposer initialConfig={{ namespace: `demo-${user.name}`, editorState: null, onError: error => { console.error(error) } }}>
        <RichTextPlugin
          contentEditable={<ContentEditable className='lexical-input' aria-label={`Lexical editor (${user.name})`} />}
          placeholder={<div className='lexical-placeholder'>Write something…</div>}
          ErrorBoundary={LexicalErrorBoundary}
        />
        <CollaborationPlugin
          id={documentName}
          providerFactory={providerFactory}
          shouldBootstrap={shouldBootstrap}
          username={user.name}
          cursorColor={user.color}
          cursorsContainerRef={cursors}
        />
        <div ref={cursors} className='lexical-cursors' data-role='cursors' />
      </LexicalComposer>
    </LexicalCollaboration>
  )
}

export function mountLexical (host: HTMLElement, props: LexicalClientProps): void {
  createRoot(host).render(<LexicalClient {...props} />)
}
