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
import type { WireSocketProvider } from '../../src/index.ts'
import type { EditorSetup } from './editors.ts'

interface LexicalClientProps {
  setup: EditorSetup
  shouldBootstrap: boolean
  onProvider: (provider: WireSocketProvider) => void
  /** Each IndexedDB copy the editor opens, to be closed when it unmounts. */
  onPersistence: (persistence: IndexeddbPersistence) => void
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

function LexicalClient ({ setup, shouldBootstrap, onProvider, onPersistence }: LexicalClientProps): React.JSX.Element {
  const { transport, regionUrl, documentName, storeName, user } = setup
  const cursors = useRef<HTMLDivElement>(null)
  const providerFactory = (id: string, yjsDocMap: Map<string, Y.Doc>): Provider => {
    const doc = new Y.Doc()
    yjsDocMap.set(id, doc)
    const provider = transport.provider(regionUrl, id, doc)
    loadThenConnect(provider, async () => {
      const persistence = new IndexeddbPersistence(storeName, doc)
      onPersistence(persistence)
      return await persistence.whenSynced
    })
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

/** Mounts the editor; `destroy` unmounts it and closes its IndexedDB copy (the transport owns the provider). */
export function mountLexical (host: HTMLElement, setup: EditorSetup, shouldBootstrap: boolean, onProvider: (provider: WireSocketProvider) => void): { destroy(): void } {
  const root = createRoot(host)
  const copies: IndexeddbPersistence[] = []
  root.render(<LexicalClient setup={setup} shouldBootstrap={shouldBootstrap} onProvider={onProvider} onPersistence={p => { copies.push(p) }} />)
  return {
    destroy: () => {
      root.unmount()
      for (const copy of copies) void copy.destroy()
    },
  }
}
