// Backend hardening (issue 10, points 13–15): secrets in every encoding an upstream might echo never
// reach an error, a token store that never answers cannot hang token requests, and a malformed Host
// is the client's fault. Over real sockets: a scripted token endpoint and a node:http server on 127.0.0.1.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { createTokenHandler, toNodeHandler } from '../../src/server/index.ts'

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** One raw HTTP/1.1 request (so that the Host header is exactly what we write); the status line's code. */
const rawStatus = async (port: number, host: string): Promise<number> => await new Promise((resolve, reject) => {
  const socket = connect(port, '127.0.0.1')
  let reply = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { reply += chunk })
  socket.on('error', reject)
  socket.on('end', () => {
    const match = /^HTTP\/1\.1 (\d{3})/.exec(reply)
    if (match === null) reject(new Error(`no status line in ${JSON.stringify(reply.slice(0, 80))}`))
    else resolve(Number(match[1]))
  })
  socket.write(`GET /api/token HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
})

test('toNodeHandler: a malformed Host header is a 400, not a 500; the handler is not called', async () => {
  let calls = 0
  const handler = createTokenHandler({
    client: { getAccessToken: async () => { calls++; throw new Error('not reached') } },
    authorize: () => { calls++; return false },
  })
  const server = createServer(toNodeHandler(handler))
  const port = await listen(server)
  try {
    for (const host of ['exa mple.com', '[::1', 'a:b:c', 'x%zz', 'user:pw@app.test', 'app.test:99999']) {
      assert.equal(await rawStatus(port, host), 400, `Host: ${host}`)
    }
    assert.equal(calls, 0)
    assert.equal(await rawStatus(port, 'app.test:8080'), 401, 'a good Host still reaches the handler (which refuses: no session)')
    assert.equal(calls, 1)
  } finally {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
})
