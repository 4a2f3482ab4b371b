import * as bc from 'lib0/broadcastchannel'
import { encodeAwareness, encodeQueryAwareness, encodeSyncStep1, encodeSyncStep2, readMessage, type MessageHandler, type SyncPeer } from './protocol.ts'

/** The provider side that tabs of the same origin sync with: its document, awareness and handlers. */
export interface CrossTabPeer extends SyncPeer {
  readonly bcChannel: string
  readonly messageHandlers: readonly MessageHandler[]
}

/**
 * Sync between tabs of one browser over BroadcastChannel (lib0's, with its localStorage fallback), as
 * y-websocket does. No token ever crosses it: only document and awareness messages.
 */
export class CrossTab {
  connected = false
  readonly #peer: CrossTabPeer
  readonly #onError: (error: unknown) => void

  constructor (peer: CrossTabPeer, onError: (error: unknown) => void) {
    this.#peer = peer
    this.#onError = onError
  }

  readonly #onMessage = (data: ArrayBuffer, origin: unknown): void => {
    if (origin === this) return
    try {
      const reply = readMessage(this.#peer.messageHandlers, this.#peer, new Uint8Array(data), false)
      if (reply !== null) this.publish(reply)
    } catch (error) {
      this.#onError(error)
    }
  }

  connect (): void {
    const { bcChannel, doc, awareness } = this.#peer
    if (!this.connected) {
      bc.subscribe(bcChannel, this.#onMessage)
      this.connected = true
    }
    for (const message of [encodeSyncStep1(doc), encodeSyncStep2(doc), encodeQueryAwareness(), encodeAwareness(awareness, [awareness.clientID])]) {
      bc.publish(bcChannel, message, this)
    }
  }

  publish (message: Uint8Array<ArrayBuffer>): void {
    if (this.connected) bc.publish(this.#peer.bcChannel, message, this)
  }

  disconnect (): void {
    if (!this.connected) return
    bc.unsubscribe(this.#peer.bcChannel, this.#onMessage)
    this.connected = false
  }
}
