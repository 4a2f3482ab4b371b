import type { Awareness } from 'y-protocols/awareness'
import { removeAwarenessStates } from 'y-protocols/awareness'

/**
 * Our state again with a newer clock, for a new socket. When the last socket closed, the server told
 * peers we left under the clock they had; y-protocols ignores a state at a clock it has seen, so an
 * unbumped re-announcement stays invisible until the next 15 s renewal. Returns the ids to announce.
 */
export const bumpOwn = (awareness: Awareness): number[] => {
  const id = awareness.clientID
  const meta = awareness.meta.get(id)
  if (meta === undefined || awareness.getLocalState() === null) return []
  awareness.meta.set(id, { clock: meta.clock + 1, lastUpdated: Date.now() })
  return [id]
}

/**
 * A connection ended: the peers it told us about are gone with it; our own state stays. Their clocks go
 * too, so that the next server's answer (same clocks) is taken instead of ignored as already seen.
 */
export const forgetPeers = (awareness: Awareness, origin: unknown): void => {
  const own = awareness.clientID
  removeAwarenessStates(awareness, [...awareness.getStates().keys()].filter(id => id !== own), origin)
  for (const id of awareness.meta.keys()) if (id !== own) awareness.meta.delete(id)
}
