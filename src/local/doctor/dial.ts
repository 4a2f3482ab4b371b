/** Where and how a socket presents the token (contract §3 transports); never logged as a URL. */

export type Transport = 'subprotocol' | 'query' | 'none'

export interface Dial { url: string; protocols: string[] }

/** `path` is '' for the bare region URL (Hocuspocus framing) or `/name`. */
export const dial = (regionUrl: string, path: string, token: string | undefined, transport: Transport): Dial => {
  if (token === undefined || transport === 'none') return { url: `${regionUrl}${path}`, protocols: [] }
  if (transport === 'subprotocol') return { url: `${regionUrl}${path}`, protocols: ['access_token', token] }
  return { url: `${regionUrl}${path === '' ? '/' : path}?token=${encodeURIComponent(token)}`, protocols: [] }
}
