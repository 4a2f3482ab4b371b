/**
 * `y-wiresocket/server`: the backend side. A token client that holds the app's WireSocket credentials,
 * a token endpoint for the browser's `getToken`, and a token verifier. Runs on Node and on fetch-style
 * runtimes (Next.js route handlers, Hono, Bun, Deno, Cloudflare Workers); only `toNodeHandler` is about
 * Node, and it imports nothing from Node at run time.
 */
export { createTokenClient, DEFAULT_TOKEN_URL, TOKEN_SCOPE, REFRESH_TOKEN_LIFETIME_MS } from './token-client.ts'
export type { AccessToken, TokenClient, TokenClientOptions } from './token-client.ts'
export type { FetchLike } from './token-endpoint.ts'
export { createMemoryTokenStore } from './token-store.ts'
export type { LockOptions, ReleaseLock, StoredTokenState, TokenStore } from './token-store.ts'
export { WireSocketTokenError } from './oauth-errors.ts'
export type { WireSocketTokenErrorCode } from './oauth-errors.ts'
export { createTokenHandler, TOKEN_HANDLER_METHODS } from './token-handler.ts'
export type { Authorize, TokenHandler, TokenHandlerMethod, TokenHandlerOptions } from './token-handler.ts'
export { toNodeHandler } from './node-adapter.ts'
export type { NodeContext, NodeHandler, NodeHandlerOptions, NodeRequestLike, NodeResponseLike } from './node-adapter.ts'
export { createTokenVerifier, WireSocketVerifyError, WIRESOCKET_AUDIENCE, WIRESOCKET_ISSUER } from './token-verifier.ts'
export type { TokenVerifier, TokenVerifierOptions, WireSocketVerifyErrorCode } from './token-verifier.ts'
export { decodeClaims } from './decode-claims.ts'
export { normalizeClaims } from '../contract/claims.ts'
export type { WireSocketClaims, WireSocketLimits } from '../contract/claims.ts'
