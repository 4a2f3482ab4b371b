/**
 * Our codec (src/wire/codec.ts) against the reference: a stock `@hocuspocus/server` 4.7 on
 * loopback. Frames we build are understood by it, and frames it sends are read by us, byte for byte
 * where the two should be equal (Authenticated, sync-status).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { Server } from '@hocuspocus/server'
import {
  authenticatedFrame, authTokenFrame, decodeHocuspocusFrame, encodeHocuspocusFrame, readAuth, syncStatusFrame, type HocuspocusFrame,
} from '../../src/wire/codec.ts'
import { syncFrame } from './support/hostile-peers.ts'

test('a stock @hocuspocus/server understands our frames and we read its answers', { timeout: 20_000 }, async () => {
  const server = new Server({
    port: 0,
    address: '127.0.0.1',
    quiet: true,
    async onAuthenticate ({ token }: { token: string }) {
      if (token !== 'secret-token') throw new Error('nope')
    },
  })
  await server.listen()
  const ws = new WebSocket(`ws://127.0.0.1:${server.address.port}`)
  const frames: Array<{ raw: Uint8Array; frame: HocuspocusFrame }> = []
  const waiters = new Set<() => void>()
  ws.on('message', (data: Buffer) => {
    const raw = new Uint8Array(data)
    frames.push({ raw, frame: decodeHocuspocusFrame(raw) })
    for (const w of [...waiters]) w()
  })
  const until = async (check: () => boolean, what: string): Promise<void> => {
    if (check()) return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5000)
      const w = (): void => { if (check()) { clearTimeout(timer); waiters.delete(w); resolve() } }
      waiters.add(w)
    })
  }
  const of = (address: string, type: number): Array<{ raw: Uint8Array; frame: HocuspocusFrame }> =>
    frames.filter(f => f.frame.kind === 'message' && f.frame.address === address && f.frame.type === type)
  try {
    await new Promise(resolve => ws.once('open', resolve))
    ws.send(authTokenFrame('doc', 'secret-token', '4.8.0'))
    ws.send(authTokenFrame('refused', 'wrong', '4.8.0'))
    await until(() => of('doc', 2).length > 0 && of('refused', 2).length > 0, 'both Auth answers')
    assert.deepEqual(of('doc', 2)[0]!.raw, authenticatedFrame('doc'))
    const refused = of('refused', 2)[0]!.frame
    assert.ok(refused.kind === 'message')
    assert.deepEqual(readAuth(refused.message), { kind: 'permission-denied', reason: 'permission-denied' })

    ws.send(encodeHocuspocusFrame('doc', new Uint8Array([0, 0, 1, 0])))
    await until(() => of('doc', 0).length >= 2, 'step 2 and the server\'s step 1')
    const edit = new Y.Doc()
    edit.getText('text').insert(0, 'hello reference')
    ws.send(encodeHocuspocusFrame('doc', syncFrame(2, Y.encodeStateAsUpdate(edit))))
    await until(() => of('doc', 8).length > 0, 'sync-status')
    assert.deepEqual(of('doc', 8)[0]!.raw, syncStatusFrame('doc', true))
  } finally {
    ws.terminate()
    await server.destroy()
  }
})
