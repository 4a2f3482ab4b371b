import { encodeAwareness, encodeQueryAwareness, encodeSyncStep1, encodeSyncStep2, readMessage, type MessageHandler, type SyncPeer } from './protocol.ts'

/** The provider side that tabs of the same origin sync with: its document, awareness and handlers. */
export interface CrossTabPeer extends SyncPeer {
  readonly bcChannel: string
  readonly messageHandlers: readonly MessageHandler[]
}

/**
 * Sync between tabs of one browser over the platform's BroadcastChannel, on the channel name and with
 * the messages y-websocket uses (lib0's channel is the same BroadcastChannel underneath), so tabs
 * running either provider sync with each other. Every other object on the channel hears a message,
 * other providers in this same tab included. No token ever crosses it: only document and awareness
 * messages. Where there is no BroadcastChannel, there is no cross-tab sync (the server still syncs).
 */
export class CrossTab {
  #channel: BroadcastChannel | null = null
  readonly #peer: CrossTabPeer
  readonly #onError: (error: unknown) => void

  constructor (peer: CrossTabPeer, onError: (error: unknown) => void) {
    this.#peer = peer
    this.#onError = onError
  }

  get connected (): boolean {
    return this.#channel !== null
  }

  connect (): void {
    const { bcChannel, doc, awareness } = this.#peer
    if (this.#channel === null && typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(bcChannel)
      this.#channel.onmessage = ({ data }: MessageEvent) => {
        try {
          const reply = readMessage(this.#peer.messageHandlers, this.#peer, new Uint8Array(data as ArrayBuffer), false)
          if (reply !== null) this.publish(reply)
        } catch (error) {
          this.#onError(error)
        }
      }
    }
    for (const message of [encodeSyncStep1(doc), encodeSyncStep2(doc), encodeQueryAwareness(), encodeAwareness(awareness, [awareness.clientID])]) {
      this.publish(message)
    }
  }

  publish (message: Uint8Array<ArrayBuffer>): void {
    this.#channel?.postMessage(message)
  }

  disconnect (): void {
    this.#channel?.close()
    this.#channel = null
  }
}
