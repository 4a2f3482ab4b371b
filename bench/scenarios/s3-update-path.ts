/**
 * 3. Update path: many small updates from one client to another. CPU time of the bench process (both
 * clients; the dataplane runs in its own process) and the bytes the client sockets hand to `send`.
 */
import * as Y from 'yjs'
import type { WebsocketProvider } from 'y-websocket'
import type { WireSocketProvider } from '../../src/index.ts'
import { createTokenSource } from '../../src/index.ts'
import { createBackend, ours, reference, whenSynced } from '../lib/clients.ts'
import { fullGc } from '../lib/gc.ts'
import { startRemoteDataplane, type RemoteDataplane } from '../lib/remote-dataplane.ts'
import { createSocketMeter, type SocketMeter } from '../lib/sockets.ts'
import { median, sleep, within } from '../lib/stats.ts'
import { bytes, ms, type BenchOptions, type ScenarioResult } from '../lib/result.ts'

interface Run { cpuMs: number; wallMs: number; bytes: number; frames: number }

const BATCH = 100

/** Resolve when `doc`'s text reaches `length`, checked on each update (no polling). */
const reaches = (doc: Y.Doc, length: number, timeout: number): Promise<void> => {
  const text = doc.getText('text')
  let onUpdate: (() => void) | undefined
  const done = new Promise<void>(resolve => {
    onUpdate = () => {
      if (text.length >= length) resolve()
    }
    doc.on('update', onUpdate)
    onUpdate()
  })
  return within(done, timeout, `receiver to reach ${length} characters`).finally(() => {
    if (onUpdate !== undefined) doc.off('update', onUpdate)
  })
}

type Make = (name: string, doc: Y.Doc, meter: SocketMeter) => WireSocketProvider | WebsocketProvider

const once = async (make: Make, name: string, updates: number): Promise<Run> => {
  const meter = createSocketMeter()
  const a = new Y.Doc()
  const b = new Y.Doc()
  // Fixed client ids: an update's size depends on the varint length of its client id, and random ids
  // (1 to 5 bytes) would make the byte counts differ between runs for no reason of the provider's.
  a.clientID = 0x1234567
  b.clientID = 0x7654321
  const sender = make(name, a, meter)
  const receiver = make(name, b, meter)
  try {
    await whenSynced(sender, 10_000)
    await whenSynced(receiver, 10_000)
    // let the awareness exchange that follows every connect finish before counting
    await sleep(300)
    await fullGc()
    meter.reset()
    const arrived = reaches(b, updates, 60_000)
    const text = a.getText('text')
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < updates; i += BATCH) {
      // one character per transaction, one transaction per update, like typing; a macrotask per
      // batch so the sockets drain as they would between keystrokes
      for (let j = i; j < Math.min(updates, i + BATCH); j++) text.insert(j, 'x')
      await new Promise(resolve => setImmediate(resolve))
    }
    await arrived
    const cpu = process.cpuUsage(cpu0)
    return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - t0, bytes: meter.bytesSent, frames: meter.framesSent }
  } finally {
    sender.destroy()
    receiver.destroy()
    a.destroy()
    b.destroy()
  }
}

export const updatePath = async (options: BenchOptions): Promise<ScenarioResult> => {
  const updates = options.quick ? 2000 : 10_000
  const rounds = options.quick ? 2 : 4
  const dp: RemoteDataplane = await startRemoteDataplane({
    limits: { opsPerMinute: 1_000_000_000 },
    rateLimits: { connectPerMinute: 1_000_000 },
  })
  const source = createTokenSource(createBackend(dp, options.latency).getToken)
  await source.get('s3', 'connect')
  const token = await dp.mintToken()
  const makeOurs: Make = (name, doc, meter) => ours(dp.url, name, doc, { WS: meter.WS, tokenSource: source })
  const makeReference: Make = (name, doc, meter) => reference(dp.url, name, doc, meter.WS, token)
  const runs = { ours: [] as Run[], reference: [] as Run[] }
  try {
    // one warm-up of each (JIT), then alternating rounds, each on a fresh document
    await once(makeOurs, 's3-warm-ours', Math.min(updates, 2000))
    await once(makeReference, 's3-warm-ref', Math.min(updates, 2000))
    for (let round = 0; round < rounds; round++) {
      const order: Array<['ours' | 'reference', Make]> = round % 2 === 0
        ? [['ours', makeOurs], ['reference', makeReference]]
        : [['reference', makeReference], ['ours', makeOurs]]
      for (const [side, make] of order) runs[side].push(await once(make, `s3-${side}-${round}`, updates))
    }
  } finally {
    await dp.close()
  }
  const cpuO = median(runs.ours.map(r => r.cpuMs))
  const cpuR = median(runs.reference.map(r => r.cpuMs))
  const bO = median(runs.ours.map(r => r.bytes))
  const bR = median(runs.reference.map(r => r.bytes))
  return {
    id: 3,
    title: 'Update path',
    rows: [
      { scenario: '3 Update path', metric: `CPU time, ${updates.toLocaleString('en-US')} updates A → B (median)`, ours: ms(cpuO), reference: ms(cpuR), ratio: cpuO / cpuR, goal: '≤ 1.05', met: cpuO / cpuR <= 1.05 },
      { scenario: '3 Update path', metric: 'bytes sent by client sockets', ours: bytes(bO), reference: bytes(bR), ratio: bO / bR, goal: '≤ 1.05', met: bO / bR <= 1.05 },
    ],
    details: { updates, rounds, runs },
    notes: [`${rounds} alternating rounds of ${updates.toLocaleString('en-US')} one-character inserts (${BATCH} per macrotask); CPU is process.cpuUsage of the bench process (sender + receiver; the dataplane is a child process); bytes are WebSocket payloads handed to send().`],
  }
}
