/** CodeMirror 6 and TipTap 3 bound to a WireSocketProvider, the way each editor's docs wire y-websocket. */
import * as Y from 'yjs'
import { IndexeddbPersistence } from 'y-indexeddb'
import { EditorView, basicSetup } from 'codemirror'
import { yCollab } from 'y-codemirror.next'
import { Editor } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import type { WireSocketProvider } from '../../src/index.ts'
import type { User } from './panel.ts'
import type { Transport } from './transport.ts'

/** Where one editor connects, and as whom. */
export interface EditorSetup {
  transport: Transport
  regionUrl: string
  documentName: string
  /** IndexedDB database of this client's copy (WireSocket stores nothing). */
  storeName: string
  user: User
}

/** An editor on the page; `destroy` takes down the editor and its local copy (the transport owns the provider). */
export interface MountedEditor {
  provider: WireSocketProvider
  destroy(): void
}

/**
 * WireSocket stores nothing, so each client keeps its own copy in IndexedDB and connects once that
 * copy is loaded: the server's empty document is then seeded from it instead of the other way round.
 * A remount (another transport) starts from a new Y.Doc and loads the same copy.
 */
export const persistedProvider = (setup: EditorSetup, doc: Y.Doc): { provider: WireSocketProvider; persistence: IndexeddbPersistence } => {
  const provider = setup.transport.provider(setup.regionUrl, setup.documentName, doc)
  const persistence = new IndexeddbPersistence(setup.storeName, doc)
  void persistence.whenSynced.then(() => { provider.connect() })
  return { provider, persistence }
}

export function mountCodeMirror (parent: HTMLElement, setup: EditorSetup): MountedEditor {
  const doc = new Y.Doc()
  const { provider, persistence } = persistedProvider(setup, doc)
  const { user } = setup
  provider.awareness.setLocalStateField('user', { name: user.name, color: user.color, colorLight: `${user.color}33` })
  const ytext = doc.getText('codemirror')
  const view = new EditorView({
    doc: ytext.toString(),
    extensions: [basicSetup, EditorView.lineWrapping, yCollab(ytext, provider.awareness)],
    parent,
  })
  return {
    provider,
    destroy: () => {
      view.destroy()
      void persistence.destroy()
    },
  }
}

export function mountTipTap (element: HTMLElement, setup: EditorSetup): MountedEditor {
  const doc = new Y.Doc()
  const { provider, persistence } = persistedProvider(setup, doc)
  const editor = new Editor({
    element,
    extensions: [
      StarterKit.configure({ undoRedo: false }),
      Collaboration.configure({ document: doc }),
      CollaborationCaret.configure({ provider, user: setup.user }),
    ],
  })
  return {
    provider,
    destroy: () => {
      editor.destroy()
      void persistence.destroy()
    },
  }
}
