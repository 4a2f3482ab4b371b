/**
 * Run a fetch-style handler under Node's `http` server or Express: build a `Request` from the
 * `IncomingMessage`, write the `Response` back. The only module of `y-wiresocket/server` that knows
 * about Node. It imports nothing from Node, not even types: the request and response are described by
 * the few members the adapter uses, so a Workers or Deno project without @types/node still
 * type-checks `y-wiresocket/server`, and Node's `IncomingMessage`/`ServerResponse` (and Express's)
 * fit these shapes as they are.
 */

/** What the adapter reads from Node's `IncomingMessage` (or Express's `Request`). */
export interface NodeRequestLike extends AsyncIterable<Uint8Array | string> {
  method?: string | undefined
  url?: string | undefined
  headers: Record<string, string | string[] | undefined>
  readableEnded: boolean
}

/** What the adapter uses of Node's `ServerResponse` (or Express's `Response`). */
export interface NodeResponseLike {
  statusCode: number
  readonly headersSent: boolean
  readonly writableFinished: boolean
  setHeader(name: string, value: string | string[]): unknown
  writeHead(statusCode: number, headers: Record<string, string>): unknown
  end(chunk: Uint8Array | string): unknown
  destroy(): unknown
  on(event: 'close', listener: () => void): unknown
}

export type NodeHandler<Req extends NodeRequestLike = NodeRequestLike, Res extends NodeResponseLike = NodeResponseLike> = (req: Req, res: Res) => void

/** Handed to the fetch-style handler as its second argument, so `authorize` can read `req.session` & co. */
export interface NodeContext<Req extends NodeRequestLike = NodeRequestLike, Res extends NodeResponseLike = NodeResponseLike> {
  req: Req
  res: Res
}

export interface NodeHandlerOptions {
  /** Largest request body read (bytes) for methods with a body. Default 64 KiB; larger ⇒ 413. */
  maxBodyBytes?: number
}

/** Express's mounted routers strip their prefix from `url` and keep the full path in `originalUrl`. */
type MaybeExpressRequest = NodeRequestLike & { originalUrl?: string }

/** Failures of the request itself, answered with a 4xx of their own instead of a 500. */
class BadRequest extends Error {
  constructor (readonly status: number, readonly error: string) {
    super(error)
  }
}

const readBody = async (req: NodeRequestLike, limit: number): Promise<Uint8Array<ArrayBuffer> | undefined> => {
  // A body parser (express.json(), …) may have consumed the stream already: nothing left to read.
  if (req.readableEnded) return undefined
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of req) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
    size += bytes.byteLength
    if (size > limit) throw new BadRequest(413, 'payload_too_large')
    chunks.push(bytes)
  }
  const body = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    body.set(chunk, offset)
    offset += chunk.byteLength
  }
  return body
}

const toHeaders = (req: NodeRequestLike): Headers => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  return headers
}

const toRequest = async (req: MaybeExpressRequest, signal: AbortSignal, maxBodyBytes: number): Promise<Request> => {
  const method = (req.method ?? 'GET').toUpperCase()
  // Only used to give the Request an absolute URL; the handler does not route on it. A Host that is
  // no URL authority (spaces, a stray bracket, a userinfo-looking '@') is the client's fault: 400.
  const host = req.headers.host ?? 'localhost'
  let url: URL
  try {
    url = new URL(req.originalUrl ?? req.url ?? '/', `http://${host}`)
    if (url.host.length === 0 || url.username !== '' || url.password !== '') throw new TypeError('bad authority')
  } catch {
    throw new BadRequest(400, 'bad_request')
  }
  const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req, maxBodyBytes)
  return new Request(url, { method, headers: toHeaders(req), body, signal })
}

const send = async (res: NodeResponseLike, response: Response): Promise<void> => {
  res.statusCode = response.status
  const cookies = response.headers.getSetCookie()
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value)
  })
  if (cookies.length > 0) res.setHeader('set-cookie', cookies)
  res.end(new Uint8Array(await response.arrayBuffer()))
}

const sendStatus = (res: NodeResponseLike, status: number, error: string): void => {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(JSON.stringify({ error }))
}

export const toNodeHandler = <Req extends NodeRequestLike = NodeRequestLike, Res extends NodeResponseLike = NodeResponseLike>(
  handler: (request: Request, context: NodeContext<Req, Res>) => Promise<Response>,
  options: NodeHandlerOptions = {}
): NodeHandler<Req, Res> => {
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024
  return (req, res) => {
    // Abort the handler's work (and its fetch to WireSocket, if it passes the signal on) when the caller goes away.
    const controller = new AbortController()
    res.on('close', () => { if (!res.writableFinished) controller.abort() })
    toRequest(req, controller.signal, maxBodyBytes)
      .then(async request => { await send(res, await handler(request, { req, res })) })
      .catch((error: unknown) => {
        // Nothing from the failure goes into the reply: it could carry request data.
        if (error instanceof BadRequest) sendStatus(res, error.status, error.error)
        else sendStatus(res, 500, 'internal_error')
      })
  }
}
