import type { CloseEventLike } from '../provider/options.ts'
import { CloseCode } from '../contract/close-codes.ts'

/**
 * Hocuspocus' own close codes (`@hocuspocus/common`), which a stock `@hocuspocus/server` sends on the
 * socket, and whose reason texts alone reach a document in its `CLOSE` frame. Contract §6 says what
 * each one means to the provider (see policy.ts).
 */
export const HocuspocusCode = {
  Unauthorized: 4401,
  Forbidden: 4403,
  ConnectionTimeout: 4408,
  ResetConnection: 4205,
} as const

const codeOfStockReason: Record<string, number> = {
  Unauthorized: HocuspocusCode.Unauthorized,
  Forbidden: HocuspocusCode.Forbidden,
  'Connection Timeout': HocuspocusCode.ConnectionTimeout,
  'Reset Connection': HocuspocusCode.ResetConnection,
}

/** `4008 Document user limit exceeded: 5` → 4008 and the rest; null when the reason leads with no code. */
const leadingCode = (reason: string): CloseEventLike | null => {
  const match = /^([1-4]\d{3}) (.*)$/s.exec(reason)
  return match === null ? null : { code: Number(match[1]), reason: match[2]! }
}

/**
 * A `PermissionDenied`, as the close it stands for (contract §6): the WireSocket code its reason leads
 * with, or, when there is none (a stock server says `permission-denied`), a refused token (4002).
 */
export const permissionDeniedAsClose = (reason: string): CloseEventLike =>
  leadingCode(reason) ?? { code: CloseCode.InvalidToken, reason }

/**
 * A document's `CLOSE`, as the close it stands for: the WireSocket code its reason leads with, or the
 * Hocuspocus code a stock server's reason text names; anything else is a reset (reconnect after a backoff).
 */
export const documentCloseAsClose = (reason: string): CloseEventLike =>
  leadingCode(reason) ?? { code: codeOfStockReason[reason] ?? HocuspocusCode.ResetConnection, reason }
