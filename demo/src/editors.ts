/** CodeMirror 6 and TipTap 3 bound to a WireSocketProvider, the way each editor's docs wire y-websocket. */
import * as Y from 'yjs'
import { IndexeddbPersistence } from 'y-indexeddb'
import { EditorView, basicSetup } from 'codemirror'
import { yCollab } from 'y-codemirror.next'
import { Editor } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import { WireSocketProvider, type TokenSource } from '../../src/index.ts'
import type { User } from './panel.ts'

/**
 * WireSocket stores nothing, so each client keeps its own copy in IndexedDB and connects once that
 * copy is loaded: the server's empty document is then seeded from it instead of the other way round.
 */
export const persistedProvider = (serverUrl: string, documentName: string, doc: Y.Doc, storeName: string, tokenSource: TokenSource): WireSocketProvider => {
  const provider = new WireSocketProvider(serverUrl, documentName, doc, { tokenSource, disableBc: true, connect: false })
  const persistence = new IndexeddbPersistence(storeName, doc)
  void persistence.whenSynced.then(() => { provider.connect() })
  return provider
}

export function mountCodeMirror (parent: HTMLElement, serverUrl: string, documentName: string, storeName: string, tokenSource: TokenSource, user: User): WireSocketProvider {
  const doc = new Y.Doc()
  const provider = persistedProvider(serverUrl, documentName, doc, storeName, tokenSource)
  provider.awareness.setLocalStateField('user', { name: user.name, color: user.color, colorLight: `${user.color}33` })
  const ytext = doc.getText('codemirror')
  // eslint-disable-next-line no-new -- the view mounts itself into `parent`; the page keeps it for its lifetime
  new EditorView({
    doc: ytext.toString(),
    extensions: [basicSetup, EditorView.lineWrapping, yCollab(ytext, provider.awareness)],
    parent,
  })
  return provider
}

export function mountTipTap (element: HTMLElement, serverUrl: string, documentName: string, storeName: string, tokenSource: TokenSource, user: User): WireSocketProvider {
  const doc = new Y.Doc()
  const provider = persistedProvider(serverUrl, documentName, doc, storeName, tokenSource)
  // eslint-disable-next-line no-new -- the editor mounts itself into `element`; the page keeps it for its lifetime
  new Editor({
    element,
    extensions: [
      StarterKit.configure({ undoRedo: false }),
      Collaboration.configure({ document: doc }),
      CollaborationCaret.configure({ provider, user }),
    ],
  })
  return provider
}
