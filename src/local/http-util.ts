/** Small HTTP helpers shared by the token service and the region servers. */
import type { IncomingMessage, ServerResponse, Server } from 'node:http'

export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  if (res.headersSent) {
    res.end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  })
  res.end(text)
}

export class BodyTooLarge extends Error {}

/** Read a request body, refusing anything over `maxBytes` instead of buffering it all. */
export const readBody = async (req: IncomingMessage, maxBytes: number): Promise<string> =>
  await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        reject(new BodyTooLarge('request body too large'))
        req.removeAllListeners('data')
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })

export const clientIp = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown'

/**
 * Malformed requests and oversized headers must not crash the process or hang the socket: answer
 * with a bare HTTP error when the socket can still take it, otherwise drop it.
 */
export const guardClientErrors = (server: Server): void => {
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (socket.writable && !socket.destroyed) {
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    } else {
      socket.destroy()
    }
  })
}

/** Listen on host:port (0 = OS picks) and return the port actually bound. */
export const listen = async (server: Server, host: string, port: number): Promise<number> =>
  await new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error)
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      const address = server.address()
      if (address === null || typeof address === 'string') reject(new Error('server has no TCP address'))
      else resolve(address.port)
    })
  })

export const closeServer = async (server: Server): Promise<void> =>
  await new Promise(resolve => {
    if (!server.listening) {
      resolve()
      return
    }
    server.close(() => resolve())
    server.closeAllConnections()
  })
