/** CodeMirror 6 and TipTap 3 bound to a WireSocketProvider, the way each editor's docs wire y-websocket. */
import * as Y from 'yjs'
import { EditorView, basicSetup } from 'codemirror'
import { yCollab } from 'y-codemirror.next'
import { Editor } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import { WireSocketProvider, type TokenSource } from '../../src/index.ts'
import type { User } from './panel.ts'

export function mountCodeMirror (parent: HTMLElement, serverUrl: string, documentName: string, tokenSource: TokenSource, user: User): WireSocketProvider {
  const doc = new Y.Doc()
  const provider = new WireSocketProvider(serverUrl, documentName, doc, { tokenSource, disableBc: true })
  provider.awareness.setLocalStateField('user', { name: user.name, color: user.color, colorLight: `${user.color}33` })
  const ytext = doc.getText('codemirror')
  new EditorView({
    doc: ytext.toString(),
    extensions: [basicSetup, EditorView.lineWrapping, yCollab(ytext, provider.awareness)],
    parent,
  })
  return provider
}

export function mountTipTap (element: HTMLElement, serverUrl: string, documentName: string, tokenSource: TokenSource, user: User): WireSocketProvider {
  const doc = new Y.Doc()
  const provider = new WireSocketProvider(serverUrl, documentName, doc, { tokenSource, disableBc: true })
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
