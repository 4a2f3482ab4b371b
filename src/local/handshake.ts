/** Where the token came from at the WebSocket handshake (contract §3), and which subprotocol to select. */
import type { IncomingMessage } from 'node:http'
import type { HandshakeTransport } from './types.ts'
import { LEGACY_TOKEN_QUERY_PARAM, LEGACY_TOKEN_SUBPROTOCOL, TOKEN_QUERY_PARAM, TOKEN_SUBPROTOCOL } from '../contract/handshake.ts'

/** `access_token` is the documented name; `Bearer` is what some older pages show. */
const PROTOCOL_NAMES = [TOKEN_SUBPROTOCOL, LEGACY_TOKEN_SUBPROTOCOL] as const

export const offeredProtocols = (req: IncomingMessage): string[] => {
  const header = req.headers['sec-websocket-protocol']
  if (typeof header !== 'string') return []
  return header.split(',').map(p => p.trim()).filter(Boolean)
}

/** Select the name the client offered (never the JWT, and never a value it did not offer). */
export const selectProtocol = (offered: Iterable<string>): string | false => {
  const list = [...offered]
  return PROTOCOL_NAMES.find(name => list.includes(name)) ?? false
}

export interface PresentedToken { token: string | undefined; transport: HandshakeTransport }

export const presentedToken = (req: IncomingMessage, url: URL): PresentedToken => {
  const offered = offeredProtocols(req)
  const name = selectProtocol(offered)
  if (name !== false) {
    const at = offered.indexOf(name)
    const token = offered[at + 1] ?? offered.find(p => p !== name)
    if (token) return { token, transport: 'subprotocol' }
  }
  const query = url.searchParams.get(TOKEN_QUERY_PARAM) ?? url.searchParams.get(LEGACY_TOKEN_QUERY_PARAM)
  if (query) return { token: query, transport: 'query' }
  const auth = req.headers.authorization
  if (typeof auth === 'string' && /^Bearer\s+\S/i.test(auth)) return { token: auth.replace(/^Bearer\s+/i, '').trim(), transport: 'header' }
  return { token: undefined, transport: 'none' }
}

/** Bearer header or `?token=` for the HTTP endpoints (contract §4). */
export const httpToken = (req: IncomingMessage, url: URL): string | undefined => {
  const auth = req.headers.authorization
  if (typeof auth === 'string' && /^Bearer\s+\S/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim()
  return url.searchParams.get('token') ?? undefined
}

const TOKEN_PARAMS = new Set(['token', 'access_token'])

const redactValue = (value: string): string => {
  if (value === '') return ''
  const header = /^(eyJ[A-Za-z0-9_-]*)\./.exec(value)
  return `${header ? `${header[1]!}.` : ''}[redacted]`
}

/**
 * The request URL as it may be kept in `handshakes`: token values redacted. The query is rebuilt from
 * its parsed parameters, so a name spelled `%74oken` (which `presentedToken` reads as `token`) is
 * redacted too. A JWT keeps its header segment (algorithm and key id, no secret), so a record still
 * shows which kind of token came.
 */
export const redactUrl = (rawUrl: string): string => {
  const at = rawUrl.indexOf('?')
  if (at === -1) return rawUrl
  const params = [...new URLSearchParams(rawUrl.slice(at + 1))].map(([name, value]) =>
    `${encodeURIComponent(name)}=${TOKEN_PARAMS.has(name) ? redactValue(value) : encodeURIComponent(value)}`)
  return `${rawUrl.slice(0, at)}?${params.join('&')}`
}
