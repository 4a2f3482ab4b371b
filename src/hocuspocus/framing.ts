import type { Framing } from '../provider/link.ts'
import { HocuspocusSocket } from './hocuspocus-socket.ts'
import { afterHocuspocusClose } from './policy.ts'

/**
 * The Hocuspocus framing (contract §6) for one document on a socket of its own:
 * `new WireSocketProvider(url, name, doc, { getToken, framing: hocuspocusFraming })`. The token is
 * presented at the upgrade (per `tokenTransport`, `'in-band'` for none) and in the document's Auth, and
 * refreshed in-band when the server asks, so a token expiry costs no reconnect.
 */
export const hocuspocusFraming: Framing = {
  dial: (request, listener) => new HocuspocusSocket(request, () => {}).attach(request, listener),
  afterClose: afterHocuspocusClose,
}
