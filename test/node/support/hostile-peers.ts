/**
 * Attackers and witnesses for the dataplane's per-client bounds (issue 10.8-10.10): a socket that
 * stops reading, raw frames, and a bystander whose round trip is timed while an attacker works.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { connect, type Socket } from 'node:net'
import WebSocket from 'ws'
import * as encoding from 'lib0/encoding'
import { messageAwareness, messageSync } from '../../../src/contract/messages.ts'
import type { CloseInfo } from '../../support/local-client.ts'

/** A connected socket whose reading can be stopped, as a client that stopped reading would. */
export interface PausableSocket {
  ws: WebSocket
  /** Stop reading: everything the server sends from now on piles up on its side. */
  stopReading(): void
  /** Read again: what the server queued (and its close, if it closed) arrives. */
  resumeReading(): void
  closed: Promise<CloseInfo>
}

export const pausableSocket = async (url: string, token: string): Promise<PausableSocket> => {
  let raw: Socket | undefined
  const target = new URL(url)
  const ws = new WebSocket(url, ['access_token', token], {
    // Our own TCP socket, so that we can pause it: ws offers no "stop reading" of its own.
    createConnection: () => {
      raw = connect(Number(target.port), target.hostname)
      return raw
    },
  })
  ws.on('error', () => { /* the server cutting a slow consumer resets the connection */ })
  const closed = new Promise<CloseInfo>(resolve => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve())
    ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)))
  })
  return { ws, stopReading: () => raw!.pause(), resumeReading: () => raw!.resume(), closed }
}

/** `varUint(type) · varUint8Array(payload)` for sync (with sub type) or awareness messages. */
export const syncFrame = (syncType: number, payload: Uint8Array): Uint8Array => {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, messageSync)
  encoding.writeVarUint(encoder, syncType)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

export const awarenessFrame = (entries: Array<{ clientId: number; clock: number; state: string }>): Uint8Array => {
  const inner = encoding.createEncoder()
  encoding.writeVarUint(inner, entries.length)
  for (const e of entries) {
    encoding.writeVarUint(inner, e.clientId)
    encoding.writeVarUint(inner, e.clock)
    encoding.writeVarString(inner, e.state)
  }
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, messageAwareness)
  encoding.writeVarUint8Array(encoder, encoding.toUint8Array(inner))
  return encoding.toUint8Array(encoder)
}

/** Sync step 1 with an empty state vector: "send me the whole document". */
export const STEP1_EMPTY = new Uint8Array([0x00, 0x00, 0x01, 0x00])

/** The 10-byte update frame declaring 33.5 million structs in 7 bytes (Yjs allocates an array for them). */
export const HUGE_STRUCT_COUNT = new Uint8Array([0x00, 0x02, 0x07, 0x01, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x00])

/**
 * A 34-byte v1 update: one string item of its own client at clock 1, whose origin (clock 0) never
 * arrives, so Yjs keeps it pending. One client per update, so that pending updates never merge.
 */
export const orphanUpdate = (client: number): Uint8Array => {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 1) // one client section
  encoding.writeVarUint(encoder, 1) // one struct
  encoding.writeVarUint(encoder, client)
  encoding.writeVarUint(encoder, 1) // first clock: 0 is missing
  encoding.writeUint8(encoder, 0x84) // item with an origin, string content
  encoding.writeVarUint(encoder, client)
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarString(encoder, 'x'.repeat(20))
  encoding.writeVarUint(encoder, 0) // empty delete set
  return encoding.toUint8Array(encoder)
}

/**
 * A bystander on its own document: asks for the document (step 1) and times the answer (step 2),
 * again and again, until stopped. Resolves with every round trip measured, in ms.
 */
export const timeRoundTrips = async (url: string, token: string): Promise<{ stop: () => Promise<number[]> }> => {
  const ws = new WebSocket(url, ['access_token', token])
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve())
    ws.once('close', (code, reason) => reject(new Error(`bystander closed ${code} ${reason.toString()}`)))
  })
  const samples: number[] = []
  let running = true
  let closedEarly = false
  ws.once('close', () => { closedEarly = running })
  const probe = async (): Promise<void> => {
    // eslint-disable-next-line no-unmodified-loop-condition -- `running` is cleared by the caller's stop()
    while (running && ws.readyState === ws.OPEN) {
      const started = performance.now()
      const answered = await new Promise<boolean>(resolve => {
        const onMessage = (data: Buffer): void => {
          if (data[0] !== 0 || data[1] !== 1) return // only the step 2 answers our question
          ws.off('message', onMessage)
          ws.off('close', onClose)
          resolve(true)
        }
        const onClose = (): void => {
          ws.off('message', onMessage)
          resolve(false)
        }
        ws.on('message', onMessage)
        ws.once('close', onClose)
        ws.send(STEP1_EMPTY)
      })
      if (answered) samples.push(performance.now() - started)
      await new Promise(resolve => setTimeout(resolve, 10))
    }
  }
  const done = probe()
  return {
    stop: async () => {
      running = false
      await done
      if (closedEarly) throw new Error('the bystander was disconnected')
      ws.close()
      return samples
    },
  }
}

type BystanderReply = { kind: 'ready' } | { kind: 'samples'; samples: number[] } | { kind: 'error'; message: string }

/** `timeRoundTrips` run in a process of its own (see bystander-child.ts). */
export const bystanderProcess = async (url: string, token: string): Promise<{ stop: () => Promise<number[]> }> => {
  const child = fork(fileURLToPath(new URL('./bystander-child.ts', import.meta.url)), [url, token], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const replies: BystanderReply[] = []
  const waiters: Array<() => void> = []
  child.on('message', (reply: BystanderReply) => {
    replies.push(reply)
    for (const w of waiters.splice(0)) w()
  })
  const next = async (): Promise<BystanderReply> => {
    while (replies.length === 0) {
      await new Promise<void>((resolve, reject) => {
        waiters.push(resolve)
        child.once('exit', code => reject(new Error(`bystander exited with ${String(code)}`)))
      })
    }
    return replies.shift()!
  }
  const ready = await next()
  if (ready.kind !== 'ready') throw new Error('bystander did not start')
  return {
    stop: async () => {
      child.send('stop')
      const reply = await next()
      if (reply.kind !== 'samples') throw new Error(reply.kind === 'error' ? reply.message : 'no samples')
      return reply.samples
    },
  }
}
