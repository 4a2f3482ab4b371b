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
import { WireSocketProvider, type TokenSource } from '../../src/index.ts'
import type { User } from './panel.ts'

interface LexicalClientProps {
  serverUrl: string
  documentName: string
  tokenSource: TokenSource
  user: User
  shouldBootstrap: boolean
  onProvider: (provider: WireSocketProvider) => void
}

function LexicalClient ({ serverUrl, documentName, tokenSource, user, shouldBootstrap, onProvider }: LexicalClientProps): React.JSX.Element {
  const cursors = useRef<HTMLDivElement>(null)
  const providerFactory = (id: string, yjsDocMap: Map<string, Y.Doc>): Provider => {
    const doc = new Y.Doc()
    yjsDocMap.set(id, doc)
    const provider = new WireSocketProvider(serverUrl, id, doc, { connect: false, tokenSource, disableBc: true })
    onProvider(provider)
    return provider
  }
  return (
    // Each client gets its own collaboration context: two editors of one document in one tab must not share a Y.Doc.
    <LexicalCollaboration>
      <LexicalComposer initialConfig={{ namespace: `demo-${user.name}`, editorState: null, onError: error => { console.error(error) } }}>
        <RichTextPlugin
          contentEditable={<ContentEditable className="lexical-input" aria-label={`Lexical editor (${user.name})`} />}
          placeholder={<div className="lexical-placeholder">Write something…</div>}
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
        <div ref={cursors} className="lexical-cursors" data-role="cursors" />
      </LexicalComposer>
    </LexicalCollaboration>
  )
}

export function mountLexical (host: HTMLElement, props: LexicalClientProps): void {
  createRoot(host).render(<LexicalClient {...props} />)
}
