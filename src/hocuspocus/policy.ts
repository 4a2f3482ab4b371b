import { afterDrop, type PolicyOptions, type Verdict, type Counters } from '../provider/policy.ts'
import { afterClose } from '../provider/close-policy.ts'
import type { CloseEventLike } from '../provider/options.ts'
import { HocuspocusCode } from './reasons.ts'

/**
 * The close-code policy in the Hocuspocus framing (contract §6): §3's table (`afterClose`), plus what
 * Hocuspocus' own codes mean. 4401 / 4403: the token or the user is refused, so one fresh token, then
 * `closed` (y-websocket's 44xx rule would stop at once, with no fresh token). 4408 (the server's
 * timeout) and 4205 (its reset): reconnect after the ordinary backoff.
 */
export const afterHocuspocusClose = (event: CloseEventLike, counters: Counters, options: PolicyOptions): Verdict => {
  const { code } = event
  if (code === HocuspocusCode.Unauthorized || code === HocuspocusCode.Forbidden) {
    const c = { ...counters, failures: counters.failures + 1, rejections: counters.rejections + 1 }
    const decision: Verdict['decision'] = c.rejections > 1
      ? { action: 'stop', kind: code === HocuspocusCode.Unauthorized ? 'unauthorized' : 'forbidden', event }
      : { action: 'retry', delay: 0, reason: 'rejected', wakeOnOnline: true, forgetToken: true }
    return { decision, counters: c }
  }
  if (code === HocuspocusCode.ConnectionTimeout || code === HocuspocusCode.ResetConnection) return afterDrop(counters, options)
  return afterClose(event, counters, options)
}
