/** A document with some content on the server, held open for the scenario so every sync carries it. */
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import type { RemoteDataplane } from './remote-dataplane.ts'
import { createSocketMeter } from './sockets.ts'
import { reference, whenSynced } from './clients.ts'

export interface Seed {
  close(): void
}

/** ~`chars` characters of text in `name`, written by a plain y-websocket client that stays connected. */
export const seedDocument = async (dp: RemoteDataplane, name: string, chars = 2000): Promise<Seed> => {
  const doc = new Y.Doc()
  doc.getText('text').insert(0, 'lorem ipsum dolor sit amet '.repeat(Math.ceil(chars / 27)).slice(0, chars))
  const provider: WebsocketProvider = reference(dp.url, name, doc, createSocketMeter().WS, await dp.mintToken(3600))
  await whenSynced(provider, 20_000, `seed ${name}`)
  return {
    close: () => {
      provider.destroy()
      provider.awareness.destroy()
      doc.destroy()
    },
  }
}
