/**
 * A token presented at a handshake (or in a Hocuspocus Auth), checked in the order a client can act on:
 * missing (4001), invalid or expired (4002), origin (4003). Both framings use it, so it lives apart
 * from either.
 */
import { CloseCode, CloseReason } from '../contract/close-codes.ts'
import type { AccessPolicy, TokenAuthority } from './context.ts'
import type { CloseRequest } from './document-session.ts'
import { originAllowed, verifyAccessToken, type VerifiedToken } from './verify.ts'

export type Auth = { ok: true; token: VerifiedToken | undefined } | { ok: false; close: CloseRequest }

export type TokenCheckContext = TokenAuthority & Pick<AccessPolicy, 'authenticate'>

export const checkToken = async (ctx: TokenCheckContext, token: string | undefined, origin: string | null): Promise<Auth> => {
  if (!ctx.authenticate) return { ok: true, token: undefined }
  if (token === undefined) return { ok: false, close: { code: CloseCode.MissingToken, reason: CloseReason.missingToken } }
  const result = await verifyAccessToken(token, ctx)
  if (!result.ok) {
    const reason = result.defect === 'expired' ? CloseReason.tokenExpired : CloseReason.invalidToken
    return { ok: false, close: { code: CloseCode.InvalidToken, reason } }
  }
  if (!originAllowed(origin, result.token.claims.allowedDomains)) {
    return { ok: false, close: { code: CloseCode.Forbidden, reason: CloseReason.originNotAllowed } }
  }
  return { ok: true, token: result.token }
}
