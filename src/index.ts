/**
 * y-wiresocket: the browser entry. A y-websocket-compatible provider for WireSocket that owns the
 * token lifecycle. No Node-only imports here.
 */
export { WireSocketProvider } from './provider/provider.ts'
export type { ConnectionState, ProviderAwareness, WireSocketProviderEvents } from './provider/events.ts'
export type { ClosedKind, LimitKind } from './provider/policy.ts'
export type { WireSocketProviderOptions, WebSocketLike, WebSocketConstructor, CloseEventLike } from './provider/options.ts'
export { createTokenSource } from './provider/token-source.ts'
export type { TokenSource, TokenSourceOptions, TokenHolder } from './provider/token-source.ts'
export { TokenError } from './provider/token.ts'
export type { GetToken, Token, TokenReason, TokenRequest, TokenResult, TokenErrorCode } from './provider/token.ts'
export { readClaims as decodeClaims } from './provider/read-claims.ts'
export type { WireSocketClaims, WireSocketLimits } from './contract/claims.ts'
export { CloseCode } from './contract/close-codes.ts'
export type { CloseCodeName, WireSocketCloseCode } from './contract/close-codes.ts'
export { isValidDocumentName } from './contract/document-name.ts'
