import type * as Y from 'yjs'
import { Awareness, removeAwarenessStates } from 'y-protocols/awareness'

/**
 * The app's awareness, or one of our own with a way to release it completely: y-protocols' Awareness
 * registers doc.on('destroy') and never removes it, so every provider destroyed on a long-lived doc
 * would leave a listener (and its Awareness) behind.
 */
export const ownAwareness = (doc: Y.Doc, given: Awareness | undefined): { awareness: Awareness; release: () => void } => {
  if (given !== undefined) return { awareness: given, release: () => {} }
  const listeners = (): unknown[] => [...(doc._observers.get('destroy') ?? [])]
  const before = listeners()
  const awareness = new Awareness(doc)
  const added = listeners().find(l => !before.includes(l))
  return {
    awareness,
    release: () => {
      awareness.destroy()
      doc._observers.get('destroy')?.delete(added)
    },
  }
}

/** A connection ended: the peers it told us about are gone with it; our own state stays. */
export const forgetPeers = (awareness: Awareness, origin: unknown): void => {
  removeAwarenessStates(awareness, [...awareness.getStates().keys()].filter(client => client !== awareness.clientID), origin)
}
